"""A partner's users created the way a customer creates them (issue 12), in headless Chromium: a company
applies on the public form, a channel manager approves it, the applicant follows the invitation email's
link, sets a password and lands on the portal; logs out, logs in again by typing at /login; invites a
colleague from the portal, who follows their own email and lands on the portal with only what a Sales
user may do. No user, role or password is made in code. Every step fails on a console error or a refused
or failed request (403, 5xx); screenshots at 1366x900 and 390x844 go to $PRM_SCREENSHOT_DIR or
$TMPDIR/prm-portal-screenshots (printed).

Needs Chromium as prm_app/tests/test_portal_browser.py does (PRM_SKIP_BROWSER=1 skips it)."""

from __future__ import annotations

import email
import email.policy
import re
from urllib.parse import urlsplit

import frappe
import requests

from prm_app.tests import test_portal_browser as portal_browser
from prm_app.tests.test_personas import PASSWORD as MANAGER_PASSWORD
from prm_app.tests.test_personas import desk_user
from prm_app.tests.utils import make_company, make_tier

APPLICANT = "_PRM Onboarding Applicant"
FOUNDER = "prm.onboarding.founder@example.com"
COLLEAGUE = "prm.onboarding.colleague@example.com"
MANAGER = "prm.onboarding.manager@example.com"
TIER = "_PRM Onboarding Silver"
# what the people in the journey type as their password (never set in code)
FOUNDER_PASSWORD = "Onboarding-Founder-2026!"
COLLEAGUE_PASSWORD = "Onboarding-Colleague-2026!"


def remove_earlier_run() -> None:
	"""The applicant, its Sales Partner, Supplier, contacts and users from an earlier run (the journey
	starts from a company nobody knows)."""
	partner = frappe.db.get_value(
		"Partner", APPLICANT, ["name", "sales_partner", "supplier"], as_dict=True
	)
	for user in (FOUNDER, COLLEAGUE):
		for contact in frappe.get_all("Contact Email", {"email_id": user}, pluck="parent", distinct=True):
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		if frappe.db.exists("User", user):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
	for name in frappe.get_all("ToDo", {"reference_type": "Partner", "reference_name": APPLICANT}, pluck="name"):
		frappe.delete_doc("ToDo", name, force=True, ignore_permissions=True)
	if partner:
		frappe.delete_doc("Partner", partner.name, force=True, ignore_permissions=True)
		for doctype, name in (("Sales Partner", partner.sales_partner), ("Supplier", partner.supplier)):
			if name and frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	frappe.cache.delete_keys("prm:apply:")  # the public form's limit per address (other tests apply too)


def invitation_path(recipient: str) -> str:
	"""The set-your-password link of the newest email queued to ``recipient`` (path and query: the test
	server's address is not the site's)."""
	frappe.db.rollback()  # see what the server committed
	queue = frappe.get_all(
		"Email Queue Recipient",
		filters={"recipient": recipient},
		pluck="parent",
		order_by="creation desc",
		limit=1,
	)
	assert queue, f"no email queued to {recipient}"
	raw = frappe.db.get_value("Email Queue", queue[0], "message")
	message = email.message_from_string(raw, policy=email.policy.default)
	body = message.get_body(preferencelist=("html", "plain")).get_content()
	found = re.search(r"""https?://[^"'\s<>]*(/update-password\?key=[A-Za-z0-9]+)""", body)
	assert found, f"no set-password link in the email to {recipient}"
	return found.group(1)


class TestPartnerOnboardingJourney(portal_browser.BrowserCase):
	@classmethod
	def setUpClass(cls):
		cls.require_browser()
		super().setUpClass()
		make_company()
		frappe.set_user("Administrator")
		remove_earlier_run()
		make_tier(TIER, 2)
		manager = frappe.get_doc("User", desk_user(MANAGER, "Channel Manager"))
		manager.first_name, manager.last_name = "Mia", "Manager"
		manager.save(ignore_permissions=True)
		cls.start_browser()
		print(f"\nscreenshots of the onboarding journey: {portal_browser.SCREENSHOTS}/onboarding-*.png")

	@classmethod
	def tearDownClass(cls):
		cls.stop_browser()
		frappe.set_user("Administrator")
		remove_earlier_run()
		frappe.db.commit()  # nosemgrep: remove what the journey created through the server
		super().tearDownClass()

	def step(self, name: str):
		self.assertEqual(self.console_errors(), [], name)
		self.assertEqual(self.failed_requests(), [], name)
		self.shoot(name, prefix="onboarding")

	def type_into(self, element_id: str, text: str):
		from selenium.webdriver.common.by import By

		field = self.wait(lambda d: d.find_element(By.ID, element_id))
		field.clear()
		field.send_keys(text)

	def set_password_from_email(self, recipient: str, password: str) -> str:
		"""Open the invitation's link in a browser with no session, choose the password, and return the
		path the site lands the new user on."""
		from selenium.webdriver.common.by import By

		self.driver.delete_all_cookies()
		self.driver.get(self.url + invitation_path(recipient))
		self.type_into("new_password", password)
		self.type_into("confirm_password", password)
		button = self.driver.find_element(By.ID, "update")
		self.wait(lambda d: button.is_enabled())
		button.click()
		self.wait(lambda d: "/update-password" not in d.current_url, timeout=30)
		self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
		return urlsplit(self.driver.current_url).path

	def type_login(self, user: str, password: str) -> str:
		"""The login page as a person uses it: email, password, the Login button."""
		from selenium.webdriver.common.by import By

		self.driver.delete_all_cookies()
		self.driver.get(f"{self.url}/login")
		self.type_into("login_email", user)
		self.type_into("login_password", password)
		self.driver.find_element(By.CSS_SELECTOR, ".btn-login").click()
		self.wait(lambda d: urlsplit(d.current_url).path not in ("/login", "/login/"), timeout=30)
		self.wait(lambda d: d.execute_script("return document.readyState") == "complete")
		return urlsplit(self.driver.current_url).path

	def approve_as_channel_manager(self):
		"""The channel manager's approval (its dialog is walked in test_desk_browser), over HTTP as that
		user: tier Silver, portal role Admin."""
		http = requests.Session()
		login = http.post(f"{self.url}/api/method/login", data={"usr": MANAGER, "pwd": MANAGER_PASSWORD})
		self.assertEqual(login.status_code, 200, login.text[:300])
		response = http.post(
			f"{self.url}/api/method/prm_app.api.applications.approve",
			data={"partner": APPLICANT, "tier": TIER, "portal_role": "Admin"},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		self.assertEqual(response.json()["message"]["user"], FOUNDER)

	def test_from_application_to_a_colleague_on_the_portal(self):
		from selenium.webdriver.common.by import By
		from selenium.webdriver.support.ui import Select

		driver = self.driver
		# 1. the public application, as a guest
		driver.delete_all_cookies()
		driver.get(f"{self.url}/partner/apply")
		self.type_into("partner_name", APPLICANT)
		self.type_into("website", "onboarding-applicant.example")
		self.type_into("full_name", "Olga Founder")
		self.type_into("email", FOUNDER)
		Select(driver.find_element(By.ID, "country")).select_by_value("Germany")
		self.type_into("message", "We resell and implement ERPNext in Bavaria.")
		driver.find_element(By.CSS_SELECTOR, "#prm-apply button[type=submit]").click()
		self.wait(lambda d: "Thank you" in d.find_element(By.TAG_NAME, "body").text)
		self.step("1-applied")
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Partner", APPLICANT, "status"), "Applicant")
		self.assertFalse(frappe.db.exists("User", FOUNDER))

		# 2. the channel manager approves; the applicant's contact becomes a portal user, invited by email
		self.approve_as_channel_manager()
		frappe.db.rollback()
		self.assertEqual(set(frappe.get_roles(FOUNDER)), {"Partner", "Guest", "All"})

		# 3. the founder follows the email's link, chooses a password and lands on the portal
		landed = self.set_password_from_email(FOUNDER, FOUNDER_PASSWORD)
		self.assertEqual(landed.rstrip("/"), "/partner")
		self.wait(lambda d: APPLICANT in d.find_element(By.TAG_NAME, "body").text)
		self.assertIn(TIER, driver.find_element(By.ID, "prm-tier").text)
		# the manager who approved is the partner's contact, to write to from its first day
		contact = driver.find_element(By.ID, "prm-contact")
		self.assertEqual(contact.text, "Mia Manager")
		self.assertEqual(contact.get_attribute("href"), f"mailto:{MANAGER}")
		self.step("2-first-landing")

		# 4. logs out, and back in by typing at /login: the portal again, never the desk or Not Permitted
		self.assertEqual(self.type_login(FOUNDER, FOUNDER_PASSWORD).rstrip("/"), "/partner")
		self.wait(lambda d: d.find_element(By.ID, "prm-tier"))
		self.step("3-login")

		# 5. invites a colleague from the profile page
		driver.get(f"{self.url}/partner/profile")
		self.type_into("invite_email", COLLEAGUE)
		self.type_into("invite_name", "Carl Colleague")
		Select(driver.find_element(By.ID, "invite_role")).select_by_value("Sales")
		driver.find_element(By.CSS_SELECTOR, "#prm-invite button[type=submit]").click()
		# the page reloads once the invitation is sent: read the table afresh each time (no stale element)
		self.wait(
			lambda d: d.execute_script(
				"const t = document.getElementById('prm-colleagues'); return !!t && t.innerText.includes(arguments[0])",
				COLLEAGUE,
			),
			timeout=30,
		)
		self.step("4-invited")
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Partner User", {"parent": APPLICANT, "user": COLLEAGUE}, "partner_role"),
			"Sales",
		)

		# 6. the colleague's own email, password, portal; a Sales user cannot invite anyone
		landed = self.set_password_from_email(COLLEAGUE, COLLEAGUE_PASSWORD)
		self.assertEqual(landed.rstrip("/"), "/partner")
		self.wait(lambda d: APPLICANT in d.find_element(By.TAG_NAME, "body").text)
		self.step("5-colleague-landing")
		driver.get(f"{self.url}/partner/profile")
		self.wait(lambda d: d.find_element(By.ID, "prm-profile"))
		self.assertFalse(driver.find_elements(By.ID, "prm-invite"))
		self.assertFalse(driver.find_elements(By.ID, "prm-colleagues"))
		self.step("6-colleague-profile")
		self.assertEqual(self.type_login(COLLEAGUE, COLLEAGUE_PASSWORD).rstrip("/"), "/partner")
		self.step("7-colleague-login")
