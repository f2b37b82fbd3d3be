"""An auditor's attack on the Payment Reconciliation hook (Payment Ledger Entry on_submit): other ways
ERPNext moves a supplier's Payment Ledger after a payment's submit. Every figure below is worked out by
hand from the documents, then compared with the Payment Ledger, the commission's / claim's own record,
the Commission Reconciliation and the next payout."""

import frappe
from frappe.utils import add_days, flt, nowdate

from prm_app.prm_app.doctype.partner_payout.test_partner_payout import make_payout
from prm_app.reconciliation import reconcile
from prm_app.tests import PRMTestCase
from prm_app.tests.funds_utils import FundsCase, make_claim, make_request, pay_now
from prm_app.tests.test_payment_reconciliation_tool import desk_journal
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	pay_journal,
	supplier_payment,
)


def record(name: str) -> tuple:
	values = frappe.db.get_value(
		"Partner Commission", name, ["paid_amount", "outstanding_amount", "status"], as_dict=True
	)
	return (flt(values.paid_amount, 2), flt(values.outstanding_amount, 2), values.status)


def ledger_open(journal: str) -> float:
	"""The Payment Ledger's open amount against a journal (a payable's open credit is positive)."""
	rows = frappe.get_all(
		"Payment Ledger Entry",
		{"against_voucher_type": "Journal Entry", "against_voucher_no": journal, "delinked": 0},
		pluck="amount",
	)
	return flt(sum(flt(r) for r in rows), 2)


def tool(supplier: str, payable: str | None = None, advance: str | None = None):
	pr = frappe.get_doc("Payment Reconciliation")
	pr.update(
		{
			"company": COMPANY,
			"party_type": "Supplier",
			"party": supplier,
			"receivable_payable_account": payable or account("Creditors"),
		}
	)
	if advance:
		pr.default_advance_account = advance
	pr.get_unreconciled_entries()
	return pr


def allocate(pr, invoices: list[str], payments: list[str], amounts: list[float] | None = None):
	"""Allocate the payments to the invoices (in the order given), optionally lowering the amounts."""
	inv = [next(i.as_dict() for i in pr.invoices if i.invoice_number == n) for n in invoices]
	pay = [next(p.as_dict() for p in pr.payments if p.reference_name == n) for n in payments]
	pr.allocate_entries(frappe._dict(invoices=inv, payments=pay))
	if amounts:
		for row, amount in zip(pr.allocation, amounts, strict=True):
			row.allocated_amount = amount
	pr.reconcile()


def unreconcile(voucher_type: str, voucher_no: str) -> None:
	"""ERPNext's Unreconcile Payment of everything the voucher is allocated to."""
	doc = frappe.get_doc(
		{
			"doctype": "Unreconcile Payment",
			"company": COMPANY,
			"voucher_type": voucher_type,
			"voucher_no": voucher_no,
		}
	)
	doc.add_references()
	doc.insert()
	doc.submit()


def book_advances_separately() -> str:
	"""The company books supplier advances in a separate party account (Advance Paid)."""
	advance = advance_paid_account()
	frappe.db.set_value(
		"Company",
		COMPANY,
		{"book_advance_payments_in_separate_party_account": 1, "default_advance_paid_account": advance},
	)
	frappe.clear_cache(doctype="Company")
	return advance


def advance_paid_account() -> str:
	return ensure_account("A5 Advance Paid", "Current Assets", "Payable", "USD")


def ensure_account(name: str, parent: str, account_type: str, currency: str) -> str:
	if not frappe.db.exists("Account", account(name)):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": name,
				"parent_account": account(parent),
				"company": COMPANY,
				"account_type": account_type,
				"account_currency": currency,
			}
		).insert(ignore_permissions=True)
	return account(name)


class TestAttackToolAllocations(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		plan = make_plan("_PRM A5 Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		pay_now()
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		self.partner = make_partner("_PRM A5 Partner", plan=plan)
		si1 = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 10 % of 1,000 = 100.00
		si2 = make_invoice(self.partner, [("_PRM Hardware", 1, 500)])  # 10 % of 500 = 50.00
		[self.pc1], [self.pc2] = commissions_of(si1.name), commissions_of(si2.name)
		self.si1 = si1

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("PRM Settings", "PRM Settings")
		frappe.clear_cache(doctype="Company")

	def assert_books(self, expected: dict):
		"""``expected``: commission name -> (paid, outstanding, status), by hand."""
		for name, (paid, outstanding, status) in expected.items():
			journal = frappe.db.get_value("Partner Commission", name, "journal_entry")
			self.assertEqual(ledger_open(journal), outstanding, name)
			self.assertEqual(record(name), (paid, outstanding, status), name)
		[row] = reconcile(COMPANY, partner=self.partner.name)
		self.assertEqual((flt(row.difference, 2), flt(row.records_difference, 2)), (0.0, 0.0))

	def next_payout(self):
		return make_payout(self.partner, submit=False)

	def test_one_payment_over_two_commissions_in_one_run(self):
		"""130.00 paid: 100.00 to the first (Paid), 30.00 to the second (Partly Paid, 20.00 open); the next
		payout pays 20.00 and nothing twice."""
		pe = supplier_payment(self.partner.supplier, 130)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry, self.pc2.journal_entry], [pe])
		self.assert_books({self.pc1.name: (100.0, 0.0, "Paid"), self.pc2.name: (30.0, 20.0, "Partly Paid")})
		payout = self.next_payout()
		self.assertEqual(
			[(r.partner_commission, flt(r.amount, 2)) for r in payout.commissions], [(self.pc2.name, 20.0)]
		)
		payout.submit()
		self.assertEqual(flt(payout.net_amount, 2), 20.0)
		self.assert_books({self.pc1.name: (100.0, 0.0, "Paid"), self.pc2.name: (50.0, 0.0, "Paid")})

	def test_two_payments_partly_allocated_in_one_run(self):
		"""A journal of 40.00 and a Payment Entry of 70.00 of which only 25.00 is allocated: 40 + 25 = 65.00
		to the first commission (35.00 open), the Payment Entry keeps 45.00 unallocated."""
		je = desk_journal(self.partner.supplier, 40)
		pe = supplier_payment(self.partner.supplier, 70)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry], [je, pe], [40, 25])
		self.assert_books({self.pc1.name: (65.0, 35.0, "Partly Paid"), self.pc2.name: (0.0, 50.0, "Payable")})
		unallocated = frappe.db.get_value("Payment Entry", pe, "unallocated_amount")
		self.assertEqual(flt(unallocated, 2), 45.0)

	def test_cancelling_a_tool_allocated_payment_opens_the_commissions_again(self):
		pe = supplier_payment(self.partner.supplier, 130)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry, self.pc2.journal_entry], [pe])
		frappe.get_doc("Payment Entry", pe).cancel()
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable"), self.pc2.name: (0.0, 50.0, "Payable")})
		payout = self.next_payout()
		self.assertEqual(flt(payout.net_amount, 2), 150.0)

	def test_cancelling_a_tool_allocated_desk_journal(self):
		je = desk_journal(self.partner.supplier, 60)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry], [je])
		self.assert_books({self.pc1.name: (60.0, 40.0, "Partly Paid")})
		frappe.get_doc("Journal Entry", je).cancel()
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable")})

	def test_unreconciling_a_tool_allocation(self):
		"""Unreconcile Payment takes the 130.00 off both commissions: 100.00 and 50.00 open again, the
		payment an advance; the payout then pays 150.00 (the advance stays for the accountant)."""
		pe = supplier_payment(self.partner.supplier, 130)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry, self.pc2.journal_entry], [pe])
		unreconcile("Payment Entry", pe)
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable"), self.pc2.name: (0.0, 50.0, "Payable")})
		self.assertEqual(flt(self.next_payout().net_amount, 2), 150.0)

	def test_a_clawback_journal_netted_in_the_tool_partly(self):
		"""The first commission paid (100.00) then its invoice cancelled: a clawback of -100.00, an open
		debit. The accountant nets it against the second commission, which owes 50.00 (500 x 10 %): 50.00
		netted, -100 + 50 = -50.00 still owed back by the partner, the second commission Paid."""
		reversal = self.paid_then_clawed_back()
		self.assertEqual(record(reversal.name), (0.0, -100.0, "Payable"))
		allocate(tool(self.partner.supplier), [self.pc2.journal_entry], [reversal.journal_entry])
		self.assertEqual(ledger_open(reversal.journal_entry), -50.0)
		# the clawback: 50.00 of its -100.00 settled, -50.00 still open
		self.assertEqual(record(reversal.name), (-50.0, -50.0, "Payable"))
		self.assertEqual(record(self.pc2.name), (50.0, 0.0, "Paid"))
		self.assertEqual(record(self.pc1.name), (100.0, 0.0, "Paid"))
		[row] = reconcile(COMPANY, partner=self.partner.name)
		self.assertEqual((flt(row.difference, 2), flt(row.records_difference, 2)), (0.0, 0.0))

	def test_an_advance_booked_in_a_separate_account_allocated_in_the_tool(self):
		"""The company books supplier advances in a separate party account (Advance Paid): the tool posts
		the allocation's ledger anew without ``adv_adj``. 60.00 allocated: 60.00 paid, 40.00 open."""
		advance = book_advances_separately()
		pe = supplier_payment(self.partner.supplier, 60, paid_to=advance)
		allocate(tool(self.partner.supplier, advance=advance), [self.pc1.journal_entry], [pe])
		self.assert_books({self.pc1.name: (60.0, 40.0, "Partly Paid")})
		payout = self.next_payout()
		self.assertEqual(
			sorted((r.partner_commission, flt(r.amount, 2)) for r in payout.commissions),
			sorted([(self.pc1.name, 40.0), (self.pc2.name, 50.0)]),
		)

	def test_unreconciling_a_tool_allocated_desk_journal(self):
		"""A journal of 60.00 allocated in the tool, then taken off the commission by Unreconcile Payment:
		100.00 open again, the journal an advance of 60.00 on the supplier."""
		je = desk_journal(self.partner.supplier, 60)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry], [je])
		self.assert_books({self.pc1.name: (60.0, 40.0, "Partly Paid")})
		unreconcile("Journal Entry", je)
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable")})
		self.assertEqual(ledger_open(je), -60.0)

	def test_unreconciling_an_advance_in_a_separate_account(self):
		"""The separate advance account: 60.00 allocated in the tool, then unreconciled: 100.00 open."""
		advance = book_advances_separately()
		pe = supplier_payment(self.partner.supplier, 60, paid_to=advance)
		allocate(tool(self.partner.supplier, advance=advance), [self.pc1.journal_entry], [pe])
		self.assert_books({self.pc1.name: (60.0, 40.0, "Partly Paid")})
		unreconcile("Payment Entry", pe)
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable")})

	def test_cancelling_an_advance_in_a_separate_account_after_the_tool(self):
		advance = book_advances_separately()
		pe = supplier_payment(self.partner.supplier, 60, paid_to=advance)
		allocate(tool(self.partner.supplier, advance=advance), [self.pc1.journal_entry], [pe])
		frappe.get_doc("Payment Entry", pe).cancel()
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable")})

	def test_background_reconciliation_process(self):
		"""ERPNext's Process Payment Reconciliation (the tool in background jobs, run here step by step):
		a journal of 120.00 allocated first in, first out: 100.00 to the first commission, 20.00 to the
		second (30.00 open)."""
		from erpnext.accounts.doctype.process_payment_reconciliation import (
			process_payment_reconciliation as ppr,
		)

		desk_journal(self.partner.supplier, 120)
		doc = frappe.get_doc(
			{
				"doctype": "Process Payment Reconciliation",
				"company": COMPANY,
				"party_type": "Supplier",
				"party": self.partner.supplier,
				"receivable_payable_account": account("Creditors"),
				"default_advance_account": account("Creditors"),
			}
		).insert()
		doc.submit()
		ppr.reconcile_based_on_filters(doc.name)
		ppr.fetch_and_allocate(doc.name)
		ppr.reconcile(doc.name)
		log = frappe.db.get_value("Process Payment Reconciliation Log", {"process_pr": doc.name}, "error_log")
		self.assertFalse(log)
		self.assert_books({self.pc1.name: (100.0, 0.0, "Paid"), self.pc2.name: (20.0, 30.0, "Partly Paid")})

	def test_an_ordinary_payment_refreshes_its_commissions_once(self):
		"""A Payment Entry submitted with its reference (no reconciliation): the Payment Ledger hook leaves
		it to the payment's own event, which refreshes the commission journal once."""
		from unittest.mock import patch

		from prm_app import payouts

		reference = {
			"reference_doctype": "Journal Entry",
			"reference_name": self.pc1.journal_entry,
			"allocated_amount": 100,
		}
		name = supplier_payment(self.partner.supplier, 100, references=[reference], submit=False)
		pe = frappe.get_doc("Payment Entry", name)
		with patch.object(payouts, "refresh_for_journals", wraps=payouts.refresh_for_journals) as spy:
			pe.submit()
		self.assertEqual(spy.call_count, 1)
		self.assert_books({self.pc1.name: (100.0, 0.0, "Paid")})

	def test_unreconciling_a_clawback_netted_in_the_tool(self):
		"""The clawback of -100.00 netted against the second commission (50.00) in the tool, then taken off
		it by Unreconcile Payment: the second commission owes 50.00 again and the clawback is -100.00 open
		again, as before the netting."""
		reversal = self.paid_then_clawed_back()
		allocate(tool(self.partner.supplier), [self.pc2.journal_entry], [reversal.journal_entry])
		self.assertEqual(record(reversal.name), (-50.0, -50.0, "Payable"))
		unreconcile("Journal Entry", reversal.journal_entry)
		self.assertEqual(ledger_open(reversal.journal_entry), -100.0)
		self.assertEqual(ledger_open(self.pc2.journal_entry), 50.0)
		self.assertEqual(record(self.pc2.name), (0.0, 50.0, "Payable"))
		self.assertEqual(record(reversal.name), (0.0, -100.0, "Payable"))
		[row] = reconcile(COMPANY, partner=self.partner.name)
		self.assertEqual((flt(row.difference, 2), flt(row.records_difference, 2)), (0.0, 0.0))

	def paid_then_clawed_back(self):
		"""The first commission paid (100.00), then its invoice cancelled: a clawback of -100.00."""
		pay_journal(self.pc1.journal_entry, self.partner.supplier, 100)
		self.si1.cancel()
		return next(c for c in commissions_of(self.si1.name) if c.against_commission == self.pc1.name)

	def test_a_tool_allocation_on_a_supplier_the_partner_has_left(self):
		"""Both commissions (150.00) paid through the tool on the first supplier, a journal of 100.00 and a
		Payment Entry of 50.00; the partner moves to a new supplier (nothing open). Unreconciling or
		cancelling either payment would open them again on the old supplier where no payout reaches them:
		refused, the ledger and records unchanged."""
		first = self.partner.supplier
		je = desk_journal(first, 100)
		pe = supplier_payment(first, 50)
		allocate(tool(first), [self.pc1.journal_entry, self.pc2.journal_entry], [je, pe])
		self.assert_books({self.pc1.name: (100.0, 0.0, "Paid"), self.pc2.name: (50.0, 0.0, "Paid")})
		self.partner.reload()
		self.partner.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": "_PRM A5 Moved",
					"supplier_group": "All Supplier Groups",
				}
			)
			.insert()
			.name
		)
		self.partner.save()
		for voucher_type, voucher in (("Journal Entry", je), ("Payment Entry", pe)):
			with self.assertRaisesRegex(frappe.ValidationError, "unreconciling"):
				unreconcile(voucher_type, voucher)
			with self.assertRaisesRegex(frappe.ValidationError, "cancelling"):
				frappe.get_doc(voucher_type, voucher).cancel()
		self.assertEqual(
			(ledger_open(self.pc1.journal_entry), ledger_open(self.pc2.journal_entry)), (0.0, 0.0)
		)
		self.assertEqual(
			(record(self.pc1.name), record(self.pc2.name)), ((100.0, 0.0, "Paid"), (50.0, 0.0, "Paid"))
		)

	def test_a_payment_from_a_euro_bank_account_allocated_in_the_tool(self):
		"""50.00 EUR paid from a euro bank account at 1.2: 60.00 USD reach the supplier's payable, an advance
		allocated in the tool: 60.00 paid, 40.00 open."""
		bank = ensure_account("A5 EUR Bank", "Bank Accounts", "Bank", "EUR")
		pe = supplier_payment(
			self.partner.supplier, 60, paid_from=bank, paid_amount=50, source_exchange_rate=1.2
		)
		self.assertEqual(flt(frappe.db.get_value("Payment Entry", pe, "base_paid_amount"), 2), 60.0)
		allocate(tool(self.partner.supplier), [self.pc1.journal_entry], [pe])
		self.assert_books({self.pc1.name: (60.0, 40.0, "Partly Paid")})
		payout = self.next_payout()
		self.assertEqual(
			sorted((r.partner_commission, flt(r.amount, 2)) for r in payout.commissions),
			sorted([(self.pc1.name, 40.0), (self.pc2.name, 50.0)]),
		)

	def test_a_payment_to_a_supplier_journal_that_is_no_commission(self):
		"""A supplier bill booked as a journal (no commission) paid through the tool: nothing of prm_app
		blocks it, and no commission moves."""
		other = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": COMPANY,
				"posting_date": nowdate(),
				"accounts": [
					{"account": account("Cash"), "debit_in_account_currency": 80},
					{
						"account": account("Creditors"),
						"party_type": "Supplier",
						"party": self.partner.supplier,
						"credit_in_account_currency": 80,
					},
				],
			}
		).insert()
		other.submit()
		pe = supplier_payment(self.partner.supplier, 80)
		allocate(tool(self.partner.supplier), [other.name], [pe])
		self.assertEqual(ledger_open(other.name), 0.0)
		self.assert_books({self.pc1.name: (0.0, 100.0, "Payable"), self.pc2.name: (0.0, 50.0, "Payable")})

	def test_a_customer_payment_in_the_tool_moves_no_commission(self):
		"""A customer's advance allocated to a Sales Invoice: the hook does nothing (no error, no
		commission changes)."""
		before = record(self.pc1.name)
		pe = frappe.get_doc(
			{
				"doctype": "Payment Entry",
				"payment_type": "Receive",
				"company": COMPANY,
				"posting_date": nowdate(),
				"party_type": "Customer",
				"party": self.si1.customer,
				"paid_from": account("Debtors"),
				"paid_to": account("Cash"),
				"paid_amount": 300,
				"received_amount": 300,
				"source_exchange_rate": 1,
				"target_exchange_rate": 1,
				"reference_no": "A5",
				"reference_date": nowdate(),
			}
		).insert()
		pe.submit()
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 300)])
		pr = frappe.get_doc("Payment Reconciliation")
		pr.update(
			{
				"company": COMPANY,
				"party_type": "Customer",
				"party": si.customer,
				"receivable_payable_account": account("Debtors"),
				"invoice_name": si.name,
				"payment_name": pe.name,
			}
		)
		pr.get_unreconciled_entries()
		allocate(pr, [si.name], [pe.name])
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", si.name, "outstanding_amount"), 2), 0.0)
		self.assertEqual(record(self.pc1.name), before)


def debit_note(invoice: str, rate: float) -> str:
	"""A return of the invoice's single line at ``rate``, standing on its own (its own outstanding)."""
	from erpnext.controllers.sales_and_purchase_return import make_return_doc

	note = make_return_doc("Purchase Invoice", invoice)
	note.items[0].rate = rate
	note.update_outstanding_for_self = 1
	note.insert(ignore_permissions=True)
	note.submit()
	return note.name


class TestAttackClaimThroughTheTool(FundsCase):
	def tearDown(self):
		super().tearDown()
		frappe.clear_document_cache("PRM Settings", "PRM Settings")

	def claim(self, claimed=2000):
		from prm_app.channel_funds import funds

		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		return make_claim(request, claimed=claimed, actual_cost=4000)

	def test_a_claim_paid_in_full_through_the_tool_is_paid(self):
		"""2,000.00 owed on the claim's invoice, an advance of 2,000.00 allocated in the tool: the invoice
		is settled (outstanding 0.00), the claim reimbursed 2,000.00 and Paid."""
		claim = self.claim()
		pe = supplier_payment(self.partner.supplier, 2000)
		allocate(tool(self.partner.supplier), [claim.purchase_invoice], [pe])
		self.assertEqual(
			flt(frappe.db.get_value("Purchase Invoice", claim.purchase_invoice, "outstanding_amount"), 2), 0.0
		)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Paid", 2000)
		)

	def test_one_payment_over_a_commission_and_a_claim(self):
		"""2,100.00 paid in advance: the tool allocates 100.00 to the commission's journal and 2,000.00 to
		the claim's invoice in one run: the commission Paid, the claim reimbursed 2,000.00 and Paid; the
		next payout has nothing to pay."""
		pay_now()
		self.partner.commission_plan = make_plan(
			"_PRM A5 Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.partner.save()
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # commission 100.00
		[pc] = commissions_of(si.name)
		claim = self.claim()
		pe = supplier_payment(self.partner.supplier, 2100)
		allocate(tool(self.partner.supplier), [pc.journal_entry, claim.purchase_invoice], [pe])
		self.assertEqual(record(pc.name), (100.0, 0.0, "Paid"))
		self.assertEqual(ledger_open(pc.journal_entry), 0.0)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Paid", 2000)
		)
		self.assertBalance(claimed=2000, reimbursed=2000)
		payout = make_payout(self.partner, submit=False)  # nothing left to pay
		self.assertEqual((payout.commissions, payout.fund_claims, flt(payout.net_amount, 2)), ([], [], 0.0))

	def test_a_clawback_netted_against_a_claim_in_the_tool(self):
		"""A commission of 100.00 paid, then clawed back (-100.00, the partner owes it); the accountant nets
		the clawback against the claim's invoice (2,000.00) in the tool: the claim reimbursed 100.00
		(1,900.00 open), the clawback settled (nothing open, Paid); the payout pays 1,900.00."""
		pay_now()
		self.partner.commission_plan = make_plan(
			"_PRM A5 Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.partner.save()
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		[pc] = commissions_of(si.name)
		pay_journal(pc.journal_entry, self.partner.supplier, 100)
		si.cancel()
		reversal = next(c for c in commissions_of(si.name) if c.against_commission == pc.name)
		claim = self.claim()
		allocate(tool(self.partner.supplier), [claim.purchase_invoice], [reversal.journal_entry])
		self.assertEqual(ledger_open(reversal.journal_entry), 0.0)
		self.assertEqual(record(reversal.name), (-100.0, 0.0, "Paid"))
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Approved", 100)
		)
		payout = self.payout(add_days(nowdate(), -30), nowdate(), submit=False)
		self.assertEqual(
			([r.partner_commission for r in payout.commissions], flt(payout.net_amount, 2)), ([], 1900.0)
		)

	def test_a_claim_paid_by_an_advance_in_a_separate_account(self):
		"""Advances booked in a separate party account: 2,000.00 allocated to the claim's invoice in the
		tool: reimbursed 2,000.00, Paid."""
		advance = book_advances_separately()
		claim = self.claim()
		pe = supplier_payment(self.partner.supplier, 2000, paid_to=advance)
		allocate(tool(self.partner.supplier, advance=advance), [claim.purchase_invoice], [pe])
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Paid", 2000)
		)
		self.assertBalance(claimed=2000, reimbursed=2000)

	def test_a_debit_note_netted_against_the_claim_in_the_tool_is_no_reimbursement(self):
		"""2,000.00 claimed; a debit note (a return of 500.00 of the claim's invoice, standing on its own)
		is set against the invoice in the tool (ERPNext books a "Debit Note" journal): the partner was paid
		nothing, the claim reimbursed 0.00, 1,500.00 still open; the payout pays 1,500.00, then the claim is
		Paid with 1,500.00 reimbursed."""
		pay_now()  # the payout's Payment Entry submitted
		claim = self.claim()
		note = debit_note(claim.purchase_invoice, 500)
		allocate(tool(self.partner.supplier), [claim.purchase_invoice], [note])
		journal = frappe.get_all(
			"Journal Entry Account",
			{"reference_type": "Purchase Invoice", "reference_name": note, "docstatus": 1},
			pluck="parent",
		)
		self.assertEqual(
			[frappe.db.get_value("Journal Entry", j, "voucher_type") for j in journal], ["Debit Note"]
		)
		self.assertEqual(
			flt(frappe.db.get_value("Purchase Invoice", claim.purchase_invoice, "outstanding_amount"), 2),
			1500.0,
		)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Approved", 0)
		)
		payout = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(
			[(r.fund_claim, flt(r.amount, 2)) for r in payout.fund_claims], [(claim.name, 1500.0)]
		)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Paid", 1500)
		)

	def test_a_debit_note_of_another_bill_set_off_against_the_claim_is_paid(self):
		"""A bill of 800.00 from the partner's supplier, returned for 300.00 (a debit note standing on its
		own: the partner owes 300.00), set off against the claim's invoice in the tool: the claim has
		been reimbursed 300.00 by set-off, 1,700.00 open."""
		claim = self.claim()
		claim_invoice = frappe.get_doc("Purchase Invoice", claim.purchase_invoice)
		bill = frappe.copy_doc(claim_invoice)
		bill.update({"prm_fund_claim": None, "bill_no": "A5-BILL", "remarks": "A5"})
		bill.items[0].rate = 800
		bill.insert(ignore_permissions=True)
		bill.reload()  # the insert's own hooks touched it
		bill.submit()
		note = debit_note(bill.name, 300)
		allocate(tool(self.partner.supplier), [claim.purchase_invoice], [note])
		self.assertEqual(
			flt(frappe.db.get_value("Purchase Invoice", claim.purchase_invoice, "outstanding_amount"), 2),
			1700.0,
		)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Approved", 300)
		)
