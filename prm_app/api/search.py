"""Frappe's link search (``frappe.desk.search.search_link`` / ``search_widget``) for partner users.

In v15 ``search_widget`` lists with ``ignore_permissions=True`` when the caller sends
``ignore_user_permissions=1`` and the user may read the doctype at all: ``permission_query_conditions``
(every row rule of prm_app) and the hidden-child join guard are skipped, and any ``searchfield`` and any
filter (child tables included) reach every partner's rows. For partner users the flag is dropped and the
search field is one of the doctype's own search fields; everyone else gets Frappe's search unchanged.
The signatures are Frappe's, so the desk and the portal call them as before.
"""

from __future__ import annotations

import frappe
from frappe.desk import search as frappe_search

from prm_app.permissions import is_partner_user, quietly_permitted


def allowed_searchfield(doctype: str, searchfield: str | None) -> str | None:
	"""The field Frappe selects next to the name: for partner users only name, the title field or one of
	the doctype's search fields (anything else becomes ``name``)."""
	if not searchfield:
		return searchfield
	meta = frappe.get_meta(doctype)
	allowed = {"name", meta.title_field, *(f.strip() for f in meta.get_search_fields())}
	return searchfield if searchfield.strip() in allowed else "name"


@frappe.whitelist()
def search_link(
	doctype: str,
	txt: str,
	query: str | None = None,
	filters: str | dict | list | None = None,
	page_length: int = 10,
	searchfield: str | None = None,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	if is_partner_user():
		ignore_user_permissions = False
		searchfield = allowed_searchfield(doctype, searchfield)
	return frappe_search.search_link(
		doctype,
		txt,
		query=query,
		filters=filters,
		page_length=page_length,
		searchfield=searchfield,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)


@frappe.whitelist()
def search_widget(
	doctype: str,
	txt: str,
	query: str | None = None,
	searchfield: str | None = None,
	start: int = 0,
	page_length: int = 10,
	filters: str | dict | list | None = None,
	filter_fields=None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	if is_partner_user():
		ignore_user_permissions = False
		searchfield = allowed_searchfield(doctype, searchfield)
		filter_fields = None  # extra selected columns: only Frappe's standard ones
	return frappe_search.search_widget(
		doctype,
		txt,
		query=query,
		searchfield=searchfield,
		start=start,
		page_length=page_length,
		filters=filters,
		filter_fields=filter_fields,
		as_dict=as_dict,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)


@frappe.whitelist()
def get_names_for_mentions(search_term: str = ""):
	"""Frappe's @mention directory lists every enabled desk user's name and email to anyone logged in:
	partner and other website users get none (they mention no one; vendor staff are not their directory)."""
	from prm_app.permissions import is_portal_user

	if is_portal_user():
		return []
	return frappe_search.get_names_for_mentions(search_term)


@frappe.whitelist()
def get_link_title(doctype: str, docname: str):
	"""Frappe's link title (v15 and v16 read the title field of any record, no permission check: a partner
	user learnt the names of items the portal hides, of other partners' records …). For partner users the
	title of a record it may read; any other, missing or not, answers its name as sent."""
	if is_partner_user():
		if not isinstance(doctype, str) or not isinstance(docname, str):
			return None
		if not frappe.db.exists("DocType", doctype) or not quietly_permitted(doctype, docname, "read"):
			return docname
	return frappe_search.get_link_title(doctype, docname)
