"""Issue 13 in a real bench: candidates found by stored keys (quotes, guillemets, transliteration, VAT
prefixes), item-group ancestry, shared domains, same-partner duplicates, the key patch, protection of
another partner's customer on Quotation / Sales Order / Sales Invoice (Warn / Require override / Block),
the Channel Conflicts report, and input errors. No GL assertions: statuses, fields and messages."""

import frappe
from frappe.utils import add_days, nowdate

from prm_app import deal_keys
from prm_app.prm_app.doctype.deal_registration.test_deal_registration import (
	MANAGER,
	USER_A,
	USER_B,
	DealRegistrationCase,
)
from prm_app.tests.utils import COMPANY, CUSTOMER, account, make_invoice, make_user

CLERK = "_prm.deal.clerk@example.com"


def conflicts(doc):
	doc.reload()
	return {(row.matched_doctype, row.matched_record): row for row in doc.conflicts}


class TestRetrieval(DealRegistrationCase):
	def submitted(self, user=USER_A, partner=None, **values):
		doc = self.register(user, partner, **values)
		self.as_user(user, doc, "submit_registration")
		doc.reload()
		return doc

	def test_a_key_word_after_guillemets_or_quotes_is_found(self):
		theirs = self.approved(
			USER_B, self.partner_b, prospect_name="ООО «Ромашка»", website="", contact_email=""
		)
		frappe.get_doc(
			{"doctype": "Customer", "customer_name": 'OOO "Romashka"', "customer_type": "Company"}
		).insert(ignore_permissions=True)
		doc = self.submitted(prospect_name="Romashka LLC", website="", contact_email="")
		found = conflicts(doc)
		self.assertTrue(found[("Deal Registration", theirs.name)].is_hard)
		self.assertIn(("Customer", 'OOO "Romashka"'), found)
		self.assertTrue(doc.has_hard_conflict)

	def test_one_extra_word_and_vat_prefix_still_match(self):
		theirs = self.approved(
			USER_B, self.partner_b, prospect_name="Gringotts", website="", contact_email=""
		)
		other = self.approved(
			USER_B,
			self.partner_b,
			prospect_name="Nordwind Logistik",
			tax_id="DE 299 888 777",
			website="",
			contact_email="",
		)
		doc = self.submitted(prospect_name="Gringotts Bank", website="", contact_email="")
		self.assertTrue(conflicts(doc)[("Deal Registration", theirs.name)].is_hard)
		doc = self.submitted(
			prospect_name="Irgendwas Handel", tax_id="299888777", website="", contact_email=""
		)
		row = conflicts(doc)[("Deal Registration", other.name)]
		self.assertTrue(row.is_hard)
		self.assertIn("tax", row.reason)

	def test_a_parent_item_group_covers_its_children(self):
		make_group("_PRM DC Hardware", "All Item Groups", is_group=1)
		make_group("_PRM DC Laptops", "_PRM DC Hardware")
		make_group("_PRM DC Desktops", "_PRM DC Hardware")
		theirs = self.approved(USER_B, self.partner_b, products=[("group", "_PRM DC Laptops")])
		doc = self.submitted(products=[("group", "_PRM DC Hardware")])
		self.assertTrue(conflicts(doc)[("Deal Registration", theirs.name)].is_hard)
		doc = self.submitted(products=[("group", "_PRM DC Desktops")])
		self.assertFalse(conflicts(doc)[("Deal Registration", theirs.name)].is_hard)  # siblings: near only

	def test_shared_mail_and_platform_domains_never_match_a_company(self):
		koala = self.approved(
			USER_B,
			self.partner_b,
			prospect_name="Koala Builders",
			website="https://koala.myshopify.com",
			contact_email="info@bigpond.com",
		)
		doc = self.submitted(
			prospect_name="Emu Dental", website="emu.myshopify.com", contact_email="office@bigpond.com"
		)
		self.assertNotIn(("Deal Registration", koala.name), conflicts(doc))
		doc = self.submitted(
			prospect_name="Something Else", website="koala.myshopify.com/collections", contact_email=""
		)
		self.assertTrue(conflicts(doc)[("Deal Registration", koala.name)].is_hard)  # the same shop
		# the list is editable: a domain added in PRM Settings stops matching
		theirs = self.approved(
			USER_B, self.partner_b, prospect_name="Wombat Cafe", website="", contact_email="a@koalanet.com.au"
		)
		frappe.db.set_single_value("PRM Settings", "shared_domains", "koalanet.com.au\n*.myshopify.com")
		deal_keys.clear_shared_domains_cache()
		doc = self.submitted(prospect_name="Platypus Bar", website="", contact_email="b@koalanet.com.au")
		self.assertNotIn(("Deal Registration", theirs.name), conflicts(doc))

	def test_the_same_partner_registering_a_prospect_twice_is_warned(self):
		first = self.submitted(prospect_name="Initech", website="", contact_email="")
		second = self.submitted(prospect_name="Initech LLC", website="", contact_email="")
		row = conflicts(second)[("Deal Registration", first.name)]
		self.assertFalse(row.is_hard)
		self.assertIn(first.name, row.reason)
		self.assertIn("same partner", row.reason)

	def test_the_patch_fills_keys_for_existing_records(self):
		from prm_app.patches.v0_2 import deal_match_keys

		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": "Zakład Stolarski „Dąb”", "customer_type": "Company"}
		).insert(ignore_permissions=True)
		frappe.db.delete("Deal Match Key", {"ref_doctype": "Customer"})  # as on a site before the keys
		doc = self.submitted(prospect_name="Zaklad Stolarski Dab", website="", contact_email="")
		self.assertNotIn(("Customer", customer.name), conflicts(doc))
		deal_match_keys.execute()
		self.assertTrue(frappe.db.exists("Deal Match Key", {"ref_name": customer.name, "match_key": "n:dab"}))
		self.as_user(MANAGER, doc, "check_conflicts")
		self.assertIn(("Customer", customer.name), conflicts(doc))

	def theirs(self, prospect_name, website="", contact_email="", **values):
		"""Partner B's approved registration."""
		return self.approved(
			USER_B,
			self.partner_b,
			prospect_name=prospect_name,
			website=website,
			contact_email=contact_email,
			**values,
		)

	def test_new_scripts_platform_pages_and_domain_names(self):
		hemofarm = self.theirs("Хемофарм а.д.")
		roofing = self.theirs(
			"Acme Roofing", "https://www.facebook.com/pages/Acme-Roofing/123456", "acme@hotmail.com.tr"
		)
		lenovo = self.theirs("联想集团有限公司", "lenovo.com")
		doc = self.submitted(prospect_name="Hemofarm AD", website="", contact_email="")
		self.assertTrue(conflicts(doc)[("Deal Registration", hemofarm.name)].is_hard)  # Serbian х = h
		doc = self.submitted(
			prospect_name="Zeta Plumbing",
			website="https://www.facebook.com/pages/Zeta-Plumbing/987654",
			contact_email="zeta@hotmail.com.tr",
		)
		self.assertNotIn(("Deal Registration", roofing.name), conflicts(doc))  # other page, shared mail
		doc = self.submitted(
			prospect_name="Lenovo Group Limited", website="https://www.lenovo.com.cn", contact_email=""
		)
		self.assertTrue(conflicts(doc)[("Deal Registration", lenovo.name)].is_hard)  # lenovo.*

	def test_the_labelled_sets_are_fetched_by_stored_keys(self):
		"""Retrieval recall equals the scorer's: every pair of the labelled sets (in-sample and held out)
		that the engine matches is fetched by the database lookup on keys stored as on save."""
		matched, fetched = labelled_retrieval(COMPANY)
		self.assertGreater(matched, 300)  # of 455 pairs; the others are labelled none or score below
		self.assertEqual(fetched, matched)

	def test_the_second_patch_refills_keys_and_empties_the_old_default_list(self):
		from prm_app.patches.v0_2 import deal_match_keys_v2

		customer = frappe.get_doc(
			{"doctype": "Customer", "customer_name": "ТОВ «Галичина»", "customer_type": "Company"}
		).insert(ignore_permissions=True)
		frappe.db.delete("Deal Match Key", {"ref_doctype": "Customer", "ref_name": customer.name})
		frappe.db.set_single_value(
			"PRM Settings", "shared_domains", "\n".join(sorted(deal_match_keys_v2.OLD_DEFAULT))
		)
		deal_match_keys_v2.execute()
		self.assertFalse(frappe.db.get_single_value("PRM Settings", "shared_domains"))
		self.assertTrue(
			frappe.db.exists("Deal Match Key", {"ref_name": customer.name, "match_key": "n:halic"})
		)
		frappe.db.set_single_value("PRM Settings", "shared_domains", "koalanet.com.au")
		deal_match_keys_v2.execute()  # a list of the site's own is kept
		self.assertEqual(frappe.db.get_single_value("PRM Settings", "shared_domains"), "koalanet.com.au")


def labelled_retrieval(company_name):
	"""(pairs the engine matches, of them fetched by ``deal_keys.lookup``) over the labelled sets, their B
	sides stored as approved registrations of another partner with the keys ``deal_keys`` stores."""
	import sys
	from pathlib import Path

	import prm_app

	sys.path.insert(0, str(Path(prm_app.__file__).resolve().parent.parent / "tests"))
	from test_conflict_set import SETS, load, party

	from prm_app.engine.matching import compare

	matched = fetched = 0
	for s, path in enumerate(SETS):
		rows = load(path)
		names = [f"_PRM-SET{s}-{i:04d}" for i in range(len(rows))]
		columns = ["name", "partner", "company", "prospect_name", "website", "tax_id", "status"]
		values = [
			[
				name,
				"_PRM-OTHER",
				company_name,
				row["b_name"],
				row["b_site"] or None,
				row["b_tax"] or None,
				"Approved",
			]
			for name, row in zip(names, rows, strict=True)
		]
		frappe.db.bulk_insert("Deal Registration", columns, values)
		deal_keys._insert(
			[
				("Deal Registration", v[0], key)
				for v in values
				for key in sorted(
					deal_keys.keys_of("Deal Registration", frappe._dict(zip(columns, v, strict=True)))
				)
			]
		)
		for name, row in zip(names, rows, strict=True):
			a = party(row, "a", "A", "P1", False)
			if compare(a, party(row, "b", name, "P2", True)):
				matched += 1
				fetched += name in deal_keys.lookup(a.keys).get("Deal Registration", [])
	return matched, fetched


def make_group(name, parent, is_group=0):
	if not frappe.db.exists("Item Group", name):
		frappe.get_doc(
			{
				"doctype": "Item Group",
				"item_group_name": name,
				"parent_item_group": parent,
				"is_group": is_group,
			}
		).insert(ignore_permissions=True)


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


class TestChannelProtection(DealRegistrationCase):
	def setUp(self):
		super().setUp()
		make_user(CLERK, ["Accounts User", "Sales User"])
		# partner B's approved registration protects the test customer for hardware
		self.reg = self.approved(USER_B, self.partner_b, customer=CUSTOMER, products=["_PRM Hardware"])

	def set_action(self, action):
		frappe.db.set_single_value("PRM Settings", "channel_conflict_action", action)

	def quotation(self, partner=None):
		return quotation(partner)

	def sales_order(self, partner=None):
		return sales_order(partner)

	def invoice(self, partner=None):
		return make_invoice(partner, submit=False)

	def documents(self, partner=None):
		return [self.quotation(partner), self.sales_order(partner), self.invoice(partner)]

	def submit_as(self, user, doc):
		frappe.set_user(user)
		try:
			doc.flags.ignore_permissions = True
			doc.submit()
		finally:
			frappe.set_user("Administrator")

	def test_block_refuses_every_document_for_another_partner_or_none(self):
		self.set_action("Block")
		for partner in (self.partner_a, None):
			for doc in self.documents(partner):
				with self.assertRaises(frappe.ValidationError) as raised:
					doc.submit()
				self.assertIn(self.reg.name, str(raised.exception))
				self.assertIn("blocked", str(raised.exception))
				self.assertEqual(frappe.db.get_value(doc.doctype, doc.name, "docstatus"), 0)

	def test_require_override_needs_a_partner_managers_reason_and_records_it(self):
		self.set_action("Require override")
		for doc in self.documents(self.partner_a):
			with self.assertRaises(frappe.ValidationError) as raised:
				doc.submit()
			self.assertIn("Channel Override Reason", str(raised.exception))
			doc.reload()
			doc.prm_channel_override_reason = "Customer asked for partner A by contract"
			with self.assertRaises(frappe.PermissionError):
				self.submit_as(CLERK, doc)  # not a Partner Manager
			doc.reload()
			doc.prm_channel_override_reason = "Customer asked for partner A by contract"
			self.submit_as(MANAGER, doc)
			stored = frappe.db.get_value(
				doc.doctype,
				doc.name,
				["docstatus", "prm_protected_by", "prm_channel_override_by", "prm_channel_override_on"],
				as_dict=True,
			)
			self.assertEqual(stored.docstatus, 1)
			self.assertEqual(stored.prm_protected_by, self.reg.name)
			self.assertEqual(stored.prm_channel_override_by, MANAGER)
			self.assertTrue(stored.prm_channel_override_on)

		from prm_app.prm_app.report.channel_conflicts.channel_conflicts import execute

		_columns, rows = execute({})
		ours = [r for r in rows if r["deal_registration"] == self.reg.name]
		self.assertEqual(
			sorted(r["document_type"] for r in ours), ["Quotation", "Sales Invoice", "Sales Order"]
		)
		for row in ours:
			self.assertEqual(row["protecting_partner"], self.partner_b.name)
			self.assertEqual(row["partner_used"], self.partner_a.sales_partner)
			self.assertEqual(row["override_by"], MANAGER)
			self.assertEqual(row["override_reason"], "Customer asked for partner A by contract")

	def test_warn_submits_with_a_message_and_records_the_conflict(self):
		self.set_action("Warn")
		for doc in self.documents(None):
			frappe.clear_messages()
			doc.submit()
			self.assertEqual(frappe.db.get_value(doc.doctype, doc.name, "prm_protected_by"), self.reg.name)
			self.assertTrue(any(self.reg.name in str(m) for m in frappe.message_log), frappe.message_log)

	def test_the_protecting_partner_its_registration_and_expiry_are_not_conflicts(self):
		self.set_action("Block")
		for doc in self.documents(self.partner_b):
			doc.submit()
			self.assertFalse(frappe.db.get_value(doc.doctype, doc.name, "prm_protected_by"))
		si = make_invoice(None, submit=False, deal_registration=self.reg.name)
		si.submit()
		frappe.db.set_value("Deal Registration", self.reg.name, "expires_on", add_days(nowdate(), -1))
		make_invoice(self.partner_a)  # protection over: no block

	def test_other_products_are_not_protected(self):
		self.set_action("Block")
		make_invoice(self.partner_a, lines=[("_PRM Software", 1, 500)])


class TestInputs(DealRegistrationCase):
	def test_an_out_of_range_amount_is_a_clear_error(self):
		with self.assertRaises(frappe.ValidationError) as raised:
			self.register(expected_amount=1e20)
		self.assertIn("too large", str(raised.exception))

	def test_a_name_that_cannot_name_a_prospect_is_refused_before_approval(self):
		with self.assertRaises(frappe.ValidationError):
			self.register(prospect_name="Acme <b>Widgets</b>")
		with self.assertRaises(frappe.ValidationError):
			self.register(prospect_name="New Prospect 1")
		doc = self.register(prospect_name="Acme Widgets")
		self.as_user(USER_A, doc, "submit_registration")
		frappe.db.set_value("Deal Registration", doc.name, "prospect_name", "Acme <Widgets>")  # old data
		with self.assertRaises(frappe.ValidationError) as raised:
			self.as_user(MANAGER, doc, "approve")
		self.assertIn("cannot contain", str(raised.exception))
		self.assertFalse(frappe.db.exists("Prospect", "Acme <Widgets>"))

	def test_the_portal_refuses_over_long_values(self):
		from prm_app.api import portal as api

		frappe.set_user(USER_A)
		try:
			with self.assertRaises(frappe.ValidationError) as raised:
				api.register_deal(
					prospect_name="A" * 10_000,
					expected_amount=1000,
					products=["_PRM Hardware"],
					expected_close_date=add_days(nowdate(), 30),
				)
			self.assertIn("too long", str(raised.exception))
			with self.assertRaises(frappe.ValidationError) as raised:
				api.register_deal(
					prospect_name="Acme",
					expected_amount="1e20",
					products=["_PRM Hardware"],
					expected_close_date=add_days(nowdate(), 30),
				)
			self.assertIn("too large", str(raised.exception))
		finally:
			frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists("Deal Registration", {"prospect_name": ("like", "AAAA%")}))
