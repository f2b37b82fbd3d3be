"""The portal menu over HTTP (issue 12, portal): a partner user's account menu (the website sidebar of
/me on v15, /portal on v16) lists prm_app's pages that the user's partner role opens, each answering 200,
and none of ERPNext's unrelated entries (Addresses, Newsletter); an ERPNext customer's and supplier's
menus stay Frappe's, without prm_app's entries."""

import re

import frappe
from frappe.utils.password import update_password

from prm_app.compat import FRAPPE_MAJOR
from prm_app.tests.http import HTTPTestCase
from prm_app.tests.test_first_day import website_user
from prm_app.tests.test_portal_pages import PAGES
from prm_app.tests.utils import make_company, make_partner

PASSWORD = "Portal-Menu-4k!"
ADMIN_USER = "prm.menu.admin@example.com"
SALES_USER = "prm.menu.sales@example.com"
CUSTOMER_USER = "prm.menu.customer@example.com"
SUPPLIER_USER = "prm.menu.supplier@example.com"
MENU_PAGE = "/me" if FRAPPE_MAJOR < 16 else "/portal"
PRM_PAGES = set(PAGES)  # the portal navigation's pages
ACCOUNT = {"/me"}  # the sidebar's own "My Account" entry
SALES_PAGES = PRM_PAGES - {"/partner/commissions", "/partner/payouts", "/partner/funds"}


def sidebar_routes(html: str) -> set[str]:
	return set(re.findall(r'<li class="sidebar-item">\s*<a href="([^"]+)"', html)) - ACCOUNT


def standard_menu_routes(user: str) -> set[str]:
	"""Frappe's own portal menu of ``user`` (Portal Settings, filtered by role), as before prm_app."""
	from frappe.website.utils import get_portal_sidebar_items

	current = frappe.session.user
	try:
		frappe.set_user(user)
		return {item.get("route") for item in get_portal_sidebar_items()}
	finally:
		frappe.set_user(current)


class TestPortalMenu(HTTPTestCase):
	password = PASSWORD

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		name = "_PRM Menu Partner"
		partner = frappe.get_doc("Partner", name) if frappe.db.exists("Partner", name) else make_partner(name)
		for user, role in ((ADMIN_USER, "Admin"), (SALES_USER, "Sales")):
			website_user(user, ["Partner"])
			if not any(row.user == user for row in partner.users):
				partner.append("users", {"user": user, "partner_role": role})
		partner.save(ignore_permissions=True)
		website_user(CUSTOMER_USER, ["Customer"])
		website_user(SUPPLIER_USER, ["Supplier"])
		for user in (ADMIN_USER, SALES_USER, CUSTOMER_USER, SUPPLIER_USER):
			update_password(user, PASSWORD)
		frappe.db.commit()  # nosemgrep: the HTTP server has its own connection
		cls.serve()

	def menu_of(self, user: str):
		http, _ = self.login(user)
		response = http.get(f"{self.url}{MENU_PAGE}")
		self.assertEqual(response.status_code, 200, response.text[:300])
		return http, sidebar_routes(response.text)

	def test_a_partner_users_menu_is_the_portal_and_nothing_unrelated(self):
		for user, pages in ((ADMIN_USER, PRM_PAGES), (SALES_USER, SALES_PAGES)):
			http, routes = self.menu_of(user)
			self.assertEqual(routes & PRM_PAGES, pages, user)
			self.assertFalse({"/addresses", "/newsletters"} & routes, (user, routes))
			self.assertEqual(routes - PRM_PAGES, set(), (user, routes))  # no other app's entry
			self.assertTrue({"/addresses"} & standard_menu_routes(user) or FRAPPE_MAJOR >= 16, user)
			for route in sorted(pages):
				self.assertEqual(http.get(f"{self.url}{route}").status_code, 200, (user, route))

	def test_customer_and_supplier_menus_stay_frappes(self):
		for user, own in ((CUSTOMER_USER, {"/orders", "/invoices", "/addresses"}), (SUPPLIER_USER, {"/rfq"})):
			_, routes = self.menu_of(user)
			self.assertEqual(routes, standard_menu_routes(user), user)
			self.assertTrue(own <= routes, (user, routes))
			self.assertFalse(routes & PRM_PAGES, user)
