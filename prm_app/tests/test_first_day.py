"""First day (issue 12's hard stops): where each user lands after logging in, a user added to a Partner
from the desk can use the portal, and company commission accounts filled on migrate. Logins go over real
HTTP to Frappe's own /api/method/login."""

import frappe
from frappe.utils.password import update_password

from prm_app.install import after_migrate
from prm_app.tests.http import HTTPTestCase
from prm_app.tests.utils import COMPANY, make_company, make_customer, make_partner, make_user

PASSWORD = "First-Day-7q!"
PARTNER_USER = "prm.firstday.partner@example.com"
CUSTOMER_USER = "prm.firstday.customer@example.com"
MANAGER = "prm.firstday.manager@example.com"


def website_user(email: str, roles: list[str]) -> str:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"user_type": "Website User",
				"send_welcome_email": 0,
				"roles": [{"role": r} for r in roles],
			}
		).insert(ignore_permissions=True)
	update_password(email, PASSWORD)
	return email


# the desk: /app on v15, desk (or /desk) on v16, which still redirects /app there
DESK = ("/app", "/desk")


def path_of(home_page: str) -> str:
	return "/" + (home_page or "").lstrip("/")


class TestFirstDay(HTTPTestCase):
	password = PASSWORD

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		cls.partner = (
			make_partner("_PRM First Day Partner")
			if not frappe.db.exists("Partner", "_PRM First Day Partner")
			else frappe.get_doc("Partner", "_PRM First Day Partner")
		)
		website_user(PARTNER_USER, [])
		partner = frappe.get_doc("Partner", cls.partner.name)
		if not any(row.user == PARTNER_USER for row in partner.users):
			partner.append("users", {"user": PARTNER_USER, "partner_role": "Admin"})
			partner.save(ignore_permissions=True)  # as a channel manager adds a user in the desk
		make_customer("_PRM First Day Customer")
		website_user(CUSTOMER_USER, ["Customer"])
		make_user(MANAGER, ["Partner Manager"])
		update_password(MANAGER, PASSWORD)
		frappe.db.commit()  # nosemgrep: the HTTP server has its own connection
		cls.serve()

	def home_page(self, user: str) -> str:
		return self.login(user)[1]["home_page"]

	def test_a_user_added_in_the_desk_gets_the_portal_role_and_lands_on_the_portal(self):
		self.assertIn("Partner", frappe.get_roles(PARTNER_USER))  # was: only invitations granted it
		self.assertEqual(self.home_page(PARTNER_USER), "/partner")  # was /app/partners

	def test_other_website_users_are_not_sent_to_the_desk(self):
		home = self.home_page(CUSTOMER_USER)
		self.assertFalse(path_of(home).startswith(DESK), home)

	def test_a_channel_manager_still_lands_in_the_desk(self):
		home = self.home_page(MANAGER)
		self.assertTrue(path_of(home).startswith(DESK), home)

	def test_a_user_removed_from_the_partner_loses_the_portal_role(self):
		user = website_user("prm.firstday.leaver@example.com", [])
		partner = frappe.get_doc("Partner", self.partner.name)
		partner.append("users", {"user": user, "partner_role": "Sales"})
		partner.save(ignore_permissions=True)
		self.assertIn("Partner", frappe.get_roles(user))
		partner.reload()
		partner.users = [row for row in partner.users if row.user != user]
		partner.save(ignore_permissions=True)
		self.assertNotIn("Partner", frappe.get_roles(user))
		frappe.db.rollback()

	def test_migrate_fills_empty_commission_accounts_and_keeps_a_choice(self):
		chosen_cost_center = frappe.db.get_value("Company", COMPANY, "prm_commission_cost_center")
		frappe.db.set_value(
			"Company",
			COMPANY,
			{"prm_commission_expense_account": None, "prm_commission_payable_account": None},
		)
		after_migrate()  # an install that stopped midway, then a migrate
		values = frappe.db.get_value(
			"Company",
			COMPANY,
			[
				"prm_commission_expense_account",
				"prm_commission_payable_account",
				"prm_commission_cost_center",
			],
			as_dict=True,
		)
		self.assertTrue(values.prm_commission_expense_account and values.prm_commission_payable_account)
		self.assertEqual(values.prm_commission_cost_center, chosen_cost_center)
		frappe.db.rollback()
