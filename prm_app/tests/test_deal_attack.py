"""Adversarial review of deal-registration protection (issue 13): ways another partner's sales document
could get past an approved, protected registration, and look-alike names against the stored keys."""

import json
import re
import threading

import frappe
from frappe.utils import add_days, nowdate

from prm_app.prm_app.doctype.deal_registration.test_deal_registration import (
	USER_A,
	USER_B,
	DealRegistrationCase,
)
from prm_app.tests.test_portal_isolation import A_USER, B_USER, PortalFixtures
from prm_app.tests.test_deal_conflicts import quotation, sales_order
from prm_app.tests.utils import COMPANY, CUSTOMER, make_invoice


def set_action(action):
	frappe.db.set_single_value("PRM Settings", "channel_conflict_action", action)


class TestProtectionAttacks(DealRegistrationCase):
	def setUp(self):
		super().setUp()
		self.reg = self.approved(USER_B, self.partner_b, customer=CUSTOMER, products=["_PRM Hardware"])
		set_action("Block")

	def assert_blocked(self, doc):
		with self.assertRaises(frappe.ValidationError) as raised:
			doc.submit()
		self.assertIn(self.reg.name, str(raised.exception))
		self.assertEqual(frappe.db.get_value(doc.doctype, doc.name, "docstatus"), 0)

	def test_naming_the_other_partners_registration_does_not_lift_its_protection(self):
		"""A Quotation / Sales Order that names B's registration but partner A's Sales Partner was skipped
		as 'the document's own registration'."""
		self.assert_blocked(quotation(self.partner_a, deal_registration=self.reg.name))
		self.assert_blocked(sales_order(self.partner_a, deal_registration=self.reg.name))

	def test_a_document_dated_after_the_expiry_does_not_dodge_protection(self):
		"""Protection is judged on the day of submission too: a document dated past the registration's
		expiry while it still protects today is a conflict."""
		later = add_days(self.reg.expires_on, 1)
		self.assert_blocked(quotation(self.partner_a, transaction_date=later, valid_till=add_days(later, 30)))
		si = make_invoice(self.partner_a, submit=False, posting_date=later)
		self.assert_blocked(si)

	def test_changing_the_customer_after_save_and_amending_are_checked(self):
		other = frappe.get_doc(
			{"doctype": "Customer", "customer_name": "_PRM Attack Other", "customer_type": "Company"}
		).insert(ignore_permissions=True)
		si = make_invoice(self.partner_a, submit=False, customer=other.name)
		si.customer = CUSTOMER
		si.save()
		self.assert_blocked(si)
		set_action("Warn")
		si = frappe.get_doc(si.doctype, si.name)
		si.submit()
		si = frappe.get_doc(si.doctype, si.name)
		si.cancel()
		set_action("Block")
		amended = frappe.copy_doc(si)
		amended.docstatus = 0
		amended.amended_from = si.name
		amended.insert(ignore_permissions=True)
		self.assert_blocked(amended)

	def test_another_customer_record_with_the_same_tax_id_is_protected(self):
		"""B's registration is linked to the customer (its own form has no tax id); the same company under
		a second Customer record with the customer's tax id is protected as well."""
		frappe.db.set_value("Customer", CUSTOMER, "tax_id", "DE 811 907 980")
		frappe.get_doc("Customer", CUSTOMER).save(ignore_permissions=True)  # keys in step
		twin = frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": "_PRM Zyx Handelsgesellschaft",
				"customer_type": "Company",
				"tax_id": "811907980",
			}
		).insert(ignore_permissions=True)
		self.assert_blocked(make_invoice(self.partner_a, submit=False, customer=twin.name))

	def test_a_return_is_a_credit_note_only(self):
		"""Returns are not checked (a credit note takes a sale back); a 'return' of positive quantities,
		which would be a sale, is refused by ERPNext itself."""
		with self.assertRaises(frappe.ValidationError):
			make_invoice(self.partner_a, submit=False, is_return=1)
		# a real credit note of partner A for the customer is not a conflict
		set_action("Warn")
		sale = make_invoice(self.partner_a)
		set_action("Block")
		credit = make_invoice(
			self.partner_a, submit=False, is_return=1, return_against=sale.name, lines=[("_PRM Hardware", -1, 1000)]
		)
		credit.submit()
		self.assertEqual(credit.docstatus, 1)

	def test_expired_protection_allows_the_document(self):
		frappe.db.set_value("Deal Registration", self.reg.name, "expires_on", add_days(nowdate(), -1))
		doc = quotation(self.partner_a)
		doc.submit()
		self.assertFalse(doc.prm_protected_by)


class TestLookAlikeNames(DealRegistrationCase):
	def test_homoglyphs_and_invisible_characters_do_not_dodge_a_registration(self):
		theirs = self.approved(
			USER_B, self.partner_b, prospect_name="Acme Widgets", website="", contact_email=""
		)
		for name in ("Aсme Widgets", "Ac\u200bme Widgets", "A c m e Widgets"):  # Cyrillic с, zero-width
			doc = self.register(USER_A, prospect_name=name, website="", contact_email="")
			self.as_user(USER_A, doc, "submit_registration")
			doc.reload()
			hard = {row.matched_record for row in doc.conflicts if row.is_hard}
			self.assertIn(theirs.name, hard, name)
			self.assertTrue(doc.has_hard_conflict)


class TestDealAttacksOverHTTP(PortalFixtures):
	"""Partner A against partner B over real HTTP."""

	def test_match_keys_and_the_channel_conflicts_report_are_not_reachable(self):
		http = self.session()
		key = frappe.db.get_value("Deal Match Key", {"ref_name": self.b_deal}, "name")
		self.assertTrue(key)
		self.assert_refused(http.get(f"{self.url}/api/resource/Deal Match Key"))
		self.assert_refused(http.get(f"{self.url}/api/resource/Deal Match Key/{key}"))
		self.assert_refused(http.get(f"{self.url}/api/v2/document/Deal Match Key"))
		for method, data in (
			("frappe.client.get_list", {"doctype": "Deal Match Key", "fields": '["*"]'}),
			("frappe.client.get_count", {"doctype": "Deal Match Key"}),
			("frappe.desk.reportview.get", {"doctype": "Deal Match Key", "fields": '["ref_name"]'}),
			("frappe.desk.search.search_link", {"doctype": "Deal Match Key", "txt": "n:"}),
			("frappe.desk.query_report.run", {"report_name": "Channel Conflicts", "filters": "{}"}),
		):
			with self.subTest(method=method):
				self.assert_refused_or_empty(self.post(http, method, data), self.b_deal, "initech")

	def test_rest_refuses_over_long_names_and_out_of_range_amounts(self):
		http = self.session()
		deal = {
			"prospect_name": "Longname Corp",
			"expected_amount": 1000,
			"expected_close_date": add_days(nowdate(), 30),
			"products": [{"item_code": "_PRM Software", "qty": 1}],
		}
		url = f"{self.url}/api/resource/Deal Registration"
		headers = {"X-Frappe-CSRF-Token": http.csrf}
		for values, text in (
			({"prospect_name": "Q" * 10_000}, "too long"),
			({"contact_name": "Q" * 10_000}, "Contact"),
			({"expected_amount": 1e20}, "too large"),
		):
			with self.subTest(values=list(values)):
				response = http.post(url, json={**deal, **values}, headers=headers)
				self.assertEqual(response.status_code, 417, response.text[:300])
				self.assertIn(text, response.text)
				self.assertNotIn("Out of range", response.text)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": ("like", "QQQ%")}))
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": "Longname Corp"}))

	def test_two_partners_registering_the_same_prospect_at_once_are_not_both_approved(self):
		"""Both portal requests run at the same time: the later one must see the earlier (a conflict row,
		no auto-approval) — not both approved as if the other did not exist."""
		tiers = {p.name: p.tier for p in (self.a, self.b)}
		limits = {t: frappe.db.get_value("Partner Tier", t, "deal_auto_approval_limit") for t in tiers.values()}
		for tier in tiers.values():
			frappe.db.set_value("Partner Tier", tier, "deal_auto_approval_limit", 1_000_000)
		frappe.db.commit()  # nosemgrep: the server's threads read it
		try:
			sessions = [self.session(A_USER), self.session(B_USER)]
			barrier = threading.Barrier(2)
			responses = [None, None]
			deal = {
				"prospect_name": "Quuxbridge Concurrent Industries",
				"website": "quuxbridge-concurrent.example",
				"expected_amount": 1000,
				"expected_close_date": add_days(nowdate(), 30),
				"products": json.dumps(["_PRM Software"]),
			}

			def register(i):  # no frappe call in these threads (frappe.local is the test's)
				barrier.wait()
				# the same prospect, spelled differently (else the second Prospect's name would collide)
				spelled = {**deal, "prospect_name": deal["prospect_name"] + (" Ltd" if i else "")}
				responses[i] = self.post(sessions[i], "prm_app.api.portal.register_deal", spelled)

			threads = [threading.Thread(target=register, args=(i,)) for i in range(2)]
			for t in threads:
				t.start()
			for t in threads:
				t.join(60)
			frappe.db.rollback()
			names = [r.json()["message"]["name"] for r in responses if r.status_code == 200]
			for r in responses:
				self.assertEqual(r.status_code, 200, r.text[:300])
			statuses = [frappe.db.get_value("Deal Registration", n, "status") for n in names]
			print("\nconcurrent registrations:", [r.status_code for r in responses], statuses)
			self.assertLess(statuses.count("Approved"), 2, statuses)
			self.assertEqual(len(names), 2)
			if len(names) == 2:
				named = [
					frappe.get_all(
						"Deal Registration Conflict", filters={"parent": n}, pluck="matched_record"
					)
					for n in names
				]
				self.assertTrue(names[1] in named[0] or names[0] in named[1], named)
		finally:
			frappe.db.rollback()
			for name in frappe.get_all(
				"Opportunity", {"website": "quuxbridge-concurrent.example"}, pluck="name"
			):
				frappe.delete_doc("Opportunity", name, force=True, ignore_permissions=True)
			for name in frappe.get_all(
				"Prospect", {"company_name": ("like", "Quuxbridge Concurrent%")}, pluck="name"
			):
				frappe.delete_doc("Prospect", name, force=True, ignore_permissions=True)
			for tier, limit in limits.items():
				frappe.db.set_value("Partner Tier", tier, "deal_auto_approval_limit", limit)
			frappe.db.commit()  # nosemgrep: restore

	def test_a_partner_cannot_link_a_customer_or_opportunity_nor_make_or_submit_invoices(self):
		"""A's own draft: pointing it at an existing Customer (B's protected one) or Opportunity is refused
		with the same answer as a name that does not exist (no existence oracle); sales documents are out
		of the Partner role's reach."""
		http = self.session()
		headers = {"X-Frappe-CSRF-Token": http.csrf}
		url = f"{self.url}/api/resource/Deal Registration/{self.a_deal}"
		opportunity = self.track(
			frappe.get_doc(
				{
					"doctype": "Opportunity",
					"opportunity_from": "Customer",
					"party_name": CUSTOMER,
					"company": COMPANY,
				}
			).insert(ignore_permissions=True)
		)
		frappe.db.commit()  # nosemgrep: the server reads it; tearDownClass deletes it
		answers = {}
		for field, value in (
			("customer", CUSTOMER),
			("customer", "_PRM No Such Customer"),
			("opportunity", opportunity),
			("opportunity", "CRM-OPP-NONE-00000"),
		):
			response = http.put(url, json={field: value}, headers=headers)
			frappe.db.rollback()
			stored = frappe.db.get_value("Deal Registration", self.a_deal, field)
			self.assertIn(response.status_code, (403, 417), (field, value, stored, response.text[-300:]))
			self.assertFalse(stored)
			answers[(field, value)] = (
				response.status_code,
				re.sub(r'__frappe_exc_id[^,}]*', "", response.text.replace(value or "", "<sent>")),
			)
		self.assertEqual(answers[("customer", CUSTOMER)], answers[("customer", "_PRM No Such Customer")])
		self.assertEqual(
			answers[("opportunity", opportunity)], answers[("opportunity", "CRM-OPP-NONE-00000")]
		)
		invoice = {
			"customer": CUSTOMER,
			"company": COMPANY,
			"items": [{"item_code": "_PRM Software", "qty": 1, "rate": 1}],
		}
		self.assert_refused(http.post(f"{self.url}/api/resource/Sales Invoice", json=invoice, headers=headers))
		self.assert_refused(http.post(f"{self.url}/api/resource/Quotation", json=invoice, headers=headers))
		self.assert_refused(
			self.post(
				http,
				"frappe.client.insert",
				{"doc": json.dumps({"doctype": "Sales Invoice", **invoice})},
			)
		)
		self.assert_refused(
			self.post(
				http,
				"run_doc_method",
				{"dt": "Sales Invoice", "dn": self.b_invoice, "method": "cancel"},
			)
		)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Sales Invoice", self.b_invoice, "docstatus"), 1)
