"""Stored XSS from the portal into the desk (issue 11): partner A stores a script payload in every text
field it can write (through the portal and through the REST API), then a Partner Manager opens the
records in headless Chromium — form, list and print view — and no script may run.

The payload sets ``window.__prm_xss``; a field that refuses the payload is safe by construction. Needs
Chromium like test_portal_browser (PRM_SKIP_BROWSER=1 skips).
"""

from __future__ import annotations

import json
import os
import time
import unittest

import frappe
from frappe.utils.password import update_password

from prm_app.tests.test_portal_browser import CHROMEDRIVER, CHROMIUM, FLAGS, browser_missing
from prm_app.tests.test_portal_isolation import A_NAME, PASSWORD, PortalFixtures
from prm_app.tests.utils import CUSTOMER, approve_registration_for_test, make_user

MANAGER = "prm.xss.manager@example.com"
PAYLOADS = (
	'"><img src=x onerror="window.__prm_xss=1">',
	"<script>window.__prm_xss=1</script>",
	"javascript:window.__prm_xss=1",
)
TEXT_TYPES = ("Data", "Small Text", "Text", "Long Text", "Text Editor", "Markdown Editor", "HTML Editor")


class TestXssBrowser(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		missing = browser_missing()
		if missing:
			if os.environ.get("PRM_SKIP_BROWSER") == "1":
				raise unittest.SkipTest(missing)
			raise RuntimeError(f"Browser tests need Chromium: {missing}. Set PRM_SKIP_BROWSER=1 to skip.")
		super().setUpClass()
		make_user(MANAGER, ["Partner Manager", "Sales User"])
		update_password(MANAGER, PASSWORD)
		frappe.db.commit()  # nosemgrep: the server must see the manager
		from selenium import webdriver
		from selenium.webdriver.chrome.service import Service

		options = webdriver.ChromeOptions()
		options.binary_location = CHROMIUM
		for flag in FLAGS:
			options.add_argument(flag)
		cls.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
		cls.driver.set_page_load_timeout(90)
		cls.driver.set_script_timeout(30)

	@classmethod
	def tearDownClass(cls):
		cls.driver.quit()
		super().tearDownClass()

	def store_payloads(self) -> list[tuple[str, str, str]]:
		"""(doctype, name, field) of every partner-writable text field that accepted a payload."""
		http = self.session()
		stored = []
		meta = frappe.get_meta("Deal Registration")
		for df in meta.fields:
			if df.fieldtype not in TEXT_TYPES or df.permlevel:
				continue
			for payload in PAYLOADS:
				response = http.put(
					f"{self.url}/api/resource/Deal Registration/{self.a_deal}",
					json={df.fieldname: payload},
					headers={"X-Frappe-CSRF-Token": http.csrf},
				)
				if response.status_code == 200:
					stored.append(("Deal Registration", self.a_deal, df.fieldname))
		for payload in PAYLOADS:  # the portal's own write paths
			response = self.post(http, "prm_app.api.portal.update_profile", {"website": payload})
			if response.status_code == 200:
				stored.append(("Partner", A_NAME, "website"))
			self.post(
				http,
				"prm_app.api.portal.register_deal",
				{
					"prospect_name": "Xss Prospect",
					"website": "xss-prospect.example",
					"expected_amount": 100,
					"expected_close_date": frappe.utils.add_days(frappe.utils.nowdate(), 20),
					"products": json.dumps(["_PRM Software"]),
					"notes": payload,
					"contact_name": payload,
				},
			)
		frappe.db.rollback()
		for name in frappe.get_all("Deal Registration", {"prospect_name": "Xss Prospect"}, pluck="name"):
			self.created.append(("Deal Registration", name))
			stored.append(("Deal Registration", name, "notes"))
		stored += self.store_special_price_payloads(http)
		return stored

	def store_special_price_payloads(self, http) -> list[tuple[str, str, str]]:
		"""Special pricing (issue 15): competitor and justification of A's requests on an approved deal."""
		deal = self.registration(self.a, "Xss Pricing Prospect", "xss-pricing.example")
		self.created.append(("Deal Registration", deal.name))
		approve_registration_for_test(deal.name, CUSTOMER)
		frappe.db.commit()  # nosemgrep: the server must see the approved deal
		for payload in PAYLOADS:
			self.post(
				http,
				"prm_app.channel_funds.special_pricing_portal.request_special_price",
				{
					"deal": deal.name,
					"items": json.dumps([{"item_code": "_PRM Software", "qty": 1, "requested_discount": 5}]),
					"competitor": payload,
					"justification": payload,
					"valid_upto": frappe.utils.add_days(frappe.utils.nowdate(), 20),
				},
			)
		frappe.db.rollback()
		names = frappe.get_all("Special Price Request", {"deal_registration": deal.name}, pluck="name")
		self.created.extend(("Special Price Request", name) for name in names)
		return [("Special Price Request", name, "justification") for name in names]

	def login_manager(self):
		self.driver.get(f"{self.url}/login")
		status = self.driver.execute_async_script(
			"""const done = arguments[arguments.length - 1];
			fetch("/api/method/login", {method: "POST", credentials: "same-origin",
				headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
				body: new URLSearchParams({usr: arguments[0], pwd: arguments[1]})}).then((r) => done(r.status));""",
			MANAGER,
			PASSWORD,
		)
		self.assertEqual(status, 200)

	def assert_no_script_ran(self, url: str, ready_js: str | None = None):
		for _attempt in range(2):  # a desk view that stalls on a loaded machine gets one reload
			self.driver.get(self.url + url)
			deadline = time.time() + 40
			while ready_js and time.time() < deadline and not self.driver.execute_script(ready_js):
				time.sleep(0.5)
			if not ready_js or self.driver.execute_script(ready_js):
				break
		if ready_js:
			self.assertTrue(self.driver.execute_script(ready_js), f"{url} did not render")
		time.sleep(1.5)  # images fail to load and handlers fire
		self.assertFalse(self.driver.execute_script("return window.__prm_xss || 0"), f"script ran in {url}")

	def test_payloads_never_run_for_a_partner_manager(self):
		stored = self.store_payloads()
		self.assertTrue(stored, "no text field accepted any value: the probe is broken")
		self.login_manager()
		for doctype, name in sorted({(d, n) for d, n, _f in stored} | {("Partner", A_NAME)}):
			slug = frappe.scrub(doctype).replace("_", "-")
			with self.subTest(doctype=doctype, name=name, view="form"):
				self.assert_no_script_ran(
					f"/app/{slug}/{name}",
					f"return window.cur_frm && cur_frm.doc && cur_frm.doc.name === {json.dumps(name)}",
				)
			with self.subTest(doctype=doctype, view="list"):
				self.assert_no_script_ran(
					f"/app/{slug}", "return !!document.querySelector('.list-row, .no-result')"
				)
			with self.subTest(doctype=doctype, name=name, view="print"):
				self.assert_no_script_ran(
					f"/printview?doctype={doctype}&name={name}", "return document.readyState === 'complete'"
				)
