"""Commission on payment: earned in proportion to what the customer paid, recomputed from the Payment
Ledger on every payment change."""

import frappe
from frappe.utils import flt, nowdate

from prm_app import payment_commission
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	gl_rows,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	receive_payment,
	supplier_payable,
)


def earned(si_name):
	return flt(sum(flt(c.total) for c in commissions_of(si_name)), 2)


class TestCommissionOnPayment(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		plan = make_plan(
			"_PRM On Payment",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 10}],
			trigger="On Payment",
		)
		self.partner = make_partner("_PRM Paid Partner", plan=plan)
		self.si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])

	def tearDown(self):
		frappe.db.rollback()

	def test_nothing_accrues_until_the_customer_pays(self):
		self.assertEqual(commissions_of(self.si.name), [])

	def test_thirty_then_seventy_percent(self):
		receive_payment(self.si, 300)
		[first] = commissions_of(self.si.name)
		self.assertEqual(flt(first.total), 30.0)
		self.assertEqual(
			gl_rows(first.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 30.0, 0.0, None),
					(account("Creditors"), 0.0, 30.0, self.partner.supplier),
				]
			),
		)
		receive_payment(self.si, 700)
		self.assertEqual(earned(self.si.name), 100.0)
		self.assertEqual(len(commissions_of(self.si.name)), 2)
		self.assertEqual(supplier_payable(self.partner.supplier), 100.0)

	def test_erpnext_sales_partner_report_shows_what_was_earned_so_far(self):
		from erpnext.selling.report.sales_partner_commission_summary.sales_partner_commission_summary import (
			execute,
		)

		def report():
			_columns, data = execute(
				frappe._dict(
					doctype="Sales Invoice", company=COMPANY, sales_partner=self.partner.sales_partner
				)
			)
			return {row.name: flt(row.total_commission) for row in data}

		receive_payment(self.si, 300)
		self.assertEqual(report(), {self.si.name: 30.0})
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", self.si.name, "commission_rate"), 2), 3.0)
		second = receive_payment(self.si, 700)
		self.assertEqual(report(), {self.si.name: 100.0})
		second.cancel()
		self.assertEqual(report(), {self.si.name: earned(self.si.name)})
		self.assertEqual(report(), {self.si.name: 30.0})

	def test_a_sales_partner_rate_of_erpnext_does_not_count_before_payment(self):
		frappe.db.set_value("Sales Partner", self.partner.sales_partner, "commission_rate", 5)
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		# ERPNext computed 5% of 1,000 on validate; PRM's plan pays on payment, and nothing is paid yet
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", si.name, "total_commission")), 0.0)
		receive_payment(si, 500)
		self.assertEqual(flt(frappe.db.get_value("Sales Invoice", si.name, "total_commission")), 50.0)

	def test_cancelled_payment_takes_its_share_back(self):
		receive_payment(self.si, 300)
		second = receive_payment(self.si, 700)
		second.cancel()
		self.assertEqual(earned(self.si.name), 30.0)
		clawback = commissions_of(self.si.name)[-1]
		self.assertEqual(flt(clawback.total), -70.0)
		self.assertEqual(
			gl_rows(clawback.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 0.0, 70.0, None),
					(account("Creditors"), 70.0, 0.0, self.partner.supplier),
				]
			),
		)
		self.assertEqual(supplier_payable(self.partner.supplier), 30.0)

	def test_recomputing_twice_posts_nothing_new(self):
		receive_payment(self.si, 300)
		self.assertIsNone(payment_commission.recompute_invoice(self.si.name))
		self.assertEqual(len(commissions_of(self.si.name)), 1)

	def test_credit_note_after_full_payment_claws_back_the_returned_share(self):
		receive_payment(self.si, 1000)
		make_return(self.si)
		self.assertEqual(earned(self.si.name), 0.0)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	def test_write_off_earns_nothing(self):
		receive_payment(self.si, 900)
		je = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"voucher_type": "Write Off Entry",
				"company": COMPANY,
				"posting_date": nowdate(),
				"accounts": [
					{
						"account": account("Write Off"),
						"debit_in_account_currency": 100,
						"cost_center": account("Main"),
					},
					{
						"account": account("Debtors"),
						"party_type": "Customer",
						"party": self.si.customer,
						"credit_in_account_currency": 100,
						"reference_type": "Sales Invoice",
						"reference_name": self.si.name,
					},
				],
			}
		).insert()
		je.submit()
		self.assertEqual(frappe.db.get_value("Sales Invoice", self.si.name, "outstanding_amount"), 0)
		self.assertEqual(earned(self.si.name), 90.0)  # 10% of what was paid, not of the write-off

	def test_cancelled_invoice_ends_at_zero(self):
		payment = receive_payment(self.si, 400)
		payment.cancel()
		self.si.reload()
		self.si.cancel()
		self.assertEqual(earned(self.si.name), 0.0)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)
