"""ERPNext's Payment Reconciliation tool, as an accountant uses it: a payment made to the partner's supplier
without a reference (an advance: a Payment Entry, or a Journal Entry made in the desk) is allocated to a
commission's journal in the tool. The commission's paid and outstanding amounts, its status and the
reconciliation's records must follow the Payment Ledger, worked out here by hand."""

import json

import frappe
from frappe.utils import add_days, flt, nowdate

from prm_app.prm_app.doctype.partner_payout.test_partner_payout import make_payout
from prm_app.reconciliation import reconcile
from prm_app.tests import PRMTestCase
from prm_app.tests.funds_utils import FundsCase, make_claim, make_request, pay_now
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	supplier_payment,
)


def commission(name: str) -> frappe._dict:
	return frappe.db.get_value(
		"Partner Commission", name, ["paid_amount", "outstanding_amount", "status"], as_dict=True
	)


def desk_journal(supplier: str, amount: float) -> str:
	"""A payment booked by hand in the desk: Creditors (the supplier) debited, Cash credited, no reference."""
	je = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"company": COMPANY,
			"posting_date": nowdate(),
			"voucher_type": "Journal Entry",
			"accounts": [
				{
					"account": account("Creditors"),
					"party_type": "Supplier",
					"party": supplier,
					"debit_in_account_currency": amount,
					"is_advance": "Yes",
				},
				{"account": account("Cash"), "credit_in_account_currency": amount},
			],
		}
	)
	je.insert(ignore_permissions=True)
	je.submit()
	return je.name


class TestPaymentReconciliationTool(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		plan = make_plan("_PRM PRT Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		pay_now()  # commissions payable at once, paid by Payment Entries (rolled back with the test)
		self.partner = make_partner("_PRM PRT Partner", plan=plan)
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 10% of 1,000 = 100.00 owed
		[self.pc] = commissions_of(si.name)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("PRM Settings", "PRM Settings")

	def reconcile_in_the_tool(self, voucher_type: str, voucher_no: str, amount: float):
		pr = frappe.get_doc("Payment Reconciliation")
		pr.company = COMPANY
		pr.party_type = "Supplier"
		pr.party = self.partner.supplier
		pr.receivable_payable_account = account("Creditors")
		pr.get_unreconciled_entries()
		invoices = [i.as_dict() for i in pr.invoices if i.invoice_number == self.pc.journal_entry]
		payments = [p.as_dict() for p in pr.payments if p.reference_name == voucher_no]
		self.assertEqual((len(invoices), len(payments)), (1, 1), (pr.invoices, pr.payments))
		self.assertEqual(payments[0].reference_type, voucher_type)
		pr.allocate_entries(frappe._dict(invoices=invoices, payments=payments))
		[allocation] = pr.allocation
		self.assertEqual(flt(allocation.allocated_amount, 2), amount)
		pr.reconcile()

	def ledger_open(self) -> float:
		"""What the Payment Ledger still holds open against the commission's journal."""
		rows = frappe.get_all(
			"Payment Ledger Entry",
			{
				"against_voucher_type": "Journal Entry",
				"against_voucher_no": self.pc.journal_entry,
				"delinked": 0,
			},
			pluck="amount",
		)
		return flt(sum(flt(r) for r in rows), 2)  # a payable's open credit is positive there

	def assert_follows(self, paid: float):
		owed = 100.0 - paid  # by hand: 100.00 earned, ``paid`` allocated to it
		self.assertEqual(self.ledger_open(), owed)
		record = commission(self.pc.name)
		self.assertEqual((flt(record.paid_amount, 2), flt(record.outstanding_amount, 2)), (paid, owed))
		[row] = reconcile(COMPANY, partner=self.partner.name)
		self.assertEqual((row.ledger_outstanding, row.records_difference, row.difference), (owed, 0.0, 0.0))

	def test_an_advance_payment_entry_allocated_in_the_tool(self):
		pe = supplier_payment(self.partner.supplier, 60)
		self.assert_follows(0.0)
		self.reconcile_in_the_tool("Payment Entry", pe, 60.0)
		self.assert_follows(60.0)

	def test_a_desk_journal_allocated_in_the_tool(self):
		je = desk_journal(self.partner.supplier, 60)
		self.assert_follows(0.0)
		self.reconcile_in_the_tool("Journal Entry", je, 60.0)
		self.assert_follows(60.0)

	def test_the_whole_commission_paid_through_the_tool(self):
		je = desk_journal(self.partner.supplier, 100)
		self.reconcile_in_the_tool("Journal Entry", je, 100.0)
		self.assert_follows(100.0)
		self.assertEqual(commission(self.pc.name).status, "Paid")

	def test_the_next_payout_pays_only_what_is_still_owed(self):
		"""60.00 of the 100.00 paid through the tool: the payout pays the other 40.00, not 100.00."""
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		je = desk_journal(self.partner.supplier, 60)
		self.reconcile_in_the_tool("Journal Entry", je, 60.0)
		payout = make_payout(self.partner, submit=False, from_date=add_days(nowdate(), -30))
		self.assertEqual(
			[(r.partner_commission, flt(r.amount, 2)) for r in payout.commissions], [(self.pc.name, 40.0)]
		)
		payout.submit()
		self.assertEqual(flt(payout.net_amount, 2), 40.0)
		self.assert_follows(100.0)

	def moved_with_messages(self) -> list[str]:
		"""Move the partner to a new supplier; the messages the desk shows for it."""
		frappe.local.message_log = []
		partner = frappe.get_doc("Partner", self.partner.name)
		partner.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": "_PRM PRT New Supplier",
					"supplier_group": "All Supplier Groups",
				}
			)
			.insert()
			.name
		)
		partner.save()
		return [
			(json.loads(m) if isinstance(m, str) else m).get("message", "") for m in frappe.local.message_log
		]

	def test_a_move_leaving_an_unallocated_advance_on_the_old_supplier_warns(self):
		"""100.00 paid through the tool, and 60.00 more paid to the supplier and allocated to nothing: the move
		is allowed (nothing of the partner's is open), and the desk says 60.00 stays on the old supplier."""
		old = self.partner.supplier
		je = desk_journal(old, 100)
		self.reconcile_in_the_tool("Journal Entry", je, 100.0)
		supplier_payment(old, 60)
		messages = self.moved_with_messages()
		self.assertTrue(any("60.00" in m and old in m and "not allocated" in m for m in messages), messages)

	def test_a_move_with_nothing_left_on_the_old_supplier_says_nothing(self):
		je = desk_journal(self.partner.supplier, 100)
		self.reconcile_in_the_tool("Journal Entry", je, 100.0)
		self.assertFalse([m for m in self.moved_with_messages() if "not allocated" in m])


class TestClaimThroughTheTool(FundsCase):
	"""A fund claim's Purchase Invoice paid by an advance allocated in the tool: the claim's reimbursed
	amount and status follow the invoice's Payment Ledger."""

	def test_an_advance_allocated_to_a_claims_invoice(self):
		from prm_app.channel_funds import funds

		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)  # 2,000.00 owed to the partner
		pe = supplier_payment(self.partner.supplier, 1500)
		pr = frappe.get_doc("Payment Reconciliation")
		pr.update(
			{
				"company": COMPANY,
				"party_type": "Supplier",
				"party": self.partner.supplier,
				"receivable_payable_account": account("Creditors"),
			}
		)
		pr.get_unreconciled_entries()
		invoices = [i.as_dict() for i in pr.invoices if i.invoice_number == claim.purchase_invoice]
		payments = [p.as_dict() for p in pr.payments if p.reference_name == pe]
		pr.allocate_entries(frappe._dict(invoices=invoices, payments=payments))
		pr.reconcile()
		self.assertEqual(
			flt(frappe.db.get_value("Purchase Invoice", claim.purchase_invoice, "outstanding_amount"), 2),
			500.0,
		)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Approved", 1500)
		)
		self.assertBalance(claimed=2000, reimbursed=1500)
