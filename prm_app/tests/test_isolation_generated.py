"""Isolation probes generated from the schema (issue 11): partner A's Admin user attacks partner B's records
over real HTTP through every channel, for every doctype a Partner user can reach and every field it has.

Reachable doctypes: those with a DocPerm / Custom DocPerm row for the Partner role, those prm_app has a
has_permission hook for, and their child tables. For each field of each such doctype the probes are:
list with the field in ``fields`` and in ``filters`` (REST v1, REST v2, frappe.client.get_list,
frappe.desk.reportview.get) and write it (PUT v1, PATCH v2, frappe.client.set_value, frappe.client.save;
child fields through the parent's table). For each record: read (v1, v2, frappe.client.get, getdoc),
rename, delete (v1, v2, frappe.client.delete), attach a file (POST /api/resource/File, upload_file),
like (toggle_like), assign (a ToDo naming it), run_doc_method, validate_link and get_docinfo; for every
field, link search (search_link / search_widget with ignore_user_permissions and the field as
searchfield and as filter).
Every probe must be refused or come back without B's data, and B's stored record must not change. A new
field adds its probes by itself; a new reachable doctype fails until B's record of it is added to
``TestIsolationGenerated.b_record_names``.
"""

from __future__ import annotations

import json
import re

import frappe
from frappe.model import no_value_fields, table_fields
from frappe.utils import now, nowdate

from prm_app.tests.test_portal_isolation import A_NAME, A_USER, B_NAME, B_PRIVATE, B_USER, PortalFixtures

ROLE = "Partner"
PROBE_TEXT = "probe-by-partner-a"


def reachable_doctypes() -> dict[str, tuple[str, str] | None]:
	"""{doctype: None} for top-level doctypes, {child: (parent, table fieldname)} for their child tables."""
	tops = set()
	for perm in ("DocPerm", "Custom DocPerm"):
		tops.update(frappe.get_all(perm, filters={"role": ROLE}, pluck="parent", distinct=True))
	tops.update(frappe.get_hooks("has_permission", app_name="prm_app").keys())
	tops = {d for d in tops if frappe.db.exists("DocType", d) and not frappe.get_meta(d).istable}
	reachable: dict[str, tuple[str, str] | None] = {d: None for d in sorted(tops)}
	for parent in sorted(tops):
		for df in frappe.get_meta(parent).get_table_fields():
			reachable.setdefault(df.options, (parent, df.fieldname))
	return reachable


def value_fields(doctype: str) -> list:
	return [df for df in frappe.get_meta(doctype).fields if df.fieldtype not in no_value_fields]


def probe_value(df):
	"""A value of the field's type that A would like to write (A's own partner / user for links)."""
	if df.fieldtype == "Link":
		if df.options == "Partner":
			return A_NAME
		if df.options == "User":
			return A_USER
		return frappe.db.get_value(df.options, {}, "name") or PROBE_TEXT
	if df.fieldtype in ("Int", "Float", "Currency", "Percent", "Rating", "Duration", "Check"):
		return 1
	if df.fieldtype == "Date":
		return nowdate()
	if df.fieldtype == "Datetime":
		return now()
	if df.fieldtype == "Time":
		return "10:00:00"
	if df.fieldtype == "Select":
		options = [o for o in (df.options or "").split("\n") if o]
		return options[-1] if options else PROBE_TEXT
	if df.fieldtype in ("Attach", "Attach Image"):
		return "/files/probe-by-partner-a.txt"
	if df.fieldtype == "JSON":
		return "{}"
	if df.fieldtype in table_fields:
		return [{}]
	return PROBE_TEXT


# the random id Frappe gives every error it answers (not a property of the record)
EXC_ID = re.compile(r"__frappe_exc_id\W+[0-9a-f]+")


class TestIsolationGenerated(PortalFixtures):
	probes = 0

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		# an own registration of A whose (hidden) conflict rows name B: what hidden child probes look for
		cls.conflicting_with_b("Generated Conflict Corp", "generated-conflict.example")
		frappe.db.commit()  # nosemgrep: the server must see the conflict rows
		cls.http = None

	@classmethod
	def tearDownClass(cls):
		print(f"\nprm_app isolation: {cls.probes} generated probes")
		super().tearDownClass()

	# --- helpers ---------------------------------------------------------------------------------------------

	def b_record_names(self) -> dict[str, str]:
		return {
			**self.b_records(),
			"Partner Resource": self.resources["gold"],
			"File": self.b_file,
		}

	def attacker(self):
		if not type(self).http:
			type(self).http = self.session(A_USER)
		return type(self).http

	def request(self, method: str, path: str, **kwargs):
		type(self).probes += 1
		http = self.attacker()
		if method != "GET":
			kwargs.setdefault("headers", {})["X-Frappe-CSRF-Token"] = http.csrf
		return http.request(method, self.url + path, **kwargs)

	def secrets(self, doctype: str, name: str) -> tuple[str, ...]:
		return (name, B_NAME, B_USER, self.b_deal, *B_PRIVATE)

	def snapshot(self, doctype: str, name: str) -> str:
		frappe.db.rollback()  # what the server committed
		frappe.clear_document_cache(doctype, name)
		if not frappe.db.exists(doctype, name):
			return "<deleted>"
		return frappe.as_json(frappe.get_doc(doctype, name).as_dict())

	def targets(self):
		"""(doctype, parent info, B's record name of the doctype or its parent) for every reachable doctype."""
		names = self.b_record_names()
		for doctype, parent in reachable_doctypes().items():
			top = parent[0] if parent else doctype
			self.assertIn(
				top,
				names,
				f"{top} is reachable by the Partner role: add B's record of it to b_record_names",
			)
			yield doctype, parent, names[top]

	def hidden(self, parent: tuple[str, str] | None) -> bool:
		"""A child table whose table field the Partner role cannot read (a higher permlevel)."""
		if not parent:
			return False
		meta = frappe.get_meta(parent[0])
		levels = {p.permlevel for p in meta.permissions if p.role == ROLE and p.read}
		return meta.get_field(parent[1]).permlevel not in levels

	def list_channels(self, doctype: str, params: dict):
		yield "v1", self.request("GET", f"/api/resource/{doctype}", params=params)
		yield "v2", self.request("GET", f"/api/v2/document/{doctype}", params=params)
		yield (
			"frappe.client.get_list",
			self.request("GET", "/api/method/frappe.client.get_list", params={"doctype": doctype, **params}),
		)
		yield (
			"reportview.get",
			self.request(
				"POST", "/api/method/frappe.desk.reportview.get", data={"doctype": doctype, **params}
			),
		)

	def assert_safe(self, response, secrets, refused: bool = False):
		if refused:
			self.assert_refused(response)
		self.assert_refused_or_empty(response, *secrets)

	# --- probes ----------------------------------------------------------------------------------------------

	def test_every_field_in_lists_and_filters(self):
		for doctype, parent, name in self.targets():
			top = parent[0] if parent else doctype
			secrets = self.secrets(top, name)
			hidden = self.hidden(parent)
			for df in value_fields(doctype):
				if df.fieldtype in table_fields:
					continue  # the child doctype's own fields are probed
				column = f"`tab{doctype}`.`{df.fieldname}`"
				probes = {
					"fields": {"fields": json.dumps(["name", column]), "limit_page_length": 0},
					"filters": {
						"fields": json.dumps(["name"]),
						"filters": json.dumps([[doctype, df.fieldname, "is", "set"]]),
						"limit_page_length": 0,
					},
				}
				for kind, params in probes.items():
					for channel, response in self.list_channels(top, params):
						with self.subTest(doctype=doctype, field=df.fieldname, probe=kind, channel=channel):
							self.assert_safe(response, secrets, refused=hidden)
				if parent:  # the child table listed on its own
					response = self.request(
						"GET",
						"/api/method/frappe.client.get_list",
						params={
							"doctype": doctype,
							"parent": top,
							"fields": json.dumps(["parent", df.fieldname]),
							"limit_page_length": 0,
						},
					)
					with self.subTest(doctype=doctype, field=df.fieldname, probe="child list"):
						self.assert_safe(response, secrets)

	def test_every_field_written_on_b_record(self):
		for doctype, parent, name in self.targets():
			top = parent[0] if parent else doctype
			before = self.snapshot(top, name)
			stored = frappe.get_doc(top, name).as_dict(convert_dates_to_str=True)
			for df in value_fields(doctype):
				value = probe_value(df)
				if parent:
					body = {parent[1]: [{df.fieldname: value}]}
					attempts = {
						"PUT v1": self.request("PUT", f"/api/resource/{top}/{name}", json=body),
						"PATCH v2": self.request("PATCH", f"/api/v2/document/{top}/{name}/", json=body),
					}
				else:
					body = {df.fieldname: value}
					attempts = {
						"PUT v1": self.request("PUT", f"/api/resource/{top}/{name}", json=body),
						"PATCH v2": self.request("PATCH", f"/api/v2/document/{top}/{name}/", json=body),
						"set_value": self.request(
							"POST",
							"/api/method/frappe.client.set_value",
							data={
								"doctype": top,
								"name": name,
								"fieldname": df.fieldname,
								"value": value if not isinstance(value, list) else json.dumps(value),
							},
						),
						"save": self.request(
							"POST",
							"/api/method/frappe.client.save",
							data={"doc": frappe.as_json({**stored, **body})},
						),
					}
				for channel, response in attempts.items():
					with self.subTest(doctype=doctype, field=df.fieldname, channel=channel):
						self.assert_refused(response)
						self.assert_refused_or_empty(response, *self.secrets(top, name))
				with self.subTest(doctype=doctype, field=df.fieldname, check="B's record unchanged"):
					self.assertEqual(self.snapshot(top, name), before)

	def test_read_rename_delete_attach_b_record(self):
		for doctype, parent, name in self.targets():
			if parent:
				continue
			before = self.snapshot(doctype, name)
			secrets = self.secrets(doctype, name)
			attempts = {
				"read v1": self.request("GET", f"/api/resource/{doctype}/{name}"),
				"read v2": self.request("GET", f"/api/v2/document/{doctype}/{name}/"),
				"frappe.client.get": self.request(
					"GET", "/api/method/frappe.client.get", params={"doctype": doctype, "name": name}
				),
				"getdoc": self.request(
					"GET",
					"/api/method/frappe.desk.form.load.getdoc",
					params={"doctype": doctype, "name": name},
				),
				"rename": self.request(
					"POST",
					"/api/method/frappe.client.rename_doc",
					data={"doctype": doctype, "old_name": name, "new_name": name + "-taken"},
				),
				"delete v1": self.request("DELETE", f"/api/resource/{doctype}/{name}"),
				"delete v2": self.request("DELETE", f"/api/v2/document/{doctype}/{name}/"),
				"frappe.client.delete": self.request(
					"POST", "/api/method/frappe.client.delete", data={"doctype": doctype, "name": name}
				),
				"attach v1": self.request(
					"POST",
					"/api/resource/File",
					json={
						"file_name": "probe-by-partner-a.txt",
						"content": PROBE_TEXT,
						"attached_to_doctype": doctype,
						"attached_to_name": name,
						"is_private": 1,
					},
				),
				"upload_file": self.request(
					"POST",
					"/api/method/upload_file",
					data={"doctype": doctype, "docname": name, "is_private": 1},
					files={"file": ("probe-by-partner-a.txt", PROBE_TEXT.encode())},
				),
			}
			for channel, response in attempts.items():
				with self.subTest(doctype=doctype, channel=channel):
					self.assert_refused(response)
					self.assert_refused_or_empty(response, *secrets)
			with self.subTest(doctype=doctype, check="B's record unchanged"):
				self.assertEqual(self.snapshot(doctype, name), before)
				self.assertFalse(
					frappe.db.exists(
						"File", {"attached_to_name": name, "file_name": "probe-by-partner-a.txt"}
					)
				)

	def test_generic_channels_on_b_record(self):
		"""Frappe's generic channels that name a record: like, assign, run_doc_method, validate_link,
		docinfo; answers for B's record are those for a missing one and B's record does not change."""
		for doctype, parent, name in self.targets():
			if parent:
				continue
			before = self.snapshot(doctype, name)
			secrets = self.secrets(doctype, name)
			modified = str(frappe.db.get_value(doctype, name, "modified"))
			answers = {}
			for target in (name, "no-such-record-0000"):
				attempts = {
					"toggle_like": self.request(
						"POST",
						"/api/method/frappe.desk.like.toggle_like",
						data={"doctype": doctype, "name": target, "add": "Yes"},
					),
					"ToDo": self.request(
						"POST",
						"/api/resource/ToDo",
						json={
							"description": PROBE_TEXT,
							"reference_type": doctype,
							"reference_name": target,
							"allocated_to": A_USER,
						},
					),
					"run_doc_method": self.request(
						"POST",
						"/api/method/run_doc_method",
						data={
							"docs": json.dumps(
								{"doctype": doctype, "name": target, "modified": "2000-01-01"}
							),
							"method": "onload",
						},
					),
					"get_docinfo": self.request(
						"GET",
						"/api/method/frappe.desk.form.load.get_docinfo",
						params={"doctype": doctype, "name": target},
					),
					"getdoc": self.request(
						"GET",
						"/api/method/frappe.desk.form.load.getdoc",
						params={"doctype": doctype, "name": target},
					),
					"read v1": self.request("GET", f"/api/resource/{doctype}/{target}"),
					"read v2": self.request("GET", f"/api/v2/document/{doctype}/{target}/"),
					"frappe.client.get": self.request(
						"GET", "/api/method/frappe.client.get", params={"doctype": doctype, "name": target}
					),
					**self.named_record_channels(doctype, target),
				}
				for channel, response in attempts.items():
					with self.subTest(doctype=doctype, channel=channel, target=target):
						self.assert_refused(response)
						self.assert_refused_or_empty(response, *secrets)
						self.assertNotIn(modified, response.text)
					# the whole answer, not only its status: a refusal naming the record it found differs
					# from one for a missing record (the name the caller sent may be repeated)
					answers[(channel, target == name)] = (
						response.status_code,
						EXC_ID.sub("", response.text.replace(target, "<name>")),
					)
				link = self.request(
					"GET",
					"/api/method/frappe.client.validate_link",
					params={"doctype": doctype, "docname": target},
				)
				answers[("validate_link", target == name)] = (link.status_code, link.text)
			for channel in {channel for channel, _existing in answers}:
				with self.subTest(doctype=doctype, channel=channel, check="same answer as a missing record"):
					self.assertEqual(answers[(channel, True)], answers[(channel, False)])
			with self.subTest(doctype=doctype, check="B's record unchanged"):
				self.assertEqual(self.snapshot(doctype, name), before)
				self.assertFalse(frappe.db.exists("ToDo", {"reference_name": name, "owner": A_USER}))
				self.assertFalse(
					frappe.db.exists(
						"Comment", {"reference_doctype": doctype, "reference_name": name, "owner": A_USER}
					)
				)

	def named_record_channels(self, doctype: str, target: str) -> dict:
		"""More of Frappe's endpoints that take a doctype and a record name (each checks the record with
		``has_permission(throw=True)``, whose message names the record it found)."""
		return {
			"linked_with.get": self.request(
				"GET",
				"/api/method/frappe.desk.form.linked_with.get",
				params={"doctype": doctype, "docname": target},
			),
			"get_submitted_linked_docs": self.request(
				"POST",
				"/api/method/frappe.desk.form.linked_with.get_submitted_linked_docs",
				data={"doctype": doctype, "name": target},
			),
			"assign_to.add": self.request(
				"POST",
				"/api/method/frappe.desk.form.assign_to.add",
				data={"doctype": doctype, "name": target, "assign_to": json.dumps([A_USER])},
			),
			"assign_to.add_multiple": self.request(
				"POST",
				"/api/method/frappe.desk.form.assign_to.add_multiple",
				data={"doctype": doctype, "name": json.dumps([target]), "assign_to": json.dumps([A_USER])},
			),
			"assign_to.remove": self.request(
				"POST",
				"/api/method/frappe.desk.form.assign_to.remove",
				data={"doctype": doctype, "name": target, "assign_to": A_USER},
			),
			"add_comment": self.request(
				"POST",
				"/api/method/frappe.desk.form.utils.add_comment",
				data={
					"reference_doctype": doctype,
					"reference_name": target,
					"content": PROBE_TEXT,
					"comment_email": A_USER,
					"comment_by": A_USER,
				},
			),
			"set_value _liked_by": self.request(
				"POST",
				"/api/method/frappe.client.set_value",
				data={"doctype": doctype, "name": target, "fieldname": "_liked_by", "value": "[]"},
			),
			"get_html_and_style": self.request(
				"POST",
				"/api/method/frappe.www.printview.get_html_and_style",
				data={"doc": doctype, "name": target},
			),
			"get_rendered_raw_commands": self.request(
				"POST",
				"/api/method/frappe.www.printview.get_rendered_raw_commands",
				data={"doc": doctype, "name": target},
			),
			"share.add": self.request(
				"POST",
				"/api/method/frappe.share.add",
				data={"doctype": doctype, "name": target, "user": A_USER, "read": 1},
			),
		}

	def test_every_field_in_link_search(self):
		"""search_link / search_widget with ignore_user_permissions=1: every field as searchfield and as
		filter lists none of B's records."""
		for doctype, parent, name in self.targets():
			top = parent[0] if parent else doctype
			secrets = self.secrets(top, name)
			for df in value_fields(doctype):
				if df.fieldtype in table_fields:
					continue
				params = {"doctype": top, "txt": "", "ignore_user_permissions": 1, "page_length": 500}
				probes = {
					"filters": {
						**params,
						"filters": json.dumps([[doctype, df.fieldname, "is", "set"]]),
					}
				}
				if not parent:
					probes["searchfield"] = {**params, "searchfield": df.fieldname}
				for kind, query in probes.items():
					for method in ("search_link", "search_widget"):
						response = self.request(
							"GET", f"/api/method/frappe.desk.search.{method}", params=query
						)
						with self.subTest(doctype=doctype, field=df.fieldname, probe=kind, method=method):
							self.assert_safe(
								response, secrets, refused=self.hidden(parent) and kind == "filters"
							)
