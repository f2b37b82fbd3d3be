"""Plans that pay on payment, checked the way an accountant would: brackets and caps on the period's paid
volume whatever the order of payments, write-offs that earn nothing, the plan and tier of the invoice's
submit, take-backs for an inactive partner, and the dates of unreconciled and re-allocated payments; and
closed books. Expected amounts are the plan's terms applied by hand (written out in each test)."""

import json

import frappe
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app import payment_commission
from prm_app.tests import PRMTestCase
from prm_app.tests.test_accounting_steps import MARGINAL
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_tier,
	receive_payment,
	supplier_payable,
)


def earned(partner) -> float:
	totals = frappe.get_all(
		"Partner Commission", filters={"partner": partner.name, "docstatus": 1}, pluck="total"
	)
	return flt(sum(flt(t) for t in totals), 2)


def invoice_earned(si) -> float:
	return flt(sum(flt(c.total) for c in commissions_of(si.name)), 2)


def dated(si) -> list[tuple]:
	rows = frappe.get_all(
		"Partner Commission",
		filters={"sales_invoice": si.name, "docstatus": 1},
		fields=["total", "posting_date"],
		order_by="creation",
	)
	return [(flt(r.total), getdate(r.posting_date)) for r in rows]


def flat(name, rate=10, **values):
	return make_plan(name, [{"rule_name": "All", "rate_type": "Percentage", "rate": rate}], **values)


class TestOnPaymentPeriods(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def test_brackets_pay_on_the_periods_paid_volume_whatever_the_order(self):
		# 5 % to 20,000, 7 % to 60,000: invoices A 30,000 and B 10,000; A half paid, B paid, A paid:
		# 40,000 paid in the quarter -> 1,000 + 1,400 = 2,400.00 (was 2,500.00)
		plan = make_plan(
			"_PRM OP Bracket Plan",
			[{"rule_name": "Products", "rate_type": "Percentage", "rate": 0}],
			MARGINAL,
			bracket_mode="Marginal",
			period="Quarter",
			trigger="On Payment",
		)
		partner = make_partner("_PRM OP Bracket Partner", plan=plan)
		a = make_invoice(partner, [("_PRM Hardware", 30, 1000)])
		b = make_invoice(partner, [("_PRM Hardware", 10, 1000)])
		receive_payment(a, 15000)
		self.assertEqual(earned(partner), 750.0)  # 15,000 x 5 %
		receive_payment(b, 10000)
		self.assertEqual(earned(partner), 1350.0)  # 25,000: 1,000 + 350
		receive_payment(a, 15000)
		self.assertEqual(earned(partner), 2400.0)
		self.assertEqual(supplier_payable(partner.supplier), 2400.0)
		self.assertEqual((invoice_earned(a), invoice_earned(b)), (1700.0, 700.0))  # A first by date

	def test_a_cap_holds_on_the_periods_paid_commission(self):
		# 10 %, at most 100 a quarter: B half paid (40), A paid (80 more, capped: 100), B paid: still 100
		plan = make_plan(
			"_PRM OP Cap Plan",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 10, "cap_per_period": 100}],
			period="Quarter",
			trigger="On Payment",
		)
		partner = make_partner("_PRM OP Cap Partner", plan=plan)
		a = make_invoice(partner, [("_PRM Hardware", 1, 800)])
		b = make_invoice(partner, [("_PRM Hardware", 1, 800)])
		receive_payment(b, 400)
		self.assertEqual(earned(partner), 40.0)
		receive_payment(a, 800)
		self.assertEqual(earned(partner), 100.0)
		receive_payment(b, 400)
		self.assertEqual(earned(partner), 100.0)  # was 80.00

	def test_a_write_off_in_the_payment_earns_nothing(self):
		# the customer pays 900 of 1,000 and the payment writes off 100: 10 % of 900 = 90.00 (was 100.00)
		partner = make_partner(
			"_PRM OP Write Off Partner", plan=flat("_PRM OP WO Plan", trigger="On Payment")
		)
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		pe = frappe.get_doc(
			{
				"doctype": "Payment Entry",
				"payment_type": "Receive",
				"company": COMPANY,
				"posting_date": nowdate(),
				"party_type": "Customer",
				"party": si.customer,
				"paid_from": si.debit_to,
				"paid_to": account("Cash"),
				"paid_amount": 900,
				"received_amount": 900,
				"source_exchange_rate": 1,
				"target_exchange_rate": 1,
				"references": [
					{
						"reference_doctype": "Sales Invoice",
						"reference_name": si.name,
						"allocated_amount": 1000,
					}
				],
				"deductions": [
					{
						"account": frappe.get_cached_value("Company", COMPANY, "write_off_account"),
						"cost_center": account("Main"),
						"amount": 100,
					}
				],
			}
		).insert(ignore_permissions=True)
		pe.submit()
		self.assertEqual(invoice_earned(si), 90.0)

	def test_payments_follow_the_plan_and_tier_of_the_invoices_submit(self):
		gold = make_tier("_PRM OP Gold", 91, multiplier=1.5)
		plan = flat("_PRM OP Tier Plan", trigger="On Payment")
		partner = make_partner("_PRM OP Tier Partner", plan=plan)
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		receive_payment(si, 500)
		second = receive_payment(si, 500)
		self.assertEqual(invoice_earned(si), 100.0)
		frappe.db.set_value("Partner", partner.name, "tier", gold)  # later promoted
		second.reload()
		second.cancel()
		self.assertEqual(invoice_earned(si), 50.0)  # takes back what it earned (was 75.00)

	def test_an_inactive_partners_cancelled_payment_is_taken_back(self):
		partner = make_partner(
			"_PRM OP Inactive Partner", plan=flat("_PRM OP Inact Plan", trigger="On Payment")
		)
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		pe = receive_payment(si, 1000)
		frappe.db.set_value("Partner", partner.name, "status", "Inactive")
		pe.reload()
		pe.cancel()
		self.assertEqual(invoice_earned(si), 0.0)  # was 100.00
		self.assertEqual(supplier_payable(partner.supplier), 0.0)

	def test_a_plan_switch_does_not_rerate_invoices_already_submitted(self):
		on_invoice = flat("_PRM OP Switch A")
		on_payment = flat("_PRM OP Switch B", rate=5, trigger="On Payment")
		partner = make_partner("_PRM OP Switch Partner", plan=on_invoice)
		earned_on_invoice = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		frappe.db.set_value("Partner", partner.name, "commission_plan", on_payment)
		receive_payment(earned_on_invoice, 1000)
		self.assertEqual(invoice_earned(earned_on_invoice), 100.0)  # was 50.00
		paid_later = make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		receive_payment(paid_later, 500)
		frappe.db.set_value("Partner", partner.name, "commission_plan", on_invoice)
		receive_payment(paid_later, 500)
		self.assertEqual(invoice_earned(paid_later), 50.0)  # 5 % of 1,000 on payment (was 25.00)

	def test_unreconciled_and_reallocated_payments_are_dated_by_the_payment(self):
		partner = make_partner("_PRM OP Dates Partner", plan=flat("_PRM OP Dates Plan", trigger="On Payment"))
		day = add_days(nowdate(), -10)
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)], posting_date=day)
		pe = receive_payment(si, 1000, posting_date=day)
		from erpnext.accounts.doctype.unreconcile_payment.unreconcile_payment import (
			create_unreconcile_doc_for_selection,
		)

		create_unreconcile_doc_for_selection(
			json.dumps(
				[
					{
						"company": COMPANY,
						"voucher_type": "Payment Entry",
						"voucher_no": pe.name,
						"against_voucher_type": "Sales Invoice",
						"against_voucher_no": si.name,
					}
				]
			)
		)
		self.assertEqual(dated(si), [(100.0, getdate(day)), (-100.0, getdate(day))])  # was today
		# re-allocated by Payment Reconciliation: the job it enqueues dates by the payment
		pr = frappe.get_doc(
			{
				"doctype": "Payment Reconciliation",
				"company": COMPANY,
				"party_type": "Customer",
				"party": si.customer,
				"receivable_payable_account": si.debit_to,
			}
		)
		pr.get_unreconciled_entries()
		pr.allocate_entries(
			frappe._dict(
				{
					"invoices": [x.as_dict() for x in pr.invoices if x.invoice_number == si.name],
					"payments": [x.as_dict() for x in pr.payments if x.reference_name == pe.name],
				}
			)
		)
		pr.reconcile()
		payment_commission.recompute_after_reallocation(si.name, "Payment Entry", pe.name)
		self.assertEqual(dated(si)[-1], (100.0, getdate(day)))
		self.assertEqual(invoice_earned(si), 100.0)


class TestClosedBooks(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def close_journals(self, start, end):
		frappe.get_doc(
			{
				"doctype": "Accounting Period",
				"period_name": f"_PRM Closed {start}",
				"company": COMPANY,
				"start_date": start,
				"end_date": end,
				"closed_documents": [{"document_type": "Journal Entry", "closed": 1}],
			}
		).insert(ignore_permissions=True)

	def test_an_invoice_in_a_period_closed_for_journals_posts_on_the_first_open_date(self):
		partner = make_partner("_PRM Closed Partner", plan=flat("_PRM Closed Plan"))
		day = add_days(nowdate(), -8)
		self.close_journals(add_days(nowdate(), -10), add_days(nowdate(), -5))
		si = make_invoice(
			partner, [("_PRM Hardware", 1, 1000)], posting_date=day
		)  # was ClosedAccountingPeriod
		self.assertEqual(dated(si), [(100.0, getdate(nowdate()))])

	def test_cancel_in_a_period_closed_for_journals_reverses_on_the_first_open_date(self):
		partner = make_partner("_PRM Closed Cancel Partner", plan=flat("_PRM Closed Cancel Plan"))
		day = add_days(nowdate(), -8)
		si = make_invoice(partner, [("_PRM Hardware", 1, 1000)], posting_date=day)
		self.close_journals(add_days(nowdate(), -10), add_days(nowdate(), -5))
		si.reload()
		si.cancel()  # was ClosedAccountingPeriod: the unpaid commission's journal was cancelled in it
		self.assertEqual(dated(si), [(100.0, getdate(day)), (-100.0, getdate(nowdate()))])
		self.assertEqual(supplier_payable(partner.supplier), 0.0)
