"""Bench test helpers of Channel Funds: a fund, a partner's request and claim, a proof file."""

import frappe
from frappe.utils import add_days, flt, nowdate

from prm_app.tests import PRMTestCase
from prm_app.tests.utils import COMPANY, account, make_company, make_partner

PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}



def pay_now() -> None:
	"""PRM Settings as ``PAY_NOW`` for this test's transaction (rolled back with it). A copy: set_single_value
	adds ``modified`` to the dict it is given."""
	frappe.db.set_single_value("PRM Settings", dict(PAY_NOW))
	frappe.clear_document_cache("PRM Settings", "PRM Settings")

def make_fund(**values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Fund",
			"fund_name": values.pop("fund_name", "_PRM MDF"),
			"company": COMPANY,
			"from_date": add_days(nowdate(), -90),
			"to_date": add_days(nowdate(), 90),
			"total_amount": values.pop("total_amount", 10_000_000),  # every active partner of the site gets its 5,000
			"expense_account": account("Marketing Expenses"),
			"cost_center": account("Main"),
			"coop_share": values.pop("coop_share", 50),
			"claim_window_days": values.pop("claim_window_days", 30),
			"allocation_method": "Fixed per partner",
			"amount_per_partner": values.pop("amount_per_partner", 5000),
			"status": "Active",
			**values,
		}
	).insert()
	return doc.name


def make_request(fund, partner, requested=3000, submit=True, **values):
	doc = frappe.get_doc(
		{
			"doctype": "Fund Request",
			"fund": fund,
			"partner": partner.name,
			"activity_type": "Webinar",
			"activity_title": values.pop("activity_title", "Cloud webinar"),
			"start_date": values.pop("start_date", add_days(nowdate(), -10)),
			"end_date": values.pop("end_date", add_days(nowdate(), -5)),
			"description": "A webinar for 200 IT managers",
			"estimated_cost": values.pop("estimated_cost", 6000),
			"requested_amount": requested,
			"partner_contribution": 3000,
			"expected_leads": 40,
			**values,
		}
	).insert()
	if submit:
		doc.submit_request()
	return doc.name


def proof_file(name="invoice.pdf", content: bytes | None = None) -> str:
	"""A private File; by default a real one-page PDF (v16's File parses PDFs and refuses a broken one)."""
	if content is None:
		from prm_app.tests.test_portal_isolation import small_pdf

		content = small_pdf()
	return (
		frappe.get_doc({"doctype": "File", "file_name": name, "content": content, "is_private": 1})
		.insert(ignore_permissions=True)
		.file_url
	)


def make_claim(request, claimed=2000, actual_cost=4000, submit=True, proofs=None):
	doc = frappe.get_doc(
		{
			"doctype": "Fund Claim",
			"fund_request": request,
			"posting_date": nowdate(),
			"actual_cost": actual_cost,
			"claimed_amount": claimed,
			"proofs": proofs or [{"proof_type": "Invoice", "file": proof_file()}],
		}
	).insert()
	if submit:
		doc.submit()
	return doc


def partner_fund_records(partner: str, fund_name: str = "_PRM Portal Fund") -> list:
	"""A partner's allocation on a fund, an approved request and a claim awaiting approval (committed by
	the portal fixtures); returns the documents, the fund first."""
	from prm_app.channel_funds import claims, funds

	fund = frappe.db.get_value("Fund", {"fund_name": fund_name}) or make_fund(fund_name=fund_name)
	allocation = frappe.get_doc("Fund Allocation", funds.allocation_of(fund, partner, create=True))
	allocation.base_amount = 5000
	allocation.save(ignore_permissions=True)
	request = make_request(fund, frappe._dict(name=partner), activity_title=f"{partner} secret webinar")
	funds.approve_request(request, amount=2000)
	claim = make_claim(request, claimed=1000, actual_cost=2500, submit=False)
	claims.send_for_approval(claim)
	return [
		frappe.get_doc("Fund", fund),
		allocation,
		frappe.get_doc("Fund Request", request),
		frappe.get_doc("Fund Claim", claim.name),
	]


def remove_partner_fund_records(partner: str) -> None:
	for doctype in ("Fund Claim", "Fund Request", "Fund Allocation"):
		for name in frappe.get_all(doctype, {"partner": partner, "docstatus": ("<", 1)}, pluck="name"):
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)


# ERPNext builds test records by walking Link fields (Lead.prm_fund_request, Purchase Invoice.prm_fund_claim,
# Partner Payout's fund claims lead here): the funds' doctype test modules stop the walk with this list
FUNDS_TEST_IGNORE = [
	"Account",
	"Campaign",
	"Company",
	"Cost Center",
	"Currency",
	"Fund",
	"Fund Allocation",
	"Fund Request",
	"Fund Claim",
	"Partner",
	"Partner Payout",
	"Purchase Invoice",
	"Supplier",
	"User",
]


def balance(fund, partner) -> dict:
	name = frappe.db.get_value("Fund Allocation", {"fund": fund, "partner": partner.name})
	return frappe.db.get_value(
		"Fund Allocation",
		name,
		["allocated", "requested", "reserved", "claimed", "reimbursed", "available"],
		as_dict=True,
	)


class FundsCase(PRMTestCase):
	"""A partner with an active, allocated fund (5,000.00, co-op share 50 %, claim window 30 days)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		from prm_app.channel_funds import funds

		frappe.set_user("Administrator")
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		self.partner = make_partner("_PRM Funds Partner")
		self.fund = make_fund()
		funds.run_allocation(self.fund)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def payout(self, from_date, to_date, submit=True):
		"""A Partner Payout of the partner for the period, posted today."""
		doc = frappe.get_doc(
			{
				"doctype": "Partner Payout",
				"partner": self.partner.name,
				"company": COMPANY,
				"from_date": from_date,
				"to_date": to_date,
				"posting_date": nowdate(),
			}
		).insert()
		if submit:
			doc.submit()
		return doc

	def assertBalance(self, **expected):
		got = balance(self.fund, self.partner)
		self.assertEqual({k: flt(got[k], 2) for k in expected}, {k: flt(v, 2) for k, v in expected.items()})
