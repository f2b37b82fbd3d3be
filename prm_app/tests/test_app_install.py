"""The app is installed into a real site and wired as hooks.py says."""

import frappe

from prm_app.tests import PRMTestCase


class TestAppInstall(PRMTestCase):
	def test_installed_after_erpnext(self):
		apps = frappe.get_installed_apps()
		self.assertIn("prm_app", apps)
		self.assertLess(apps.index("erpnext"), apps.index("prm_app"))

	def test_module_and_hooks(self):
		self.assertTrue(frappe.db.exists("Module Def", "PRM App"))
		self.assertEqual(frappe.db.get_value("Module Def", "PRM App", "app_name"), "prm_app")
		self.assertIn("frappe/erpnext", frappe.get_hooks("required_apps", app_name="prm_app"))
		self.assertIn("prm_app.install.after_migrate", frappe.get_hooks("after_migrate"))

	def test_portal_role_has_no_desk_access(self):
		self.assertTrue(frappe.db.exists("Role", "Partner Manager"))
		self.assertEqual(frappe.db.get_value("Role", "Partner", "desk_access"), 0)

	def test_engine_runs_inside_the_bench(self):
		from datetime import date
		from decimal import Decimal

		from prm_app.engine import compute_commission, make_invoice, plan_from_dict

		plan = plan_from_dict({"name": "Flat", "currency": "USD", "rules": [{"name": "All", "rate": "10"}]})
		invoice = make_invoice(
			name="SINV-1",
			posting_date=date(2026, 1, 5),
			partner="P",
			lines=[{"item_code": "A", "base_net_amount": "1234.55"}],
		)
		self.assertEqual(compute_commission(plan, invoice).total, Decimal("123.46"))
