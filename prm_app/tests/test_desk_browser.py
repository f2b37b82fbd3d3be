"""The channel manager's first day in headless Chromium (issue 12): a user made with only the Channel
Manager Role Profile logs in at /login and, at 1366×900, creates a tier, a plan and a partner, approves an
application through its dialog, approves a deal registration after the confirmation, opens the Channel
Overview and the Partner Scorecard. Any refused or failed request shows as a console error and fails the
test; a screenshot of each step goes to $PRM_SCREENSHOT_DIR or $TMPDIR/prm-desk-screenshots (printed).

Needs Chromium as prm_app/tests/test_portal_browser.py does (PRM_SKIP_BROWSER=1 skips it)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import unittest

import frappe
from frappe.utils import add_days, nowdate

from prm_app.tests import PRMTestCase
from prm_app.tests import test_portal_browser as portal_browser
from prm_app.tests.test_applications import make_applicant
from prm_app.tests.test_personas import PASSWORD, desk_user
from prm_app.tests.test_portal_isolation import start_server
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_registration,
)

MANAGER = "prm.desk.channel@example.com"
ACCOUNTANT = "prm.desk.accountant@example.com"
# the accountant's partner keeps its ledger (its payouts are cancelled before each run, not deleted)
PAID_PARTNER = "_PRM Accounts Day Partner"
PREFIX = "_PRM Desk Day"
TIER, PLAN, PARTNER = f"{PREFIX} Gold", f"{PREFIX} Plan", f"{PREFIX} Partner"
APPLICANT, DEAL_PARTNER = f"{PREFIX} Applicant", f"{PREFIX} Deal Partner"
SCREENSHOTS = os.environ.get(
	"PRM_SCREENSHOT_DIR", os.path.join(tempfile.gettempdir(), "prm-desk-screenshots")
)
DESKTOP, PHONE = portal_browser.DESKTOP, portal_browser.MOBILE
# besides the portal test's: Frappe plays a sound after a save, which headless Chromium refuses without a
# user gesture
IGNORED_CONSOLE = (*portal_browser.IGNORED_CONSOLE, "play() failed because the user didn't interact")
# Frappe's own desk bundle, now and then, while a dashboard re-renders its charts (seen on v15 and v16 in the
# Channel Overview step and on a new site's first landing; no prm_app code on the stack): ignored only when it
# comes from Frappe's desk bundle itself
FRAPPE_DESK_RACES = ("Failed to execute 'removeChild' on 'Node'",)


def frappe_desk_race(message: str) -> bool:
	return "/assets/frappe/dist/js/desk.bundle" in message and any(r in message for r in FRAPPE_DESK_RACES)


def require_browser() -> None:
	"""Skip (PRM_SKIP_BROWSER=1) or fail clearly when Chromium, chromedriver or selenium is missing."""
	missing = portal_browser.browser_missing()
	if missing and os.environ.get("PRM_SKIP_BROWSER") == "1":
		raise unittest.SkipTest(missing)
	if missing:
		raise RuntimeError(f"Browser tests need Chromium: {missing}. Set PRM_SKIP_BROWSER=1 to skip.")


def cleanup():
	"""Everything this test makes (the browser commits through its own requests)."""
	for registration in frappe.get_all(
		"Deal Registration", {"partner": ("like", f"{PREFIX}%")}, pluck="name"
	):
		frappe.delete_doc("Deal Registration", registration, force=True, ignore_permissions=True)
	for name in frappe.get_all("Opportunity", {"party_name": ("like", "%Desk Day Prospect%")}, pluck="name"):
		frappe.delete_doc("Opportunity", name, force=True, ignore_permissions=True)
	for name in frappe.get_all("Prospect", {"name": ("like", "%Desk Day Prospect%")}, pluck="name"):
		frappe.delete_doc("Prospect", name, force=True, ignore_permissions=True)
	for partner in frappe.get_all(
		"Partner", {"name": ("like", f"{PREFIX}%")}, ["name", "sales_partner", "supplier"]
	):
		for contact in frappe.get_all(
			"Dynamic Link",
			{"parenttype": "Contact", "link_doctype": "Partner", "link_name": partner.name},
			pluck="parent",
		):
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		frappe.delete_doc("Partner", partner.name, force=True, ignore_permissions=True)
		for doctype, name in (("Sales Partner", partner.sales_partner), ("Supplier", partner.supplier)):
			if name and frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	for doctype, name in (
		("Commission Plan", PLAN),
		("Partner Tier", TIER),
		("User", "ada@desk-day.example"),
	):
		if frappe.db.exists(doctype, name):
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	frappe.db.commit()  # nosemgrep: remove what the browser made


class TestDeskBrowser(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		require_browser()
		super().setUpClass()
		make_company()
		cleanup()
		desk_user(MANAGER, "Channel Manager")
		frappe.defaults.set_user_default("Company", COMPANY, MANAGER)
		make_applicant(APPLICANT, "ada@desk-day.example")
		make_registration(
			make_partner(DEAL_PARTNER),
			prospect_name="Desk Day Prospect",
			website="desk-day.example",
			contact_email="buyer@desk-day.example",
			submit=True,
		)
		cls.registration = frappe.db.get_value("Deal Registration", {"partner": DEAL_PARTNER})
		cls.accountant_fixtures()
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		cls.server, cls.url = start_server()
		cls.downloads = tempfile.mkdtemp(prefix="prm-desk-")
		os.makedirs(SCREENSHOTS, exist_ok=True)
		print(f"\nprm_app desk journey screenshots: {SCREENSHOTS}")
		cls.driver = portal_browser.TestPortalBrowser.make_driver.__func__(cls)

	@classmethod
	def accountant_fixtures(cls):
		"""A partner with a commission payable today, and no payout left from an earlier run."""
		desk_user(ACCOUNTANT, "Partner Accountant")
		frappe.defaults.set_user_default("Company", COMPANY, ACCOUNTANT)
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		if not frappe.db.exists("Partner", PAID_PARTNER):
			plan = frappe.db.exists("Commission Plan", f"{PAID_PARTNER} Plan") or make_plan(
				f"{PAID_PARTNER} Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
			)
			make_partner(PAID_PARTNER, plan=plan, partnership_start_date="2020-01-01")
		for payout in frappe.get_all(
			"Partner Payout", {"partner": PAID_PARTNER, "docstatus": 1}, pluck="name"
		):
			frappe.get_doc("Partner Payout", payout).cancel()
		make_invoice(frappe.get_doc("Partner", PAID_PARTNER), [("_PRM Software", 1, 1000)])
		frappe.db.set_value(
			"Partner Commission",
			{"partner": PAID_PARTNER, "docstatus": 1, "is_clawback": 0},
			{"payable_on": nowdate(), "approved": 1},
		)

	@classmethod
	def tearDownClass(cls):
		cls.driver.quit()
		cls.server.shutdown()
		shutil.rmtree(cls.downloads, ignore_errors=True)
		frappe.db.rollback()
		cleanup()
		super().tearDownClass()

	# --- helpers ------------------------------------------------------------------------------------------

	def wait_js(self, script: str, timeout: float = 40, what: str = ""):
		deadline = time.time() + timeout
		while time.time() < deadline:
			value = self.driver.execute_script(script)
			if value:
				return value
			time.sleep(0.3)
		self.shoot(f"timeout-{frappe.scrub(what or 'step')}")
		self.fail(f"timed out: {what or script}")

	def shoot(self, name: str):
		path = os.path.join(SCREENSHOTS, f"desk-{name}.png")
		self.driver.save_screenshot(path)

	def assert_no_console_errors(self, step: str):
		errors = [
			entry["message"]
			for entry in self.driver.get_log("browser")
			if entry["level"] == "SEVERE"
			and not any(s in entry["message"] for s in IGNORED_CONSOLE)
			and not frappe_desk_race(entry["message"])
		]
		self.assertEqual(errors, [], step)

	def open_form(self, route: str, name: str | None = None):
		self.driver.get(f"{self.url}/app/{route}")
		ready = "return window.cur_frm && cur_frm.doc && !cur_frm.doc.__unsaved_loading"
		if name:
			ready = f"return window.cur_frm && cur_frm.doc && cur_frm.doc.name === {json.dumps(name)}"
		self.wait_js(ready, what=f"form {route}")
		time.sleep(0.5)  # the form's refresh handlers add their buttons

	def new_doc(self, route: str, values: dict, rows: dict | None = None) -> str:
		self.open_form(f"{route}/new")
		self.driver.execute_script(
			"""const [values, rows] = arguments;
			for (const [field, value] of Object.entries(values)) cur_frm.set_value(field, value);
			for (const [table, list] of Object.entries(rows || {}))
				for (const row of list) {
					// a required table starts with an empty row, as a user finds it
					const blank = (cur_frm.doc[table] || []).find((r) => !r[Object.keys(row)[0]]);
					if (!blank) cur_frm.add_child(table, row);
					else for (const [k, v] of Object.entries(row)) frappe.model.set_value(blank.doctype, blank.name, k, v);
				}
			cur_frm.refresh_fields();""",
			values,
			rows or {},
		)
		time.sleep(0.5)
		self.driver.execute_script("cur_frm.save()")
		return self.wait_js(
			"return cur_frm.doc && !cur_frm.doc.__islocal && !cur_frm.is_dirty() && cur_frm.doc.name",
			what=f"save {route}",
		)

	def click_button(self, label: str, group: str | None = None):
		from selenium.webdriver.common.by import By

		if group:
			self.driver.find_element(
				By.XPATH,
				f"//div[contains(@class,'inner-group-button')]//button[contains(., {json.dumps(group)})]",
			).click()
			time.sleep(0.3)
			self.driver.find_element(
				By.XPATH, f"//a[contains(@class,'dropdown-item')][normalize-space()={json.dumps(label)}]"
			).click()
		else:
			self.driver.find_element(
				By.XPATH, f"//button[contains(@class,'btn')][normalize-space()={json.dumps(label)}]"
			).click()

	def login_at_the_login_page(self, user: str = MANAGER):
		from selenium.webdriver.common.by import By

		self.driver.delete_all_cookies()
		self.driver.get(f"{self.url}/login")
		self.wait_js("return !!document.querySelector('#login_email')", what="login page")
		self.driver.find_element(By.ID, "login_email").send_keys(user)
		self.driver.find_element(By.ID, "login_password").send_keys(PASSWORD)
		self.driver.find_element(By.CSS_SELECTOR, ".btn-login").click()
		# the desk is /app on v15 and /desk on v16
		self.wait_js(
			"return ['/app', '/desk'].some((p) => location.pathname.startsWith(p))",
			what="landing in the desk",
		)

	# --- the journey ----------------------------------------------------------------------------------------

	def test_channel_manager_first_day(self):
		self.driver.set_window_size(*DESKTOP)
		self.login_at_the_login_page()
		# the desk booted (v15: workspace sidebar; v16: the desktop or a page with its body sidebar)
		self.wait_js(
			"return !!(window.frappe && frappe.boot && frappe.boot.user && document.readyState === 'complete'"
			" && document.querySelector('.desk-sidebar, .layout-side-section, .body-sidebar, .page-container'))",
			what="desk",
		)
		self.shoot("01-landing")
		self.assert_no_console_errors("login")

		tier = self.new_doc("partner-tier", {"tier_name": TIER, "rank": 9701})
		self.assertEqual(tier, TIER)
		self.shoot("02-tier")
		plan = self.new_doc(
			"commission-plan",
			{"plan_name": PLAN, "company": COMPANY},
			{"rules": [{"rule_name": "All products", "rate_type": "Percentage", "rate": 8}]},
		)
		self.assertEqual(plan, PLAN)
		# the plan form: a bracket's rule is picked from the rules, a percentage shows as one, the open
		# bracket reads "and above"
		self.driver.execute_script(
			"""const grid = cur_frm.fields_dict.brackets.grid;
			cur_frm.add_child("brackets", {rule_name: "All products", from_amount: 0, rate: 8});
			cur_frm.refresh_field("brackets");"""
		)
		options = self.driver.execute_script(
			"""return cur_frm.fields_dict.brackets.grid.docfields
				.find((df) => df.fieldname === "rule_name").options"""
		)
		self.assertIn("All products", options)
		cells = self.wait_js(
			"""const rate = document.querySelector('[data-fieldname="rules"] .grid-body [data-fieldname="rate"]');
			const open = document.querySelector('[data-fieldname="brackets"] .grid-body [data-fieldname="to_amount"]');
			return rate && open && [rate.innerText, open.innerText];""",
			what="plan grids",
		)
		self.assertIn("%", cells[0])
		self.assertIn("and above", cells[1])
		self.driver.execute_script("cur_frm.save()")
		self.wait_js("return !cur_frm.is_dirty()", what="plan with a bracket saved")
		self.shoot("03-plan")
		self.assert_no_console_errors("tier and plan")

		partner = self.new_doc(
			"partner",
			{
				"partner_name": PARTNER,
				"company": COMPANY,
				"tier": TIER,
				"commission_plan": PLAN,
				"status": "Active",
			},
		)
		self.assertEqual(frappe.db.get_value("Partner", partner, ["tier", "commission_plan"]), (TIER, PLAN))
		self.assertTrue(frappe.db.get_value("Partner", partner, "sales_partner"))
		self.shoot("04-partner")
		self.assert_no_console_errors("partner")

		self.open_form(f"partner/{APPLICANT}", APPLICANT)
		self.click_button("Approve Application")
		self.wait_js("return window.cur_dialog && cur_dialog.display", what="approval dialog")
		self.driver.execute_script(f"cur_dialog.set_value('tier', {json.dumps(TIER)})")
		time.sleep(0.5)
		self.shoot("05-approve-dialog")
		self.driver.execute_script("cur_dialog.get_primary_btn().click()")
		self.wait_js("return cur_frm.doc.status === 'Active'", what="application approved")
		frappe.db.rollback()  # a fresh snapshot of what the browser's requests committed
		self.assertEqual(frappe.db.get_value("Partner", APPLICANT, ["status", "tier"]), ("Active", TIER))
		self.shoot("06-approved")
		self.assert_no_console_errors("application")

		self.open_form(f"deal-registration/{self.registration}", self.registration)
		self.click_button("Approve", group="Review")
		self.wait_js("return window.cur_dialog && cur_dialog.display", what="approval confirmation")
		self.shoot("07-deal-confirm")
		self.driver.execute_script("cur_dialog.get_primary_btn().click()")
		self.wait_js("return cur_frm.doc.status === 'Approved'", what="deal approved")
		self.shoot("08-deal-approved")
		self.assert_no_console_errors("deal review")

		self.driver.get(f"{self.url}/app/dashboard-view/Channel Overview")
		dashboard = frappe.get_doc("Dashboard", "Channel Overview")
		widgets = len(dashboard.charts) + len(dashboard.cards)
		self.wait_js(
			f"return document.querySelectorAll('.dashboard-widget-box, .number-widget-box').length >= {widgets}",
			what="Channel Overview widgets",
		)
		self.wait_js(
			"return document.querySelectorAll('.frappe-chart, .chart-container svg').length >= "
			f"{len(dashboard.charts)}",
			what="Channel Overview charts drawn",
		)
		self.shoot("09-channel-overview")
		self.assert_no_console_errors("Channel Overview")

		self.driver.get(f"{self.url}/app/query-report/Partner Scorecard")
		self.wait_js(
			"return document.querySelectorAll('.dt-row:not(.dt-row-header)').length > 0", what="scorecard"
		)
		self.shoot("10-scorecard")
		self.assert_no_console_errors("scorecard")

	def test_partner_accountant_pays_reconciles_and_prints(self):
		self.driver.set_window_size(*DESKTOP)
		self.login_at_the_login_page(ACCOUNTANT)
		self.open_form("partner-payout/new")
		self.driver.execute_script(
			"""const values = arguments[0];
			for (const [field, value] of Object.entries(values)) cur_frm.set_value(field, value);""",
			{
				"partner": PAID_PARTNER,
				"company": COMPANY,
				"from_date": str(add_days(nowdate(), -60)),
				"to_date": nowdate(),
				"posting_date": nowdate(),
			},
		)
		time.sleep(1)
		self.click_button("Get Commissions")  # before saving: what the payout would pay
		net = self.wait_js(
			"return (cur_frm.doc.commissions || []).length > 0 && cur_frm.doc.net_amount",
			what="commissions fetched",
		)
		self.assertGreater(net, 0)
		self.shoot("11-payout-get-commissions")
		self.driver.execute_script("cur_frm.save()")
		self.wait_js(
			"return cur_frm.doc && !cur_frm.doc.__islocal && !cur_frm.is_dirty()", what="payout saved"
		)
		payout = self.driver.execute_script("return cur_frm.doc.name")
		self.driver.execute_script("cur_frm.savesubmit()")
		self.wait_js("return window.cur_dialog && cur_dialog.display", what="submit confirmation")
		self.driver.execute_script("cur_dialog.get_primary_btn().click()")
		self.wait_js("return cur_frm.doc.docstatus === 1", what="payout submitted")
		self.shoot("12-payout-submitted")
		frappe.db.rollback()  # what the browser's requests committed
		self.assertIn(frappe.db.get_value("Partner Payout", payout, "status"), ("Paid", "Submitted"))
		self.assert_no_console_errors("payout")

		self.driver.get(f"{self.url}/app/query-report/Commission Reconciliation")
		self.wait_js(
			"return document.querySelectorAll('.dt-row:not(.dt-row-header)').length > 0",
			what="reconciliation",
		)
		self.shoot("13-reconciliation")
		self.assert_no_console_errors("reconciliation")

		self.driver.get(f"{self.url}/app/print/Partner Payout/{payout}")
		text = self.wait_js(
			"""const texts = [...document.querySelectorAll("iframe")].map((frame) => {
				try { return frame.contentDocument.body.innerText; } catch (e) { return ""; }
			});
			const text = texts.join("\\n");
			return text.includes("""
			+ json.dumps(PAID_PARTNER)
			+ ") && text;",
			what="the payout's statement (the print preview's frame)",
		)
		self.assertIn("Partner Statement", text)  # the payout's default print format
		self.shoot("14-statement")
		self.assert_no_console_errors("statement")

	def test_both_desk_personas_on_a_phone(self):
		"""At 390x844 each desk persona logs in and opens its screens: the channel manager the deal to review,
		Channel Overview and the scorecard; the accountant the payouts and the reconciliation. No console
		error, no refused or failed request, and lists, reports and dashboards not wider than the phone."""
		self.driver.set_window_size(*PHONE)
		not_wider = "return document.documentElement.scrollWidth <= window.innerWidth + 1"
		screens = {
			MANAGER: [
				(
					f"deal-registration/{self.registration}",
					"return window.cur_frm && cur_frm.doc && cur_frm.doc.name",
				),
				(
					"dashboard-view/Channel Overview",
					"const cards = [...document.querySelectorAll('.number-widget-box')];"
					" return cards.length > 0 && !cards.some((c) => c.innerText.includes('Loading'))"
					" && document.querySelectorAll('.frappe-chart, .chart-container svg').length > 0",
				),
				("query-report/Partner Scorecard", "return document.querySelectorAll('.dt-row').length > 0"),
			],
			ACCOUNTANT: [
				("partner-payout", "return document.querySelectorAll('.list-row, .no-result').length > 0"),
				(
					"query-report/Commission Reconciliation",
					"return document.querySelectorAll('.dt-row').length > 0",
				),
			],
		}
		for user, routes in screens.items():
			self.login_at_the_login_page(user)
			for number, (route, ready) in enumerate(routes, 1):
				self.driver.get(f"{self.url}/app/{route}")
				self.wait_js(ready, what=f"{route} on a phone")
				time.sleep(0.5)
				self.shoot(f"phone-{user.split('@')[0]}-{number}")
				wider = self.driver.execute_script(
					"""return [...document.querySelectorAll('body *')]
						.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
							&& getComputedStyle(e).position !== 'fixed' && e.offsetParent)
						.slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));"""
				)
				if "/" not in route or route.startswith(("query-report/", "dashboard-view/")):
					# (a form's child tables are Frappe's grid, 738 px wide on phones by design: they scroll)
					self.assertTrue(
						self.driver.execute_script(not_wider), f"{route} is wider than the phone: {wider}"
					)
				self.assert_no_console_errors(f"{route} on a phone")
