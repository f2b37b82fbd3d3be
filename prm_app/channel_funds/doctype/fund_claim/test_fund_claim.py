"""Fund Claim: what may be claimed against an approved request."""

import frappe

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import FUNDS_TEST_IGNORE, FundsCase, make_claim, make_request

test_ignore = FUNDS_TEST_IGNORE
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads


class TestFundClaim(FundsCase):
	def test_claim_limits(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		with self.assertRaises(frappe.ValidationError):  # above the co-op share: 50% of 4,000
			make_claim(request, claimed=2000.01, actual_cost=4000, submit=False)
		with self.assertRaises(frappe.ValidationError):  # above the approved amount
			make_claim(request, claimed=3000.01, actual_cost=10000, submit=False)
		claim = make_claim(request, claimed=2000, actual_cost=4000, submit=False)
		self.assertEqual(claim.claim_limit, 2000)
