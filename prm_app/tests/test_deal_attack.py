"""Adversarial review of deal-registration protection (issue 13): ways another partner's sales document
could get past an approved, protected registration, and look-alike names against the stored keys."""

import frappe
from frappe.utils import add_days, nowdate

from prm_app.prm_app.doctype.deal_registration.test_deal_registration import (
	USER_A,
	USER_B,
	DealRegistrationCase,
)
from prm_app.tests.utils import COMPANY, CUSTOMER, make_invoice


def set_action(action):
	frappe.db.set_single_value("PRM Settings", "channel_conflict_action", action)


def quotation(partner=None, **values):
	return frappe.get_doc(
		{
			"doctype": "Quotation",
			"company": COMPANY,
			"quotation_to": "Customer",
			"party_name": CUSTOMER,
			"transaction_date": nowdate(),
			"currency": "USD",
			"conversion_rate": 1,
			"referral_sales_partner": partner.sales_partner if partner else None,
			"items": [{"item_code": "_PRM Hardware", "qty": 1, "rate": 1000}],
			**values,
		}
	).insert(ignore_permissions=True)


def sales_order(partner=None, **values):
	return frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": COMPANY,
			"customer": CUSTOMER,
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 7),
			"currency": "USD",
			"conversion_rate": 1,
			"sales_partner": partner.sales_partner if partner else None,
			"items": [
				{"item_code": "_PRM Hardware", "qty": 1, "rate": 1000, "delivery_date": add_days(nowdate(), 7)}
			],
			**values,
		}
	).insert(ignore_permissions=True)


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
