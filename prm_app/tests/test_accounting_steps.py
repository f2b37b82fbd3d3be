"""Normal accounting steps on documents that moved commission, each as an accountant does it in ERPNext:
cancel of a paid or netted document, amend, foreign-currency payments, payments in several parts, cent
residues, and the dates each posting is booked on. Amounts are the plain arithmetic of the case (written
out in each test), asserted on Partner Commissions, journal GL rows and the Payment Ledger."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, get_quarter_start, getdate, nowdate

from prm_app import commissions, payouts
from prm_app.compat import set_accounts_frozen_till
from prm_app.prm_app.doctype.partner_payout.test_partner_payout import make_payout
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	gl_rows,
	make_company,
	make_customer,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	receive_payment,
	supplier_payable,
)

PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}
MARGINAL = [
	{"rule_name": "Products", "from_amount": 0, "to_amount": 20000, "rate": 5},
	{"rule_name": "Products", "from_amount": 20000, "to_amount": 60000, "rate": 7},
	{"rule_name": "Products", "from_amount": 60000, "rate": 10},
]


def earned(partner) -> float:
	"""Everything posted for the partner (submitted commissions), to the cent."""
	totals = frappe.get_all(
		"Partner Commission", filters={"partner": partner.name, "docstatus": 1}, pluck="total"
	)
	return flt(sum(flt(t) for t in totals), 2)


def payable_rows(voucher_no: str) -> list[tuple]:
	"""(debit, credit, against journal) of a commission journal's payable rows."""
	rows = frappe.get_all(
		"Journal Entry Account",
		filters={"parent": voucher_no, "account": account("Creditors")},
		fields=["debit", "credit", "reference_name"],
		order_by="idx",
	)
	return [(flt(r.debit, 2), flt(r.credit, 2), r.reference_name) for r in rows]


def eur_customer() -> str:
	"""A customer billed in EUR on a EUR receivable account."""
	name = "_PRM EUR Customer"
	receivable = account("Debtors EUR")
	if not frappe.db.exists("Account", receivable):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "Debtors EUR",
				"parent_account": frappe.db.get_value("Account", account("Debtors"), "parent_account"),
				"company": COMPANY,
				"account_type": "Receivable",
				"account_currency": "EUR",
			}
		).insert(ignore_permissions=True)
	make_customer(name)
	customer = frappe.get_doc("Customer", name)
	if not customer.accounts:
		customer.default_currency = "EUR"
		customer.append("accounts", {"company": COMPANY, "account": receivable})
		customer.save(ignore_permissions=True)
	return name


class TestAccountingSteps(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")

	def tearDown(self):
		frappe.db.rollback()
		set_accounts_frozen_till(COMPANY, None)
		frappe.clear_cache(doctype="Company")

	def flat_partner(self, name="_PRM Steps Partner", rate=10, **plan_values):
		plan = make_plan(
			f"{name} Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": rate}], **plan_values
		)
		return make_partner(name, plan=plan)

	def bracket_partner(self, name="_PRM Steps Bracket Partner"):
		plan = make_plan(
			f"{name} Plan",
			[{"rule_name": "Products", "rate_type": "Percentage", "rate": 0}],
			MARGINAL,
			bracket_mode="Marginal",
			period="Quarter",
		)
		return make_partner(name, plan=plan)

	# --- 1. On Payment, foreign currency ------------------------------------------------------------------

	def test_a_partial_payment_in_eur_earns_its_share_in_company_currency(self):
		# EUR 1,000.00 at 1.10 on a EUR receivable, 10 % on payment: 110.00 USD when paid in full; the
		# customer pays EUR 500.00, half of the invoice: 55.00 USD (not 60.50, the paid USD over the EUR total)
		partner = self.flat_partner("_PRM Steps FX Partner", trigger="On Payment")
		invoice_date = add_days(nowdate(), -20)
		si = make_invoice(
			partner,
			[("_PRM Hardware", 1, 1000)],
			customer=eur_customer(),
			currency="EUR",
			conversion_rate=1.1,
			debit_to=account("Debtors EUR"),
			posting_date=invoice_date,
		)
		self.assertEqual(si.party_account_currency, "EUR")
		receive_payment(si, 500)  # EUR 500.00 at the invoice's 1.10
		[pc] = commissions_of(si.name)
		self.assertEqual(flt(pc.total), 55.0)
		self.assertEqual(
			gl_rows(pc.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 55.0, 0.0, None),
					(account("Creditors"), 0.0, 55.0, partner.supplier),
				]
			),
		)
		# earned when paid: booked on the payment's date, payable after the holding period from then
		values = frappe.db.get_value(
			"Partner Commission", pc.name, ["posting_date", "payable_on"], as_dict=True
		)
		self.assertEqual(getdate(values.posting_date), getdate(nowdate()))
		self.assertEqual(getdate(values.payable_on), getdate(payouts.payable_on(nowdate())))
		self.assertEqual(
			getdate(frappe.db.get_value("Journal Entry", pc.journal_entry, "posting_date")),
			getdate(nowdate()),
		)
		# the rest in full: 110.00 in all
		receive_payment(si, 500)
		self.assertEqual(flt(sum(flt(c.total) for c in commissions_of(si.name)), 2), 110.0)

	# --- 2. cancel in a bracketed period -----------------------------------------------------------------

	def test_cancel_of_a_credit_note_after_later_sales_pays_the_period_on_its_net_volume(self):
		# 5 % to 20,000, 7 % to 60,000, 10 % above, marginal, per quarter. Invoice 50,000, credit note
		# 20,000, invoice 40,000: the period's volume is 70,000 -> 1,000 + 2,800 + 1,000 = 4,800.00. The
		# credit note cancelled: 90,000 -> 1,000 + 2,800 + 3,000 = 6,800.00 (a mirror posted 6,200.00)
		partner = self.bracket_partner()
		first = make_invoice(partner, [("_PRM Hardware", 50, 1000)])
		cn = make_return(first, {"_PRM Hardware": 20})
		make_invoice(partner, [("_PRM Hardware", 40, 1000)])
		self.assertEqual(earned(partner), 4800.0)
		cn.reload()
		cn.cancel()
		self.assertEqual(earned(partner), 6800.0)
		self.assertEqual(supplier_payable(partner.supplier), 6800.0)
		[reversal] = [c for c in commissions_of(cn.name) if not c.is_clawback and flt(c.total) > 0]
		self.assertEqual(flt(reversal.total), 2000.0)
		self.assertEqual(
			gl_rows(reversal.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 2000.0, 0.0, None),
					(account("Creditors"), 0.0, 2000.0, partner.supplier),
				]
			),
		)

	def test_cancel_of_a_middle_invoice_leaves_the_formula_on_what_is_left(self):
		# 15,000 / 10,000 / 10,000: 750 + (250 + 350) + 700 = 2,050.00; the middle one cancelled leaves
		# 25,000 -> 1,000 + 350 = 1,350.00 (a mirror of its 600.00 left 1,450.00)
		partner = self.bracket_partner("_PRM Steps Middle Partner")
		invoice_date = max(getdate(get_quarter_start(nowdate())), getdate(add_days(nowdate(), -10)))
		a = make_invoice(partner, [("_PRM Hardware", 15, 1000)], posting_date=invoice_date)
		b = make_invoice(partner, [("_PRM Hardware", 10, 1000)], posting_date=invoice_date)
		make_invoice(partner, [("_PRM Hardware", 10, 1000)], posting_date=invoice_date)
		self.assertEqual(earned(partner), 2050.0)
		b.reload()
		b.cancel()
		self.assertEqual(earned(partner), 1350.0)
		self.assertEqual(supplier_payable(partner.supplier), 1350.0)
		# reversed in the cancelled invoice's own period and date, as ERPNext reverses its GL
		reversal = frappe.get_all(
			"Partner Commission",
			filters={"sales_invoice": b.name, "docstatus": 1, "total": ("<", 0)},
			fields=["total", "posting_date", "journal_entry"],
		)
		self.assertEqual(
			[(flt(r.total), getdate(r.posting_date)) for r in reversal], [(-700.0, getdate(invoice_date))]
		)
		self.assertTrue(a.name)

	# --- 3. cancel of a paid invoice / of a credit note netted in a payout --------------------------------

	@change_settings("PRM Settings", PAY_NOW)
	def test_an_invoice_paid_in_a_payout_can_be_cancelled_and_claws_back(self):
		partner = self.flat_partner()
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		payout = make_payout(partner)
		self.assertEqual(flt(payout.net_amount), 100.0)
		si.reload()
		si.cancel()  # was: LinkExistsError, linked with Partner Payout
		[clawback] = [c for c in commissions_of(si.name) if flt(c.total) < 0]
		self.assertEqual(flt(clawback.total), -100.0)
		self.assertEqual(
			gl_rows(clawback.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 0.0, 100.0, None),
					(account("Creditors"), 100.0, 0.0, partner.supplier),
				]
			),
		)
		self.assertEqual(supplier_payable(partner.supplier), -100.0)  # the partner owes it back

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_credit_note_whose_clawback_was_netted_in_a_payout_can_be_cancelled(self):
		partner = self.flat_partner("_PRM Steps Netted Partner")
		first = make_invoice(partner, [("_PRM Hardware", 1, 1000)])  # 100
		make_payout(partner)  # pays the 100
		cn = make_return(first)  # -100, nothing left to settle against: open
		make_invoice(partner, [("_PRM Hardware", 1, 3000)])  # 300
		netted = make_payout(
			partner,
			from_date=add_days(nowdate(), 1),
			to_date=add_days(nowdate(), 1),
			posting_date=add_days(nowdate(), 1),
		)
		self.assertEqual(flt(netted.net_amount), 200.0)
		self.assertEqual(supplier_payable(partner.supplier), 0.0)
		cn.reload()
		cn.cancel()  # was: LinkExistsError through the clawback's Journal Entry
		[reversal] = [c for c in commissions_of(cn.name) if flt(c.total) > 0]
		self.assertEqual(flt(reversal.total), 100.0)
		self.assertEqual(payable_rows(reversal.journal_entry), [(0.0, 100.0, None)])
		self.assertEqual(supplier_payable(partner.supplier), 100.0)  # owed to the partner again

	# --- 4. amend -----------------------------------------------------------------------------------------

	def desk_amend(self, si):
		"""What the desk's Amend sends: every field copied, no_copy ones included."""
		values = si.as_dict(no_default_fields=True)
		for row in values["items"]:
			row.pop("name", None)
		values.update(
			doctype="Sales Invoice",
			amended_from=si.name,
			docstatus=0,
			name=None,
			naming_series=si.naming_series,
		)
		return frappe.get_doc(values)

	def test_amend_of_a_cancelled_invoice_posts_a_new_commission(self):
		partner = self.flat_partner("_PRM Steps Amend Partner")
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		si.cancel()
		amended = self.desk_amend(frappe.get_doc("Sales Invoice", si.name))
		amended.items[0].rate = 2000
		amended.insert()  # was: Cannot link cancelled document: Partner Commission
		amended.submit()
		[pc] = commissions_of(amended.name)
		self.assertEqual(flt(pc.total), 200.0)
		self.assertEqual(amended.prm_partner_commission, pc.name)
		self.assertEqual(earned(partner), 200.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_amend_of_a_cancelled_paid_invoice_starts_without_its_links(self):
		partner = self.flat_partner("_PRM Steps Amend Paid Partner")
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		make_payout(partner)
		si.reload()
		si.cancel()
		amended = self.desk_amend(frappe.get_doc("Sales Invoice", si.name))
		amended.insert()
		self.assertIsNone(amended.prm_partner_commission)
		amended.submit()
		self.assertEqual([flt(c.total) for c in commissions_of(amended.name)], [100.0])
		# paid 100, clawed back 100 on cancel, the amended invoice earns 100 again: nothing open either way
		self.assertEqual(supplier_payable(partner.supplier), 0.0)
		self.assertEqual(earned(partner), 100.0)

	# --- 5. On Payment paid in two payments, then cancelled ----------------------------------------------

	@change_settings("PRM Settings", PAY_NOW)
	def test_cancel_after_two_payments_settles_both_accruals_and_payouts_go_on(self):
		partner = self.flat_partner("_PRM Steps Two Payments Partner", trigger="On Payment")
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		for amount in (400, 600):
			receive_payment(si, amount)
		self.assertEqual(sorted(flt(c.total) for c in commissions_of(si.name)), [40.0, 60.0])
		for pe in frappe.get_all(
			"Payment Entry Reference", filters={"reference_name": si.name, "docstatus": 1}, pluck="parent"
		):
			frappe.get_doc("Payment Entry", pe).cancel()
		si.reload()
		si.cancel()
		self.assertEqual(earned(partner), 0.0)
		self.assertEqual(supplier_payable(partner.supplier), 0.0)
		for c in commissions_of(si.name):
			self.assertEqual(
				flt(frappe.db.get_value("Partner Commission", c.name, "outstanding_amount")), 0.0
			)
		other = make_invoice(partner, [("_PRM Hardware", 1, 500)])
		receive_payment(other, 500)
		payout = make_payout(partner)  # was: CancelledLinkError on the cancelled invoice
		self.assertEqual(flt(payout.net_amount), 50.0)

	# --- 6. cent residue --------------------------------------------------------------------------------

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_float_residue_is_not_an_open_amount(self):
		# two units of 53.15 at 10 %: 10.63. A credit note for one unit claws back 5.32 (settled against the
		# accrual, 5.31 left), a payout pays 5.31; the credit note for the second unit claws back 5.31,
		# open (nothing is left of the accrual), and posts
		partner = self.flat_partner("_PRM Steps Residue Partner")
		si = make_invoice(partner, [("_PRM Hardware", 2, 53.15)])
		self.assertEqual([flt(c.total) for c in commissions_of(si.name)], [10.63])
		first = make_return(si, {"_PRM Hardware": 1})
		[one] = commissions_of(first.name)
		self.assertEqual(flt(one.total), -5.32)
		self.assertEqual(flt(make_payout(partner).net_amount), 5.31)
		second = make_return(si, {"_PRM Hardware": 1})  # was: Both Debit and Credit values cannot be zero
		[two] = commissions_of(second.name)
		self.assertEqual(flt(two.total), -5.31)
		self.assertEqual(payable_rows(two.journal_entry), [(5.31, 0.0, None)])
		self.assertEqual(supplier_payable(partner.supplier), -5.31)

	# --- 7. dates ---------------------------------------------------------------------------------------

	def test_a_reversal_in_a_frozen_period_is_booked_on_the_first_open_date(self):
		self.assertEqual(
			commissions.open_posting_date(COMPANY, add_days(nowdate(), -5)), add_days(nowdate(), -5)
		)
		set_accounts_frozen_till(COMPANY, add_days(nowdate(), -3))
		self.assertEqual(commissions.open_posting_date(COMPANY, add_days(nowdate(), -5)), nowdate())
		self.assertEqual(
			commissions.open_posting_date(COMPANY, add_days(nowdate(), -1)), add_days(nowdate(), -1)
		)

	# --- 8. smaller --------------------------------------------------------------------------------------

	def test_a_commission_with_a_forged_source_key_is_refused(self):
		partner = self.flat_partner("_PRM Steps Forged Partner")
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		journals = frappe.db.count("Journal Entry", {"prm_partner_commission": ("is", "set")})
		forged = frappe.get_doc(
			{
				"doctype": "Partner Commission",
				"partner": partner.name,
				"company": COMPANY,
				"posting_date": nowdate(),
				"supplier": partner.supplier,
				"sales_invoice": si.name,
				"idempotency_key": commissions.idempotency_key(si.name, partner.name, "forged"),
				"lines": [{"kind": "Commission", "rule": "All", "amount": 500}],
			}
		)
		forged.docstatus = 1
		self.assertRaises(frappe.ValidationError, forged.insert)
		self.assertEqual(
			frappe.db.count("Journal Entry", {"prm_partner_commission": ("is", "set")}), journals
		)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payout_for_another_companys_partner_names_the_company(self):
		partner = self.flat_partner("_PRM Steps Company Partner")
		make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		other = frappe.db.get_value("Company", {"name": ("!=", COMPANY)})
		with self.assertRaisesRegex(frappe.ValidationError, "belongs to company"):
			make_payout(partner, company=other)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payouts_payment_entry_can_be_cancelled_on_its_own(self):
		partner = self.flat_partner("_PRM Steps PE Cancel Partner")
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		payout = make_payout(partner)
		self.assertEqual(supplier_payable(partner.supplier), 0.0)
		frappe.get_doc("Payment Entry", payout.payment_entry).cancel()  # was: linked with Partner Payout
		payout.reload()
		self.assertEqual((payout.status, flt(payout.paid_amount)), ("Submitted", 0.0))
		[pc] = commissions_of(si.name)
		self.assertEqual(flt(frappe.db.get_value("Partner Commission", pc.name, "outstanding_amount")), 100.0)
		self.assertEqual(supplier_payable(partner.supplier), 100.0)
		payout.cancel()
		self.assertEqual(flt(make_payout(partner).net_amount), 100.0)
