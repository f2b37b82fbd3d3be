"""A registration after submission, over real HTTP as the partner (issue 12, item 7): a deal returned
for information is edited and resubmitted (status Submitted, the conflict check run again, the manager
sees what changed in a comment and the document's Version), an approved one's protection is extended on
request (the manager approves), files are attached; partner A can do none of it on B's deals."""

import json

import frappe
from frappe.utils import add_days, get_datetime, getdate, nowdate

from prm_app.tests.test_portal_isolation import B_NAME, PortalFixtures, small_pdf


class TestPortalDealFollowUp(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a_returned = cls.returned(cls.a, "Cyberdyne Systems", "cyberdyne.example")
		cls.a_approved = cls.approved(cls.a, "Tyrell Corporation", "tyrell.example")
		cls.b_returned = cls.returned(cls.b, "Soylent Corporation", "soylent.example")
		cls.b_approved = cls.approved(cls.b, "Wonka Industries", "wonka.example")
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		for name in (cls.a_returned, cls.a_approved, cls.b_returned, cls.b_approved):
			frappe.db.delete("ToDo", {"reference_type": "Deal Registration", "reference_name": name})
			for file in frappe.get_all(
				"File", {"attached_to_doctype": "Deal Registration", "attached_to_name": name}, pluck="name"
			):
				frappe.delete_doc("File", file, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: undo the committed fixtures (the deals go in the parent's teardown)
		super().tearDownClass()

	@classmethod
	def returned(cls, partner, prospect: str, website: str) -> str:
		doc = cls.registration(partner, prospect, website)
		doc.set_status("Submitted", submitted_on=get_datetime("2026-01-01 10:00:00"))
		doc.db_set("conflicts_checked_on", get_datetime("2026-01-01 10:00:00"))
		doc.return_for_information("Please add the prospect's tax ID and the products in scope.")
		return doc.name

	@classmethod
	def approved(cls, partner, prospect: str, website: str) -> str:
		doc = cls.registration(partner, prospect, website)
		doc.set_status("Approved", approved_by="Administrator", expires_on=add_days(nowdate(), 10))
		return doc.name

	def edit_args(self, name: str, **values) -> dict:
		return {
			"name": name,
			"prospect_name": "Cyberdyne Systems Corporation",
			"website": "cyberdyne.example",
			"contact_name": "Miles Dyson",
			"contact_email": "miles@cyberdyne.example",
			"country": "United States",
			"expected_amount": 7500,
			"expected_close_date": add_days(nowdate(), 40),
			"notes": "Tax ID 12-3456789; the whole software range.",
			"products": json.dumps(["_PRM Software", "_PRM Hardware"]),
			**values,
		}

	def test_a_returned_deal_is_edited_and_resubmitted_and_the_manager_sees_what_changed(self):
		http = self.session()
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_returned})
		self.assertEqual(page.status_code, 200, page.text[:300])
		self.assertIn('id="prm-edit-deal"', page.text)  # was: only Withdraw
		self.assertIn("tax ID and the products in scope", page.text)
		response = self.post(http, "prm_app.api.portal.update_deal", self.edit_args(self.a_returned))
		self.assertEqual(response.status_code, 200, response.text[:500])
		self.assertEqual(response.json()["message"]["status"], "Submitted")
		frappe.db.rollback()  # see the server's commit
		doc = frappe.get_doc("Deal Registration", self.a_returned)
		self.assertEqual(doc.status, "Submitted")
		self.assertEqual(doc.prospect_name, "Cyberdyne Systems Corporation")
		self.assertEqual(sorted(r.item_code for r in doc.products), ["_PRM Hardware", "_PRM Software"])
		self.assertIsNone(doc.rejection_reason)
		self.assertGreater(get_datetime(doc.conflicts_checked_on), get_datetime("2026-01-02"))  # run again
		comment = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Deal Registration",
				"reference_name": doc.name,
				"comment_type": "Edit",
			},
			pluck="content",
		)
		self.assertEqual(len(comment), 1, comment)
		for part in ("Cyberdyne Systems → Cyberdyne Systems Corporation", "5000", "7500", "_PRM Hardware"):
			self.assertIn(part, comment[0])
		versions = frappe.get_all(
			"Version", filters={"ref_doctype": "Deal Registration", "docname": doc.name}, pluck="data"
		)
		# (v16 hands a Version's data back parsed, v15 as its JSON text)
		versions = [v if isinstance(v, str) else frappe.as_json(v) for v in versions]
		self.assertTrue(any("Cyberdyne Systems Corporation" in (v or "") for v in versions), versions)
		# submitted again: no more edits from the portal
		again = self.post(
			http, "prm_app.api.portal.update_deal", self.edit_args(self.a_returned, prospect_name="Skynet")
		)
		self.assertIn(again.status_code, (403, 417), again.text[:300])
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Deal Registration", self.a_returned, "prospect_name"),
			"Cyberdyne Systems Corporation",
		)

	def test_every_problem_of_the_form_is_reported_at_once(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{"prospect_name": " ", "expected_amount": 0, "products": json.dumps([])},
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		for message in ("company name", "greater than zero", "close date", "at least one product"):
			self.assertIn(message, response.text)

	def test_an_approved_deal_gets_an_extension_the_manager_approves(self):
		http = self.session()
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_approved})
		self.assertIn('id="prm-extension"', page.text)
		until = add_days(nowdate(), 45)
		response = self.post(
			http,
			"prm_app.api.portal.request_deal_extension",
			{"name": self.a_approved, "until": until, "reason": "Board meets next month."},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		frappe.db.rollback()
		doc = frappe.get_doc("Deal Registration", self.a_approved)
		self.assertEqual((doc.status, getdate(doc.extension_requested_until)), ("Approved", getdate(until)))
		self.assertTrue(
			frappe.db.exists("ToDo", {"reference_type": "Deal Registration", "reference_name": doc.name})
		)
		self.assertIn(
			"prm-extension-pending", http.get(f"{self.url}/partner/deal", params={"name": doc.name}).text
		)
		doc.approve_extension()  # the manager (Administrator holds Partner Manager)
		frappe.db.commit()  # nosemgrep: the portal shows the new date
		self.assertEqual(
			getdate(frappe.db.get_value("Deal Registration", doc.name, "expires_on")), getdate(until)
		)

	def test_files_are_attached_to_own_deals(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.upload_deal_attachment",
			{"name": self.a_approved},
			files={"file": ("purchase-intent.pdf", small_pdf())},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_approved})
		self.assertIn("purchase-intent", page.text)

	def test_partner_a_cannot_resubmit_extend_or_attach_on_b_deals(self):
		http = self.session()
		for name in (self.b_returned, self.b_approved):
			self.assert_refused(http.get(f"{self.url}/partner/deal", params={"name": name}))
		self.assert_refused(
			self.post(
				http,
				"prm_app.api.portal.update_deal",
				self.edit_args(self.b_returned, prospect_name="Hijack"),
			)
		)
		self.assert_refused(
			self.post(
				http,
				"prm_app.api.portal.request_deal_extension",
				{"name": self.b_approved, "until": add_days(nowdate(), 90), "reason": "mine now"},
			)
		)
		for name in (self.b_returned, self.b_approved):
			self.assert_refused(
				self.post(
					http,
					"prm_app.api.portal.upload_deal_attachment",
					{"name": name},
					files={"file": ("x.pdf", small_pdf())},
				)
			)
		frappe.db.rollback()
		returned = frappe.db.get_value(
			"Deal Registration", self.b_returned, ["status", "prospect_name", "partner"], as_dict=True
		)
		self.assertEqual(
			(returned.status, returned.prospect_name, returned.partner),
			("Returned for information", "Soylent Corporation", B_NAME),
		)
		self.assertIsNone(
			frappe.db.get_value("Deal Registration", self.b_approved, "extension_requested_until")
		)
		self.assertFalse(
			frappe.db.exists(
				"File",
				{
					"attached_to_doctype": "Deal Registration",
					"attached_to_name": ("in", [self.b_returned, self.b_approved]),
				},
			)
		)
