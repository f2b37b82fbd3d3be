"""Frappe's generic channels as partner A's users against partner B, over real HTTP (issue 11, second
assessment): files pointed at another partner's file, link search without row rules, version history,
likes and assignments, existence oracles, dashboard counts. Each test failed on the code before its fix.
"""

from __future__ import annotations

import json
import os

import frappe
import requests
from frappe.utils.password import update_password

from prm_app.tests.test_portal_isolation import (
	A_NAME,
	A_USER,
	B_NAME,
	B_USER,
	PASSWORD,
	PortalFixtures,
)

SALES_DESK = "prm.portal.sales.desk@example.com"


class TestPortalChannels(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.b_file_url = frappe.db.get_value("File", cls.b_file, "file_url")
		cls.b_file_path = frappe.get_doc("File", cls.b_file).get_full_path()
		# rows of A standing for B's file left by a run on the unfixed code (removed without on_trash,
		# which would delete B's file from disk)
		frappe.db.delete("File", {"owner": ("like", "prm.portal.a%"), "file_url": cls.b_file_url})
		frappe.db.commit()  # nosemgrep: the server must not see them

	def unsafe(self, http, method: str, path: str, **kwargs):
		headers = {"X-Frappe-CSRF-Token": http.csrf, **kwargs.pop("headers", {})}
		return http.request(method, self.url + path, headers=headers, **kwargs)

	def fresh(self, doctype, name, *fields):
		frappe.db.rollback()  # what the server committed
		return frappe.db.get_value(doctype, name, list(fields), as_dict=True)

	def assert_b_file_intact(self):
		frappe.db.rollback()
		self.assertTrue(os.path.exists(self.b_file_path), "B's file was moved or deleted")
		with open(self.b_file_path, "rb") as f:
			self.assertEqual(f.read(), b"B SECRET CONTRACT")
		self.assertEqual(frappe.db.get_value("File", self.b_file, "file_url"), self.b_file_url)

	def own_file(self, http, name: str = "a-own-upload.txt", content: str = "A OWN CONTENT") -> dict:
		response = self.unsafe(
			http,
			"POST",
			"/api/resource/File",
			json={
				"file_name": name,
				"content": content,
				"attached_to_doctype": "Deal Registration",
				"attached_to_name": self.a_deal,
				"is_private": 1,
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		data = response.json()["data"]
		self.created.append(("File", data["name"]))
		return data

	# --- F1: a File row names which file on disk it stands for ---------------------------------------------

	def test_file_pointing_at_another_partners_file_is_refused(self):
		"""A File row that names B's private file (REST, upload_file's file_url, path detours) is refused,
		and B's file cannot be downloaded through one."""
		http = self.session()
		variants = [
			self.b_file_url,
			self.b_file_url.replace("/private/files/", "/private/files/./"),
			self.b_file_url.replace("/private/files/", "/private/files//"),
			self.b_file_url.upper(),
			self.b_file_url + " ",
		]
		for url in variants:
			with self.subTest(url=url):
				self.assert_refused(
					self.unsafe(http, "POST", "/api/resource/File", json={"file_url": url, "is_private": 1})
				)
				self.assert_refused(
					self.unsafe(
						http,
						"POST",
						"/api/resource/File",
						json={"file_url": url, "is_private": 1, "content": "x", "file_name": "x.txt"},
					)
				)
				self.assert_refused(
					self.unsafe(
						http, "POST", "/api/method/upload_file", data={"file_url": url, "is_private": 1}
					)
				)
		self.assert_refused(
			self.unsafe(
				http,
				"POST",
				"/api/v2/document/File",
				json={"file_url": self.b_file_url, "is_private": 1},
			)
		)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("File", {"owner": A_USER, "file_url": ("like", "%b-secret%")}))
		download = http.get(self.url + self.b_file_url)
		self.assert_refused(download)
		self.assertNotIn("B SECRET CONTRACT", download.text)
		self.assert_b_file_intact()

	def test_file_rows_keep_the_file_they_stand_for(self):
		"""A's own File row cannot be turned into B's file (file_url), moved public (is_private), nor given
		another content hash or thumbnail; a row sharing B's file cannot delete it; A still deletes its
		own upload."""
		http = self.session()
		own = self.own_file(http)
		for change in (
			{"is_private": 0},
			{"file_url": self.b_file_url},
			{"content_hash": "x"},
			{"thumbnail_url": self.b_file_url},
			{"file_name": "renamed.txt"},
		):
			with self.subTest(change=change):
				self.assert_refused(
					self.unsafe(http, "PUT", f"/api/resource/File/{own['name']}", json=change)
				)
				self.assert_refused(
					self.post(
						http,
						"frappe.client.set_value",
						{
							"doctype": "File",
							"name": own["name"],
							"fieldname": json.dumps(change),
						},
					)
				)
		stored = self.fresh("File", own["name"], "file_url", "is_private", "content_hash", "file_name")
		self.assertEqual((stored.file_url, stored.is_private), (own["file_url"], 1))
		# a row of A standing for B's file (as made before this fix) with its own content hash: deleting
		# it would delete B's file from disk
		pointer = frappe.get_doc(
			{
				"doctype": "File",
				"file_url": self.b_file_url,
				"is_private": 1,
				"file_name": "pointer.txt",
			}
		)
		pointer.flags.ignore_duplicate_entry_error = True
		pointer.insert(ignore_permissions=True)
		frappe.db.set_value("File", pointer.name, {"owner": A_USER, "content_hash": "x"})
		self.created.append(("File", pointer.name))
		frappe.db.commit()  # nosemgrep: the server must see the pointer
		self.assert_refused(self.unsafe(http, "DELETE", f"/api/resource/File/{pointer.name}"))
		self.assert_refused(
			self.post(http, "frappe.client.delete", {"doctype": "File", "name": pointer.name})
		)
		self.assert_b_file_intact()
		# the pointer gives A B's file (a row made before the rule): removed without on_trash
		frappe.db.delete("File", pointer.name)
		frappe.db.commit()  # nosemgrep: the server must not see it
		deleted = self.unsafe(http, "DELETE", f"/api/resource/File/{own['name']}")
		self.assertIn(deleted.status_code, (200, 202), deleted.text[:300])
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("File", own["name"]))

	def test_upload_named_like_another_partners_file_never_serves_it(self):
		"""An upload whose name differs from B's private file only in letter case or trailing spaces (MariaDB
		compares file_url case-insensitively, PAD SPACE) gets a file_url of its own, and B's file is not
		served through it (upload_file and the portal's upload_deal_attachment)."""
		http = self.session()
		b_name = self.b_file_url.rsplit("/", 1)[1]
		variants = [b_name.upper(), b_name[0].upper() + b_name[1:], b_name + " "]
		uploads = []
		for variant in variants:
			for channel in ("upload_file", "upload_deal_attachment"):
				with self.subTest(variant=variant, channel=channel):
					# content of its own each time (the same content would reuse the first upload's file)
					content = f"A LOOKALIKE {len(uploads)} {frappe.generate_hash(length=8)}"
					if channel == "upload_file":
						response = self.post(
							http,
							"upload_file",
							data={"is_private": 1},
							files={"file": (variant, content.encode())},
						)
					else:
						response = self.post(
							http,
							"prm_app.api.portal.upload_deal_attachment",
							data={"name": self.a_deal},
							files={"file": (variant, content.encode())},
						)
					if response.status_code == 417 and variant.endswith(" ") and channel == "upload_file":
						continue  # Frappe refuses the extension "txt " of a website user's upload
					self.assertEqual(response.status_code, 200, response.text[:300])
					uploaded = response.json()["message"]
					self.created.append(("File", uploaded["name"]))
					uploads.append((uploaded, content))
					# no other row matches the new URL under MariaDB's collation
					frappe.db.rollback()
					same = frappe.get_all("File", {"file_url": uploaded["file_url"]}, pluck="file_url")
					self.assertEqual(set(same), {uploaded["file_url"]})
					for path in {self.b_file_url, self.b_file_url.upper(), uploaded["file_url"]}:
						download = http.get(self.url + path)
						self.assertNotIn("B SECRET CONTRACT", download.text, path)
		for uploaded, content in uploads:
			own = http.get(self.url + uploaded["file_url"])
			self.assertEqual((own.status_code, own.text), (200, content), uploaded["file_url"])
		self.assert_refused(http.get(self.url + self.b_file_url))
		self.assert_b_file_intact()

	def test_private_files_served_only_by_an_exactly_matching_row(self):
		"""A readable File row whose URL equals another file's only under MariaDB's collation (rows made
		before uploads were kept distinct) does not serve that other file."""
		http = self.session()
		lookalike = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": "lookalike.txt",
				"attached_to_doctype": "Deal Registration",
				"attached_to_name": self.a_deal,
				"is_private": 1,
				"content": b"A LOOKALIKE OLD",
			}
		).insert(ignore_permissions=True)
		self.created.append(("File", lookalike.name))
		legacy_url = "/private/files/" + self.b_file_url.rsplit("/", 1)[1].upper()
		legacy_path = lookalike.get_full_path().rsplit("/", 1)[0] + "/" + legacy_url.rsplit("/", 1)[1]
		os.rename(lookalike.get_full_path(), legacy_path)
		frappe.db.set_value("File", lookalike.name, {"file_url": legacy_url, "owner": A_USER})
		frappe.db.commit()  # nosemgrep: the server must see the legacy row
		try:
			self.assertEqual(http.get(self.url + legacy_url).text, "A LOOKALIKE OLD")
			download = http.get(self.url + self.b_file_url)
			self.assert_refused(download)
			self.assertNotIn("B SECRET CONTRACT", download.text)
		finally:
			frappe.db.set_value("File", lookalike.name, "file_url", lookalike.file_url)
			os.rename(legacy_path, lookalike.get_full_path())
			frappe.db.commit()  # nosemgrep: undo the legacy row

	# --- F2: link search keeps the row rules ------------------------------------------------------------------

	def test_link_search_keeps_row_rules(self):
		"""search_link / search_widget with ignore_user_permissions=1, any searchfield and child-table
		filters list A's own records only."""
		conflicted = self.a_deal_with_conflict()
		http = self.session()
		secrets = (B_NAME, self.b_deal, "Initech", "B private note", "pat@initech.com")
		probes = []
		for method in ("frappe.desk.search.search_link", "frappe.desk.search.search_widget"):
			for doctype, searchfield, txt in (
				("Deal Registration", "notes", ""),
				("Deal Registration", "contact_email", "initech"),
				("Deal Registration", "prospect_name", "Initech"),
				("Partner", "tax_id", ""),
				("Partner", "website", "Portal Partner B"),
			):
				probes.append(
					(
						method,
						{
							"doctype": doctype,
							"txt": txt,
							"searchfield": searchfield,
							"ignore_user_permissions": 1,
							"page_length": 500,
						},
					)
				)
			for filters in (
				[["Deal Registration Conflict", "matched_partner", "=", B_NAME]],
				[["Deal Registration", "partner", "=", B_NAME]],
				{"notes": ["like", "%private%"]},
			):
				probes.append(
					(
						method,
						{
							"doctype": "Deal Registration",
							"txt": "",
							"filters": json.dumps(filters),
							"ignore_user_permissions": 1,
							"page_length": 500,
						},
					)
				)
		for method, params in probes:
			with self.subTest(method=method, params=params):
				response = http.get(f"{self.url}/api/method/{method}", params=params)
				self.assert_refused_or_empty(response, *secrets)
		own = http.get(
			f"{self.url}/api/method/frappe.desk.search.search_link",
			params={
				"doctype": "Deal Registration",
				"txt": "",
				"ignore_user_permissions": 1,
				"page_length": 500,
			},
		)
		self.assertEqual(own.status_code, 200, own.text[:300])
		self.assertIn(conflicted, own.text)

	# --- F3: history ----------------------------------------------------------------------------------------

	def a_deal_with_conflict(self) -> str:
		# tests skip versions unless asked
		doc = self.conflicting_with_b(
			"History Conflict Corp", "history-conflict.example", ignore_version=False
		)
		doc.reload()
		doc.conflicts[0].reason = "B private note, again"
		doc.save(ignore_permissions=True, ignore_version=False)
		frappe.db.commit()  # nosemgrep: the server must see the registration and its versions
		return doc.name

	def test_history_never_shows_hidden_rows(self):
		"""getdoc / get_docinfo of A's own registration carry no version data of its (permlevel 1)
		conflict rows naming B; existing versions are stripped by the patch."""
		name = self.a_deal_with_conflict()
		http = self.session()
		for method in ("frappe.desk.form.load.get_docinfo", "frappe.desk.form.load.getdoc"):
			with self.subTest(method=method):
				response = http.get(
					f"{self.url}/api/method/{method}", params={"doctype": "Deal Registration", "name": name}
				)
				self.assertEqual(response.status_code, 200, response.text[:300])
				for secret in (B_NAME, self.b_deal, "Initech", "B private note", "matched_partner"):
					self.assertNotIn(secret, response.text)
		# a version stored before the fix
		from prm_app.patches.v0_1 import strip_hidden_version_data

		version = frappe.get_doc(
			{
				"doctype": "Version",
				"ref_doctype": "Deal Registration",
				"docname": name,
				"data": "{}",
			}
		).insert(ignore_permissions=True)
		self.created.append(("Version", version.name))
		old = {
			"added": [["conflicts", {"matched_partner": B_NAME}]],
			"changed": [["notes", "a", "b"]],
			"row_changed": [["conflicts", 0, "x", [["reason", "", "B private note"]]]],
			"removed": [],
		}
		frappe.db.set_value("Version", version.name, "data", json.dumps(old), update_modified=False)
		strip_hidden_version_data.execute()
		data = json.loads(frappe.db.get_value("Version", version.name, "data"))
		self.assertEqual(data["changed"], [["notes", "a", "b"]])
		self.assertEqual((data["added"], data["row_changed"]), ([], []))

	# --- F4: likes and assignments -------------------------------------------------------------------------

	def test_likes_and_assignments_only_on_readable_records(self):
		"""toggle_like and a ToDo naming B's registration are refused and change nothing of B's; a ToDo
		naming B's record and one naming a missing record get the same answer."""
		http = self.session()
		before = self.fresh("Deal Registration", self.b_deal, "_liked_by", "_assign", "modified")
		like = self.post(
			http,
			"frappe.desk.like.toggle_like",
			{"doctype": "Deal Registration", "name": self.b_deal, "add": "Yes"},
		)
		self.assert_refused(like)
		answers = {}
		for name in (self.b_deal, "DR-NO-SUCH-0000"):
			response = self.unsafe(
				http,
				"POST",
				"/api/resource/ToDo",
				json={
					"description": "probe",
					"reference_type": "Deal Registration",
					"reference_name": name,
					"allocated_to": A_USER,
				},
			)
			self.assert_refused(response)
			answers[name] = (response.status_code, response.json().get("exc_type"))
		self.assertEqual(answers[self.b_deal], answers["DR-NO-SUCH-0000"])
		self.assertEqual(
			self.fresh("Deal Registration", self.b_deal, "_liked_by", "_assign", "modified"), before
		)
		self.assertFalse(
			frappe.db.exists(
				"Comment",
				{"reference_doctype": "Deal Registration", "reference_name": self.b_deal, "owner": A_USER},
			)
		)
		self.assertFalse(frappe.db.exists("ToDo", {"reference_name": self.b_deal, "owner": A_USER}))
		own = self.post(
			http,
			"frappe.desk.like.toggle_like",
			{"doctype": "Deal Registration", "name": self.a_deal, "add": "Yes"},
		)
		self.assertEqual(own.status_code, 200, own.text[:300])
		self.assertIn(A_USER, self.fresh("Deal Registration", self.a_deal, "_liked_by")._liked_by or "")

	# --- F5: existence oracles ----------------------------------------------------------------------------

	def test_no_existence_oracles(self):
		"""validate_link, run_doc_method and invite_colleague answer alike for another party's record and
		for a missing one; run_doc_method never shows B's timestamp."""
		http = self.session()
		for doctype, existing in (
			("Customer", "_PRM Test Customer"),
			("User", B_USER),
			("Deal Registration", self.b_deal),
			("Partner", B_NAME),
		):
			with self.subTest(doctype=doctype):
				answers = [
					http.get(
						f"{self.url}/api/method/frappe.client.validate_link",
						params={"doctype": doctype, "docname": name},
					)
					for name in (existing, "No Such Record 0000")
				]
				self.assertEqual(
					next((r.status_code, r.json().get("message")) for r in answers),
					[(r.status_code, r.json().get("message")) for r in answers][1],
				)
		b_modified = str(frappe.db.get_value("Deal Registration", self.b_deal, "modified"))
		answers = {}
		for name in (self.b_deal, "DR-NO-SUCH-0000"):
			for channel, data in (
				(
					"docs",
					{
						"docs": json.dumps(
							{"doctype": "Deal Registration", "name": name, "modified": "2000-01-01"}
						),
						"method": "withdraw",
					},
				),
				("dt", {"dt": "Deal Registration", "dn": name, "method": "withdraw"}),
			):
				response = self.post(http, "run_doc_method", data)
				self.assert_refused(response)
				self.assertNotIn(b_modified, response.text)
				self.assertNotIn(b_modified[:19], response.text)
				answers[(name, channel)] = (response.status_code, response.json().get("exc_type"))
		for channel in ("docs", "dt"):
			self.assertEqual(answers[(self.b_deal, channel)], answers[("DR-NO-SUCH-0000", channel)])
		email = "prm.portal.oracle.contact@example.com"
		contact = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": "Oracle",
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"links": [{"link_doctype": "Customer", "link_name": "_PRM Test Customer"}],
			}
		).insert(ignore_permissions=True)
		self.created.append(("Contact", contact.name))
		frappe.db.commit()  # nosemgrep: the server must see the contact
		invites = {}
		for who in (B_USER, email):
			response = self.post(
				http, "prm_app.api.portal.invite_colleague", {"email": who, "full_name": "Oracle Probe"}
			)
			self.assert_refused(response)
			message = json.loads(json.loads(response.json()["_server_messages"])[0])["message"]
			invites[who] = (response.status_code, message.replace(who, "<email>"))
		self.assertEqual(invites[B_USER], invites[email])

	def test_refusals_have_one_body(self):
		"""Frappe's own refusals (``has_permission(throw=True)`` names the record it found) and prm_app's
		answer for a missing record are the same bytes: tier progress of B, REST v1/v2 on B's registration."""
		http = self.session()
		for path, existing, missing in (
			(
				"/api/method/prm_app.tiers.get_tier_progress?partner={}",
				B_NAME,
				"No Such Partner 0000",
			),
			("/api/resource/Deal Registration/{}", self.b_deal, "DR-NO-SUCH-0000"),
			("/api/v2/document/Deal Registration/{}", self.b_deal, "DR-NO-SUCH-0000"),
		):
			with self.subTest(path=path):
				answers = [http.get(self.url + path.format(name)) for name in (existing, missing)]
				self.assert_refused(answers[0])
				self.assertEqual(
					(answers[0].status_code, answers[0].text.replace(existing, "<name>")),
					(answers[1].status_code, answers[1].text.replace(missing, "<name>")),
				)
				self.assertNotIn(existing, answers[0].text)

	def test_no_directory_of_desk_users(self):
		"""get_names_for_mentions lists vendor staff (names, emails) to anyone logged in: not to partners."""
		http = self.session()
		response = http.get(
			self.url + "/api/method/frappe.desk.search.get_names_for_mentions", params={"search_term": ""}
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(response.json().get("message"), [])

	# --- F6: dashboard counts -------------------------------------------------------------------------------

	def test_open_counts_only_for_readable_doctypes(self):
		"""A Sales User (no read on commissions or payouts) gets no counts of B's commissions and payouts
		from B's Partner dashboard."""
		from prm_app.tests.utils import make_user

		make_user(SALES_DESK, ["Sales User"])
		update_password(SALES_DESK, PASSWORD)
		self.created.append(("User", SALES_DESK))
		frappe.db.commit()  # nosemgrep: the server must see the user
		http = requests.Session()
		login = http.post(f"{self.url}/api/method/login", data={"usr": SALES_DESK, "pwd": PASSWORD})
		self.assertEqual(login.status_code, 200, login.text[:300])
		for items in (json.dumps(["Partner Commission", "Partner Payout"]), None):
			params = {"doctype": "Partner", "name": B_NAME}
			if items:
				params["items"] = items
			response = http.get(
				f"{self.url}/api/method/frappe.desk.notifications.get_open_count", params=params
			)
			with self.subTest(items=items):
				self.assertEqual(response.status_code, 200, response.text[:300])
				for doctype in ("Partner Commission", "Partner Payout"):
					self.assertNotIn(f'"{doctype}"', response.text)

	# --- side: the deal page by path ------------------------------------------------------------------------

	def test_deal_page_by_path(self):
		"""/partner/deal/<name> is the registration page (was a 500): A's own opens, B's is refused."""
		http = self.session()
		own = http.get(f"{self.url}/partner/deal/{self.a_deal}", headers={"Accept": "text/html"})
		self.assertEqual(own.status_code, 200, own.text[:200])
		self.assertIn("Umbrella Corporation", own.text)
		for path in (f"/partner/deal/{self.b_deal}", "/partner/deal/DR-NO-SUCH-0000"):
			with self.subTest(path=path):
				response = http.get(self.url + path, headers={"Accept": "text/html"})
				self.assertIn(response.status_code, (403, 404), response.text[:200])
				for secret in ("B private note", "Initech", "pat@initech.com"):
					self.assertNotIn(secret, response.text)
