"""One partner's tier evaluation (the portal, the Partner form) reads the per-day totals
(prm_app.daily_totals), the full evaluation every Sales Invoice: both give the same proposal, with several
tiers, criteria and windows, credit notes, cancelled and back-dated invoices."""

import frappe
from frappe.utils import add_days, add_months, nowdate

from prm_app import daily_totals, tiers
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	make_company,
	make_invoice,
	make_partner,
	make_return,
	make_tier,
	only_these_tiers,
)


def row_of(frame, partner: str) -> dict:
	"""Every column of the engine's proposal for ``partner``."""
	[row] = frame[frame["partner"] == partner].to_dict("records")
	return row


class TestTierFastPath(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.bronze = make_tier("_PRM FP Bronze", 9201)
		self.silver = make_tier("_PRM FP Silver", 9202)
		self.gold = make_tier("_PRM FP Gold", 9203)
		only_these_tiers(self.bronze, self.silver, self.gold)
		frappe.db.set_value("Partner Tier", self.bronze, {"min_revenue": 500, "evaluation_window_months": 3})
		frappe.db.set_value("Partner Tier", self.silver, {"min_revenue": 2500, "evaluation_window_months": 6})
		frappe.db.set_value(
			"Partner Tier",
			self.gold,
			{"min_revenue": 4000, "min_won_deals": 1, "evaluation_window_months": 12, "grace_count": 1},
		)
		# established partners (2020): a new one is never demoted in its first window (grace)
		self.a = make_partner("_PRM FP Partner A", tier=self.silver, partnership_start_date="2020-01-01")
		self.b = make_partner("_PRM FP Partner B", tier=self.gold, partnership_start_date="2020-01-01")

	def tearDown(self):
		frappe.db.rollback()

	def assert_same(self, *partners):
		full = tiers.evaluate(nowdate())
		for partner in partners:
			one = tiers.evaluate(nowdate(), partners=[partner.name])
			self.assertEqual(row_of(one, partner.name), row_of(full, partner.name))

	def test_one_partner_reads_the_daily_totals_and_agrees_with_the_full_evaluation(self):
		today = nowdate()
		make_invoice(self.a, [("_PRM Hardware", 1, 400)], posting_date=today)
		make_invoice(self.a, [("_PRM Hardware", 2, 300)], posting_date=add_days(add_months(today, -3), 1))
		make_invoice(self.a, [("_PRM Hardware", 1, 700)], posting_date=add_months(today, -3))  # 6m only
		make_invoice(self.a, [("_PRM Hardware", 3, 500)], posting_date=add_months(today, -5))
		old = make_invoice(self.a, [("_PRM Hardware", 5, 1000)], posting_date=add_months(today, -11))
		make_invoice(self.a, [("_PRM Hardware", 9, 1000)], posting_date=add_months(today, -13))  # outside
		make_return(old, {"_PRM Hardware": 2})
		cancelled = make_invoice(self.a, [("_PRM Hardware", 7, 1000)], posting_date=add_months(today, -1))
		cancelled.cancel()
		make_invoice(self.b, [("_PRM Hardware", 1, 450)], posting_date=add_days(today, -10))

		self.assert_same(self.a, self.b)
		one = row_of(tiers.evaluate(nowdate(), partners=[self.a.name]), self.a.name)
		# 3 months: 400 + 600 - 2,000 (the credit note, dated today); 6 months: + 700 + 1,500; 12: + 5,000
		self.assertEqual(one["metrics"]["revenue"], {"3": -1000.0, "6": 1200.0, "12": 6200.0})
		# Silver (2,500 over 6 months) failed, no grace: demoted
		self.assertEqual((one["current_tier_passed"], one["change"]), (False, "demotion"))
		silver = one["criteria"][self.silver]["revenue"]
		self.assertEqual((silver["value"], silver["passed"]), (1200.0, False))
		two = row_of(tiers.evaluate(nowdate(), partners=[self.b.name]), self.b.name)
		self.assertEqual(two["metrics"]["revenue"]["12"], 450.0)
		self.assertEqual(two["consecutive_failures"], 1)  # Gold failed, grace 1

		progress = tiers.get_tier_progress(self.a.name)
		self.assertEqual(progress["metrics"], one["metrics"])

	def test_daily_totals_follow_submit_cancel_and_rebuild(self):
		day = str(add_months(nowdate(), -2))
		si = make_invoice(self.a, [("_PRM Hardware", 2, 250)], posting_date=day)

		def stored():
			return [
				(str(d), k, float(v))
				for d, k, v in frappe.db.sql(
					f"""select day, kind, amount from `{daily_totals.TABLE}`
					where ref = %s and kind in ('invoice', 'return') order by day, kind""",
					self.a.sales_partner,
				)
			]

		self.assertEqual(stored(), [(day, "invoice", 500.0)])
		make_return(si, {"_PRM Hardware": 1})  # a credit note of today
		both = [(day, "invoice", 500.0), (nowdate(), "return", -250.0)]
		self.assertEqual(stored(), both)
		frappe.db.sql(f"delete from `{daily_totals.TABLE}` where ref = %s", self.a.sales_partner)
		daily_totals.rebuild(sales_partner=self.a.sales_partner)
		self.assertEqual(stored(), both)
		si.reload()
		for cn in frappe.get_all("Sales Invoice", {"return_against": si.name, "docstatus": 1}, pluck="name"):
			frappe.get_doc("Sales Invoice", cn).cancel()
		si.reload()
		si.cancel()
		self.assertEqual(stored(), [])
		self.assert_same(self.a)
