"""The setup checklist on the Partners workspace (issue 12, item 5): it names each company with partners
whose commission accounts are empty or that has no enabled plan, and a site without tiers; it is complete
once all is set, and Partner Managers see the block on the workspace."""

import json

import frappe
from frappe.desk.desktop import get_desktop_page

from prm_app.api.setup import CHECKLIST_BLOCK, get_setup_checklist, make_checklist_block
from prm_app.tests import CompanyTestCase
from prm_app.tests.utils import COMPANY, account, make_partner, make_plan, make_tier, make_user

MANAGER = "prm.checklist.manager@example.com"


def step(key: str) -> dict:
	return next(s for s in get_setup_checklist()["steps"] if s["key"] == key)


class TestSetupChecklist(CompanyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER, ["Partner Manager"])
		make_checklist_block()  # what install and migrate do
		frappe.db.commit()  # nosemgrep: shared fixtures

	def setUp(self):
		if not frappe.db.exists("Partner", {"company": COMPANY}):
			make_partner("_PRM Checklist Partner")
		make_plan("_PRM Checklist Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 5}])
		make_tier("_PRM Checklist Tier", 9601)

	def test_empty_commission_accounts_are_named_until_set(self):
		frappe.db.set_value("Company", COMPANY, "prm_commission_payable_account", None)
		accounts = step("commission_accounts")
		self.assertFalse(accounts["done"])
		self.assertIn(COMPANY, accounts["detail"])
		self.assertIn(COMPANY, [link["label"] for link in accounts["links"]])
		frappe.db.set_value("Company", COMPANY, "prm_commission_payable_account", account("Creditors"))
		self.assertNotIn(COMPANY, [link["label"] for link in step("commission_accounts")["links"]])

	def test_a_company_without_an_enabled_plan_is_named(self):
		self.assertNotIn(COMPANY, step("commission_plan")["detail"])
		frappe.db.set_value("Commission Plan", {"company": COMPANY}, "enabled", 0)
		self.assertIn(COMPANY, step("commission_plan")["detail"])

	def test_no_tiers_then_complete_once_everything_is_set(self):
		self.assertTrue(step("partner_tiers")["done"])
		frappe.db.delete("Partner Tier")
		self.assertFalse(step("partner_tiers")["done"])
		self.assertFalse(get_setup_checklist()["complete"])
		make_tier("_PRM Checklist Tier", 9601)
		# one company with partners (the others' are out of this transaction), its accounts and plan set
		frappe.db.delete("Partner", {"company": ("!=", COMPANY)})
		frappe.db.set_value(
			"Company",
			COMPANY,
			{
				"prm_commission_expense_account": account("Commission on Sales"),
				"prm_commission_payable_account": account("Creditors"),
			},
		)
		checklist = get_setup_checklist()
		self.assertTrue(checklist["complete"], checklist)

	def test_managers_see_the_block_and_others_are_refused(self):
		frappe.set_user(MANAGER)
		page = get_desktop_page(json.dumps({"name": "Partners", "title": "Partners", "public": 1}))
		self.assertIn(CHECKLIST_BLOCK, [b.custom_block_name for b in page["custom_blocks"]["items"]])
		self.assertIn("steps", get_setup_checklist())
		frappe.set_user("Guest")
		self.assertRaises(frappe.PermissionError, get_setup_checklist)
