"""prm_app speaks Russian: the partner portal and a Partner Statement rendered for a portal user whose
language is Russian carry no English message of prm_app.

What counts as "from prm_app": every msgid of ``prm_app/locale/main.pot`` (what ``generate-pot-file``
extracts from prm_app's Python, JS, Jinja templates and doctype/report/workspace JSON, plus
``prm_app/l10n_messages.py``). The test renders each page in-process as the partner's Admin user
(Frappe's website router, as a request would), and the statement HTML the PDF is made from, takes the
visible text (text nodes, titles, labels, placeholders, and the string literals of prm_app's own
scripts), masks the data the fixtures put there (names of documents, people, items, countries,
amounts' currency codes and the commission lines' explanations), and fails on any msgid still found
in English, as a whole word or phrase. A msgid whose Russian translation is spelled the same (e.g.
"SWIFT / BIC") is not a finding.

Commission line explanations are data, not messages: the engine writes them in English when the
commission is computed (``prm_app/engine``, no Frappe), and they are stored on the line as the audit
trail of the computation, so the statement and the commissions page show them as stored; the test
masks them with the other data.

Dates and amounts must be in the Russian locale too: the statement's period and amounts are checked
against Babel's Russian formats.
"""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import frappe
from babel.messages.pofile import read_po
from frappe.utils import add_days, getdate, nowdate

from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_registration,
	make_tier,
)

LOCALE_DIR = Path(frappe.get_app_path("prm_app", "locale"))
USER = "prm.i18n.admin@example.com"
PARTNER = "_PRM i18n Partner"
PROSPECT = "Romashka Trading"
PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0}
PAGES = (
	"partner",
	"partner/deals",
	"partner/deal",
	"partner/commissions",
	"partner/payouts",
	"partner/funds",
	"partner/resources",
	"partner/profile",
)
SKIP_TAGS = {"style", "script", "noscript", "template"}
ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-label"}


def catalog(locale: str | None = None):
	path = LOCALE_DIR / (f"{locale}.po" if locale else "main.pot")
	with open(path, "rb") as f:
		return read_po(f)


class VisibleText(HTMLParser):
	"""Text a reader sees (text nodes, some attributes) and the string literals of prm_app's scripts."""

	def __init__(self):
		super().__init__(convert_charrefs=True)
		self.segments: list[str] = []
		self.stack: list[str] = []

	def handle_starttag(self, tag, attrs):
		for name, value in attrs:
			if name in ATTRIBUTES and value:
				self.segments.append(value)
		if tag in SKIP_TAGS:
			self.stack.append(tag)

	def handle_endtag(self, tag):
		if self.stack and self.stack[-1] == tag:
			self.stack.pop()

	def handle_data(self, data):
		if not self.stack:
			self.segments.append(data)
		elif self.stack[-1] == "script" and "prm_portal" in data:
			# prm_app's own scripts: their messages are JSON/JS string literals
			for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', data):
				try:
					self.segments.append(json.loads(f'"{literal}"'))
				except ValueError:
					self.segments.append(literal)


def html_attributes(tag: str) -> dict:
	"""The attributes of one start tag, as an HTML parser reads them."""
	found = {}

	class Tag(HTMLParser):
		def handle_starttag(self, name, attrs):
			found.update(attrs)

	Tag().feed(tag)
	return found


def visible_text(page: str) -> list[str]:
	parser = VisibleText()
	parser.feed(page)
	return [re.sub(r"\s+", " ", s).strip() for s in parser.segments if s.strip()]


def msgid_pattern(msgid: str) -> re.Pattern:
	"""The msgid as it reads once formatted: placeholders match anything, the rest literally, bounded by
	non-word characters (a hyphen binds: the message "none" is not in the class name "d-none")."""
	parts = re.split(r"\{\d*\}", msgid.strip())
	body = ".*?".join(re.escape(p) for p in parts)
	return re.compile(r"(?<![\w-])" + body + r"(?![\w-])")


def untranslated(segments: list[str], data: list[str], messages: dict[str, re.Pattern]) -> set[str]:
	found = set()
	masked_data = sorted({d for d in data if d}, key=len, reverse=True)
	for segment in segments:
		for value in masked_data:
			segment = segment.replace(value, " ¤ ")
		for msgid, pattern in messages.items():
			if pattern.search(segment):
				found.add(f"{msgid!r} in {segment[:120]!r}")
	return found


class TestTranslationFiles(PRMTestCase):
	"""Every language has every message, with the same placeholders."""

	def test_po_files_complete(self):
		ids = {m.id for m in catalog() if m.id}
		self.assertGreater(len(ids), 500)
		for locale in ("ru", "de", "es", "fr"):
			po = {m.id: m.string for m in catalog(locale) if m.id}
			missing = sorted(ids - {k for k, v in po.items() if v})
			self.assertEqual(missing, [], f"{locale}: {len(missing)} of {len(ids)} untranslated")
			for msgid in ids:
				self.assertEqual(
					sorted(re.findall(r"\{\d*\}", msgid)),
					sorted(re.findall(r"\{\d*\}", po[msgid])),
					f"{locale}: placeholders of {msgid!r}",
				)


class TestRussianPortal(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from prm_app.l10n import compile_translations

		compile_translations()  # the .mo files Frappe reads, from the committed .po files
		make_company()
		frappe.set_user("Administrator")
		tier = make_tier("_PRM i18n Gold", 41)  # tier ranks are unique: one no other test uses
		plan = frappe.db.get_value("Commission Plan", {"plan_name": "_PRM i18n Flat 10"}) or make_plan(
			"_PRM i18n Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		cls.partner = (
			frappe.get_doc("Partner", PARTNER)
			if frappe.db.exists("Partner", PARTNER)
			else make_partner(PARTNER, plan=plan, tier=tier)
		)
		make_portal_user(USER, cls.partner)
		frappe.db.set_value("Partner User", {"parent": PARTNER, "user": USER}, "partner_role", "Admin")
		frappe.db.set_value("User", USER, "language", "ru")
		# commissions payable at once, for the payout; restored in tearDownClass (the ledger code commits)
		cls.settings = {f: frappe.db.get_single_value("PRM Settings", f) for f in PAY_NOW}
		for field, value in PAY_NOW.items():
			frappe.db.set_single_value("PRM Settings", field, value)
		# idempotent fixtures: an earlier run may have committed them (the ledger code commits)
		invoice = frappe.db.get_value(
			"Partner Commission", {"partner": PARTNER, "docstatus": 1}, "sales_invoice"
		)
		cls.invoice = (
			frappe.get_doc("Sales Invoice", invoice)
			if invoice
			else make_invoice(cls.partner, lines=[("_PRM Software", 3, 1234.5)])
		)
		# a draft with a prospect no other test registers (conflict checks compare across partners)
		cls.deal = make_registration(
			cls.partner, PROSPECT, website="romashka.example", contact_email="ivan@romashka.example"
		)
		cls.payout = frappe.db.get_value("Partner Payout", {"partner": PARTNER, "docstatus": 1})
		if not cls.payout:
			from prm_app.payouts import mark_payable

			mark_payable()
			payout = frappe.get_doc(
				{
					"doctype": "Partner Payout",
					"partner": PARTNER,
					"company": COMPANY,
					"posting_date": nowdate(),
					"from_date": add_days(nowdate(), -30),
					"to_date": nowdate(),
					"payment_account": account("Cash"),
				}
			)
			payout.insert(ignore_permissions=True)
			payout.submit()
			cls.payout = payout.name
		cls.messages = {}
		ru = {m.id: m.string for m in catalog("ru") if m.id}
		for m in catalog():
			if m.id and ru.get(m.id) != m.id and re.search(r"[A-Za-z]{2}", m.id):
				cls.messages[m.id] = msgid_pattern(m.id)

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.local.lang = "en"
		frappe.db.rollback()
		for name in frappe.get_all("Deal Registration", {"partner": PARTNER}, pluck="name"):
			frappe.delete_doc("Deal Registration", name, force=True, ignore_permissions=True)
		for field, value in cls.settings.items():
			frappe.db.set_single_value("PRM Settings", field, value)
		frappe.db.commit()  # nosemgrep: undo what the committed fixtures changed
		super().tearDownClass()

	def setUp(self):
		frappe.set_user(USER)
		frappe.local.lang = "ru"
		frappe.local.jenv = None

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.lang = "en"
		frappe.local.jenv = None

	def data(self) -> list[str]:
		"""What the fixtures and the site put on the pages as data (not messages)."""
		values = [PARTNER, USER, COMPANY, self.invoice.name, self.deal.name, self.payout, "USD", PROSPECT]
		values += [self.deal.website, self.deal.contact_name, self.deal.contact_email, "_PRM i18n Gold"]
		commissions = frappe.get_all("Partner Commission", {"partner": PARTNER}, pluck="name")
		values += commissions
		invoices = frappe.get_all("Partner Commission", {"partner": PARTNER}, pluck="sales_invoice")
		values += invoices
		values += frappe.get_all("Sales Invoice", {"name": ("in", invoices or [""])}, pluck="customer_name")
		lines = frappe.get_all(
			"Partner Commission Line",
			filters={"parenttype": "Partner Commission", "parent": ("in", commissions)},
			fields=["explanation", "rule", "item_code"],
		)
		for line in lines:
			values += [line.explanation, line.rule, line.item_code]
		for item in frappe.get_all("Item", fields=["item_code", "item_name"]):
			values += [item.item_code, item.item_name]
		values += frappe.get_all("Country", pluck="name")
		values += frappe.get_all("Partner Tier", pluck="name")  # the next tier up may be another test's
		values += frappe.get_all("Partner User", {"parent": PARTNER}, pluck="user")
		values += frappe.get_all("Partner Resource", pluck="title")
		values += frappe.get_all("Partner Resource", pluck="description")
		values += frappe.get_all("Journal Entry", {"company": COMPANY}, pluck="name", limit=500)
		values += frappe.get_all("Payment Entry", {"company": COMPANY}, pluck="name", limit=500)
		return [v for v in values if isinstance(v, str)]

	def render(self, path: str, lang: str = "ru", **form) -> str:
		from frappe.utils import set_request
		from frappe.website.serve import get_response

		set_request(method="GET", path="/" + path)
		frappe.local.lang = lang
		frappe.local.jenv = None
		frappe.form_dict.update(form)
		response = get_response()
		self.assertEqual(response.status_code, 200, f"/{path}: {response.status_code}")
		return response.get_data(as_text=True)

	def assert_russian(self, name: str, page: str):
		found = untranslated(visible_text(page), self.data(), self.messages)
		self.assertEqual(sorted(found), [], f"{name}: English prm_app messages in the Russian rendering")

	def test_translations_loaded(self):
		self.assertEqual(frappe._("Partner Statement"), "Выписка партнёра")
		self.assertEqual(frappe._("Your role: {0}").format("x"), "Ваша роль: x")

	def test_portal_pages_in_russian(self):
		for path in PAGES:
			form = {"name": self.deal.name} if path == "partner/deal" else {}
			page = self.render(path, **form)
			html = re.search(r"<html\b[^>]*>", page)
			self.assertTrue(html, path)
			# the lang attribute, whatever else the tag carries (v16 adds dir="ltr")
			self.assertEqual(html_attributes(html.group(0)).get("lang"), "ru", path)
			self.assert_russian("/" + path, page)

	def test_the_check_finds_english(self):
		"""The same check on an English rendering finds prm_app's messages (it can fail)."""
		frappe.local.lang = "en"
		frappe.local.jenv = None
		page = self.render("partner/commissions", lang="en")
		frappe.local.lang = "en"
		found = untranslated(visible_text(page), self.data(), self.messages)
		for msgid in ("'Commissions'", "'Download CSV'", "'Statement PDF'", "'Outstanding'"):
			self.assertTrue(any(f.startswith(msgid) for f in found), msgid)

	def test_apply_page_in_russian(self):
		frappe.set_user("Guest")
		page = self.render("partner/apply")
		self.assertIn("Стать партнёром", page)
		self.assert_russian("/partner/apply", page)

	def test_statement_in_russian(self):
		from babel.dates import format_date
		from babel.numbers import format_currency

		from prm_app.statement import partner_statement, render_statement

		statement = partner_statement(PARTNER, add_days(nowdate(), -30), nowdate())
		page = render_statement(statement)
		self.assertIn("Выписка партнёра", page)
		self.assertIn(html.escape(format_date(getdate(statement.to_date), "medium", locale="ru")), page)
		self.assertIn(format_currency(statement.total_commission, "USD", locale="ru"), page)
		self.assertGreater(statement.total_commission, 0)
		self.assert_russian("Partner Statement", page)

	def test_statement_print_format_in_russian(self):
		"""The print format of Partner Payout (desk) renders the same statement in the print language."""
		from frappe.translate import print_language

		frappe.set_user("Administrator")
		with print_language("ru"):
			page = frappe.get_print("Partner Payout", self.payout, print_format="Partner Statement")
		self.assertIn("Выписка партнёра", page)
		self.assert_russian("Partner Statement print format", page)
