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

	def test_settings_defaults_fill_only_what_is_missing(self):
		from prm_app.install import make_default_settings
		from prm_app.patches.v0_1 import settings_defaults

		frappe.db.set_single_value("PRM Settings", {"holding_days": 0, "notify_partners_of_tier_change": 0})
		frappe.db.set_single_value("PRM Settings", "on_posting_failure", "")
		settings_defaults.execute()
		make_default_settings()
		frappe.db.value_cache.pop("PRM Settings", None)
		values = tuple(
			frappe.db.get_single_value("PRM Settings", f, cache=False)
			for f in ("holding_days", "notify_partners_of_tier_change", "on_posting_failure")
		)
		# zeros someone chose stay; an empty choice gets its default
		self.assertEqual(values, (0, 0, "Block the invoice"))
		frappe.db.rollback()
