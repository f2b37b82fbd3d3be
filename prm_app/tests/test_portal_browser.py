"""The partner portal in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): log in
as a partner, open the dashboard, register a deal, download a statement, take screenshots at desktop
and mobile widths (into $TMPDIR/prm-portal-screenshots/, or $PRM_SCREENSHOT_DIR) and check the browser console
has no errors.

Needs /usr/bin/chromium, /usr/bin/chromedriver and the selenium package in the bench env; without them
the test fails with a clear message, unless PRM_SKIP_BROWSER=1 (then it is skipped).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import unittest

import frappe
from frappe.utils import add_days, get_first_day, nowdate

from prm_app.tests import PRMTestCase
from prm_app.tests.test_portal_isolation import (
	A_NAME,
	A_USER,
	PASSWORD,
	ensure_invoice,
	partner_with_user,
	start_server,
)
from prm_app.tests.utils import (
	COMPANY,
	CUSTOMER,
	account,
	approve_registration_for_test,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_registration,
	make_return,
	make_tier,
	set_list_price,
)

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = os.environ.get(
	"PRM_SCREENSHOT_DIR", os.path.join(tempfile.gettempdir(), "prm-portal-screenshots")
)
FLAGS = (
	"--headless=new",
	"--no-sandbox",
	"--disable-gpu",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-dev-shm-usage",
)
DESKTOP, MOBILE = (1366, 900), (390, 844)
# console messages that come from the test setup, not the portal: no socket.io server runs beside the
# in-process WSGI server
IGNORED_CONSOLE = ("socket.io", ":9000/")


def browser_missing() -> str | None:
	if not os.path.exists(CHROMIUM):
		return f"{CHROMIUM} is not installed (apt-get install chromium chromium-driver)"
	if not os.path.exists(CHROMEDRIVER):
		return f"{CHROMEDRIVER} is not installed (apt-get install chromium-driver)"
	try:
		import selenium
	except ImportError:
		return "selenium is not installed in the bench env (./env/bin/pip install selenium)"
	return None


class BrowserCase(PRMTestCase):
	"""Chromium, a screenshot folder, and what every journey checks: console errors and refused or failed
	requests (403, 5xx) seen by the browser."""

	@classmethod
	def require_browser(cls):
		missing = browser_missing()
		if missing:
			if os.environ.get("PRM_SKIP_BROWSER") == "1":
				raise unittest.SkipTest(missing)
			raise RuntimeError(f"Browser tests need Chromium: {missing}. Set PRM_SKIP_BROWSER=1 to skip.")

	@classmethod
	def start_browser(cls):
		"""Commit the fixtures (the server has its own connection), serve the site, start Chromium."""
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		cls.server, cls.url = start_server()
		cls.downloads = tempfile.mkdtemp(prefix="prm-portal-")
		os.makedirs(SCREENSHOTS, exist_ok=True)
		cls.driver = cls.make_driver()

	@classmethod
	def stop_browser(cls):
		cls.driver.quit()
		cls.server.shutdown()
		shutil.rmtree(cls.downloads, ignore_errors=True)
		frappe.db.rollback()

	@classmethod
	def make_driver(cls):
		from selenium import webdriver
		from selenium.webdriver.chrome.service import Service

		options = webdriver.ChromeOptions()
		options.binary_location = CHROMIUM
		for flag in FLAGS:
			options.add_argument(flag)
		options.add_argument("--window-size={},{}".format(*DESKTOP))
		options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
		options.add_experimental_option(
			"prefs", {"download.default_directory": cls.downloads, "download.prompt_for_download": False}
		)
		driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
		driver.set_page_load_timeout(60)
		driver.set_script_timeout(30)
		driver.execute_cdp_cmd(
			"Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": cls.downloads}
		)
		return driver

	# --- helpers -------------------------------------------------------------------------------------------------

	def wait(self, condition, timeout: float = 20):
		from selenium.webdriver.support.ui import WebDriverWait

		return WebDriverWait(self.driver, timeout).until(condition)

	def shoot(self, name: str, prefix: str = "portal"):
		"""A screenshot at desktop and at phone width; at phone width nothing may scroll sideways."""
		for label, (width, height) in (("desktop", DESKTOP), ("mobile", MOBILE)):
			self.driver.set_window_size(width, height)
			# the field the user is on stays in view at either width (a resize keeps the scroll offset)
			self.driver.execute_script(
				"const e = document.activeElement;"
				"if (e && e !== document.body) e.scrollIntoView({block: 'center'});"
			)
			time.sleep(0.3)
			path = os.path.join(SCREENSHOTS, f"{prefix}-{name}-{label}.png")
			self.driver.save_screenshot(path)
			self.assertTrue(os.path.getsize(path) > 1000, path)
			if label == "mobile":
				overflow = self.driver.execute_script(
					"return document.documentElement.scrollWidth - window.innerWidth"
				)
				self.assertLessEqual(overflow, 1, f"{name}: the page is {overflow}px wider than the phone")
		self.driver.set_window_size(*DESKTOP)

	def console_errors(self) -> list[str]:
		return [
			entry["message"]
			for entry in self.driver.get_log("browser")
			if entry["level"] == "SEVERE" and not any(s in entry["message"] for s in IGNORED_CONSOLE)
		]

	def login(self, user: str = A_USER):
		"""Log in from the login page's origin through Frappe's login endpoint (the session cookie is the
		browser's own)."""
		self.driver.get(f"{self.url}/login")
		self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
		status = self.driver.execute_async_script(
			"""const done = arguments[arguments.length - 1];
			fetch("/api/method/login", {method: "POST", credentials: "same-origin",
				headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
				body: new URLSearchParams({usr: arguments[0], pwd: arguments[1]})}).then((r) => done(r.status));""",
			user,
			PASSWORD,
		)
		self.assertEqual(status, 200)

	def failed_requests(self) -> list[str]:
		"""Responses the browser got with status 403 or 5xx since the last call (Chromium's network log)."""
		failed = []
		for entry in self.driver.get_log("performance"):
			message = json.loads(entry["message"])["message"]
			if message.get("method") != "Network.responseReceived":
				continue
			response = message["params"]["response"]
			if (response["status"] == 403 or response["status"] >= 500) and not any(
				s in response["url"] for s in IGNORED_CONSOLE
			):
				failed.append(f"{response['status']} {response['url']}")
		return failed

	def pick_product(self, form, text: str, item_code: str, qty: str | None = None):
		"""Search the deal form's product picker and add ``item_code`` with the keyboard (↓ to its option,
		Enter); the quantity field of its line then has the focus; type ``qty`` there."""
		from selenium.webdriver.common.by import By
		from selenium.webdriver.common.keys import Keys

		search = form.find_element(By.ID, "product_search")
		search.clear()
		search.send_keys(text)
		results = form.find_element(By.ID, "product_results")
		# the list answers the whole text (not a search of the first letters still on its way)
		self.wait(lambda d: results.is_displayed() and results.get_attribute("data-query") == text)
		for _step in range(20):
			active = results.find_element(By.CSS_SELECTOR, "[role=option].active")
			if active.get_attribute("data-item") == item_code:
				break
			search.send_keys(Keys.ARROW_DOWN)
		self.assertEqual(active.get_attribute("data-item"), item_code)
		self.assertEqual(search.get_attribute("aria-activedescendant"), active.get_attribute("id"))
		search.send_keys(Keys.ENTER)
		line = f'#product_lines .prm-line[data-item="{item_code}"] .prm-line-qty'
		qty_input = self.wait(lambda d: form.find_element(By.CSS_SELECTOR, line))
		self.assertEqual(self.driver.switch_to.active_element, qty_input)
		if qty is not None:
			qty_input.send_keys(qty)  # replaces the selected 1
		return qty_input

	def stored_products(self, deal: str) -> dict:
		frappe.db.rollback()
		return dict(
			frappe.get_all(
				"Deal Registration Product",
				filters={"parent": deal, "parenttype": "Deal Registration"},
				fields=["item_code", "qty"],
				as_list=True,
			)
		)

	def downloaded(self, extension: str):
		def find(driver):
			done = [f for f in os.listdir(self.downloads) if f.endswith(extension)]
			return os.path.join(self.downloads, done[0]) if done else False

		return find


class TestPortalBrowser(BrowserCase):
	@classmethod
	def setUpClass(cls):
		cls.require_browser()
		super().setUpClass()
		make_company()
		frappe.set_user("Administrator")
		bronze = make_tier("_PRM Portal Bronze", 1)
		plan = flat_plan()
		cls.partner = partner_with_user(A_NAME, A_USER, plan, bronze)
		frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_USER}, "partner_role", "Admin")
		ensure_invoice(cls.partner)
		cls.start_browser()

	@classmethod
	def tearDownClass(cls):
		cls.stop_browser()
		for name in frappe.get_all("Special Price Request", {"partner": A_NAME}, pluck="name"):
			frappe.delete_doc("Special Price Request", name, force=True, ignore_permissions=True)
		for name in frappe.get_all(
			"Deal Registration",
			{
				"partner": A_NAME,
				"prospect_name": ("in", ["Browser Test Prospect", "Browser Pricing Prospect"]),
			},
			pluck="name",
		):
			frappe.delete_doc("Deal Registration", name, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: remove what the browser created
		super().tearDownClass()

	# --- the journey ------------------------------------------------------------------------------------------

	def test_partner_journey(self):
		from selenium.webdriver.common.by import By
		from selenium.webdriver.support.ui import Select

		self.login()
		self.driver.get(f"{self.url}/partner")
		self.wait(lambda d: d.find_element(By.ID, "prm-tier"))
		self.assertEqual(self.driver.find_element(By.ID, "prm-tier").text, "_PRM Portal Bronze")
		self.assertTrue(self.driver.find_elements(By.CSS_SELECTOR, ".prm-chart .bar"))
		self.shoot("dashboard")

		self.driver.get(f"{self.url}/partner/deals")
		form = self.wait(lambda d: d.find_element(By.ID, "prm-register-deal"))
		form.find_element(By.NAME, "prospect_name").send_keys("Browser Test Prospect")
		form.find_element(By.NAME, "website").send_keys("browser-prospect.example")
		form.find_element(By.NAME, "contact_name").send_keys("Bea Browser")
		form.find_element(By.NAME, "contact_email").send_keys("bea@browser-prospect.example")
		Select(form.find_element(By.NAME, "country")).select_by_value("United States")
		form.find_element(By.NAME, "expected_amount").send_keys("4200")
		close_date = add_days(nowdate(), 30)
		self.driver.execute_script(
			"document.getElementById('expected_close_date').value = arguments[0];", str(close_date)
		)
		self.pick_product(form, "_PRM Soft", "_PRM Software")
		self.shoot("deal-form")
		form.find_element(By.ID, "prm-register-submit").click()
		self.wait(lambda d: "/partner/deal?name=" in d.current_url)
		status = self.wait(lambda d: d.find_element(By.ID, "prm-deal-status")).text
		self.assertIn(status, ("Submitted", "Under Review", "Approved"))
		self.shoot("deal")

		self.driver.get(f"{self.url}/partner/commissions")
		self.wait(lambda d: d.find_element(By.ID, "prm-commissions"))
		self.shoot("commissions")
		self.driver.find_element(By.ID, "prm-statement").click()
		pdf = self.wait(self.downloaded_pdf, timeout=60)
		with open(pdf, "rb") as f:
			self.assertEqual(f.read(4), b"%PDF")

		for page in ("payouts", "resources", "profile"):
			self.driver.get(f"{self.url}/partner/{page}")
			self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".prm-nav"))
			self.shoot(page)

		self.assertEqual(self.console_errors(), [])

	def test_special_price_request_form(self):
		"""Special pricing (issue 15): on an approved deal the partner asks for a price, sees the request
		pending, and withdraws it."""
		from selenium.webdriver.common.by import By

		set_list_price("_PRM Software", 1000)
		deal = make_registration(
			self.partner,
			"Browser Pricing Prospect",
			website="browser-pricing.example",
			products=["_PRM Software"],
		)
		approve_registration_for_test(deal.name, CUSTOMER)
		frappe.db.commit()  # nosemgrep: the server's own connection must see the approved deal
		self.login()
		self.driver.get(f"{self.url}/partner/deal?name={deal.name}")
		form = self.wait(lambda d: d.find_element(By.ID, "prm-special-price"))
		row = form.find_element(By.CSS_SELECTOR, ".prm-price-row")
		row.find_element(By.NAME, "requested_discount").send_keys("12.5")
		form.find_element(By.NAME, "competitor").send_keys("Initrode")
		form.find_element(By.NAME, "justification").send_keys("Competitive bid")
		self.driver.execute_script(
			"document.getElementById('sp_valid_upto').value = arguments[0];", str(add_days(nowdate(), 30))
		)
		self.shoot("special-price-form")
		form.find_element(By.ID, "prm-special-price-submit").click()
		table = self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, "#prm-special-prices tbody tr"))
		self.assertIn("Pending Approval", table[0].text)
		frappe.db.rollback()
		name = frappe.db.get_value("Special Price Request", {"deal_registration": deal.name})
		self.assertEqual(
			frappe.db.get_value("Special Price Request Item", {"parent": name}, "requested_price"), 875
		)
		self.shoot("special-price-list")

		self.driver.find_element(By.CSS_SELECTOR, f".prm-withdraw-price[data-name='{name}']").click()
		self.wait(lambda d: d.switch_to.alert).accept()
		self.wait(lambda d: "Withdrawn" in d.find_element(By.ID, "prm-special-prices").text)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Special Price Request", name, "status"), "Withdrawn")
		self.assertEqual(self.console_errors(), [])

	def downloaded_pdf(self, driver):
		done = [f for f in os.listdir(self.downloads) if f.endswith(".pdf")]
		return os.path.join(self.downloads, done[0]) if done else False


JOURNEY_PARTNER = "_PRM Journey Partner"
JOURNEY_USER = "prm.journey.partner@example.com"
PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}


class TestPartnerFirstDayJourney(BrowserCase):
	"""Issue 12: the partner's first day from the login page, as a user a channel manager added to the
	Partner in the desk (a website user with no roles of its own: the Partner grants them): dashboard
	(its figures against the ledger) -> register a deal -> the manager returns it -> edit and resubmit ->
	commissions CSV -> payout statement PDF, with screenshots at 1366x900 and 390x844 of every step."""

	@classmethod
	def setUpClass(cls):
		cls.require_browser()
		super().setUpClass()
		make_company()
		frappe.set_user("Administrator")
		cls.partner = journey_partner()
		journey_ledger(cls.partner)
		cls.start_browser()
		print(f"\nscreenshots of the partner journey: {SCREENSHOTS}/journey-*.png")

	@classmethod
	def tearDownClass(cls):
		cls.stop_browser()
		for name in frappe.get_all("Deal Registration", {"partner": JOURNEY_PARTNER}, pluck="name"):
			frappe.delete_doc("Deal Registration", name, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: remove the deals the browser created (the ledger stays, as fixtures)
		super().tearDownClass()

	def step(self, name: str):
		"""After each step: no console error, no refused or failed request, screenshots."""
		self.assertEqual(self.console_errors(), [], name)
		self.assertEqual(self.failed_requests(), [], name)
		self.shoot(name, prefix="journey")

	def test_partner_first_day(self):
		from selenium.webdriver.common.by import By
		from selenium.webdriver.support.ui import Select

		from prm_app.tests.test_portal_money import DASHBOARD_FIGURES, expected_figures, ledger_figures

		driver = self.driver
		# only what the Partner granted: no role given in code
		self.assertEqual(set(frappe.get_roles(JOURNEY_USER)), {"Partner", "Guest", "All"})
		# the login page, as the user types it
		driver.get(f"{self.url}/login")
		self.wait(lambda d: d.find_element(By.ID, "login_email")).send_keys(JOURNEY_USER)
		driver.find_element(By.ID, "login_password").send_keys(PASSWORD)
		self.step("login")
		driver.find_element(By.CSS_SELECTOR, ".btn-login").click()
		self.wait(lambda d: d.current_url.rstrip("/").endswith("/partner"), timeout=30)
		self.wait(lambda d: d.find_element(By.ID, "prm-earned"))

		# the dashboard agrees with the ledger
		ledger = ledger_figures(self.partner, get_first_day(nowdate()), nowdate())
		shown = {
			key: driver.find_element(By.ID, f"prm-{key.replace('_', '-')}").text for key in DASHBOARD_FIGURES
		}
		self.assertEqual(shown, expected_figures(ledger, "USD"))
		self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, ".sidebar-column")), 0)  # one navigation
		self.step("dashboard")

		# register a deal
		driver.get(f"{self.url}/partner/deals")
		form = self.wait(lambda d: d.find_element(By.ID, "prm-register-deal"))
		form.find_element(By.ID, "prm-register-submit").click()  # empty: every problem at once, inline
		self.assertGreaterEqual(len(form.find_elements(By.CSS_SELECTOR, ".prm-field-error")), 4)
		self.assertTrue(form.find_elements(By.CSS_SELECTOR, "#product_search.is-invalid"))  # no product yet
		self.assertFalse(form.find_element(By.ID, "product_lines_head").is_displayed())
		self.step("deal-form-errors")
		form.find_element(By.NAME, "prospect_name").send_keys("Journey Prospect Inc")
		form.find_element(By.NAME, "website").send_keys("journey-prospect.example")
		form.find_element(By.NAME, "contact_name").send_keys("Jo Journey")
		form.find_element(By.NAME, "contact_email").send_keys("jo@journey-prospect.example")
		Select(form.find_element(By.NAME, "country")).select_by_value("United States")
		form.find_element(By.NAME, "expected_amount").send_keys("4200")
		driver.execute_script(
			"document.getElementById('expected_close_date').value = arguments[0];",
			str(add_days(nowdate(), 30)),
		)
		# the product picker: type, the list opens (screenshots with it open), ↓ and Enter add a line
		search = form.find_element(By.ID, "product_search")
		search.send_keys("_PRM")
		self.wait(lambda d: d.find_element(By.ID, "product_results").get_attribute("data-query") == "_PRM")
		self.assertGreaterEqual(len(form.find_elements(By.CSS_SELECTOR, "#product_results [role=option]")), 2)
		self.step("deal-picker-search")
		self.pick_product(form, "_PRM Hard", "_PRM Hardware", qty="2")
		self.pick_product(form, "_PRM Soft", "_PRM Software", qty="3")
		# a line is removed with its button (keyboard: Enter on the focused button)
		from selenium.webdriver.common.keys import Keys

		remove = form.find_element(By.CSS_SELECTOR, '.prm-line[data-item="_PRM Hardware"] .prm-line-remove')
		remove.send_keys(Keys.ENTER)
		self.wait(lambda d: not d.find_elements(By.CSS_SELECTOR, '.prm-line[data-item="_PRM Hardware"]'))
		self.assertEqual(driver.switch_to.active_element.get_attribute("id"), "product_search")
		# a quantity of zero is marked inline, with the other fields' problems, before anything is sent
		qty = form.find_element(By.CSS_SELECTOR, '.prm-line[data-item="_PRM Software"] .prm-line-qty')
		qty.clear()
		qty.send_keys("0")
		form.find_element(By.ID, "prm-register-submit").click()
		self.assertIn("is-invalid", qty.get_attribute("class"))
		self.step("deal-picker-bad-qty")
		qty.clear()
		qty.send_keys("3")
		self.assertNotIn("is-invalid", qty.get_attribute("class"))  # corrected: no longer marked
		self.assertFalse(form.find_elements(By.CSS_SELECTOR, "#product_lines .prm-field-error"))
		self.step("deal-picker-lines")
		form.find_element(By.ID, "prm-register-submit").click()
		self.wait(lambda d: "/partner/deal?name=" in d.current_url)
		self.assertEqual(self.wait(lambda d: d.find_element(By.ID, "prm-deal-status")).text, "Submitted")
		self.assertIn("× 3", driver.find_element(By.ID, "prm-deal-products").text)
		self.step("deal-submitted")
		frappe.db.rollback()  # a fresh snapshot: the server committed the registration
		deal = frappe.db.get_value(
			"Deal Registration", {"partner": JOURNEY_PARTNER, "prospect_name": "Journey Prospect Inc"}
		)
		self.assertEqual(self.stored_products(deal), {"_PRM Software": 3})

		# the channel manager returns it for information (in the desk; here in code)
		frappe.get_doc("Deal Registration", deal).return_for_information(
			"Which products exactly, and how many?"
		)
		frappe.db.commit()  # nosemgrep: the browser's server sees the manager's decision

		# edit and resubmit
		driver.refresh()
		edit = self.wait(lambda d: d.find_element(By.ID, "prm-edit-deal"))
		self.assertIn("Which products exactly", driver.find_element(By.ID, "prm-return-reason").text)
		self.step("deal-returned")
		amount = edit.find_element(By.NAME, "expected_amount")
		amount.clear()
		amount.send_keys("6100")
		# the line as registered, its quantity changed; one more product
		qty = edit.find_element(By.CSS_SELECTOR, '.prm-line[data-item="_PRM Software"] .prm-line-qty')
		self.assertEqual(qty.get_attribute("value"), "3")
		qty.clear()
		qty.send_keys("5")
		self.pick_product(edit, "hardware", "_PRM Hardware")
		self.step("deal-returned-edited")
		edit.find_element(By.ID, "prm-resubmit").click()
		self.wait(lambda d: not d.find_elements(By.ID, "prm-edit-deal"), timeout=30)
		self.assertEqual(driver.find_element(By.ID, "prm-deal-status").text, "Submitted")
		self.assertIn("× 5", driver.find_element(By.ID, "prm-deal-products").text)
		self.step("deal-resubmitted")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Deal Registration", deal, "expected_amount"), 6100)
		self.assertEqual(self.stored_products(deal), {"_PRM Software": 5, "_PRM Hardware": 1})

		# commissions and their CSV
		driver.get(f"{self.url}/partner/commissions")
		self.wait(lambda d: d.find_element(By.ID, "prm-commissions"))
		self.step("commissions")
		driver.find_element(By.ID, "prm-csv").click()
		with open(self.wait(self.downloaded(".csv"), timeout=60), encoding="utf-8") as f:
			csv_text = f.read()
		self.assertIn("Customer", csv_text.splitlines()[0])
		self.assertIn("Payable On", csv_text.splitlines()[0])
		self.assertGreater(len(csv_text.splitlines()), 3)

		# the payout and its statement PDF
		driver.get(f"{self.url}/partner/payouts")
		link = self.wait(lambda d: d.find_element(By.CSS_SELECTOR, ".prm-payout-statement"))
		self.step("payouts")
		link.click()
		with open(self.wait(self.downloaded(".pdf"), timeout=60), "rb") as f:
			self.assertEqual(f.read(4), b"%PDF")
		self.assertEqual(self.console_errors(), [])
		self.assertEqual(self.failed_requests(), [])


def flat_plan() -> str:
	"""The portal tests' plan: 10% of everything."""
	return frappe.db.get_value("Commission Plan", {"plan_name": "_PRM Portal Flat 10"}) or make_plan(
		"_PRM Portal Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
	)


def journey_partner():
	"""The partner, and its user as a channel manager adds one in the desk: a website user with no roles,
	listed on the Partner's users (the Partner grants the Partner role)."""
	from frappe.utils.password import update_password

	plan = flat_plan()
	if not frappe.db.exists("Partner", JOURNEY_PARTNER):
		make_partner(JOURNEY_PARTNER, plan=plan)
	if not frappe.db.exists("User", JOURNEY_USER):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": JOURNEY_USER,
				"first_name": "Journey",
				"user_type": "Website User",
				"send_welcome_email": 0,
			}
		).insert(ignore_permissions=True)
	update_password(JOURNEY_USER, PASSWORD)
	partner = frappe.get_doc("Partner", JOURNEY_PARTNER)
	if not any(row.user == JOURNEY_USER for row in partner.users):
		partner.append("users", {"user": JOURNEY_USER, "partner_role": "Admin"})
		partner.save(ignore_permissions=True)
	return frappe.get_doc("Partner", JOURNEY_PARTNER)


def journey_ledger(partner) -> None:
	"""This month, once: commissions of 100.00 and 200.00, a credit note clawing back 100.00, a payout
	netting it, then a commission of 50.00 still owed."""
	from frappe.tests.utils import change_settings

	from prm_app.prm_app.doctype.partner_payout.test_partner_payout import make_payout

	first = get_first_day(nowdate())
	if frappe.db.exists("Partner Payout", {"partner": partner.name, "docstatus": 1, "from_date": first}):
		return
	payout_account = frappe.db.get_value("Company", COMPANY, "prm_payout_account")
	frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
	frappe.clear_cache(doctype="Company")
	try:
		with change_settings("PRM Settings", PAY_NOW):
			make_invoice(partner, [("_PRM Hardware", 1, 1000)])
			second = make_invoice(partner, [("_PRM Hardware", 2, 1000)])
			make_return(second, {"_PRM Hardware": 1})
			make_payout(partner, from_date=first, to_date=nowdate())
			make_invoice(partner, [("_PRM Software", 1, 500)])
	finally:
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", payout_account)
		frappe.clear_cache(doctype="Company")
