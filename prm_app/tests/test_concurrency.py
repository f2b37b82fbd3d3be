"""Two invoices of one partner submitted at the same time: the second waits for the first's partner
lock, then computes its brackets on the first one's volume."""

import frappe
from frappe.utils import flt

from prm_app import commissions
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import commissions_of, make_company, make_invoice, make_partner, make_plan


class TestConcurrentPosting(PRMTestCase):
	def setUp(self):
		make_company()
		suffix = frappe.generate_hash(length=6)
		plan = make_plan(
			f"_PRM Concurrency {suffix}",
			[{"rule_name": "Volume", "rate_type": "Percentage", "rate": 0}],
			[
				{"rule_name": "Volume", "from_amount": 0, "to_amount": 1000, "rate": 5},
				{"rule_name": "Volume", "from_amount": 1000, "rate": 10},
			],
			bracket_mode="Step",
		)
		self.partner = make_partner(f"_PRM Concurrent {suffix}", plan=plan)
		frappe.db.commit()  # nosemgrep: both connections must see the partner and plan
		self.invoices = []

	def tearDown(self):
		frappe.db.rollback()
		for name in reversed(self.invoices):  # leave nothing open behind the committed test
			if frappe.db.get_value("Sales Invoice", name, "docstatus") == 1:
				frappe.get_doc("Sales Invoice", name).cancel()
		frappe.db.commit()  # nosemgrep

	def test_second_invoice_waits_for_the_first_and_sees_its_volume(self):
		with self.secondary_connection():
			second = make_invoice(self.partner, [("_PRM Hardware", 1, 800)], submit=False)
			frappe.db.commit()  # nosemgrep: a draft made before the first invoice is submitted
			self.invoices.append(second.name)
		with self.primary_connection():
			first = make_invoice(self.partner, [("_PRM Hardware", 1, 800)])  # not committed yet
			self.invoices.append(first.name)
		with self.secondary_connection():
			frappe.db.sql("set session innodb_lock_wait_timeout = 1")
			with self.assertRaises(frappe.QueryTimeoutError):
				commissions.lock_partner(self.partner.name)  # what the second submit takes first
			frappe.db.rollback()
		with self.primary_connection():
			frappe.db.commit()  # nosemgrep: the first invoice is done, its lock released
		with self.secondary_connection():
			frappe.db.sql("set session innodb_lock_wait_timeout = 50")
			second = frappe.get_doc("Sales Invoice", second.name)
			second.submit()
			frappe.db.commit()  # nosemgrep
			[pc] = commissions_of(second.name)
			# 800 at 10% (the period volume reached 1,600) plus the first 800's true-up from 5% to 10%
			self.assertEqual(flt(pc.total), 120.0)
		with self.primary_connection():
			[first_pc] = commissions_of(first.name)
			self.assertEqual(flt(first_pc.total), 40.0)
