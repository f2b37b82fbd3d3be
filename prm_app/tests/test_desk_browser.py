"""The desk personas' first days in headless Chromium (issue 12), at 1366×900 and at 390×844.

Each journey starts the way a customer starts: their administrator (a System Manager) logs in at /login,
opens /app/user/new, types the new user's email and name, saves, picks the persona's Role Profile shipped
by prm_app (prm_app.personas) and the user type, types a password in the form's "Set New Password" field,
saves and logs out through the user menu. The new user then logs in at /login with only those roles and:
- the channel manager opens the Partners workspace from the sidebar, creates a tier, a plan and a partner,
  approves an application through its dialog and a deal registration after the confirmation, opens the
  Channel Overview and the Partner Scorecard;
- the partner accountant fetches what a payout would pay (a figure checked against the Payment Ledger),
  submits the payout, opens the Commission Reconciliation and prints the payout's statement.
On the phone the persona uses the desk's phone controls: the sidebar toggle and the form's "..." menu (where
the desk moves a form's buttons), and lists, reports and dashboards may not be wider than the phone.

Any refused or failed request (403, 5xx: Chromium logs them) or console error fails the step; a failing step
reports the step, the URL, the console messages, the route and open dialogs, and a screenshot. Screenshots go
to $PRM_SCREENSHOT_DIR or $TMPDIR/prm-desk-screenshots (printed). Waits are on conditions (the form's doc,
Frappe's pending requests, drawn widgets), never on fixed sleeps.

Needs Chromium as prm_app/tests/test_portal_browser.py does (PRM_SKIP_BROWSER=1 skips it)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import unittest
from contextlib import contextmanager

import frappe
from frappe.utils import add_days, flt, nowdate

from prm_app import payouts, personas
from prm_app.compat import FRAPPE_MAJOR
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

# the customer's administrator, who exists before any journey (the one user made in code)
ADMIN = "prm.desk.admin@example.com"
# made by ADMIN in the browser at the start of each journey (deleted first)
MANAGER = "prm.desk.channel@example.com"
ACCOUNTANT = "prm.desk.accountant@example.com"
MANAGER_PROFILE, ACCOUNTANT_PROFILE = "Channel Manager", "Partner Accountant"
# the accountant's partner keeps its ledger (its payouts are cancelled before each journey, not deleted)
PAID_PARTNER = "_PRM Accounts Day Partner"
PREFIX = "_PRM Desk Day"
TIER, PLAN, PARTNER = f"{PREFIX} Gold", f"{PREFIX} Plan", f"{PREFIX} Partner"
APPLICANT, DEAL_PARTNER = f"{PREFIX} Applicant", f"{PREFIX} Deal Partner"
SCREENSHOTS = os.environ.get(
	"PRM_SCREENSHOT_DIR", os.path.join(tempfile.gettempdir(), "prm-desk-screenshots")
)
DESKTOP, PHONE = portal_browser.DESKTOP, portal_browser.MOBILE
# besides the portal test's (no socket.io server beside the in-process WSGI server): Frappe plays a sound
# after a save, which headless Chromium refuses without a user gesture
IGNORED_CONSOLE = (*portal_browser.IGNORED_CONSOLE, "play() failed because the user didn't interact")
# frappe-charts (in Frappe's desk bundle) swaps a chart's svg for an animated copy for 250 ms after each draw;
# a resize of the chart's parent in that window (the page growing a scrollbar while other widgets load)
# redraws and removes the svg that is not there. prm_app's charts draw without animation (the dashboard
# charts' custom_options, the Partner Scorecard's chart), so this can only come from another app's chart:
# ignored only when it comes from Frappe's desk bundle itself, and never on prm_app's own pages (below)
FRAPPE_DESK_RACES = ("Failed to execute 'removeChild' on 'Node'",)
# steps on pages whose every chart is prm_app's: the race above is an error there too
PRM_CHART_STEPS = ("Partners workspace", "Channel Overview", "scorecard")
READY = "window.frappe && frappe.request && frappe.request.ajax_count === 0"
# every number card counted and every chart drawn or saying it has no data
WIDGETS_DRAWN = """(() => {
	const cards = [...document.querySelectorAll('.number-widget-box')];
	const charts = [...document.querySelectorAll('.dashboard-widget-box')];
	return cards.length + charts.length > 0
		&& !cards.some((c) => c.innerText.includes('Loading'))
		&& charts.every((c) => c.querySelector('.frappe-chart')
			|| [...c.querySelectorAll('.chart-loading-state')].some((e) => e.offsetParent && !e.innerText.includes('Loading')));
})()"""
# every chart of the dashboard shows its data: frappe-charts first draws zeros and the data 700 ms later (an
# axis that does not reach the largest value is the first drawing)
CHARTS_SHOW_THEIR_DATA = """(() => {
	const widgets = frappe.dashboard && frappe.dashboard.chart_group ? frappe.dashboard.chart_group.widgets_list : [];
	return widgets.length > 0 && widgets.every((w) => {
		const chart = w.dashboard_chart;
		if (!chart) return false;
		if (!chart.state || !chart.state.yAxis || !chart.getAllYValues) return true;
		const values = chart.getAllYValues().filter((v) => typeof v === "number");
		return Math.max(0, ...values) <= Math.max(...chart.state.yAxis.labels);
	});
})()"""
NOT_WIDER = "return document.documentElement.scrollWidth <= window.innerWidth + 1"


# an element on the screen (a closed phone sidebar keeps its items, slid off to the left)
ON_SCREEN = (
	"e.getBoundingClientRect().width > 0 && e.getBoundingClientRect().left >= 0"
	" && e.getBoundingClientRect().right <= window.innerWidth + 1"
)
# ... and on top: nothing (the page, a closed phone sidebar's cover) drawn over its middle
ON_TOP = (
	"(() => { const b = e.getBoundingClientRect();"
	" const t = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);"
	" return !!t && (t === e || e.contains(t)); })()"
)


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
	"""Everything the channel manager's journey makes (the browser commits through its own requests)."""
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


def delete_user(email: str) -> None:
	"""A persona user of an earlier journey (their documents keep their owner: only the User goes)."""
	if frappe.db.exists("User", email):
		frappe.delete_doc("User", email, force=True, ignore_permissions=True)
	frappe.db.commit()  # nosemgrep: the browser's admin creates the user anew


def ledger_outstanding(partner: str) -> float:
	"""What the partner's commission journals still owe its supplier, read from the Payment Ledger."""
	supplier = frappe.db.get_value("Partner", partner, "supplier")
	journals = frappe.get_all(
		"Partner Commission",
		{"partner": partner, "docstatus": 1, "journal_entry": ("is", "set")},
		pluck="journal_entry",
	)
	rows = frappe.get_all(
		"Payment Ledger Entry",
		{
			"party_type": "Supplier",
			"party": supplier,
			"against_voucher_type": "Journal Entry",
			"against_voucher_no": ("in", journals or [""]),
			"delinked": 0,
		},
		pluck="amount",
	)
	return flt(sum(flt(amount) for amount in rows), 2)


class TestDeskBrowser(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		require_browser()
		super().setUpClass()
		make_company()
		personas.setup()  # the Role Profiles (install and migrate make them)
		desk_user(ADMIN, roles=["System Manager"])
		company = frappe.get_doc("Company", COMPANY)
		if company.get("prm_payout_account") != account("Cash"):
			company.prm_payout_account = account("Cash")
			company.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		cls.server, cls.url = start_server()
		cls.downloads = tempfile.mkdtemp(prefix="prm-desk-")
		os.makedirs(SCREENSHOTS, exist_ok=True)
		print(f"\nprm_app desk journey screenshots: {SCREENSHOTS}")
		cls.driver = portal_browser.TestPortalBrowser.make_driver.__func__(cls)

	@classmethod
	def tearDownClass(cls):
		cls.driver.quit()
		cls.server.shutdown()
		shutil.rmtree(cls.downloads, ignore_errors=True)
		frappe.db.rollback()
		cleanup()
		super().tearDownClass()

	def setUp(self):
		self.console: list[dict] = []  # every console message of this journey, for a failure's report
		self.races: list[str] = []
		self.current_step = ""
		self.size = DESKTOP
		self.driver.get_log("browser")  # what an earlier journey left

	def tearDown(self):
		if self.races:
			print(f"\n{self.id()}: Frappe desk races tolerated: {self.races}")

	# --- diagnostics ------------------------------------------------------------------------------------------

	@property
	def phone(self) -> bool:
		return self.size == PHONE

	@property
	def label(self) -> str:
		return "phone" if self.phone else "desktop"

	def read_console(self) -> list[dict]:
		entries = self.driver.get_log("browser")
		self.console.extend(entries)
		return entries

	def shoot(self, name: str) -> str:
		path = os.path.join(SCREENSHOTS, f"desk-{self.label}-{name}.png")
		self.driver.save_screenshot(path)
		return path

	def report(self, step: str) -> str:
		"""What a failing step leaves for diagnosis: URL, screenshot, desk state and the console."""
		try:
			path = self.shoot(f"FAILED-{frappe.scrub(step)[:60]}")
			url = self.driver.current_url
			self.read_console()
			state = self.driver.execute_script(
				"""return {
					route: window.frappe && frappe.get_route ? frappe.get_route() : null,
					pending_requests: window.frappe && frappe.request ? frappe.request.ajax_count : null,
					form: window.cur_frm && cur_frm.doc ? [cur_frm.doctype, cur_frm.doc.name, cur_frm.is_dirty()] : null,
					dialogs: [...document.querySelectorAll('.modal.show')].map((m) => m.innerText.slice(0, 300)),
					alerts: [...document.querySelectorAll('#alert-container .alert')].map((a) => a.innerText),
				};"""
			)
		except Exception as error:  # the browser itself is gone: say so
			return f"(no report: {error})"
		console = (
			"\n".join(f"    {e['level']} {e['message'][:600]}" for e in self.console[-30:]) or "    (none)"
		)
		return (
			f"  step: {step} ({self.label} {self.size[0]}x{self.size[1]})\n  url: {url}\n"
			f"  screenshot: {path}\n  desk: {json.dumps(state, default=str)}\n  console (last 30):\n{console}"
		)

	@contextmanager
	def step(self, name: str):
		"""A step of the journey: it fails on a console error, and any failure carries its report."""
		self.current_step = name
		try:
			yield
			self.assert_no_console_errors(name)
		except Exception as error:
			if getattr(error, "prm_reported", False):
				raise
			report = self.report(name)
			print(f"\nFAILED {self.id()} at {name}:\n{report}")
			failure = AssertionError(f"{name} ({self.label}): {error}\n{report}")
			failure.prm_reported = True
			raise failure from error

	def assert_no_console_errors(self, step: str):
		errors = []
		for entry in self.read_console():
			message = entry["message"]
			if entry["level"] != "SEVERE" or any(s in message for s in IGNORED_CONSOLE):
				continue
			if frappe_desk_race(message) and not step.startswith(PRM_CHART_STEPS):
				self.races.append(f"{step} ({self.driver.current_url}): {message[:200]}")
				continue
			errors.append(message)
		self.assertEqual(errors, [], f"console errors at {step}")

	# --- waiting ----------------------------------------------------------------------------------------------

	def wait_js(self, script: str, what: str, timeout: float = 40):
		from selenium.common.exceptions import JavascriptException

		deadline = time.time() + timeout
		while time.time() < deadline:
			try:
				value = self.driver.execute_script(script)
			except JavascriptException:  # the page is reloading: its scripts are not there yet
				value = None
			if value:
				return value
			time.sleep(0.2)
		self.fail(f"timed out ({timeout:.0f} s) waiting for {what}")

	def settle(self, what: str):
		"""Frappe has no request in flight (link validation, a refresh, a save)."""
		self.wait_js(f"return {READY}", what=f"{what}: requests done")

	def open(self, route: str, ready: str, what: str):
		self.driver.get(f"{self.url}/app/{route}")
		self.wait_js(f"return {READY} && ({ready})", what=what)

	def open_form(self, doctype: str, name: str | None = None):
		"""A form, loaded, refreshed (its buttons added) and with no request pending."""
		route = f"{frappe.scrub(doctype).replace('_', '-')}/{name or 'new'}"
		check = f"cur_frm.doc.name === {json.dumps(name)}" if name else "cur_frm.is_new()"
		self.open(
			route,
			f"window.cur_frm && cur_frm.doctype === {json.dumps(doctype)} && cur_frm.doc && {check}"
			" && cur_frm.page.wrapper.is(':visible') && !cur_frm.refreshing",
			what=f"form {route}",
		)

	def element(self, script: str, what: str):
		"""A visible element found by script (returns an element or nothing)."""
		return self.wait_js(
			f"const e = (() => {{ {script} }})(); return e && e.getClientRects().length > 0 && e;", what=what
		)

	def click(self, script: str, what: str):
		"""Click a visible element as a person does: scrolled to the middle of the screen (not under the
		desk's fixed navbar) and once nothing covers it (a dialog or its fading backdrop)."""
		element = self.element(script, what)
		self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
		uncovered = """const e = arguments[0], box = e.getBoundingClientRect();
			const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
			return !!top && (top === e || e.contains(top));"""
		deadline = time.time() + 20
		while not self.driver.execute_script(uncovered, element):
			if time.time() > deadline:
				self.fail(f"{what} stays covered")
			time.sleep(0.2)
		element.click()

	# --- what a user does on a form -------------------------------------------------------------------------

	def type_into(self, fieldname: str, text: str):
		"""Type into a field of the form, as a person does (the form takes it as its value)."""
		self.driver.execute_script(f"cur_frm.scroll_to_field({json.dumps(fieldname)}, false)")
		field = f"return cur_frm.fields_dict[{json.dumps(fieldname)}].$input[0]"
		self.click(field, what=f"field {fieldname}")
		field = self.element(field, what=f"field {fieldname}")
		field.clear()
		field.send_keys(text)
		# the form takes typed text a moment later (its input handler is debounced); a click on Save before
		# that blurs the field, whose late change redraws the Save button under the click and loses it
		self.wait_js(
			f"return {READY} && cur_frm.doc[{json.dumps(fieldname)}] === {json.dumps(text)}",
			what=f"{fieldname} taken by the form",
		)

	def set_values(self, values: dict, rows: dict | None = None):
		"""Pick values (links, selects) and add table rows; waits for the form's link checks."""
		self.driver.execute_async_script(
			"""const [values, rows, done] = arguments;
			const pending = Object.entries(values).map(([field, value]) => cur_frm.set_value(field, value));
			for (const [table, list] of Object.entries(rows || {}))
				for (const row of list) {
					// a required table starts with an empty row, as a user finds it
					const blank = (cur_frm.doc[table] || []).find((r) => !r[Object.keys(row)[0]]);
					if (!blank) cur_frm.add_child(table, row);
					else for (const [k, v] of Object.entries(row))
						pending.push(frappe.model.set_value(blank.doctype, blank.name, k, v));
					cur_frm.refresh_field(table);
				}
			Promise.all(pending).then(() => done(true), () => done(false));""",
			values,
			rows or {},
		)
		self.settle("values set")

	def save(self, what: str) -> str:
		"""Click the form's Save (the primary button in the page head, an icon on a phone)."""
		self.settle(f"before saving {what}")
		self.click("return cur_frm.page.btn_primary[0]", what="the Save button")
		return self.wait_js(
			f"return {READY} && cur_frm.doc && !cur_frm.doc.__islocal && !cur_frm.is_dirty()"
			" && !cur_frm.save_disabled && cur_frm.doc.name",
			what=f"{what} saved",
		)

	def new_doc(self, doctype: str, values: dict, rows: dict | None = None) -> str:
		self.open_form(doctype)
		self.set_values(values, rows)
		return self.save(doctype)

	def click_action(self, label: str, group: str | None = None):
		"""A form's button: in the page head on a desktop; on a phone in the "..." menu, where the desk moves
		them (as "Group > Label")."""
		if self.phone:
			self.click(
				"return [...document.querySelectorAll('.page-head .menu-btn-group > button')]"
				".find((b) => b.offsetParent !== null)",
				what="the form's ... menu",
			)
			item = f"{group} > {label}" if group else label
			self.click(
				"return [...document.querySelectorAll('.page-head .menu-btn-group .dropdown-item')]"
				f".find((a) => a.innerText.trim() === {json.dumps(item)})",
				what=f"menu item {item}",
			)
			return
		if group:
			self.click(
				"return [...document.querySelectorAll('.page-head .inner-group-button > button')]"
				f".find((b) => b.innerText.trim() === {json.dumps(group)})",
				what=f"button group {group}",
			)
			self.click(
				"return [...document.querySelectorAll('.page-head .inner-group-button .dropdown-item')]"
				f".find((a) => a.innerText.trim() === {json.dumps(label)})",
				what=f"{group} > {label}",
			)
		else:
			self.click(
				"return [...document.querySelectorAll('.page-head .custom-actions button')]"
				f".find((b) => b.innerText.trim() === {json.dumps(label)})",
				what=f"button {label}",
			)

	def confirm_dialog(self, what: str):
		"""The open dialog's primary button, once the dialog is shown."""
		self.click(
			"return window.cur_dialog && cur_dialog.display && cur_dialog.get_primary_btn()[0]", what=what
		)

	# --- logging in and out ---------------------------------------------------------------------------------

	def log_in(self, user: str):
		from selenium.webdriver.common.by import By

		self.driver.execute_cdp_cmd("Network.clearBrowserCookies", {})  # whatever page the browser is on
		self.driver.get(f"{self.url}/login")
		self.element("return document.querySelector('#login_email')", what="the login page")
		self.driver.find_element(By.ID, "login_email").send_keys(user)
		self.driver.find_element(By.ID, "login_password").send_keys(PASSWORD)
		self.driver.find_element(By.CSS_SELECTOR, ".btn-login").click()
		# the desk is /app on v15 and /desk on v16; booted: the user's boot and a page drawn
		self.wait_js(
			"return ['/app', '/desk'].some((p) => location.pathname.startsWith(p))"
			f" && window.frappe && frappe.boot && frappe.session && frappe.session.user === {json.dumps(user)}"
			f" && document.readyState === 'complete' && {READY}"
			" && document.querySelector('.desk-sidebar, .layout-side-section, .body-sidebar, .page-container')",
			what=f"{user} in the desk",
		)

	def user_menu(self, item: str):
		"""An item of the user menu: the avatar in the navbar (v15, on a phone too; v16's apps page) or at
		the foot of the sidebar (v16; on a phone the sidebar is opened first with its toggle)."""
		avatar = (
			"return [document.querySelector('.navbar .dropdown-navbar-user [data-toggle=dropdown]'),"
			" (document.querySelector('.body-sidebar #toolbar-user') || {}).previousElementSibling,"
			" ...document.querySelectorAll('.navbar .avatar, .body-sidebar .sidebar-user')]"
			f".find((e) => e && e.offsetParent !== null && {ON_SCREEN} && {ON_TOP})"
		)
		if self.phone and not self.driver.execute_script(avatar):
			self.open_sidebar()  # then wait for it to slide in (the click waits for the avatar on top)
		self.click(avatar, what="the user menu")
		self.click(
			"return [...document.querySelectorAll('.dropdown-menu .dropdown-item')]"
			f".find((a) => a.offsetParent !== null && a.innerText.trim() === {json.dumps(item)})",
			what=f"{item} in the user menu",
		)

	def log_out(self):
		self.user_menu("Log out")
		self.wait_js(
			"return !['/app', '/desk'].some((p) => location.pathname.startsWith(p))", what="logged out"
		)

	def pick_company(self):
		"""A new user's first act in ERPNext: their company in the user menu's Session Defaults (Frappe
		saves it as the user's default, clears its cache and reloads the desk)."""
		if FRAPPE_MAJOR >= 16:
			self.v16_session_defaults()
		else:
			self.user_menu("Session Defaults")
		self.wait_js(
			"return !!(window.cur_dialog && cur_dialog.display && cur_dialog.fields_dict.company)",
			what="the Session Defaults dialog",
		)
		self.driver.execute_async_script(
			"cur_dialog.set_value('company', arguments[0]).then(() => arguments[1]())", COMPANY
		)
		self.settle("the company picked")
		self.confirm_dialog("Session Defaults' Save")
		self.wait_js(
			f"return {READY} && document.readyState === 'complete' && frappe.boot"
			f" && frappe.defaults.get_user_default('Company') === {json.dumps(COMPANY)}"
			" && !document.querySelector('.modal.show')",
			what="the desk again with the company as default",
		)

	def v16_session_defaults(self):
		"""v16 keeps Session Defaults in the sidebar header's menu (the app's name at its top); a user who
		landed on the apps page first opens the app (its tile), as a person does."""
		header = (
			"return [...document.querySelectorAll('.body-sidebar .sidebar-header')]"
			f".find((e) => e.offsetParent !== null && {ON_SCREEN} && {ON_TOP})"
		)
		on_apps_page = "return !document.querySelector('.body-sidebar') || location.pathname.replace(/\\/$/, '') === '/desk'"
		if not self.driver.execute_script(header) and self.driver.execute_script(on_apps_page):
			# from the apps page into the app's workspace (the PRM App tile lists its workspaces on one site and
			# not on another; the workspace's address is what the tile leads to)
			self.driver.get(f"{self.url}/desk/partners")
			self.wait_js(
				f"return {READY} && document.readyState === 'complete' && location.pathname.endsWith('/partners')",
				what="the Partners workspace",
			)
		if self.phone and not self.driver.execute_script(header):
			self.open_sidebar()
		self.click(header, what="the sidebar header")
		self.click(
			"return [...document.querySelectorAll('body *')].filter((e) => e.children.length === 0"
			" && e.textContent.trim() === 'Session Defaults' && e.getClientRects().length > 0).pop()",
			what="Session Defaults in the sidebar header's menu",
		)

	def user_made_by_the_admin(self, email: str, role_profile: str):
		"""The customer's administrator makes the persona's user in the User form; the journey then logs in
		as that user at /login."""
		delete_user(email)
		with self.step(f"the administrator makes {email}"):
			self.log_in(ADMIN)
			self.open_form("User")
			self.type_into("email", email)
			self.type_into("first_name", f"Desk {role_profile}")
			if self.driver.execute_script("return cur_frm.doc.send_welcome_email"):
				# the administrator sets the password: no welcome email
				self.click(
					"return cur_frm.fields_dict.send_welcome_email.$input[0]", what="Send Welcome Email"
				)
				self.wait_js("return !cur_frm.doc.send_welcome_email", what="no welcome email")
			self.assertEqual(self.save("the new user"), email)
			# Frappe: "Newly created user ... has no roles enabled": the admin closes it and adds them
			self.wait_js(
				"return [...document.querySelectorAll('.modal.show')].some((m) => m.innerText.includes("
				f"{json.dumps(email)}))",
				what="No Roles Specified",
			)
			self.close_messages(email)
			self.wait_js(
				f"return {READY} && !document.querySelector('.modal.show')"
				f" && cur_frm.doc.name === {json.dumps(email)}",
				what="the user's form again",
			)
			# v16 takes several Role Profiles in a table; v15 one in a link
			self.driver.execute_script(
				"""const profile = arguments[0];
				if (cur_frm.fields_dict.role_profiles) cur_frm.set_value("role_profiles", [{role_profile: profile}]);
				else cur_frm.set_value("role_profile_name", profile);""",
				role_profile,
			)
			self.set_values({"user_type": "System User"})
			self.type_into("new_password", PASSWORD)
			self.shoot(f"user-{frappe.scrub(role_profile)}")
			self.save("the user's role profile and password")
		with self.step("the administrator logs out"):
			self.log_out()
		frappe.db.rollback()  # what the browser committed
		user = frappe.get_doc("User", email)
		self.assertEqual(user.user_type, "System User")
		self.assertEqual(
			sorted(r.role for r in user.roles), sorted(personas.ROLE_PROFILES[role_profile]), email
		)

	def close_messages(self, text: str):
		"""Close the message about ``text`` (the desk may show it again as the saved form refreshes, v16):
		until none has been open for a second."""
		showing = (
			"return [...document.querySelectorAll('.modal.show')].find((m) => m.innerText.includes("
			f"{json.dumps(text)}))"
		)
		quiet_since, deadline = None, time.time() + 40
		while time.time() < deadline:
			if self.driver.execute_script(showing):
				quiet_since = None
				self.click(
					f"const m = (() => {{ {showing} }})(); return m && m.querySelector('.btn-modal-close')",
					what="close the message",
				)
			elif quiet_since is None:
				quiet_since = time.time()
			elif time.time() - quiet_since > 1:
				return
			time.sleep(0.2)
		self.fail(f"the message about {text} stays open")

	def open_report(self, report: str, screenshot: str):
		"""A report with its rows, no wider than a phone on a phone."""
		self.open(
			f"query-report/{report}",
			"document.querySelectorAll('.dt-row:not(.dt-row-header)').length > 0",
			what=f"{report}'s rows",
		)
		self.shoot(screenshot)
		self.not_wider_than_the_phone(report)

	def not_wider_than_the_phone(self, what: str):
		if not self.phone:
			return
		wider = self.driver.execute_script(
			"""return [...document.querySelectorAll('body *')]
				.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1
					&& getComputedStyle(e).position !== 'fixed' && e.offsetParent)
				.slice(0, 5).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right));"""
		)
		self.assertTrue(self.driver.execute_script(NOT_WIDER), f"{what} is wider than the phone: {wider}")

	# --- the channel manager ----------------------------------------------------------------------------------

	def resize(self, size: tuple[int, int]):
		"""The journey's window size. The previous journey's last page sees the resize (a window resized or a
		phone turned on it): its console is read as a step of its own, then the page is left."""
		self.size = size
		with self.step(f"the previous journey's page resized to {self.label}"):
			self.driver.set_window_size(*size)
			# resize observers run before the next frame is painted
			self.driver.execute_async_script(
				"const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => done(true)));"
			)
		self.driver.get("about:blank")

	def channel_manager_fixtures(self) -> str:
		"""An application and a submitted deal registration to review; nothing of an earlier journey."""
		frappe.db.rollback()
		cleanup()
		make_applicant(APPLICANT, "ada@desk-day.example")
		make_registration(
			make_partner(DEAL_PARTNER),
			prospect_name="Desk Day Prospect",
			website="desk-day.example",
			contact_email="buyer@desk-day.example",
			submit=True,
		)
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		return frappe.db.get_value("Deal Registration", {"partner": DEAL_PARTNER})

	def open_sidebar(self):
		"""The desk's sidebar on a phone: its toggle in the page head (v15) or the navbar (v16)."""
		self.click(
			"return [...document.querySelectorAll('.page-head .sidebar-toggle-btn, .navbar .sidebar-toggle-btn,"
			" .sticky-top .sidebar-toggle-btn, .navbar-toggle-sidebar')].find((b) => b.offsetParent !== null)",
			what="the sidebar toggle",
		)

	def open_workspace(self, name: str):
		"""A workspace from the desk's sidebar: on a phone through the sidebar toggle."""
		slug = frappe.scrub(name).replace("_", "-")
		link = (
			"return [...document.querySelectorAll('.desk-sidebar a.item-anchor, .body-sidebar a')]"
			f".find((e) => e.offsetParent !== null && e.href && new URL(e.href).pathname.endsWith('/{slug}')"
			f" && {ON_SCREEN})"
		)
		# v16: a workspace's sidebar lists its own items, and the journey may already be on it (the app's
		# tile opened it)
		here = f"return location.pathname.replace(/\\/$/, '').endsWith('/{slug}')"
		if not (FRAPPE_MAJOR >= 16 and self.driver.execute_script(here)):
			if self.phone and not self.driver.execute_script(link):
				self.open_sidebar()
			self.click(link, what=f"{name} in the sidebar")
		self.wait_js(
			f"return {READY} && location.pathname.endsWith('/{slug}') && {WIDGETS_DRAWN}",
			what=f"the {name} workspace drawn",
		)

	def channel_manager_day(self, size: tuple[int, int]):
		self.resize(size)
		registration = self.channel_manager_fixtures()
		self.user_made_by_the_admin(MANAGER, MANAGER_PROFILE)

		with self.step("login"):
			self.log_in(MANAGER)
			self.shoot("01-landing")
			self.pick_company()
		with self.step("Partners workspace"):
			self.open_workspace("Partners")
			self.shoot("01-partners-workspace")

		with self.step("tier and plan"):
			self.assertEqual(self.new_doc("Partner Tier", {"tier_name": TIER, "rank": 9701}), TIER)
			self.shoot("02-tier")
			plan = self.new_doc(
				"Commission Plan",
				{"plan_name": PLAN, "company": COMPANY},
				{"rules": [{"rule_name": "All products", "rate_type": "Percentage", "rate": 8}]},
			)
			self.assertEqual(plan, PLAN)
			# the plan form: a bracket's rule is picked from the rules, a percentage shows as one, the open
			# bracket reads "and above"
			self.set_values({}, {"brackets": [{"rule_name": "All products", "from_amount": 0, "rate": 8}]})
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
			self.save("the plan with a bracket")
			self.shoot("03-plan")

		with self.step("partner"):
			partner = self.new_doc(
				"Partner",
				{
					"partner_name": PARTNER,
					"company": COMPANY,
					"tier": TIER,
					"commission_plan": PLAN,
					"status": "Active",
				},
			)
			frappe.db.rollback()
			self.assertEqual(
				frappe.db.get_value("Partner", partner, ["tier", "commission_plan"]), (TIER, PLAN)
			)
			self.assertTrue(frappe.db.get_value("Partner", partner, "sales_partner"))
			self.shoot("04-partner")

		with self.step("application"):
			self.open_form("Partner", APPLICANT)
			self.click_action("Approve Application")
			self.wait_js("return window.cur_dialog && cur_dialog.display", what="approval dialog")
			self.driver.execute_async_script(
				"cur_dialog.set_value('tier', arguments[0]).then(() => arguments[1]())", TIER
			)
			self.settle("the dialog's tier")
			# v16 focuses the field and opens its suggestions over the dialog's button: a person clicks
			# elsewhere in the dialog (the field loses focus and its suggestions close)
			self.click("return document.querySelector('.modal.show .modal-title')", what="the dialog's title")
			self.driver.execute_script("cur_dialog.fields_dict.tier.$input.blur()")
			self.wait_js(
				"return ![...document.querySelectorAll('.awesomplete ul, [role=listbox]')]"
				".some((ul) => ul.getClientRects().length > 0 && !ul.hidden)",
				what="the suggestions closed",
			)
			self.settle("the dialog's tier")
			self.assertEqual(self.driver.execute_script("return cur_dialog.get_value('tier')"), TIER)
			self.shoot("05-approve-dialog")
			self.confirm_dialog("the dialog's Approve")
			self.wait_js(f"return {READY} && cur_frm.doc.status === 'Active'", what="application approved")
			frappe.db.rollback()  # a fresh snapshot of what the browser's requests committed
			self.assertEqual(frappe.db.get_value("Partner", APPLICANT, ["status", "tier"]), ("Active", TIER))
			self.shoot("06-approved")

		with self.step("deal review"):
			self.open_form("Deal Registration", registration)
			self.click_action("Approve", group="Review")
			self.wait_js("return window.cur_dialog && cur_dialog.display", what="approval confirmation")
			self.shoot("07-deal-confirm")
			self.confirm_dialog("the confirmation's Yes")
			self.wait_js(f"return {READY} && cur_frm.doc.status === 'Approved'", what="deal approved")
			frappe.db.rollback()
			self.assertEqual(frappe.db.get_value("Deal Registration", registration, "status"), "Approved")
			self.shoot("08-deal-approved")

		with self.step("Channel Overview"):
			dashboard = frappe.get_doc("Dashboard", "Channel Overview")
			self.open(
				"dashboard-view/Channel Overview",
				f"document.querySelectorAll('.number-widget-box').length >= {len(dashboard.cards)}"
				f" && document.querySelectorAll('.dashboard-widget-box .frappe-chart').length >= {len(dashboard.charts)}"
				f" && {WIDGETS_DRAWN} && {CHARTS_SHOW_THEIR_DATA}",
				what="Channel Overview's cards and charts drawn",
			)
			self.shoot("09-channel-overview")
			self.not_wider_than_the_phone("Channel Overview")
			charts = "(frappe.dashboard.chart_group ? frappe.dashboard.chart_group.widgets_list : []).map((w) => w.dashboard_chart)"
			self.assertEqual(self.charts_survive_a_resize(charts), len(dashboard.charts))

		with self.step("scorecard"):
			self.open_report("Partner Scorecard", "10-scorecard")
			self.wait_js(
				"return !!(frappe.query_report && frappe.query_report.chart)", what="the scorecard's chart"
			)
			self.assertEqual(self.charts_survive_a_resize("[frappe.query_report.chart]"), 1)

	def charts_survive_a_resize(self, charts: str) -> int:
		"""Redraw every chart (``charts``: a script's expression for them) with its data and resize it at once,
		as a page does when a scrollbar appears while widgets load or a phone turns: no error (frappe-charts
		throws when this meets its 250 ms animation)."""
		return self.driver.execute_async_script(
			f"const charts = ({charts}).filter(Boolean);"
			"""const done = arguments[0];
			for (const chart of charts) {
				chart.update(chart.data);
				chart.parent.style.width = "90%";
			}
			setTimeout(() => { charts.forEach((c) => (c.parent.style.width = "")); setTimeout(() => done(charts.length), 600); }, 100);"""
		)

	def test_channel_manager_first_day_desktop(self):
		self.channel_manager_day(DESKTOP)

	def test_channel_manager_first_day_phone(self):
		self.channel_manager_day(PHONE)

	# --- the partner accountant -------------------------------------------------------------------------------

	def accountant_fixtures(self):
		"""A partner with a commission payable today (invoiced a holding period ago, approved), and no payout
		left from an earlier journey."""
		frappe.db.rollback()
		if not frappe.db.exists("Partner", PAID_PARTNER):
			plan = frappe.db.exists("Commission Plan", f"{PAID_PARTNER} Plan") or make_plan(
				f"{PAID_PARTNER} Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
			)
			make_partner(PAID_PARTNER, plan=plan, partnership_start_date="2020-01-01")
		for payout in frappe.get_all(
			"Partner Payout", {"partner": PAID_PARTNER, "docstatus": 1}, pluck="name"
		):
			frappe.get_doc("Partner Payout", payout).cancel()
		holding = int(payouts.settings().holding_days or 0)
		invoiced = add_days(nowdate(), -min(holding, 50))  # within the payout's 60 days
		make_invoice(
			frappe.get_doc("Partner", PAID_PARTNER), [("_PRM Software", 1, 1000)], posting_date=invoiced
		)
		unapproved = frappe.get_all(
			"Partner Commission",
			{"partner": PAID_PARTNER, "docstatus": 1, "is_clawback": 0, "approved": 0},
			pluck="name",
		)
		if unapproved:
			payouts.approve_commissions(unapproved)  # the channel's approval, as a Partner Manager gives it
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures

	def accountant_day(self, size: tuple[int, int]):
		self.resize(size)
		self.accountant_fixtures()
		self.user_made_by_the_admin(ACCOUNTANT, ACCOUNTANT_PROFILE)
		owed = ledger_outstanding(PAID_PARTNER)
		self.assertGreater(owed, 0)

		with self.step("login"):
			self.log_in(ACCOUNTANT)
			self.shoot("11-landing")
			self.pick_company()
		with self.step("payout"):
			self.open_form("Partner Payout")
			self.set_values(
				{
					"partner": PAID_PARTNER,
					"company": COMPANY,
					"from_date": str(add_days(nowdate(), -60)),
					"to_date": nowdate(),
					"posting_date": nowdate(),
				}
			)
			self.click_action("Get Commissions")  # before saving: what the payout would pay
			net = self.wait_js(
				f"return {READY} && (cur_frm.doc.commissions || []).length > 0 && cur_frm.doc.net_amount",
				what="commissions fetched",
			)
			self.assertEqual(flt(net, 2), owed, "the payout's net against the Payment Ledger")
			self.shoot("12-payout-get-commissions")
			payout = self.save("the payout")
			self.click("return cur_frm.page.btn_primary[0]", what="Submit")
			self.confirm_dialog("the submit confirmation")
			self.wait_js(f"return {READY} && cur_frm.doc.docstatus === 1", what="payout submitted")
			self.shoot("13-payout-submitted")
			frappe.db.rollback()  # what the browser's requests committed
			status, payment = frappe.db.get_value("Partner Payout", payout, ["status", "payment_entry"])
			self.assertIn(status, ("Paid", "Submitted"))
			if status == "Paid":  # its Payment Entry is submitted: nothing is owed any more
				self.assertEqual(frappe.db.get_value("Payment Entry", payment, "docstatus"), 1)
				self.assertEqual(ledger_outstanding(PAID_PARTNER), 0)

		with self.step("reconciliation"):
			self.open_report("Commission Reconciliation", "14-reconciliation")

		with self.step("statement"):
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
			self.shoot("15-statement")

	def test_partner_accountant_pays_reconciles_and_prints_desktop(self):
		self.accountant_day(DESKTOP)

	def test_partner_accountant_pays_reconciles_and_prints_phone(self):
		self.accountant_day(PHONE)
