"""The partner portal over real HTTP: Frappe's WSGI app serves on 127.0.0.1 (a free port) in a thread;
partner A's user tries to reach partner B's records through every route a browser or script could use,
and Guest tries the portal. Every attempt must be refused or come back without B's data.

The fixtures are committed (the server has its own database connection); what the tests add is deleted
in tearDownClass. Ledger documents (B's invoice, its commission and Journal Entry) are idempotent,
persistent fixtures like ``make_company``'s.
"""

from __future__ import annotations

import io
import json
import os
import re
import threading

import frappe
import requests
from frappe.utils import add_days, nowdate
from frappe.utils.password import update_password
from werkzeug.serving import make_server

from prm_app.tests import PRMTestCase
from prm_app.tests.funds_utils import partner_fund_records, remove_partner_fund_records
from prm_app.tests.utils import (
	COMPANY,
	CUSTOMER,
	account,
	approve_registration_for_test,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_special_price_request,
	make_tier,
	set_list_price,
)

PASSWORD = "Portal-Test-9f3!x"
INVITED = "prm.portal.invited@example.com"
A_NAME, B_NAME = "_PRM Portal Partner A", "_PRM Portal Partner B"
A_USER, A_SALES, B_USER = (
	"prm.portal.a@example.com",
	"prm.portal.a.sales@example.com",
	"prm.portal.b@example.com",
)
DENIED = (401, 403, 404, 417)
# contents of B's records that no response to A may carry
B_PRIVATE = ("B private note", "B Secret Certification", "B SECRET CONTRACT", "pat@initech.com")


def small_pdf() -> bytes:
	"""A real one-page PDF (v16's File parses uploaded PDFs)."""
	from pypdf import PdfWriter

	writer = PdfWriter()
	writer.add_blank_page(width=72, height=72)
	buffer = io.BytesIO()
	writer.write(buffer)
	return buffer.getvalue()


serving = threading.local()


def script_elements(page: str) -> list[str]:
	"""The contents of the page's <script> elements, as a browser's parser finds them."""
	from html.parser import HTMLParser

	class Scripts(HTMLParser):
		def __init__(self):
			super().__init__(convert_charrefs=True)
			self.inside, self.found = False, []

		def handle_starttag(self, tag, attrs):
			if tag == "script":
				self.inside = True
				self.found.append("")

		def handle_endtag(self, tag):
			if tag == "script":
				self.inside = False

		def handle_data(self, data):
			if self.inside:
				self.found[-1] += data

	parser = Scripts()
	parser.feed(page)
	return parser.found


def save_csrf_tokens_when_serving():
	"""A new CSRF token is saved to the session as a deployed server saves it. Frappe v16 skips the save
	while ``frappe.in_test`` — a process-wide global, also true in this in-process server's threads (v15
	reads the per-request ``frappe.flags.in_test``) — and a session without a saved token is not checked
	for CSRF at all: without this, v16 requests served here would never be refused for a missing token."""
	import frappe.sessions

	original = frappe.sessions.generate_csrf_token
	if getattr(original, "_prm_saving", False):
		return

	def generate_csrf_token():
		original()
		if getattr(serving, "active", False) and getattr(frappe, "in_test", False):
			frappe.local.session_obj.update(force=True)

	generate_csrf_token._prm_saving = True
	frappe.sessions.generate_csrf_token = generate_csrf_token


def start_server():
	"""Frappe's WSGI application on 127.0.0.1 and a free port, in a daemon thread, serving this site
	(whatever Host the client sends: browsers cannot set X-Frappe-Site-Name)."""
	from frappe.app import StaticDataMiddleware, application
	from werkzeug.middleware.shared_data import SharedDataMiddleware

	site = frappe.local.site
	save_csrf_tokens_when_serving()

	def app(environ, start_response):
		environ["HTTP_X_FRAPPE_SITE_NAME"] = site
		serving.active = True
		return application(environ, start_response)

	# static assets and public files as `bench serve` serves them (frappe.app.application_with_statics)
	sites_path = os.path.abspath(frappe.local.sites_path)
	app = SharedDataMiddleware(app, {"/assets": os.path.join(sites_path, "assets")})
	app = StaticDataMiddleware(app, {"/files": sites_path})
	server = make_server(host="127.0.0.1", port=0, app=app, threaded=True)
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	return server, f"http://127.0.0.1:{server.server_port}"


def partner_with_user(name: str, user: str, plan: str, tier: str) -> frappe._dict:
	if frappe.db.exists("Partner", name):
		partner = frappe.get_doc("Partner", name)
	else:
		partner = make_partner(name, plan=plan, tier=tier)
	make_portal_user(user, partner)
	update_password(user, PASSWORD)
	return frappe.get_doc("Partner", name)


def ensure_invoice(partner) -> str:
	"""One submitted invoice (and so one commission) for the partner, made once."""
	existing = frappe.db.get_value("Partner Commission", {"partner": partner.name, "docstatus": 1})
	if not existing:
		make_invoice(partner, lines=[("_PRM Software", 1, 1000)])
		existing = frappe.db.get_value("Partner Commission", {"partner": partner.name, "docstatus": 1})
	return existing


class PortalFixtures(PRMTestCase):
	"""Partners A and B with portal users, B's records, and the HTTP server (shared by the isolation modules)."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		frappe.set_user("Administrator")
		cls.created: list[tuple[str, str]] = []
		cls.remove_leftovers()
		bronze, gold = make_tier("_PRM Portal Bronze", 1), make_tier("_PRM Portal Gold", 3)
		plan = frappe.db.get_value("Commission Plan", {"plan_name": "_PRM Portal Flat 10"}) or make_plan(
			"_PRM Portal Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		cls.a = partner_with_user(A_NAME, A_USER, plan, bronze)
		cls.b = partner_with_user(B_NAME, B_USER, plan, gold)
		make_portal_user(A_SALES, cls.a)
		frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_SALES}, "partner_role", "Sales")
		frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_USER}, "partner_role", "Admin")
		update_password(A_SALES, PASSWORD)
		cls.b_commission = ensure_invoice(cls.b)
		cls.a_commission = ensure_invoice(cls.a)
		cls.b_invoice = frappe.db.get_value("Partner Commission", cls.b_commission, "sales_invoice")
		cls.b_deal = cls.track(cls.registration(cls.b, "Initech Corporation", "initech.com"))
		cls.a_deal = cls.track(cls.registration(cls.a, "Umbrella Corporation", "umbrella.example"))
		cls.make_special_price_fixtures()
		cls.b_payout = cls.track(
			frappe.get_doc(
				{
					"doctype": "Partner Payout",
					"partner": B_NAME,
					"company": COMPANY,
					"posting_date": nowdate(),
					"from_date": add_days(nowdate(), -30),
					"to_date": nowdate(),
					"payment_account": account("Cash"),
				}
			).insert(ignore_permissions=True)
		)
		cls.b_history = cls.track(
			frappe.get_doc(
				{
					"doctype": "Partner Tier History",
					"partner": B_NAME,
					"to_tier": gold,
					"status": "Unchanged",
					"evaluated_on": nowdate(),
				}
			).insert(ignore_permissions=True)
		)
		cls.b_certification = cls.track(
			frappe.get_doc(
				{
					"doctype": "Partner Certification",
					"partner": B_NAME,
					"user": B_USER,
					"certification_name": "B Secret Certification",
					"issued_on": nowdate(),
				}
			).insert(ignore_permissions=True)
		)
		# Channel Funds: B's allocation, approved request and claim awaiting approval
		cls.b_funds = {doc.doctype: cls.track(doc) for doc in partner_fund_records(B_NAME)}
		cls.b_file = cls.track(
			frappe.get_doc(
				{
					"doctype": "File",
					"file_name": "b-secret-contract.txt",
					"attached_to_doctype": "Deal Registration",
					"attached_to_name": cls.b_deal,
					"is_private": 1,
					"content": b"B SECRET CONTRACT",
				}
			).insert(ignore_permissions=True)
		)
		cls.resources = {
			key: cls.track(
				frappe.get_doc(
					{
						"doctype": "Partner Resource",
						"title": title,
						"link": "https://example.com/" + key,
						"published": published,
						"minimum_tier": tier,
					}
				).insert(ignore_permissions=True)
			)
			for key, title, published, tier in (
				("all", "Portal Resource For Everyone", 1, None),
				("bronze", "Portal Resource Bronze", 1, bronze),
				("gold", "Portal Resource Gold Only", 1, gold),
				("draft", "Portal Resource Unpublished", 0, None),
			)
		}
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures
		cls.server, cls.url = start_server()

	@classmethod
	def make_special_price_fixtures(cls):
		"""Special pricing (issue 15): B's request on B's approved deal."""
		set_list_price("_PRM Software", 1000)
		cls.b_priced_deal = cls.track(cls.registration(cls.b, "Initech Pricing", "initech-pricing.example"))
		approve_registration_for_test(cls.b_priced_deal, CUSTOMER)
		cls.b_special_price = cls.track(
			make_special_price_request(
				cls.b_priced_deal,
				"_PRM Software",
				qty=3,
				requested_price=900,
				partner=B_NAME,
				justification="B private note",
				ignore_permissions=True,
			)
		)

	@classmethod
	def tearDownClass(cls):
		cls.server.shutdown()
		frappe.set_user("Administrator")
		frappe.db.rollback()
		for doctype, name in reversed(cls.created):
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True, delete_permanently=True)
		for name in frappe.get_all("Deal Registration", {"partner": ("in", [A_NAME, B_NAME])}, pluck="name"):
			frappe.delete_doc("Deal Registration", name, force=True, ignore_permissions=True)
		for name in frappe.get_all(
			"Partner", {"partner_name": ("like", "_PRM Portal Applicant%")}, pluck="name"
		):
			cls.delete_applicant(name)
		frappe.db.commit()  # nosemgrep: undo the committed fixtures
		super().tearDownClass()

	@classmethod
	def remove_leftovers(cls):
		"""What an aborted earlier run may have committed (and the welcome emails queued after commit)."""
		frappe.db.commit()  # nosemgrep: run after-commit callbacks (emails queue then) before cleaning up
		for name in frappe.get_all(
			"Partner Resource", {"title": ("like", "Portal Resource %")}, pluck="name"
		):
			frappe.delete_doc("Partner Resource", name, force=True, ignore_permissions=True)
		for name in frappe.get_all(
			"Partner", {"partner_name": ("like", "_PRM Portal Applicant%")}, pluck="name"
		):
			cls.delete_applicant(name)
		for doctype in ("Partner Tier History", "Partner Certification"):
			for name in frappe.get_all(doctype, {"partner": B_NAME}, pluck="name"):
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		remove_partner_fund_records(B_NAME)
		for name in frappe.get_all("Partner Payout", {"partner": B_NAME, "docstatus": 0}, pluck="name"):
			frappe.delete_doc("Partner Payout", name, force=True, ignore_permissions=True)
		for todo in frappe.get_all(
			"ToDo", {"reference_type": "Partner", "reference_name": A_NAME}, pluck="name"
		):
			frappe.delete_doc("ToDo", todo, force=True, ignore_permissions=True)
		if frappe.db.exists("Partner", A_NAME):
			partner = frappe.get_doc("Partner", A_NAME)
			partner.set("users", [row for row in partner.users if row.user != INVITED])
			partner.save(ignore_permissions=True)
		for contact in frappe.get_all("Contact", {"email_id": INVITED}, pluck="name"):
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		if frappe.db.exists("User", INVITED):
			frappe.delete_doc("User", INVITED, force=True, ignore_permissions=True)
		cls.delete_queued_mail()

	@classmethod
	def delete_queued_mail(cls):
		"""The invitation emails queued for the test users (other modules count Email Queue rows)."""
		queued = frappe.get_all(
			"Email Queue Recipient", {"recipient": ("like", "prm.portal.%")}, pluck="parent", distinct=True
		)
		frappe.db.delete("Email Queue Recipient", {"parent": ("in", queued or [""])})
		frappe.db.delete("Email Queue", {"name": ("in", queued or [""])})
		frappe.db.commit()  # nosemgrep: a clean start for the committed fixtures

	@classmethod
	def delete_applicant(cls, name):
		for todo in frappe.get_all(
			"ToDo", {"reference_type": "Partner", "reference_name": name}, pluck="name"
		):
			frappe.delete_doc("ToDo", todo, force=True, ignore_permissions=True)
		users = frappe.get_all("Partner User", {"parent": name}, pluck="user")
		contacts = frappe.get_all(
			"Dynamic Link",
			{"parenttype": "Contact", "link_doctype": "Partner", "link_name": name},
			pluck="parent",
		)
		sales_partner, supplier = frappe.db.get_value("Partner", name, ["sales_partner", "supplier"])
		frappe.delete_doc("Partner", name, force=True, ignore_permissions=True)
		for contact in contacts:
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		for user in users:
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		if sales_partner:
			frappe.delete_doc("Sales Partner", sales_partner, force=True, ignore_permissions=True)
		if supplier:
			frappe.delete_doc("Supplier", supplier, force=True, ignore_permissions=True)

	@classmethod
	def track(cls, doc):
		cls.created.append((doc.doctype, doc.name))
		return doc.name

	@classmethod
	def conflicting_with_b(cls, prospect: str, website: str, ignore_version: bool = True):
		"""A's registration with a hard conflict row naming B's deal, as the conflict check writes it."""
		doc = cls.registration(cls.a, prospect, website)
		doc.append(
			"conflicts",
			{
				"matched_doctype": "Deal Registration",
				"matched_record": cls.b_deal,
				"matched_name": "Initech Corporation",
				"matched_partner": B_NAME,
				"score": 100,
				"is_hard": 1,
				"reason": "B private note",
			},
		)
		doc.save(ignore_permissions=True, ignore_version=ignore_version)
		cls.created.append(("Deal Registration", doc.name))
		return doc

	@classmethod
	def registration(cls, partner, prospect: str, website: str):
		return frappe.get_doc(
			{
				"doctype": "Deal Registration",
				"partner": partner.name,
				"prospect_name": prospect,
				"website": website,
				"country": "United States",
				"contact_name": "Pat Buyer",
				"contact_email": "pat@" + website,
				"expected_amount": 5000,
				"currency": "USD",
				"expected_close_date": add_days(nowdate(), 30),
				"notes": "B private note" if partner.name == B_NAME else "A note",
				"products": [{"item_code": "_PRM Software", "qty": 1}],
			}
		).insert(ignore_permissions=True)

	# --- HTTP helpers --------------------------------------------------------------------------------------

	def session(self, user: str | None = A_USER) -> requests.Session:
		http = requests.Session()
		http.headers.update({"X-Frappe-Site-Name": frappe.local.site, "Accept": "application/json"})
		if user:
			response = http.post(f"{self.url}/api/method/login", data={"usr": user, "pwd": PASSWORD})
			self.assertEqual(response.status_code, 200, response.text[:300])
			page = http.get(f"{self.url}/partner" if user != A_SALES else f"{self.url}/partner/deals")
			token = re.search(r'frappe.csrf_token = "([^"]+)"', page.text)
			self.assertTrue(token, page.text[:500])
			http.csrf = token.group(1)
		return http

	def post(self, http, method: str, data=None, files=None, csrf: bool = True):
		headers = {"X-Frappe-CSRF-Token": http.csrf} if csrf and getattr(http, "csrf", None) else {}
		return http.post(f"{self.url}/api/method/{method}", data=data, files=files, headers=headers)

	def assert_refused_or_empty(self, response, *secrets: str):
		"""403/401/404 (or an exception) without B's data, or a 200 whose body holds none of ``secrets``
		(a refusal may repeat the name the caller sent; it must not carry B's contents)."""
		body = response.text
		for private in B_PRIVATE:
			self.assertNotIn(private, body, f"{response.request.method} {response.url} leaked {private!r}")
		if response.status_code == 200:
			for secret in secrets:
				self.assertNotIn(secret, body, f"{response.request.method} {response.url} leaked {secret!r}")
		else:
			self.assertIn(
				response.status_code, DENIED, f"{response.url}: {response.status_code} {body[:200]}"
			)

	def assert_refused(self, response):
		self.assertIn(
			response.status_code, DENIED, f"{response.url}: {response.status_code} {response.text[:300]}"
		)

	# --- A against B ------------------------------------------------------------------------------------------

	def b_records(self):
		return {
			"Partner": B_NAME,
			"Partner Commission": self.b_commission,
			"Partner Payout": self.b_payout,
			"Deal Registration": self.b_deal,
			"Partner Tier History": self.b_history,
			"Partner Certification": self.b_certification,
			"Fund Allocation": self.b_funds["Fund Allocation"],
			"Fund Request": self.b_funds["Fund Request"],
			"Fund Claim": self.b_funds["Fund Claim"],
			"Special Price Request": self.b_special_price,
		}


class TestPortalIsolation(PortalFixtures):
	def test_rest_api_documents_and_lists(self):
		http = self.session()
		for doctype, name in self.b_records().items():
			with self.subTest(doctype=doctype):
				self.assert_refused(http.get(f"{self.url}/api/resource/{doctype}/{name}"))
				listed = http.get(
					f"{self.url}/api/resource/{doctype}",
					params={"fields": json.dumps(["name"]), "limit_page_length": 0},
				)
				self.assert_refused_or_empty(listed, name)
				self.assert_refused(
					http.delete(
						f"{self.url}/api/resource/{doctype}/{name}",
						headers={"X-Frappe-CSRF-Token": http.csrf},
					)
				)
				self.assert_refused(
					http.put(
						f"{self.url}/api/resource/{doctype}/{name}",
						json={"notes": "x"},
						headers={"X-Frappe-CSRF-Token": http.csrf},
					)
				)
		partners = http.get(f"{self.url}/api/resource/Partner", params={"limit_page_length": 0}).json()[
			"data"
		]
		self.assertEqual([p["name"] for p in partners], [A_NAME])
		own = http.get(f"{self.url}/api/resource/Partner/{A_NAME}")
		self.assertEqual(own.status_code, 200)

	def test_frappe_client_methods(self):
		http = self.session()
		for doctype, name in self.b_records().items():
			with self.subTest(doctype=doctype):
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.get", params={"doctype": doctype, "name": name}
					),
					name,
				)
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.get_list",
						params={"doctype": doctype, "fields": json.dumps(["name"]), "limit_page_length": 0},
					),
					name,
				)
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.get_value",
						params={
							"doctype": doctype,
							"fieldname": "name",
							"filters": json.dumps({"name": name}),
						},
					),
					name,
				)
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.get_count",
						params={"doctype": doctype, "filters": json.dumps({"name": name})},
					),
				)
				self.assert_refused_or_empty(
					http.post(
						f"{self.url}/api/method/frappe.desk.reportview.get",
						data={"doctype": doctype, "fields": json.dumps(["name"])},
						headers={"X-Frappe-CSRF-Token": http.csrf},
					),
					name,
				)
		for doctype, name in self.b_records().items():
			count = http.get(
				f"{self.url}/api/method/frappe.client.get_count",
				params={"doctype": doctype, "filters": json.dumps({"name": name})},
			)
			if count.status_code == 200:
				self.assertEqual(count.json()["message"], 0, doctype)
			else:
				self.assert_refused(count)

	def test_portal_endpoints_and_pages(self):
		http = self.session()
		self.assert_refused(self.post(http, "prm_app.api.portal.withdraw_deal", {"name": self.b_deal}))
		self.assertEqual(frappe.db.get_value("Deal Registration", self.b_deal, "status"), "Draft")
		self.assert_refused(
			http.get(
				f"{self.url}/api/method/prm_app.api.portal.statement_pdf", params={"payout": self.b_payout}
			)
		)
		self.assert_refused_or_empty(
			http.get(f"{self.url}/partner/deal", params={"name": self.b_deal}), "Initech"
		)
		for path in (
			"/partner",
			"/partner/deals",
			"/partner/commissions",
			"/partner/payouts",
			"/partner/profile",
		):
			with self.subTest(path=path):
				page = http.get(self.url + path)
				self.assertEqual(page.status_code, 200, page.text[:300])
				for secret in (B_NAME, self.b_commission, self.b_deal, "Initech", B_USER, self.b_invoice):
					self.assertNotIn(secret, page.text, f"{path} shows {secret}")
		# the statement and tier progress endpoints refuse another partner's name
		self.assert_refused(
			http.get(
				f"{self.url}/api/method/prm_app.statement.download_statement",
				params={"partner": B_NAME, "from_date": "2020-01-01", "to_date": nowdate()},
			)
		)
		self.assert_refused(
			http.get(f"{self.url}/api/method/prm_app.tiers.get_tier_progress", params={"partner": B_NAME})
		)
		csv_text = http.get(f"{self.url}/api/method/prm_app.api.portal.commissions_csv").text
		self.assertIn(self.a_commission, csv_text)
		self.assertNotIn(self.b_commission, csv_text)

	def test_reports_print_and_files(self):
		http = self.session()
		for report in ("Partner Commission Register", "Commission Reconciliation", "Partner Scorecard"):
			with self.subTest(report=report):
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.desk.query_report.run",
						params={
							"report_name": report,
							"filters": json.dumps(
								{
									"company": COMPANY,
									"partner": B_NAME,
									"from_date": "2020-01-01",
									"to_date": nowdate(),
								}
							),
						},
					),
					B_NAME,
					self.b_commission,
				)
		for doctype, name in self.b_records().items():
			with self.subTest(print=doctype):
				self.assert_refused_or_empty(
					http.get(f"{self.url}/printview", params={"doctype": doctype, "name": name}), name
				)
				self.assert_refused(
					http.get(
						f"{self.url}/api/method/frappe.utils.print_format.download_pdf",
						params={"doctype": doctype, "name": name},
					)
				)
		file_url = frappe.db.get_value("File", self.b_file, "file_url")
		secret = http.get(self.url + file_url)
		self.assertNotIn("B SECRET CONTRACT", secret.text)
		self.assert_refused(secret)
		files = http.get(
			f"{self.url}/api/method/frappe.client.get_list",
			params={"doctype": "File", "fields": json.dumps(["file_url"]), "limit_page_length": 0},
		)
		self.assert_refused_or_empty(files, "b-secret-contract")

	def test_guest(self):
		http = self.session(None)
		for path in (
			"/partner",
			"/partner/deals",
			"/partner/commissions",
			"/partner/payouts",
			"/partner/profile",
		):
			with self.subTest(path=path):
				self.assert_refused(http.get(self.url + path))
		for doctype, name in self.b_records().items():
			self.assert_refused(http.get(f"{self.url}/api/resource/{doctype}/{name}"))
		self.assert_refused(http.get(f"{self.url}/api/method/prm_app.api.portal.commissions_csv"))
		self.assert_refused(http.post(f"{self.url}/api/method/prm_app.api.portal.register_deal", data={}))
		self.assert_refused(http.get(self.url + frappe.db.get_value("File", self.b_file, "file_url")))
		self.assertEqual(http.get(f"{self.url}/partner/apply").status_code, 200)

	def test_partner_role_limits_areas(self):
		http = self.session(A_SALES)
		self.assertEqual(http.get(f"{self.url}/partner/deals").status_code, 200)
		self.assert_refused(http.get(f"{self.url}/partner/commissions"))
		self.assert_refused(http.get(f"{self.url}/api/method/prm_app.api.portal.commissions_csv"))
		self.assert_refused_or_empty(
			http.get(f"{self.url}/api/resource/Partner Commission/{self.a_commission}"), self.a_commission
		)
		self.assert_refused(
			self.post(
				http, "prm_app.api.portal.invite_colleague", {"email": "x@example.com", "full_name": "X"}
			)
		)

	def test_resources_filtered_by_tier(self):
		http = self.session()
		page = http.get(f"{self.url}/partner/resources").text
		self.assertIn("Portal Resource For Everyone", page)
		self.assertIn("Portal Resource Bronze", page)
		self.assertNotIn("Portal Resource Gold Only", page)
		self.assertNotIn("Portal Resource Unpublished", page)
		self.assert_refused(http.get(f"{self.url}/api/resource/Partner Resource/{self.resources['gold']}"))
		self.assert_refused(http.get(f"{self.url}/api/resource/Partner Resource/{self.resources['draft']}"))
		listed = http.get(f"{self.url}/api/resource/Partner Resource", params={"limit_page_length": 0}).json()
		self.assertEqual(
			sorted(r["name"] for r in listed["data"]),
			sorted([self.resources["all"], self.resources["bronze"]]),
		)

	# --- CSRF, escaping, uploads ----------------------------------------------------------------------------

	def test_csrf_enforced_on_post(self):
		http = self.session()
		deal = {
			"prospect_name": "Csrf Corp",
			"expected_amount": 100,
			"products": json.dumps(["_PRM Software"]),
			"website": "csrf-corp.example",
		}
		refused = self.post(http, "prm_app.api.portal.register_deal", deal, csrf=False)
		frappe.db.rollback()
		self.assertEqual(refused.status_code, 400, refused.text[:300])
		self.assertIn("CSRFTokenError", refused.text)
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": "Csrf Corp"}))

	def test_script_in_notes_is_escaped(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{
				"prospect_name": "Scripty & Corp",
				"website": "scripty.example",
				"contact_email": "buyer@scripty.example",
				"expected_amount": 1200,
				"expected_close_date": add_days(nowdate(), 20),
				"products": json.dumps(["_PRM Software"]),
				"notes": "<script>alert('xss')</script>",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		name = response.json()["message"]["name"]
		page = http.get(f"{self.url}/partner/deal", params={"name": name}).text
		self.assertNotIn("<script>alert('xss')</script>", page)
		# no script element of the page runs the notes' code: v15 stores Small Text escaped (and the page
		# escapes again), v16 strips the tag when it sanitizes; either way the browser gets no live tag
		self.assertFalse(
			[code for code in script_elements(page) if "xss" in code], "the notes' script is live in the page"
		)
		frappe.db.rollback()
		self.assertNotIn("<script", (frappe.db.get_value("Deal Registration", name, "notes") or "").lower())
		# markup in a prospect's name is refused with a clear message (it would become a Customer name)
		marked = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{
				"prospect_name": "Scripty <b>Corp</b>",
				"website": "scripty2.example",
				"expected_amount": 1200,
				"expected_close_date": add_days(nowdate(), 20),
				"products": json.dumps(["_PRM Software"]),
			},
		)
		self.assertEqual(marked.status_code, 417, marked.text[:300])
		self.assertIn("cannot contain", marked.text)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": ("like", "Scripty <b>%")}))

	def test_uploads_limited_in_size_and_type(self):
		http = self.session()
		method = "prm_app.api.portal.upload_deal_attachment"
		ok = self.post(http, method, {"name": self.a_deal}, files={"file": ("offer.pdf", small_pdf())})
		self.assertEqual(ok.status_code, 200, ok.text[:300])
		# bytes that only start like a PDF: refused with a message (v16's File check would fail with a 500)
		broken = self.post(http, method, {"name": self.a_deal}, files={"file": ("x.pdf", b"%PDF-1.4 small")})
		self.assertEqual(broken.status_code, 417, broken.text[:300])
		self.assertIn("not a readable PDF", broken.text)
		self.created.append(("File", ok.json()["message"]["name"]))
		self.assertTrue(ok.json()["message"]["file_url"].startswith("/private/files/"))
		bad_type = self.post(
			http, method, {"name": self.a_deal}, files={"file": ("x.html", b"<script></script>")}
		)
		self.assertNotEqual(bad_type.status_code, 200)
		self.assertIn("not allowed", bad_type.text)
		too_big = self.post(
			http, method, {"name": self.a_deal}, files={"file": ("big.pdf", b"0" * (5 * 1024 * 1024 + 10))}
		)
		self.assertNotEqual(too_big.status_code, 200)
		self.assertIn("larger than", too_big.text)
		other = self.post(http, method, {"name": self.b_deal}, files={"file": ("a.pdf", b"%PDF")})
		self.assert_refused(other)
		# Frappe's generic upload to B's record is refused too
		generic = self.post(
			http,
			"upload_file",
			{"doctype": "Deal Registration", "docname": self.b_deal, "is_private": 1},
			files={"file": ("g.pdf", b"%PDF")},
		)
		self.assertNotEqual(generic.status_code, 200, generic.text[:300])

	# --- portal actions -----------------------------------------------------------------------------------

	def test_register_and_withdraw_own_deal(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{
				"prospect_name": "Own Deal Industries",
				"website": "own-deal.example",
				"expected_amount": 2500,
				"expected_close_date": add_days(nowdate(), 45),
				"products": json.dumps(["_PRM Software"]),
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		name = response.json()["message"]["name"]
		frappe.db.rollback()  # see what the server committed
		self.assertEqual(frappe.db.get_value("Deal Registration", name, "partner"), A_NAME)
		self.assertIn("Own Deal Industries", http.get(f"{self.url}/partner/deals").text)
		withdrawn = self.post(http, "prm_app.api.portal.withdraw_deal", {"name": name})
		self.assertEqual(withdrawn.status_code, 200, withdrawn.text[:300])
		self.assertEqual(withdrawn.json()["message"]["status"], "Withdrawn")

	def test_statement_pdf_and_dashboard(self):
		http = self.session()
		pdf = http.get(
			f"{self.url}/api/method/prm_app.api.portal.statement_pdf",
			params={"from_date": add_days(nowdate(), -400), "to_date": nowdate()},
		)
		self.assertEqual(pdf.status_code, 200, pdf.text[:300])
		self.assertTrue(pdf.content.startswith(b"%PDF"))
		dashboard = http.get(f"{self.url}/partner").text
		self.assertIn("_PRM Portal Bronze", dashboard)
		self.assertIn("prm-chart", dashboard)

	def test_apply_honeypot_rate_limit_and_approval(self):
		frappe.cache.delete_value("prm:apply:127.0.0.1")
		http = self.session(None)
		url = f"{self.url}/api/method/prm_app.api.portal.apply"
		form = {"partner_name": "_PRM Portal Applicant Bot", "email": "bot@bot.example", "full_name": "Bot"}
		self.assertEqual(http.post(url, data={**form, "company_url": "http://spam"}).status_code, 200)
		self.assertFalse(frappe.db.exists("Partner", "_PRM Portal Applicant Bot"))
		form = {
			"partner_name": "_PRM Portal Applicant Co",
			"email": "prm.portal.applicant@example.com",
			"full_name": "Ada Applicant",
			"message": "<script>x</script>",
		}
		self.assertEqual(http.post(url, data=form).status_code, 200)
		frappe.db.rollback()
		applicant = frappe.db.get_value(
			"Partner", "_PRM Portal Applicant Co", ["status", "sales_partner"], as_dict=True
		)
		self.assertEqual(applicant.status, "Applicant")
		self.assertFalse(applicant.sales_partner)
		self.assertTrue(
			frappe.db.exists(
				"ToDo", {"reference_type": "Partner", "reference_name": "_PRM Portal Applicant Co"}
			)
		)
		statuses = [http.post(url, data=form).status_code for _i in range(5)]
		self.assertIn(429, statuses)
		frappe.cache.delete_value("prm:apply:127.0.0.1")
		# a partner user cannot approve; a Partner Manager (Administrator here) can
		self.assert_refused(
			self.post(
				self.session(),
				"prm_app.api.portal.approve_application",
				{"partner": "_PRM Portal Applicant Co"},
			)
		)
		from prm_app.api.portal import approve_application

		result = approve_application("_PRM Portal Applicant Co")
		frappe.db.commit()  # nosemgrep: tearDownClass deletes the applicant
		self.assertTrue(
			frappe.db.exists("Email Queue Recipient", {"recipient": "prm.portal.applicant@example.com"}),
			"the welcome (set your password) email was not queued",
		)
		self.delete_queued_mail()
		self.assertEqual(result["status"], "Active")
		self.assertTrue(result["sales_partner"])
		self.assertEqual(result["user"], "prm.portal.applicant@example.com")
		self.assertIn("Partner", frappe.get_roles(result["user"]))
		self.assertEqual(
			frappe.db.get_value(
				"Partner User", {"parent": "_PRM Portal Applicant Co", "user": result["user"]}, "partner_role"
			),
			"Admin",
		)

	def test_admin_invites_and_removes_colleagues(self):
		http = self.session()
		invited = self.post(
			http,
			"prm_app.api.portal.invite_colleague",
			{"email": INVITED, "full_name": "Ivy Invited", "partner_role": "Finance"},
		)
		self.assertEqual(invited.status_code, 200, invited.text[:300])
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Partner User", {"parent": A_NAME, "user": INVITED}, "partner_role"),
			"Finance",
		)
		self.assertEqual(frappe.db.get_value("User", INVITED, "user_type"), "Website User")
		self.assertEqual(frappe.get_roles(INVITED), ["Partner", "All", "Guest"])
		self.assertTrue(frappe.db.exists("Email Queue Recipient", {"recipient": INVITED}))
		# another partner's user cannot be pulled in, nor removed
		hijack = self.post(
			http,
			"prm_app.api.portal.invite_colleague",
			{"email": B_USER, "full_name": "B", "partner_role": "Admin"},
		)
		self.assertNotEqual(hijack.status_code, 200)
		self.assert_refused(self.post(http, "prm_app.api.portal.remove_colleague", {"user": B_USER}))
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Partner User", {"parent": A_NAME, "user": B_USER}))
		self.assertTrue(frappe.db.exists("Partner User", {"parent": B_NAME, "user": B_USER}))
		removed = self.post(http, "prm_app.api.portal.remove_colleague", {"user": INVITED})
		self.assertEqual(removed.status_code, 200, removed.text[:300])
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Partner User", {"parent": A_NAME, "user": INVITED}))
		self.assertEqual(frappe.db.get_value("User", INVITED, "enabled"), 0)
		self.delete_queued_mail()

	def test_bank_details_go_to_a_partner_manager(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.update_profile",
			{
				"website": "https://a-partner.example",
				"bank_name": "First <b>Bank</b>",
				"iban": "DE89370400440532013000",
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Partner", A_NAME, "website"), "https://a-partner.example")
		todos = frappe.get_all(
			"ToDo", {"reference_type": "Partner", "reference_name": A_NAME}, pluck="description"
		)
		self.assertTrue(any("DE89370400440532013000" in d for d in todos), todos)
		self.assertFalse(any("<b>Bank</b>" in d for d in todos), todos)
		sales = self.session(A_SALES)
		self.assert_refused(self.post(sales, "prm_app.api.portal.update_profile", {"iban": "X"}))

	def test_conflict_outcome_never_names_the_other_partner(self):
		other = self.registration(self.b, "Hooli Incorporated", "hooli.example")
		self.created.append(("Deal Registration", other.name))
		other.submit_registration()
		frappe.db.commit()  # nosemgrep: the server must see B's submitted registration
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{
				"prospect_name": "Hooli Incorporated",
				"website": "hooli.example",
				"expected_amount": 3000,
				"expected_close_date": add_days(nowdate(), 40),
				"products": json.dumps(["_PRM Software"]),
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		name = response.json()["message"]["name"]
		frappe.db.rollback()
		self.assertTrue(
			frappe.db.get_all("Deal Registration Conflict", {"parent": name}, pluck="matched_partner")
		)
		page = http.get(f"{self.url}/partner/deal", params={"name": name}).text
		self.assertIn("vendor reviews", page)
		for secret in (B_NAME, other.name, B_USER):
			self.assertNotIn(secret, page)
		# nor through the API: the registration's own JSON is not readable field by field for conflicts
		own = http.get(f"{self.url}/api/resource/Deal Registration/{name}")
		self.assert_refused_or_empty(own, B_NAME, other.name)

	def test_child_tables_links_and_search(self):
		http = self.session()
		for doctype, parent in (
			("Partner User", "Partner"),
			("Deal Registration Product", "Deal Registration"),
			("Deal Registration Conflict", "Deal Registration"),
			("Partner Commission Line", "Partner Commission"),
			("Partner Payout Commission", "Partner Payout"),
		):
			with self.subTest(child=doctype):
				for response in (
					http.get(
						f"{self.url}/api/method/frappe.client.get_list",
						params={
							"doctype": doctype,
							"parent": parent,
							"fields": json.dumps(["*"]),
							"limit_page_length": 0,
						},
					),
					http.get(
						f"{self.url}/api/resource/{doctype}",
						params={"parent": parent, "fields": json.dumps(["*"]), "limit_page_length": 0},
					),
				):
					self.assert_refused_or_empty(response, B_NAME, B_USER, self.b_deal, self.b_commission)
		own_users = http.get(
			f"{self.url}/api/method/frappe.client.get_list",
			params={"doctype": "Partner User", "parent": "Partner", "fields": json.dumps(["user"])},
		).json()["message"]
		self.assertIn(A_USER, [row["user"] for row in own_users])
		for doctype, name in self.b_records().items():
			with self.subTest(link=doctype):
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.validate_link",
						params={"doctype": doctype, "docname": name},
					),
					name,
				)
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.desk.search.search_link",
						params={"doctype": doctype, "txt": name[:12]},
					),
					name,
				)
				self.assert_refused(
					http.get(
						f"{self.url}/api/method/frappe.desk.form.load.getdoc",
						params={"doctype": doctype, "name": name},
					)
				)
		self.assertEqual(
			http.get(
				f"{self.url}/api/method/frappe.client.validate_link",
				params={"doctype": "Partner", "docname": A_NAME},
			).json()["message"]["name"],
			A_NAME,
		)

	def test_resource_files_follow_the_tier(self):
		files = {}
		for key in ("bronze", "gold"):
			doc = frappe.get_doc(
				{
					"doctype": "File",
					"file_name": f"portal-{key}-guide.txt",
					"attached_to_doctype": "Partner Resource",
					"attached_to_name": self.resources[key],
					"is_private": 1,
					"content": f"{key.upper()} TIER GUIDE".encode(),
				}
			).insert(ignore_permissions=True)
			self.created.append(("File", doc.name))
			files[key] = doc.file_url
		frappe.db.commit()  # nosemgrep: the server must see the files
		http = self.session()
		bronze = http.get(self.url + files["bronze"])
		self.assertEqual(bronze.status_code, 200)
		self.assertIn("BRONZE TIER GUIDE", bronze.text)
		gold = http.get(self.url + files["gold"])
		self.assert_refused(gold)
		self.assertNotIn("GOLD TIER GUIDE", gold.text)
		self.assert_refused(self.session(None).get(self.url + files["bronze"]))

	# --- issue 11: what an attacker tries (each test failed before the fix) ----------------------------------

	def unsafe(self, http, method: str, path: str, **kwargs):
		headers = {"X-Frappe-CSRF-Token": http.csrf, **kwargs.pop("headers", {})}
		return http.request(method, self.url + path, headers=headers, **kwargs)

	def stored(self, doctype: str, name: str, *fields):
		frappe.db.rollback()  # see what the server committed
		return frappe.db.get_value(doctype, name, list(fields), as_dict=True)

	def test_owner_is_the_stored_one_on_every_write_path(self):
		"""1. PUT / set_value / PATCH v2 / run_doc_method with partner=A on B's draft are refused; A cannot
		give its own draft away either."""
		http = self.session()
		before = self.stored("Deal Registration", self.b_deal, "partner", "notes", "modified")
		attempts = {
			"PUT v1": self.unsafe(
				http, "PUT", f"/api/resource/Deal Registration/{self.b_deal}", json={"partner": A_NAME}
			),
			"PATCH v2": self.unsafe(
				http, "PATCH", f"/api/v2/document/Deal Registration/{self.b_deal}/", json={"partner": A_NAME}
			),
			"set_value": self.post(
				http,
				"frappe.client.set_value",
				{
					"doctype": "Deal Registration",
					"name": self.b_deal,
					"fieldname": "partner",
					"value": A_NAME,
				},
			),
			"save": self.post(
				http,
				"frappe.client.save",
				{
					"doc": json.dumps(
						{
							**frappe.get_doc("Deal Registration", self.b_deal).as_dict(
								convert_dates_to_str=True
							),
							"partner": A_NAME,
						}
					)
				},
			),
			"run_doc_method": self.post(
				http,
				"run_doc_method",
				{
					"docs": json.dumps(
						{
							**frappe.get_doc("Deal Registration", self.b_deal).as_dict(
								convert_dates_to_str=True
							),
							"partner": A_NAME,
						}
					),
					"method": "withdraw",
				},
			),
		}
		for channel, response in attempts.items():
			with self.subTest(channel=channel):
				self.assert_refused(response)
				self.assertNotIn("B private note", response.text)
		self.assertEqual(
			self.stored("Deal Registration", self.b_deal, "partner", "notes", "modified"), before
		)
		give_away = self.unsafe(
			http, "PUT", f"/api/resource/Deal Registration/{self.a_deal}", json={"partner": B_NAME}
		)
		self.assert_refused(give_away)
		self.assertEqual(self.stored("Deal Registration", self.a_deal, "partner").partner, A_NAME)
		# a new registration naming B is refused; the session's partner is the owner
		forged = self.unsafe(
			http,
			"POST",
			"/api/resource/Deal Registration",
			json={
				"partner": B_NAME,
				"prospect_name": "Forged Owner Ltd",
				"website": "forged-owner.example",
				"expected_amount": 100,
				"currency": "USD",
				"expected_close_date": add_days(nowdate(), 10),
				"products": [{"item_code": "_PRM Software", "qty": 1}],
			},
		)
		self.assert_refused(forged)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": "Forged Owner Ltd"}))

	def protected_opportunity_of_b(self) -> str:
		opportunity = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": "_PRM Test Customer",
				"company": COMPANY,
				"deal_registration": self.b_deal,
				"prm_sales_partner": self.b.sales_partner,
			}
		).insert(ignore_permissions=True)
		self.created.append(("Opportunity", opportunity.name))
		frappe.db.commit()  # nosemgrep: the server must see B's opportunity
		return opportunity.name

	def test_links_must_point_to_what_the_partner_may_read(self):
		"""2. A cannot register (nor edit its draft into) a deal whose opportunity is B's protected
		Opportunity or whose customer is a vendor's Customer."""
		opportunity = self.protected_opportunity_of_b()
		http = self.session()
		deal = {
			"prospect_name": "Link Thief Inc",
			"website": "link-thief.example",
			"expected_amount": 100,
			"currency": "USD",
			"expected_close_date": add_days(nowdate(), 10),
			"products": [{"item_code": "_PRM Software", "qty": 1}],
		}
		for field, value in (("opportunity", opportunity), ("customer", "_PRM Test Customer")):
			with self.subTest(field=field):
				self.assert_refused(
					self.unsafe(http, "POST", "/api/resource/Deal Registration", json={**deal, field: value})
				)
				self.assert_refused(
					self.unsafe(
						http, "PUT", f"/api/resource/Deal Registration/{self.a_deal}", json={field: value}
					)
				)
				self.assertFalse(self.stored("Deal Registration", self.a_deal, field)[field])
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": "Link Thief Inc"}))
		self.assertEqual(frappe.db.get_value("Opportunity", opportunity, "deal_registration"), self.b_deal)

	def a_deal_with_conflict_naming_b(self) -> str:
		doc = self.conflicting_with_b("Conflicted Corp", "conflicted.example")
		frappe.db.commit()  # nosemgrep: the server must see the conflict rows
		return doc.name

	def test_hidden_child_rows_not_reachable_through_the_parent(self):
		"""3. Conflict rows (permlevel 1) cannot be read through Deal Registration lists: neither as
		columns nor as filters, on any list channel."""
		self.a_deal_with_conflict_naming_b()
		http = self.session()
		child = "Deal Registration Conflict"
		columns = [f"`tab{child}`.`matched_partner`", "conflicts.matched_partner", f"`tab{child}`.*"]
		filters = [
			[[child, "matched_partner", "=", B_NAME]],
			{"matched_partner": B_NAME},
			[[child, "matched_record", "like", "%"]],
		]
		for column in columns:
			with self.subTest(column=column):
				fields = json.dumps(["name", column])
				for response in (
					http.get(f"{self.url}/api/resource/Deal Registration", params={"fields": fields}),
					http.get(
						f"{self.url}/api/method/frappe.client.get_list",
						params={"doctype": "Deal Registration", "fields": fields},
					),
					self.post(
						http, "frappe.desk.reportview.get", {"doctype": "Deal Registration", "fields": fields}
					),
					http.get(f"{self.url}/api/v2/document/Deal Registration", params={"fields": fields}),
				):
					self.assert_refused_or_empty(response, B_NAME, self.b_deal)
		for condition in filters:
			with self.subTest(filters=condition):
				params = {"filters": json.dumps(condition), "fields": json.dumps(["name"])}
				for response in (
					http.get(f"{self.url}/api/resource/Deal Registration", params=params),
					http.get(
						f"{self.url}/api/method/frappe.client.get_list",
						params={"doctype": "Deal Registration", **params},
					),
					self.post(http, "frappe.desk.reportview.get", {"doctype": "Deal Registration", **params}),
					http.get(f"{self.url}/api/v2/document/Deal Registration", params=params),
					http.get(
						f"{self.url}/api/method/frappe.client.get_count",
						params={"doctype": "Deal Registration", "filters": params["filters"]},
					),
				):
					self.assert_refused(response)

	def test_profile_writes_through_the_document(self):
		"""4. Script in the website is refused (portal and Guest application); javascript: URLs too; a
		bank-only update keeps the website."""
		http = self.session()
		kept = self.post(http, "prm_app.api.portal.update_profile", {"website": "https://a-kept.example"})
		self.assertEqual(kept.status_code, 200, kept.text[:300])
		for payload in ('https://x/"><img src=x onerror=alert(1)>', "javascript:alert(1)", "ftp://a.example"):
			with self.subTest(payload=payload):
				response = self.post(http, "prm_app.api.portal.update_profile", {"website": payload})
				self.assertEqual(response.status_code, 417, response.text[:300])
				self.assertIn("http", response.json().get("_server_messages", ""))
		self.assertEqual(self.stored("Partner", A_NAME, "website").website, "https://a-kept.example")
		bank_only = self.post(http, "prm_app.api.portal.update_profile", {"bank_name": "Bank Only"})
		self.assertEqual(bank_only.status_code, 200, bank_only.text[:300])
		self.assertEqual(self.stored("Partner", A_NAME, "website").website, "https://a-kept.example")
		frappe.cache.delete_value("prm:apply:127.0.0.1")
		guest = self.session(None).post(
			f"{self.url}/api/method/prm_app.api.portal.apply",
			data={
				"partner_name": "_PRM Portal Applicant Js",
				"email": "prm.portal.js@example.com",
				"full_name": "Js Applicant",
				"website": "javascript:alert(1)",
			},
		)
		self.assertEqual(guest.status_code, 417, guest.text[:300])
		self.assertFalse(frappe.db.exists("Partner", "_PRM Portal Applicant Js"))
		marked = self.session(None).post(
			f"{self.url}/api/method/prm_app.api.portal.apply",
			data={
				"partner_name": "_PRM Portal Applicant <b>Bold</b>",
				"email": "prm.portal.bold@example.com",
				"full_name": "Bold Applicant",
			},
		)
		self.assertEqual(marked.status_code, 417, marked.text[:300])
		self.assertIn("cannot contain", marked.text)
		frappe.cache.delete_value("prm:apply:127.0.0.1")

	def test_invitation_never_takes_over_another_partys_contact(self):
		"""5. Inviting the email of a customer's contact is refused; the contact keeps no user."""
		email = "prm.portal.customer.contact@example.com"
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Customer",
				"last_name": "Contact",
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"links": [{"link_doctype": "Customer", "link_name": "_PRM Test Customer"}],
			}
		).insert(ignore_permissions=True)
		self.created.append(("Contact", contact.name))
		frappe.db.commit()  # nosemgrep: the server must see the contact
		http = self.session()
		response = self.post(
			http, "prm_app.api.portal.invite_colleague", {"email": email, "full_name": "Hijack Attempt"}
		)
		self.assert_refused(response)
		frappe.db.rollback()
		self.assertFalse(frappe.db.get_value("Contact", contact.name, "user"))
		self.assertFalse(frappe.db.exists("User", email))
		self.assertFalse(frappe.db.exists("Partner User", {"parent": A_NAME, "user": email}))
		links = frappe.get_all("Dynamic Link", {"parent": contact.name}, pluck="link_doctype")
		self.assertEqual(links, ["Customer"])

	def test_files_roles_links_and_errors(self):
		"""6. validate_link and File reads do not name the record a private file is on; files cannot be
		attached to B's records; roles and contact links of others are not listed; no tracebacks; the
		application limit cannot be dodged with X-Forwarded-For."""
		http = self.session()
		for response in (
			http.get(
				f"{self.url}/api/method/frappe.client.validate_link",
				params={
					"doctype": "File",
					"docname": self.b_file,
					"fields": json.dumps(["attached_to_name"]),
				},
			),
			http.get(f"{self.url}/api/resource/File/{self.b_file}"),
			http.get(
				f"{self.url}/api/method/frappe.client.get",
				params={"doctype": "File", "name": self.b_file},
			),
		):
			self.assertNotIn(self.b_deal, response.text, response.url)
		attach = self.unsafe(
			http,
			"POST",
			"/api/resource/File",
			json={
				"file_name": "planted.txt",
				"content": "planted by A",
				"attached_to_doctype": "Deal Registration",
				"attached_to_name": self.b_deal,
				"is_private": 1,
			},
		)
		self.assert_refused(attach)
		frappe.db.rollback()
		self.assertFalse(
			frappe.db.exists("File", {"attached_to_name": self.b_deal, "file_name": "planted.txt"})
		)
		roles = http.get(
			f"{self.url}/api/resource/Has Role",
			params={"parent": "User", "fields": json.dumps(["parent", "role"]), "limit_page_length": 0},
		)
		self.assert_refused_or_empty(roles, B_USER, "Administrator", "System Manager")
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "B",
				"last_name": "Contact",
				"links": [{"link_doctype": "Partner", "link_name": B_NAME}],
			}
		).insert(ignore_permissions=True)
		self.created.append(("Contact", contact.name))
		frappe.db.commit()  # nosemgrep: the server must see B's contact
		links = http.get(
			f"{self.url}/api/resource/Dynamic Link",
			params={
				"parent": "Contact",
				"fields": json.dumps(["parent", "link_name"]),
				"limit_page_length": 0,
			},
		)
		self.assert_refused_or_empty(links, B_NAME, contact.name)
		users = http.get(f"{self.url}/api/resource/User", params={"limit_page_length": 0})
		self.assert_refused_or_empty(users, B_USER, "Administrator")
		# a server error reaches a website user as a message, never as a traceback
		broken = http.get(
			f"{self.url}/api/method/frappe.client.get_list",
			params={"doctype": "Deal Registration", "order_by": "no_such_column desc"},
		)
		self.assertNotEqual(broken.status_code, 200)
		# v15 fails in SQL (answered as a plain server error), v16 refuses the unknown field by name: the
		# requester's own input may be echoed, SQL and code may not
		for marker in (
			"Traceback",
			'File "',
			"pymysql",
			"OperationalError",
			"Unknown column",
			"SELECT",
			"`tab",
		):
			self.assertNotIn(marker, broken.text)
		# five applications per client address and hour, whatever X-Forwarded-For says
		frappe.cache.delete_value("prm:apply:127.0.0.1")
		guest = self.session(None)
		statuses = [
			guest.post(
				f"{self.url}/api/method/prm_app.api.portal.apply",
				data={"partner_name": "x", "email": "x@x.example", "full_name": "x", "company_url": "bot"},
				headers={"X-Forwarded-For": f"198.51.100.{i}"},
			).status_code
			for i in range(7)
		]
		frappe.cache.delete_value("prm:apply:127.0.0.1")
		self.assertIn(429, statuses)
