"""Row-level permissions for partner (portal) users: a partner sees its own records only.

In Frappe v15 these hooks can only narrow what the DocPerm rows grant (role Partner: read, create and
write on Deal Registration): ``has_permission`` denies, ``permission_query_conditions`` filters lists.
"""

import frappe

PARTNER_ROLE = "Partner"
# users with any of these roles are vendor staff, never restricted to one partner
STAFF_ROLES = frozenset({"Administrator", "System Manager", "Partner Manager", "Sales Manager", "Sales User"})
DEAL_EDITABLE = ("Draft", "Returned for information")


def is_partner_user(user: str | None = None) -> bool:
	roles = set(frappe.get_roles(user or frappe.session.user))
	return PARTNER_ROLE in roles and not roles & STAFF_ROLES


def partners_of(user: str) -> list[str]:
	"""The partners whose users table (Partner User) lists the user."""
	return frappe.get_all(
		"Partner User", filters={"user": user, "parenttype": "Partner"}, pluck="parent", order_by="idx"
	)


def deal_registration_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	partners = partners_of(user)
	if not partners:
		return "1=0"
	values = ", ".join(frappe.db.escape(p) for p in partners)
	return f"`tabDeal Registration`.`partner` in ({values})"


def deal_registration_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""A partner user: its own registrations only, and writes only while Draft or Returned for
	information (never after submission, let alone approval). Staff: no opinion (DocPerms decide)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	if doc.get("partner") and doc.partner not in partners_of(user):
		return False
	if not doc.get("partner") and not doc.is_new():
		return False
	if ptype in ("write", "delete", "submit", "cancel", "amend"):
		before = doc if doc.is_new() else frappe.db.get_value(doc.doctype, doc.name, "status")
		status = doc.status if doc.is_new() else before
		return status in DEAL_EDITABLE
	return True
