"""Attack and audit of what landed on 5 December: the partner's channel manager, notifications in each
recipient's language, the partner's suppliers and per-day totals across renames. Figures are recomputed
by hand (plain SQL on GL Entry, no prm_app helper) and compared with what the portal shows."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import flt, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_request
from prm_app.tests.utils import account, make_invoice, make_partner, make_plan


def gl_owed(suppliers) -> float:
	"""What the vendor owes these suppliers on Creditors, by hand: credit - debit of every live GL Entry."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(credit - debit), 0) from `tabGL Entry`
			where party_type = 'Supplier' and party in %s and account = %s and is_cancelled = 0""",
			(tuple(suppliers), account("Creditors")),
		)[0][0],
		2,
	)


def new_supplier(name: str) -> str:
	return (
		frappe.get_doc({"doctype": "Supplier", "supplier_name": name, "supplier_group": "All Supplier Groups"})
		.insert()
		.name
	)


def stored(partner: str) -> frappe._dict:
	return frappe._dict(
		frappe.db.get_value("Partner", partner, ["name", "company", "supplier", "sales_partner"], as_dict=True)
	)


class TestAttackTodayLedger(FundsCase):
	def setUp(self):
		super().setUp()
		self.plan = make_plan("_PRM Today Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = self.plan
		self.partner.save()

	def test_sales_partner_merged_into_another_partners_is_refused(self):
		"""ERPNext merges a Sales Partner into another on rename (merge): A's invoices would then carry
		B's Sales Partner, both Partners link the one Sales Partner (neither saves any more) and each
		dashboard's revenue and tier progress count the other's invoices. Refused, like a shared one."""
		from prm_app import portal

		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_invoice(other, [("_PRM Hardware", 2, 1000)])
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc(
				"Sales Partner", self.partner.sales_partner, other.sales_partner, merge=True, force=True
			)
		# B's dashboard revenue, by hand: its own invoice of 2,000.00 only
		self.assertEqual(portal.revenue(stored(other.name).sales_partner, nowdate(), nowdate()), 2000.0)
		self.assertEqual(portal.revenue(stored(self.partner.name).sales_partner, nowdate(), nowdate()), 1000.0)

	def test_supplier_merged_into_another_partners_is_refused(self):
		"""A Supplier merged into another partner's (rename with merge) makes the two partners share one
		supplier: each would be paid the other's money, and both dashboards drop it (balance 0.00 while
		owed). Refused, as choosing a taken supplier is."""
		from prm_app import portal

		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 100.00 owed to A's supplier
		make_invoice(other, [("_PRM Hardware", 2, 1000)])  # 200.00 owed to B's
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc("Supplier", self.partner.supplier, other.supplier, merge=True, force=True)
		for partner, owed in ((self.partner.name, 100.0), (other.name, 200.0)):
			values = stored(partner)
			self.assertEqual(gl_owed([values.supplier]), owed)
			self.assertEqual(portal.supplier_balance(values, nowdate()), owed)

	def test_supplier_left_with_postings_not_merged_into_another_partners(self):
		"""The supplier A moved away from still carries A's commissions: merging it into B's supplier
		would put them on B's balance."""
		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		old = self.partner.supplier
		self.partner.reload()
		self.partner.supplier = new_supplier("_PRM Today Moved Supplier")
		self.partner.save()
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc("Supplier", old, other.supplier, merge=True, force=True)

	def test_plain_renames_still_work(self):
		"""A rename without merge (or a merge into a supplier / sales partner of no partner) is ERPNext's
		ordinary action and stays allowed; the partner follows it."""
		from prm_app import portal

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		supplier = frappe.rename_doc("Supplier", self.partner.supplier, "_PRM Today Renamed Supplier", force=True)
		values = stored(self.partner.name)
		self.assertEqual(values.supplier, supplier)
		self.assertEqual(portal.supplier_balance(values, nowdate()), gl_owed([supplier]))
		self.assertEqual(gl_owed([supplier]), 100.0)
		spare = new_supplier("_PRM Today Spare Supplier")
		frappe.rename_doc("Supplier", spare, supplier, merge=True, force=True)
		self.assertEqual(portal.supplier_balance(stored(self.partner.name), nowdate()), 100.0)
		sales_partner = frappe.rename_doc(
			"Sales Partner", values.sales_partner, "_PRM Today Renamed SP", force=True
		)
		self.assertEqual(stored(self.partner.name).sales_partner, sales_partner)
		self.assertEqual(portal.revenue(sales_partner, nowdate(), nowdate()), 1000.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_claim_on_older_supplier_then_payout(self):
		"""By hand: a commission of 100.00 and a fund claim of 2,000.00 posted to the partner's first
		supplier; it moves to a new supplier and earns 300.00 there. The dashboard's balance is the GL's
		credit - debit over both suppliers: 2,400.00; after a payout, whatever it paid, still the GL's."""
		from prm_app import portal

		first = self.partner.supplier
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		make_claim(request, claimed=2000, actual_cost=4000)
		self.partner.reload()
		second = new_supplier("_PRM Today Second Supplier")
		self.partner.supplier = second
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 3, 1000)])
		values = stored(self.partner.name)
		self.assertEqual(gl_owed([first]), 100.0 + 2000.0)
		self.assertEqual(gl_owed([second]), 300.0)
		self.assertEqual(portal.supplier_balance(values, nowdate()), 2400.0)
		payout = self.payout(frappe.utils.add_days(nowdate(), -30), nowdate())
		pe = frappe.db.get_value("Partner Payout", payout.name, "payment_entry")
		paid = flt(
			frappe.db.sql(
				"""select coalesce(sum(debit - credit), 0) from `tabGL Entry`
				where voucher_type = 'Payment Entry' and voucher_no = %s and account = %s
				and is_cancelled = 0""",
				(pe, account("Creditors")),
			)[0][0],
			2,
		)
		self.assertEqual(flt(payout.net_amount, 2), paid)
		self.assertEqual(portal.supplier_balance(values, nowdate()), gl_owed([first, second]))
		self.assertEqual(gl_owed([first, second]), flt(2400.0 - paid, 2))
