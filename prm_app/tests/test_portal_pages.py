"""Portal pages as a new partner sees them (issue 12, portal friction): one navigation (no website
sidebar with Addresses or Newsletter), a getting-started checklist and the channel manager's contact
for a partner with nothing yet, commission lines with the customer's name and the payable-on date, the
chart's values written out, and tables that stack into labelled cards at phone width."""

import re

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, nowdate

from prm_app.l10n import prm_date
from prm_app.tests import PRMTestCase
from prm_app.tests.test_portal_money import render
from prm_app.tests.utils import (
	COMPANY,
	make_company,
	make_customer,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_user,
)

USER = "prm.pages.partner@example.com"
MANAGER = "prm.pages.manager@example.com"
PAGES = (
	"/partner",
	"/partner/deals",
	"/partner/commissions",
	"/partner/payouts",
	"/partner/funds",
	"/partner/resources",
	"/partner/profile",
)


class TestPortalPages(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		plan = make_plan("_PRM Pages Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner = make_partner("_PRM Pages Partner", plan=plan)
		make_portal_user(USER, self.partner)
		frappe.db.set_value(
			"Partner User", {"parent": self.partner.name, "user": USER}, "partner_role", "Admin"
		)
		make_user(MANAGER, ["Partner Manager"])
		frappe.db.set_value("User", MANAGER, {"first_name": "Casey", "last_name": "Channel"})

	def tearDown(self):
		frappe.db.rollback()

	def test_one_navigation_and_no_unrelated_menu(self):
		for path in PAGES:
			html = render(path, USER)
			self.assertEqual(html.count('class="prm-nav"'), 1, path)
			self.assertNotIn("sidebar-column", html, path)  # Frappe's website sidebar
			for unrelated in ('href="/addresses"', 'href="/newsletters"'):
				self.assertNotIn(unrelated, html, path)
			nav = re.search(r'<nav class="prm-nav".*?</nav>', html, re.S).group(0)
			self.assertEqual(re.findall(r'href="([^"]+)"', nav), list(PAGES))
			self.assertIn('aria-current="page"', nav, path)

	def test_a_new_partner_gets_a_checklist_and_its_channel_manager(self):
		frappe.cache.delete_value("prm:portal:channel_manager")  # kept for minutes; this manager is new
		html = render("/partner", USER)
		checklist = re.search(r'id="prm-onboarding".*?</section>', html, re.S)
		self.assertTrue(checklist, "no getting-started checklist")
		for step in ("Complete your company profile", "Register your first deal", "Invite your colleagues"):
			self.assertIn(step, checklist.group(0))
		from prm_app.permissions import partner_managers

		manager = next(u for u in partner_managers() if u != "Administrator")  # MANAGER, or an earlier one
		self.assertIn(f'href="mailto:{manager}"', html)
		self.assertIn(frappe.db.get_value("User", manager, "full_name"), html)

	@change_settings("PRM Settings", {"holding_days": 30, "require_approval": 0})
	def test_commission_lines_name_the_customer_and_when_they_are_payable(self):
		customer = make_customer("_PRM Pages Customer Ltd")
		make_invoice(self.partner, [("_PRM Software", 1, 1000)], customer=customer)
		html = render("/partner/commissions", USER)
		row = re.search(r'<tr class="prm-commission-row">.*?</tr>', html, re.S).group(0)
		self.assertIn("_PRM Pages Customer Ltd", row)
		self.assertIn(prm_date(add_days(nowdate(), 30)), row)
		self.assertIn('class="table prm-table prm-stack"', html)  # cards at phone width
		self.assertIn('data-label="', row)
		dashboard = render("/partner", USER)
		values = re.search(r'class="prm-chart-labels prm-chart-values".*?</div>', dashboard, re.S).group(0)
		self.assertIn("100", values)  # this month's 100.00 written out, not only a bar height
		self.assertEqual(frappe.db.get_value("Partner", self.partner.name, "company"), COMPANY)
