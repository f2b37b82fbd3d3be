"""Permission-aware replacements for Frappe client endpoints that skip permission checks in v15.

``frappe.client.get_count`` counts with ``frappe.db.count`` (no permission check, no
permission_query_conditions), so a partner user could learn whether another partner's records exist.
For partner (portal) users the count goes through ``frappe.get_list``; everyone else keeps Frappe's.
"""

import frappe
from frappe.client import get_count as frappe_get_count
from frappe.utils import get_safe_filters

from prm_app.compat import aggregate
from prm_app.permissions import is_partner_user, quietly_permitted


@frappe.whitelist()
def get_count(doctype: str, filters=None, debug: bool = False, cache: bool = False) -> int:
	if not is_partner_user():
		return frappe_get_count(doctype, filters, debug, cache)
	# filters arrive as JSON text over HTTP: v15's get_list parses it, v16's takes a string as a *name*
	# (so every filter was dropped and the count was a constant 0, the child-table guard never reached)
	filters = get_safe_filters(filters)
	rows = frappe.get_list(
		doctype, filters=filters, fields=[aggregate("count", "*", "count")], limit_page_length=0
	)
	return int(rows[0].count) if rows else 0


@frappe.whitelist()
def validate_link(doctype: str, docname: str, fields=None):
	"""For partner users a link is valid only when the user may read that very record (Frappe's checks
	read permission on the doctype only, which tells whether another partner's record exists). A record
	that does not exist and one the user may not read get the same answer: ``{}`` (Frappe answers 403
	for doctypes the user has no permission on and ``{"name": null}`` for missing names)."""
	if is_partner_user() and isinstance(doctype, str) and isinstance(docname, str):
		if not frappe.db.exists("DocType", doctype) or frappe.get_meta(doctype).istable:
			return frappe._dict()
		# quietly: a refusal message would name the record (e.g. the document a private File is on)
		if not frappe.db.exists(doctype, docname) or not quietly_permitted(doctype, docname, "read"):
			return frappe._dict()
	try:
		from frappe.client import validate_link as frappe_validate_link
	except ImportError:  # v16 has only validate_link_and_fetch, which checks the record's permission
		return _validate_link_v16(doctype, docname, fields)
	return frappe_validate_link(doctype, docname, fields)


def _validate_link_v16(doctype: str, docname: str, fields=None) -> frappe._dict:
	"""v15's answer for clients that still call frappe.client.validate_link on v16: the record's name
	and the requested fields when the user may read it, else ``{}``."""
	if not frappe.db.exists(doctype, docname) or not quietly_permitted(doctype, docname, "read"):
		return frappe._dict()
	fields = frappe.parse_json(fields) if isinstance(fields, str) else (fields or [])
	values = frappe.db.get_value(doctype, docname, ["name", *fields], as_dict=True)
	return values or frappe._dict()
