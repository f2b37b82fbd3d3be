"""Adversarial review (attack4): what the earlier attack modules (test_final_attack, test_attack_today,
test_attack_picker) did not try. As an auditor, the ledger is recomputed by hand (plain SQL on GL Entry /
Payment Ledger Entry, plain arithmetic), never with a prm_app helper as the oracle."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, nowdate

from prm_app.tests.funds_utils import PAY_NOW, FundsCase
from prm_app.tests.test_final_attack import supplier_gl_balance
from prm_app.tests.utils import make_invoice, make_plan


def supplier_ple_outstanding(supplier: str) -> float:
	"""What the Payment Ledger holds open for the supplier (negative = owed to it)."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(amount), 0) from `tabPayment Ledger Entry`
			where party_type = 'Supplier' and party = %s and delinked = 0""",
			(supplier,),
		)[0][0],
		2,
	)


class TestAttackReviewSupplierMove(FundsCase):
	def setUp(self):
		super().setUp()
		plan = make_plan("_PRM Review Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()

	def move_partner(self, supplier_name: str) -> str:
		self.partner.reload()
		self.partner.supplier = (
			frappe.get_doc(
				{"doctype": "Supplier", "supplier_name": supplier_name, "supplier_group": "All Supplier Groups"}
			)
			.insert()
			.name
		)
		self.partner.save()
		return self.partner.supplier

	def paid_then_moved(self):
		"""By hand: an invoice of 1,000.00 at 10 % -> a commission of 100.00 on the first supplier, paid by a
		payout (GL credit 100 - debit 100 = 0); the partner then moves to a new supplier (nothing open)."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = self.partner.supplier
		self.assertEqual(supplier_gl_balance(first), 100.0)
		payout = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(supplier_gl_balance(first), 0.0)
		moved_to = self.move_partner("_PRM Review Moved Supplier")
		return first, moved_to, payout

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payout_cancelled_after_the_move_strands_nothing_on_the_old_supplier(self):
		"""The move is refused while money is open on the old supplier, because a payout pays the current
		supplier only. Cancelling the old supplier's payout after the move would open its 100.00 there
		again, where no payout reaches it: the cancel is refused as the move was."""
		first, moved_to, payout = self.paid_then_moved()
		payout.reload()
		with self.assertRaisesRegex(frappe.ValidationError, "moved"):
			payout.cancel()
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.assertEqual(supplier_ple_outstanding(first), 0.0)
		self.assertEqual(frappe.db.get_value("Partner Payout", payout.name, "docstatus"), 1)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payouts_payment_cancelled_after_the_move_strands_nothing(self):
		"""The same through ERPNext's own action: the payout's Payment Entry cancelled in the desk."""
		first, moved_to, payout = self.paid_then_moved()
		pe = frappe.get_doc("Payment Entry", frappe.db.get_value("Partner Payout", payout.name, "payment_entry"))
		with self.assertRaisesRegex(frappe.ValidationError, "moved"):
			pe.cancel()
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.assertEqual(frappe.db.get_value("Payment Entry", pe.name, "docstatus"), 1)

	@change_settings("PRM Settings", PAY_NOW)
	def test_the_payout_is_cancelled_once_the_partner_is_back_on_its_supplier(self):
		"""The way out the refusal names: move the partner back, cancel, the 100.00 is open again on the
		supplier the next payout pays (by hand: GL credit 100, debit 0)."""
		first, moved_to, payout = self.paid_then_moved()
		self.partner.reload()
		self.partner.supplier = first
		self.partner.save()
		payout.reload()
		payout.cancel()
		self.assertEqual(supplier_gl_balance(first), 100.0)
		again = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(flt(again.net_amount, 2), 100.0)
		self.assertEqual(supplier_gl_balance(first), 0.0)
