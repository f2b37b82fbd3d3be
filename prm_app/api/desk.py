"""Frappe desk endpoints that act on a record after checking less than a read of it (v15), wrapped so that
partner and website users reach only records they may read. Signatures are Frappe's; everyone else gets
Frappe's behaviour unchanged (except ``get_open_count``, see there).

frappe.desk.like.toggle_like          Frappe writes ``_liked_by`` and a Like comment on any record by name
run_doc_method / runserverobj         Frappe compares ``modified`` (check_if_latest) before the read check:
                                      the 417 names another partner's record's timestamp
frappe.desk.notifications.get_open_count   counts of linked doctypes the user cannot read at all
frappe.desk.form.load.getdoc / get_docinfo  Frappe answers 200 [] / 404 for a missing record and 403
                                      for another partner's: one refusal for both
"""

from __future__ import annotations

import json

import frappe
from frappe import _

from prm_app.permissions import is_portal_user, quietly_permitted


def refuse() -> None:
	"""The same answer whether the record does not exist or is not the user's."""
	frappe.throw(_("Not permitted"), frappe.PermissionError, title=_("Not Permitted"))


def require_readable(doctype, name) -> None:
	if not isinstance(doctype, str) or not isinstance(name, str | int) or not doctype or name in (None, ""):
		refuse()
	if not frappe.db.exists("DocType", doctype) or not quietly_permitted(doctype, str(name), "read"):
		refuse()


@frappe.whitelist()
def toggle_like(doctype, name, add=False):
	from frappe.desk.like import toggle_like as frappe_toggle_like

	if is_portal_user():
		require_readable(doctype, name)
	return frappe_toggle_like(doctype, name, add)


@frappe.whitelist()
def run_doc_method(method, docs=None, dt=None, dn=None, arg=None, args=None):
	"""For portal users the stored record is read-checked before Frappe loads it or compares timestamps."""
	from frappe.handler import run_doc_method as frappe_run_doc_method

	if is_portal_user():
		if dt:
			require_readable(dt, dn or dt)
		else:
			doc = frappe.parse_json(docs) if docs else None
			if not isinstance(doc, dict) or not isinstance(doc.get("doctype"), str):
				refuse()
			name = doc.get("name")
			if name and not (doc.get("__islocal") and not frappe.db.exists(doc["doctype"], name)):
				require_readable(doc["doctype"], name)
	return frappe_run_doc_method(method, docs=docs, dt=dt, dn=dn, arg=arg, args=args)


@frappe.whitelist()
@frappe.read_only()
def get_open_count(doctype: str, name: str, items=None):
	"""Frappe's counts of linked documents, without the doctypes the user cannot read at all (Frappe
	checks read on the record whose dashboard it is, then counts any linked doctype)."""
	from frappe.desk.notifications import get_open_count as frappe_get_open_count

	if items is not None:
		if isinstance(items, str):
			items = json.loads(items)
		items = [d for d in items if isinstance(d, str) and readable_doctype(d)]
	result = frappe_get_open_count(doctype, name, items)
	count = result.get("count") if isinstance(result, dict) else None
	if isinstance(count, dict):
		for key in ("external_links_found", "internal_links_found"):
			if isinstance(count.get(key), list):
				count[key] = [row for row in count[key] if readable_doctype(row.get("doctype"))]
	return result


def readable_doctype(doctype) -> bool:
	return (
		bool(doctype)
		and frappe.db.exists("DocType", doctype)
		and bool(frappe.has_permission(doctype, "read"))
	)


@frappe.whitelist()
def getdoc(doctype, name):
	from frappe.desk.form.load import getdoc as frappe_getdoc

	if is_portal_user():
		require_readable(doctype, name)
	return frappe_getdoc(doctype, name)


@frappe.whitelist()
def get_docinfo(doc=None, doctype=None, name=None):
	from frappe.desk.form.load import get_docinfo as frappe_get_docinfo

	if is_portal_user() and not doc:
		require_readable(doctype, name)
	return frappe_get_docinfo(doc=doc, doctype=doctype, name=name)
