"""The partner portal in headless Chromium (Debian's chromium + chromedriver, driven by Selenium): log in
as a partner, open the dashboard, register a deal, download a statement, take screenshots at desktop
and mobile widths (into $TMPDIR/prm-portal-screenshots/, or $PRM_SCREENSHOT_DIR) and check the browser console
has no errors.

Needs /usr/bin/chromium, /usr/bin/chromedriver and the selenium package in the bench env; without them
the test fails with a clear message, unless PRM_SKIP_BROWSER=1 (then it is skipped).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import unittest

import frappe
from frappe.utils import add_days, nowdate

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
	CUSTOMER,
	approve_registration_for_test,
	make_company,
	make_plan,
	make_registration,
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


class TestPortalBrowser(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		missing = browser_missing()
		if missing:
			if os.environ.get("PRM_SKIP_BROWSER") == "1":
				raise unittest.SkipTest(missing)
			raise RuntimeError(f"Browser tests need Chromium: {missing}. Set PRM_SKIP_BROWSER=1 to skip.")
		super().setUpClass()
		make_company()
		frappe.set_user("Administrator")
		bronze = make_tier("_PRM Portal Bronze", 1)
		plan = frappe.db.get_value("Commission Plan", {"plan_name": "_PRM Portal Flat 10"}) or make_plan(
			"_PRM Portal Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		cls.partner = partner_with_user(A_NAME, A_USER, plan, bronze)
		frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_USER}, "partner_role", "Admin")
		ensure_invoice(cls.partner)
		frappe.db.commit()  # nosemgrep: the server's own connection must see the fixtures
		cls.server, cls.url = start_server()
		cls.downloads = tempfile.mkdtemp(prefix="prm-portal-")
		os.makedirs(SCREENSHOTS, exist_ok=True)
		cls.driver = cls.make_driver()

	@classmethod
	def tearDownClass(cls):
		cls.driver.quit()
		cls.server.shutdown()
		shutil.rmtree(cls.downloads, ignore_errors=True)
		frappe.db.rollback()
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

	@classmethod
	def make_driver(cls):
		from selenium import webdriver
		from selenium.webdriver.chrome.service import Service

		options = webdriver.ChromeOptions()
		options.binary_location = CHROMIUM
		for flag in FLAGS:
			options.add_argument(flag)
		options.add_argument("--window-size={},{}".format(*DESKTOP))
		options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
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

	def shoot(self, name: str):
		for label, (width, height) in (("desktop", DESKTOP), ("mobile", MOBILE)):
			self.driver.set_window_size(width, height)
			time.sleep(0.3)
			path = os.path.join(SCREENSHOTS, f"portal-{name}-{label}.png")
			self.driver.save_screenshot(path)
			self.assertTrue(os.path.getsize(path) > 1000, path)
		self.driver.set_window_size(*DESKTOP)

	def console_errors(self) -> list[str]:
		return [
			entry["message"]
			for entry in self.driver.get_log("browser")
			if entry["level"] == "SEVERE" and not any(s in entry["message"] for s in IGNORED_CONSOLE)
		]

	def login(self):
		"""Log in from the login page's origin through Frappe's login endpoint (the session cookie is the
		browser's own)."""
		self.driver.get(f"{self.url}/login")
		self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
		status = self.driver.execute_async_script(
			"""const done = arguments[arguments.length - 1];
			fetch("/api/method/login", {method: "POST", credentials: "same-origin",
				headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
				body: new URLSearchParams({usr: arguments[0], pwd: arguments[1]})}).then((r) => done(r.status));""",
			A_USER,
			PASSWORD,
		)
		self.assertEqual(status, 200)

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
		Select(form.find_element(By.NAME, "products")).select_by_value("_PRM Software")
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
