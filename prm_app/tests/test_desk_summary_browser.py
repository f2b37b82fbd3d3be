"""In headless Chromium, as a channel manager logged in at /login (issue 12): the Commission Plan form
shows what the plan pays in plain language, follows unsaved rows, and shows a typed rule name as text; the
Partners workspace tells a manager whose company has no commission yet what makes the chart fill, and
says nothing to one whose chart has data. Screenshots go where test_desk_browser.py puts them.

Needs Chromium as prm_app/tests/test_portal_browser.py does (PRM_SKIP_BROWSER=1 skips it)."""

from __future__ import annotations

import json
import os
import tempfile
import time

import frappe

from prm_app.tests import PRMTestCase
from prm_app.tests import test_desk_browser as desk
from prm_app.tests import test_portal_browser as portal_browser
from prm_app.tests.test_personas import PASSWORD, desk_user
from prm_app.tests.test_portal_isolation import start_server
from prm_app.tests.utils import COMPANY, make_company, make_invoice, make_partner, make_plan

EMPTY_MANAGER = "prm.desk.empty.channel@example.com"  # sees one company only, one without commission
FULL_MANAGER = "prm.desk.full.channel@example.com"
GERMAN_MANAGER = "prm.desk.german.channel@example.com"
PLAN = "_PRM Desk Summary Plan"
RULE = "R&D <3"
EMPTY_COMPANY = "_PRM Empty Desk Co"
HOSTILE = "<img src=x onerror=window.__prm_xss=1>"

SUMMARY_TEXT = "return (document.querySelector('[data-fieldname=\"plan_summary\"]') || {}).innerText || ''"
# the empty-state block's text (in its shadow root), or null while it has not rendered
EMPTY_STATE_TEXT = """
	const hosts = [...document.querySelectorAll('*')].filter((e) => e.shadowRoot);
	for (const host of hosts) {
		const box = host.shadowRoot.querySelector('.prm-chart-empty-states');
		if (box && box.innerText.trim()) return box.innerText;
	}
	return null;"""
EMPTY_STATE_HIDDEN = """
	const hosts = [...document.querySelectorAll('*')].filter((e) => e.shadowRoot);
	const host = hosts.find((h) => h.shadowRoot.querySelector('.prm-chart-empty-states'));
	const widget = host && host.closest('.widget');
	return !!(widget && widget.style.display === 'none'
		&& document.querySelector('[chart_name="Partner Commission by Month"] .widget'));"""


def company_without_commission() -> str:
	used = set(frappe.get_all("Partner Commission", distinct=True, pluck="company"))
	for company in frappe.get_all("Company", pluck="name", order_by="creation"):
		if company not in used:
			return company
	frappe.get_doc(
		{
			"doctype": "Company",
			"company_name": EMPTY_COMPANY,
			"abbr": "_PEDC",
			"default_currency": "USD",
			"country": "United States",
			"create_chart_of_accounts_based_on": "Standard Template",
			"chart_of_accounts": "Standard",
		}
	).insert(ignore_permissions=True)
	return EMPTY_COMPANY


def cleanup():
	if frappe.db.exists("Commission Plan", PLAN):
		frappe.delete_doc("Commission Plan", PLAN, force=True, ignore_permissions=True)
	frappe.db.delete("User Permission", {"user": EMPTY_MANAGER})
	frappe.db.commit()  # nosemgrep: remove what the browser made


class TestDeskSummaryBrowser(PRMTestCase):
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
		self.driver.save_screenshot(os.path.join(desk.SCREENSHOTS, f"desk-{name}.png"))

	def assert_no_console_errors(self, step: str):
		errors = [
			entry["message"]
			for entry in self.driver.get_log("browser")
			if entry["level"] == "SEVERE"
			and not any(s in entry["message"] for s in desk.IGNORED_CONSOLE)
			and not desk.frappe_desk_race(entry["message"])
		]
		self.assertEqual(errors, [], step)

	def open_form(self, route: str, name: str | None = None):
		self.driver.get(f"{self.url}/app/{route}")
		ready = "return window.cur_frm && cur_frm.doc && !cur_frm.doc.__unsaved_loading"
		if name:
			ready = f"return window.cur_frm && cur_frm.doc && cur_frm.doc.name === {json.dumps(name)}"
		self.wait_js(ready, what=f"form {route}")
		time.sleep(0.5)  # the form's refresh handlers add their buttons

	def login_at_the_login_page(self, user: str):
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

	@classmethod
	def setUpClass(cls):
		desk.require_browser()
		super().setUpClass()
		make_company()
		cleanup()
		desk_user(FULL_MANAGER, "Channel Manager")
		desk_user(EMPTY_MANAGER, "Channel Manager")
		desk_user(GERMAN_MANAGER, "Channel Manager")
		frappe.db.set_value("User", GERMAN_MANAGER, "language", "de")
		frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": EMPTY_MANAGER,
				"allow": "Company",
				"for_value": company_without_commission(),
				"apply_to_all_doctypes": 1,
			}
		).insert(ignore_permissions=True)
		make_plan(
			PLAN,
			[
				{"rule_name": RULE, "priority": 1, "rate_type": "Percentage", "rate": 0},
				{"rule_name": "Rest", "priority": 5, "rate_type": "Percentage", "rate": 7.5},
			],
			[
				{"rule_name": RULE, "from_amount": 0, "to_amount": 1000, "rate": 5},
				{"rule_name": RULE, "from_amount": 1000, "rate": 10},
			],
		)
		if not frappe.db.exists("Partner Commission", {"company": COMPANY, "docstatus": 1}):
			make_invoice(make_partner("_PRM Desk Summary Partner", plan=PLAN), [("_PRM Hardware", 1, 100)])
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		cls.server, cls.url = start_server()
		cls.downloads = tempfile.mkdtemp(prefix="prm-desk-summary-")
		os.makedirs(desk.SCREENSHOTS, exist_ok=True)
		print(f"\nprm_app desk screenshots: {desk.SCREENSHOTS}")
		cls.driver = portal_browser.TestPortalBrowser.make_driver.__func__(cls)
		cls.driver.set_window_size(*desk.DESKTOP)

	@classmethod
	def tearDownClass(cls):
		portal_browser.TestPortalBrowser.stop_browser.__func__(cls)
		cleanup()
		super().tearDownClass()

	def setUp(self):
		self.logout()  # each test logs in as its own user, whatever an earlier one left

	def logout(self):
		"""End the session and land on the login page. The desk's requests still running when it is left
		write their session back at their end, which can undo a logout made meanwhile: wait, and retry."""
		for _attempt in range(5):
			self.driver.get("about:blank")
			time.sleep(1)
			self.driver.get(f"{self.url}/api/method/logout")
			self.driver.get(f"{self.url}/login")
			if self.driver.execute_script("return !!document.querySelector('#login_email')"):
				break
		self.driver.get_log("browser")  # what the pages left on the way out logged belongs to no step

	def plan_summary_as(self, user: str, marker: str) -> str:
		"""The plan form's summary as ``user`` sees it, once it shows ``marker``."""
		self.login_at_the_login_page(user)
		self.open_form(f"commission-plan/{PLAN}", PLAN)
		return self.wait_js(
			f"const t = (function() {{ {SUMMARY_TEXT} }})(); return t.includes({marker!r}) && t;",
			what=f"plan summary of {user}",
		)

	def test_plan_form_says_what_the_plan_pays(self):
		text = self.plan_summary_as(FULL_MANAGER, "and above")
		self.assertIn(f"{RULE}: Pays a share of the net amount set by the volume brackets below", text)
		self.assertIn("Volume of $ 1,000.00 and above: 10%", text)
		self.assertIn("Rest: Pays 7.5% of the net amount on every line.", text)
		self.shoot("summary-01-plan")
		# saved: the summary the save returns
		self.driver.execute_script(
			"""const rest = cur_frm.doc.rules.find((r) => r.rule_name === "Rest");
			frappe.model.set_value(rest.doctype, rest.name, "rate", 3).then(() => cur_frm.save());"""
		)
		text = self.wait_js(
			f"const t = (function() {{ {SUMMARY_TEXT} }})(); return !cur_frm.is_dirty() && t.includes('Pays 3%') && t;",
			what="summary after a save",
		)
		self.assertIn("Rest: Pays 3% of the net amount on every line.", text)
		# an unsaved change shows at once; a typed name stays text
		self.driver.execute_script(
			"""const [hostile] = arguments;
			const rest = cur_frm.doc.rules.find((r) => r.rule_name === "Rest");
			frappe.model.set_value(rest.doctype, rest.name, "rate", 4);
			frappe.model.set_value(rest.doctype, rest.name, "rule_name", hostile);""",
			HOSTILE,
		)
		text = self.wait_js(
			f"const t = (function() {{ {SUMMARY_TEXT} }})(); return t.includes('Pays 4%') && t;",
			what="summary after an unsaved change",
		)
		self.assertIn(f"{HOSTILE}: Pays 4% of the net amount on every line.", text)
		self.assertFalse(
			self.driver.execute_script(
				"return !!document.querySelector('[data-fieldname=\"plan_summary\"] img') || !!window.__prm_xss"
			)
		)
		self.shoot("summary-02-unsaved")
		self.assert_no_console_errors("plan summary")
		self.driver.execute_script("cur_frm.reload_doc()")  # leave the plan as it was saved
		self.wait_js("return cur_frm.doc.rules.some((r) => r.rule_name === 'Rest') && !cur_frm.is_dirty()")

	def test_plan_summary_in_the_users_language(self):
		text = self.plan_summary_as(GERMAN_MANAGER, "und darüber")
		self.assertIn("Die Provision wird auf den Nettobetrag", text)
		self.assertIn(f"{RULE}: Zahlt einen Anteil am Nettobetrag", text)
		self.shoot("summary-05-plan-de")
		self.assert_no_console_errors("plan summary in German")

	def test_workspace_chart_empty_state_then_chart(self):
		self.login_at_the_login_page(EMPTY_MANAGER)
		self.driver.get(f"{self.url}/app/partners")
		text = self.wait_js(EMPTY_STATE_TEXT, what="empty state on the workspace")
		self.assertIn("Partner Commission by Month", text)
		self.assertIn("No commissions yet", text)
		self.assertIn("New Sales Invoice", text)
		self.shoot("summary-03-workspace-empty")
		self.assert_no_console_errors("workspace, empty")

		self.logout()
		self.login_at_the_login_page(FULL_MANAGER)
		self.driver.get(f"{self.url}/app/partners")
		self.wait_js(EMPTY_STATE_HIDDEN, what="empty state hidden, chart shown")
		self.assertIsNone(self.driver.execute_script(EMPTY_STATE_TEXT))
		self.shoot("summary-04-workspace-data")
		self.assert_no_console_errors("workspace, with data")
