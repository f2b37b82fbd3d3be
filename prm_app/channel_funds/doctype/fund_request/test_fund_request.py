"""Fund Request: expiry at the activity's end plus the fund's claim window releases the reserve."""

import frappe
from frappe.utils import add_days, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import FUNDS_TEST_IGNORE, FundsCase, make_claim, make_fund, make_request

test_ignore = FUNDS_TEST_IGNORE
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads


class TestFundRequest(FundsCase):
	def test_expiry_releases_the_reserve(self):
		request = make_request(
			self.fund, self.partner, start_date=add_days(nowdate(), -10), end_date=add_days(nowdate(), -5)
		)  # claim window 30 days: approved in time, expired 26 days later
		funds.approve_request(request)
		self.assertBalance(reserved=3000, available=2000)
		self.assertEqual(
			frappe.db.get_value("Fund Request", request, "expires_on").isoformat(), add_days(nowdate(), 25)
		)
		self.assertEqual(funds.expire_requests(add_days(nowdate(), 26)), [request])
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Expired")
		self.assertBalance(reserved=0, available=5000)
		with self.assertRaises(frappe.ValidationError):
			make_claim(request, submit=False)

	def test_a_new_fund_takes_the_default_claim_window_from_prm_settings(self):
		frappe.db.set_single_value("PRM Settings", "fund_claim_window_days", 45)
		fund = make_fund(fund_name="_PRM MDF default window", claim_window_days=None)
		self.assertEqual(frappe.db.get_value("Fund", fund, "claim_window_days"), 45)
		own = make_fund(fund_name="_PRM MDF own window", claim_window_days=0)
		self.assertEqual(frappe.db.get_value("Fund", own, "claim_window_days"), 0)
