"""Row-level permissions for partner (portal) users: a partner sees its own records only.

In Frappe v15 these hooks can only narrow what the DocPerm rows grant (role Partner: read, create and
write on Deal Registration): ``has_permission`` denies, ``permission_query_conditions`` filters lists.
"""

import frappe

PARTNER_ROLE = "Partner"
# users with any of these roles are vendor staff, never restricted to one partner
STAFF_ROLES = frozenset({"Administrator", "System Manager", "Partner Manager", "Sales Manager", "Sales User"})
DEAL_EDITABLE = ("Draft", "Returned for information")
MANAGER_ROLES = ("Partner Manager", "System Manager")


def require_manager(message: str) -> None:
	"""Refuse (PermissionError, ``message``) a user who is neither a Partner Manager nor a System Manager."""
	if set(MANAGER_ROLES).isdisjoint(frappe.get_roles()):
		frappe.throw(message, frappe.PermissionError, title=frappe._("Not Permitted"))


def is_partner_user(user: str | None = None) -> bool:
	roles = set(frappe.get_roles(user or frappe.session.user))
	return PARTNER_ROLE in roles and not roles & STAFF_ROLES


def deal_registration_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return _in_partners("`tabDeal Registration`.`partner`", partners_seeing(user, "Deal Registration"))


def deal_registration_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""A partner user: its own registrations only, and writes only while Draft or Returned for
	information (never after submission, let alone approval). Staff: no opinion (DocPerms decide)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	if doc.get("partner") and doc.partner not in partners_seeing(user, "Deal Registration"):
		return False  # another partner's, or a partner role without deals (Finance)
	if not doc.get("partner") and not doc.is_new():
		return False
	if ptype in ("write", "delete", "submit", "cancel", "amend"):
		status = doc.status if doc.is_new() else frappe.db.get_value(doc.doctype, doc.name, "status")
		return status in DEAL_EDITABLE
	return True


# --- the partner portal: every partner-owned doctype ------------------------------------------------------

# which Partner User roles see which doctypes (Admin sees all)
ROLE_DOCTYPES = {
	"Sales": {
		"Partner",
		"Deal Registration",
		"Partner Tier History",
		"Partner Certification",
		"Partner Resource",
	},
	"Finance": {
		"Partner",
		"Partner Commission",
		"Partner Payout",
		"Partner Tier History",
		"Partner Resource",
	},
}
PARTNER_OWNED = ("Partner Commission", "Partner Payout", "Partner Tier History", "Partner Certification")


def partner_roles_of(user: str) -> dict[str, str]:
	"""{partner: partner_role} for every partner whose users table lists the user."""
	rows = frappe.get_all(
		"Partner User",
		filters={"user": user, "parenttype": "Partner"},
		fields=["parent", "partner_role"],
		order_by="idx",
	)
	return {row.parent: row.partner_role or "Admin" for row in rows}


def partners_seeing(user: str, doctype: str) -> list[str]:
	"""The user's partners whose partner_role may see ``doctype``."""
	return [
		partner
		for partner, role in partner_roles_of(user).items()
		if role == "Admin" or doctype in ROLE_DOCTYPES.get(role, ())
	]


def _in_partners(column: str, partners: list[str]) -> str:
	if not partners:
		return "1=0"
	return "{} in ({})".format(column, ", ".join(frappe.db.escape(p) for p in partners))


def partner_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return _in_partners("`tabPartner`.`name`", partners_seeing(user, "Partner"))


def partner_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""A partner user reads its own partner; changes go through the portal's endpoints."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	if ptype not in (None, "read", "print"):
		return False
	return doc.name in partners_seeing(user, "Partner")


def owned_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user) or not doctype:
		return ""
	return _in_partners(f"`tab{doctype}`.`partner`", partners_seeing(user, doctype))


def owned_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""Commissions, payouts, tier history, certifications: a partner user reads its own partner's only
	(Finance/Admin for money, Sales/Admin for certifications)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	if ptype not in (None, "read", "print"):
		return False
	return bool(doc.get("partner")) and doc.partner in partners_seeing(user, doc.doctype)


def partner_tier_rank(partner: str | None) -> int:
	tier = partner and frappe.db.get_value("Partner", partner, "tier")
	return int(frappe.db.get_value("Partner Tier", tier, "rank") or 0) if tier else 0


def best_rank_of(user: str) -> int:
	return max([partner_tier_rank(p) for p in partners_seeing(user, "Partner Resource")] or [-1])


def resource_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	rank = best_rank_of(user)
	if rank < 0:
		return "1=0"
	return (
		"`tabPartner Resource`.`published` = 1 and (ifnull(`tabPartner Resource`.`minimum_tier`, '') = ''"
		f" or `tabPartner Resource`.`minimum_tier` in (select `name` from `tabPartner Tier` where `rank` <= {rank}))"
	)


def resource_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""Published resources up to the partner's tier rank, read only."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	if ptype not in (None, "read", "print"):
		return False
	if not doc.get("published"):
		return False
	rank = best_rank_of(user)
	if rank < 0:
		return False
	if not doc.get("minimum_tier"):
		return True
	return int(frappe.db.get_value("Partner Tier", doc.minimum_tier, "rank") or 0) <= rank


# child tables are listed on their own through frappe.client.get_list(doctype, parent=...): the parent's
# hooks do not apply there, so each child table a partner user's parent read reaches gets its own
def partner_user_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return _in_partners("`tabPartner User`.`parent`", partners_seeing(user, "Partner"))


def deal_product_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	partners = partners_seeing(user, "Deal Registration")
	return "`tabDeal Registration Product`.`parent` in (select `name` from `tabDeal Registration` where {})".format(
		_in_partners("`partner`", partners)
	)


def hidden_from_partners_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Deal Registration Conflict rows name other partners and records: staff only."""
	return "1=0" if is_partner_user(user or frappe.session.user) else ""
