"""Partner payouts: payable commissions paid through a Payment Entry against their journal entries,
clawbacks netted, holding period, minimum, negative carry-forward, withholding, the payout run."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, nowdate

from prm_app import payouts
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	gl_totals,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	make_user,
	supplier_payable,
)

# ERPNext builds its test records by walking Link fields, and prm_app's custom fields on its transactions
# lead into this doctype: the walk stops here (see prm_app/tests/test_erpnext_test_records.py)
test_ignore = [
	"Account",
	"Company",
	"Currency",
	"Fund Claim",
	"Journal Entry",
	"Mode of Payment",
	"Partner",
	"Partner Commission",
	"Payment Entry",
	"Purchase Invoice",
	"Sales Invoice",
	"Supplier",
]
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads


PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}


def make_payout(partner, submit=True, **values):
	doc = frappe.get_doc(
		{
			"doctype": "Partner Payout",
			"partner": partner.name,
			"company": COMPANY,
			"from_date": values.pop("from_date", add_days(nowdate(), -60)),
			"to_date": values.pop("to_date", nowdate()),
			"posting_date": values.pop("posting_date", nowdate()),
			**values,
		}
	).insert()
	if submit:
		doc.submit()
	return doc


def status(commission):
	return frappe.db.get_value("Partner Commission", commission, "status")


class TestPartnerPayout(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		self.plan = make_plan(
			"_PRM Payout Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.partner = make_partner("_PRM Payout Partner", plan=self.plan)

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_cache(doctype="Company")

	@change_settings("PRM Settings", PAY_NOW)
	def test_payout_pays_payable_commissions_through_a_payment_entry(self):
		a = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		b = make_invoice(self.partner, [("_PRM Hardware", 1, 500)])
		payout = make_payout(self.partner)
		self.assertEqual(flt(payout.net_amount), 150.0)
		self.assertEqual(len(payout.commissions), 2)
		payout.reload()
		self.assertEqual(payout.status, "Paid")
		self.assertEqual(
			gl_totals(payout.payment_entry),
			sorted(
				[
					(account("Cash"), 0.0, 150.0, None),
					(account("Creditors"), 150.0, 0.0, self.partner.supplier),
				]
			),
		)
		for si in (a, b):
			[pc] = commissions_of(si.name)
			self.assertEqual(pc.status, "Paid")
			self.assertEqual(
				frappe.db.get_value("Partner Commission", pc.name, "partner_payout"), payout.name
			)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	@change_settings("PRM Settings", {**PAY_NOW, "submit_payment_entries": 0})
	def test_payment_entry_can_be_left_as_draft_for_review(self):
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		payout = make_payout(self.partner)
		payout.reload()
		self.assertEqual(payout.status, "Submitted")
		pe = frappe.get_doc("Payment Entry", payout.payment_entry)
		self.assertEqual(pe.docstatus, 0)
		pe.submit()
		payout.reload()
		self.assertEqual(payout.status, "Paid")
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	@change_settings("PRM Settings", {**PAY_NOW, "holding_days": 30})
	def test_holding_period_keeps_recent_commission_out_of_the_payout(self):
		old = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)], posting_date=add_days(nowdate(), -40))
		new = make_invoice(self.partner, [("_PRM Hardware", 1, 500)])
		[old_pc] = commissions_of(old.name)
		[new_pc] = commissions_of(new.name)
		payouts.mark_payable()
		self.assertEqual(status(old_pc.name), "Payable")
		self.assertEqual(status(new_pc.name), "Accrued")
		payout = make_payout(self.partner)
		self.assertEqual([r.partner_commission for r in payout.commissions], [old_pc.name])
		self.assertEqual(supplier_payable(self.partner.supplier), 50.0)  # held, visible, not paid

	@change_settings("PRM Settings", {**PAY_NOW, "require_approval": 1})
	def test_approval_makes_commission_payable(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		[pc] = commissions_of(si.name)
		self.assertEqual(status(pc.name), "Accrued")
		with self.assertRaisesRegex(frappe.ValidationError, "Nothing is payable"):
			make_payout(self.partner)
		# approving and starting a payout run are checked on the server, company restrictions included
		other = frappe.db.get_value("Company", {"name": ("!=", COMPANY)})
		manager = make_user("prm.payout.manager@example.com", ["Partner Manager"])
		accountant = make_user("prm.payout.accounts@example.com", ["Accounts User"])
		for user in (manager, accountant):
			frappe.get_doc(
				{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": other}
			).insert(ignore_permissions=True)
		try:
			frappe.set_user(manager)
			self.assertRaises(frappe.PermissionError, payouts.approve_commissions, [pc.name])
			frappe.set_user(accountant)
			self.assertRaises(frappe.PermissionError, payouts.create_payouts, COMPANY, nowdate(), nowdate())
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(status(pc.name), "Accrued")
		payouts.approve_commissions([pc.name])
		self.assertEqual(status(pc.name), "Payable")
		self.assertEqual(flt(make_payout(self.partner).net_amount), 100.0)

	@change_settings("PRM Settings", {**PAY_NOW, "minimum_payout": 200})
	def test_minimum_payout_carries_forward(self):
		make_invoice(self.partner, [("_PRM Hardware", 1, 1500)])
		with self.assertRaisesRegex(frappe.ValidationError, "below the minimum payout"):
			make_payout(self.partner)
		self.assertEqual(
			frappe.db.count("Payment Entry", {"party": self.partner.supplier, "docstatus": ("<", 2)}), 0
		)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		self.assertEqual(flt(make_payout(self.partner).net_amount), 250.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_return_after_payout_nets_in_the_next_payout(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = make_payout(self.partner)
		[accrual] = commissions_of(si.name)
		cn = make_return(si)
		[clawback] = commissions_of(cn.name)
		self.assertEqual(supplier_payable(self.partner.supplier), -100.0)  # the partner owes 100 back
		self.assertEqual(status(accrual.name), "Paid")  # paid history is not rewritten
		self.assertEqual(status(clawback.name), "Payable")
		later = make_invoice(self.partner, [("_PRM Hardware", 1, 3000)])
		second = make_payout(self.partner, from_date=add_days(nowdate(), 1), to_date=add_days(nowdate(), 30))
		self.assertEqual(
			sorted((r.journal_entry, flt(r.amount)) for r in second.commissions),
			sorted([(clawback.journal_entry, -100.0), (commissions_of(later.name)[0].journal_entry, 300.0)]),
		)
		self.assertEqual(
			gl_totals(frappe.db.get_value("Partner Payout", second.name, "payment_entry")),
			sorted(
				[
					(account("Cash"), 0.0, 200.0, None),
					(account("Creditors"), 200.0, 0.0, self.partner.supplier),
				]
			),
		)
		self.assertEqual(flt(second.net_amount), 200.0)
		self.assertEqual(flt(second.total_clawback), -100.0)
		self.assertEqual(status(clawback.name), "Paid")
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)
		self.assertNotEqual(first.name, second.name)

	@change_settings("PRM Settings", PAY_NOW)
	def test_netting_a_clawback_pays_other_commissions_it_does_not_reverse_them(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_payout(self.partner)
		[clawback] = commissions_of(make_return(si).name)
		# two new sales: 50.00 and 300.00; the next payout nets the 100.00 clawback against them
		small = make_invoice(self.partner, [("_PRM Hardware", 1, 500)])
		large = make_invoice(self.partner, [("_PRM Hardware", 1, 3000)])
		second = make_payout(self.partner, from_date=add_days(nowdate(), 1), to_date=add_days(nowdate(), 30))
		self.assertEqual(flt(second.net_amount), 250.0)
		self.assertEqual(status(clawback.name), "Paid")
		# their invoices were not returned: they were paid (in part by netting), not reversed
		for sale in (small, large):
			[pc] = commissions_of(sale.name)
			self.assertEqual(status(pc.name), "Paid", sale.name)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_negative_net_blocks_the_payout_and_carries_forward(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_payout(self.partner)
		make_return(si)
		make_invoice(self.partner, [("_PRM Hardware", 1, 500)])
		next_period = {"from_date": add_days(nowdate(), 1), "to_date": add_days(nowdate(), 30)}
		with self.assertRaisesRegex(frappe.ValidationError, "carries forward"):
			make_payout(self.partner, **next_period)
		self.assertEqual(supplier_payable(self.partner.supplier), -50.0)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		self.assertEqual(flt(make_payout(self.partner, **next_period).net_amount), 50.0)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_cancelling_a_payout_unwinds_it(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		payout = make_payout(self.partner)
		payout.reload()
		pe = payout.payment_entry
		payout.cancel()
		self.assertEqual(frappe.db.get_value("Payment Entry", pe, "docstatus"), 2)
		[pc] = commissions_of(si.name)
		self.assertEqual(pc.status, "Payable")
		self.assertIsNone(frappe.db.get_value("Partner Commission", pc.name, "partner_payout"))
		self.assertEqual(supplier_payable(self.partner.supplier), 100.0)
		self.assertEqual(frappe.db.get_value("Partner Payout", payout.name, "status"), "Cancelled")

	@change_settings("PRM Settings", PAY_NOW)
	def test_supplier_tax_withholding_is_deducted(self):
		if not frappe.db.exists("Account", account("TDS Payable")):
			frappe.get_doc(
				{
					"doctype": "Account",
					"account_name": "TDS Payable",
					"parent_account": account("Duties and Taxes"),
					"company": COMPANY,
					"account_type": "Tax",
				}
			).insert()
		year = nowdate()[:4]
		category = frappe.get_doc(
			{
				"doctype": "Tax Withholding Category",
				"name": "_PRM Commission TDS",
				"category_name": "_PRM Commission TDS",
				"rates": [
					{"from_date": f"{year}-01-01", "to_date": f"{year}-12-31", "tax_withholding_rate": 10}
				],
				"accounts": [{"company": COMPANY, "account": account("TDS Payable")}],
			}
		).insert()
		frappe.db.set_value("Supplier", self.partner.supplier, "tax_withholding_category", category.name)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1500)])
		payout = make_payout(self.partner)
		payout.reload()
		self.assertEqual(flt(payout.tax_withheld), 15.0)
		self.assertEqual(flt(payout.paid_amount), 135.0)
		# net per account (v16 books the deduction on the bank account as its own debit row; v15 nets it)
		net = sorted(
			(acc, party, flt(debit - credit, 2))
			for acc, debit, credit, party in gl_totals(payout.payment_entry)
		)
		self.assertEqual(
			net,
			sorted(
				[
					(account("Cash"), None, -135.0),
					(account("Creditors"), self.partner.supplier, 150.0),
					(account("TDS Payable"), None, -15.0),
				]
			),
		)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_payout_run_is_idempotent(self):
		other = make_partner("_PRM Payout Partner 2", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_invoice(other, [("_PRM Hardware", 1, 2000)])
		period = (add_days(nowdate(), -30), nowdate())
		first = payouts.run_payouts(COMPANY, *period)
		mine = [
			p
			for p in first["created"]
			if frappe.db.get_value("Partner Payout", p, "partner") in (self.partner.name, other.name)
		]
		self.assertEqual(len(mine), 2)
		again = payouts.run_payouts(COMPANY, *period)
		self.assertEqual(again["created"], [])
		self.assertEqual(
			frappe.db.count(
				"Partner Payout", {"partner": ("in", [self.partner.name, other.name]), "docstatus": 1}
			),
			2,
		)
		self.assertEqual(supplier_payable(other.supplier), 0.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_bad_input_gets_clear_errors_and_writes_nothing(self):
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_payout(self.partner)
		with self.assertRaisesRegex(frappe.ValidationError, "already covers part of this period"):
			make_payout(self.partner, from_date=add_days(nowdate(), -5), to_date=add_days(nowdate(), 5))
		frappe.db.set_value("Partner", self.partner.name, "status", "Suspended")
		with self.assertRaisesRegex(frappe.ValidationError, "is Suspended"):
			make_payout(self.partner, from_date=add_days(nowdate(), 1), to_date=add_days(nowdate(), 30))
		frappe.db.set_value("Partner", self.partner.name, "status", "Active")
		frappe.db.set_value("Company", COMPANY, {"prm_payout_account": None, "default_bank_account": None})
		frappe.clear_cache(doctype="Company")
		with self.assertRaisesRegex(frappe.ValidationError, "Pay From Account"):
			make_payout(self.partner, from_date=add_days(nowdate(), 1), to_date=add_days(nowdate(), 30))
		self.assertEqual(frappe.db.count("Partner Payout", {"partner": self.partner.name}), 1)
