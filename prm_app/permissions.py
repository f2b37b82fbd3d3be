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


def is_desk_user() -> bool:
	"""add_to_apps_screen's check: the Partners app is for desk (System) users."""
	user = frappe.session.user
	return user != "Guest" and frappe.get_cached_value("User", user, "user_type") == "System User"


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
	information (never after submission, let alone approval). Staff: no objection (DocPerms decide).

	An existing registration is judged by its STORED partner and status, never by the values a request
	put on the document (``PUT {"partner": "<A>"}`` on B's draft is still B's draft)."""
	return partner_draft_permission(doc, ptype, user, DEAL_EDITABLE)


def partner_draft_permission(doc, ptype: str | None, user: str | None, editable: tuple[str, ...]) -> bool:
	"""A partner user's own partner's records (by the stored partner), written only while the stored
	status is one of ``editable``; staff: no objection (DocPerms decide)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return True
	partners = partners_seeing(user, doc.doctype)
	stored = stored_values(doc, ("partner", "status"))
	if stored is None:  # not stored yet: the controller sets the user's partner
		return not doc.get("partner") or doc.partner in partners
	if stored.partner not in partners or (doc.get("partner") and doc.partner != stored.partner):
		return False  # another partner's, a partner role without this doctype (Finance), or a change of owner
	if ptype in ("write", "delete", "submit", "cancel", "amend"):
		return stored.status in editable
	return True


def stored_values(doc, fields) -> frappe._dict | None:
	"""The record's values as stored in the database; None when it is not stored (yet)."""
	if not doc.get("name"):
		return None
	return frappe.db.get_value(doc.doctype, doc.name, list(fields), as_dict=True)


# --- the partner portal: every partner-owned doctype ------------------------------------------------------

# which Partner User roles see which doctypes (Admin sees all)
ROLE_DOCTYPES = {
	"Sales": {
		"Partner",
		"Deal Registration",
		"Special Price Request",
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
		# Channel Funds (issue 15): market development funds are the partner's Finance and Admin users'
		"Fund Allocation",
		"Fund Request",
		"Fund Claim",
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
		return True
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
		return True
	if ptype not in (None, "read", "print"):
		return False
	stored = stored_values(doc, ("partner",)) or doc
	return bool(stored.get("partner")) and stored.partner in partners_seeing(user, doc.doctype)


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
		return True
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


# --- Frappe's own doctypes, for partner users --------------------------------------------------------------------


def quietly_permitted(doctype: str, name: str, ptype: str = "read", user: str | None = None) -> bool:
	"""frappe.has_permission on one record without the messages a refusal leaves in the response (they
	name the record, e.g. the document a private File is attached to)."""
	log = list(frappe.local.message_log)
	checks = frappe.flags.get("has_permission_check_logs")  # an outer check prints these on refusal
	saved = list(checks) if checks is not None else None
	try:
		return bool(frappe.has_permission(doctype, ptype, name, user=user))
	except frappe.DoesNotExistError:
		return False
	finally:
		frappe.local.message_log = log
		if checks is not None:
			checks[:] = saved


# File fields that decide which file on disk a File row stands for (and what deleting it removes):
# fixed for partner and website users once the row exists
FILE_FIXED_FIELDS = ("file_url", "is_private", "content_hash", "file_name", "thumbnail_url", "is_folder")


def is_portal_user(user: str | None = None) -> bool:
	"""Partner users and every other (logged-in) website user: they reach Frappe's generic channels
	(files, likes, assignments, comments) only for records they may read."""
	user = user or frappe.session.user
	if user in ("Administrator", "Guest"):
		return False
	return is_partner_user(user) or frappe.get_cached_value("User", user, "user_type") == "Website User"


def is_local_file_url(file_url: str | None) -> bool:
	from frappe.core.doctype.file.file import URL_PREFIXES

	return bool(file_url) and not str(file_url).startswith(URL_PREFIXES)


def readable_file_url(file_url: str, user: str) -> bool:
	"""Does ``file_url`` name a file on disk the user may already read, i.e. an existing File row with
	exactly this URL (no ``..``/``.``/``//`` detours, compared case- and space-exact, not by MariaDB's
	collation) that the user may read?"""
	import posixpath
	from urllib.parse import unquote

	url = unquote(str(file_url))
	if posixpath.normpath(url) != url or "\\" in url or not url.startswith(("/files/", "/private/files/")):
		return False
	rows = frappe.get_all("File", filters={"file_url": url}, fields=["name", "file_url"])
	return any(row.file_url == url and quietly_permitted("File", row.name, "read", user) for row in rows)


def file_change_refused(doc, ptype: str | None, user: str) -> bool:
	"""Frappe trusts a File row's own fields to say which file on disk it stands for: a row naming another
	user's file is served by download_private_file, moved by handle_is_private_changed and deleted by
	on_trash. For partner and website users:

	- create: a ``file_url`` given in the request (a pointer, with or without content) must be one the
	  user may already read through an existing File row; ``thumbnail_url`` is the server's;
	- write: the fields that decide the file on disk (FILE_FIXED_FIELDS) never change;
	- delete: only when deleting cannot remove a file another row stands for (every other row with this
	  URL shares this row's content hash, so Frappe keeps the file on disk)."""
	if not is_portal_user(user) or ptype not in ("create", "write", "delete"):
		return False
	if doc.get("is_folder"):
		return ptype != "create"
	stored = stored_values(doc, (*FILE_FIXED_FIELDS, "owner"))
	if ptype == "create" or stored is None:
		if doc.get("thumbnail_url"):
			return True
		return is_local_file_url(doc.get("file_url")) and not readable_file_url(doc.file_url, user)
	if ptype == "write":
		return any((doc.get(f) or None) != (stored.get(f) or None) for f in FILE_FIXED_FIELDS)
	# delete
	if not stored.content_hash and stored.file_url:
		return bool(frappe.db.exists("File", {"file_url": stored.file_url, "name": ("!=", doc.name)}))
	others = frappe.get_all(
		"File",
		filters={"file_url": stored.file_url, "name": ("!=", doc.name)},
		fields=["content_hash"],
	)
	return any(row.content_hash != stored.content_hash for row in others)


def file_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""A partner user's access to a private File follows the record it is attached to, decided quietly;
	no partner or website user points a File at a file it cannot read, changes which file a row stands
	for, or deletes a file others' rows stand for (``file_change_refused``); otherwise Frappe's own File
	rule decides (in v15 the first hook with an answer wins, so it is asked here rather than left to run
	after this one)."""
	from frappe.core.doctype.file.file import has_permission as frappe_file_permission

	user = user or frappe.session.user
	if user != "Administrator" and file_change_refused(doc, ptype, user):
		return False
	if (
		is_partner_user(user)
		and doc.get("is_private")
		and doc.get("attached_to_doctype")
		and doc.get("attached_to_name")
		and doc.get("owner") != user
	):
		needed = "write" if ptype in ("write", "create", "delete") else "read"
		if not quietly_permitted(doc.attached_to_doctype, doc.attached_to_name, needed, user):
			return False
	verdict = frappe_file_permission(doc, ptype=ptype, user=user, debug=debug)
	return True if verdict is None else bool(verdict)


def has_role_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Partner users see their own roles only (Frappe lets any user who can read one User — their own,
	shared with them — list the roles of every user)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return f"(`tabHas Role`.`parenttype` = 'User' and `tabHas Role`.`parent` = {frappe.db.escape(user)})"


def dynamic_link_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Partner users see the links of their own contact only (not every contact's party)."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return (
		"(`tabDynamic Link`.`parenttype` = 'Contact' and `tabDynamic Link`.`parent` in "
		f"(select `name` from `tabContact` where `user` = {frappe.db.escape(user)}))"
	)


def user_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Partner users list their own User only."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return f"`tabUser`.`name` = {frappe.db.escape(user)}"


# --- special pricing (issue 15) ------------------------------------------------------------------------------

SPECIAL_PRICE_EDITABLE = ("Draft",)


def special_price_request_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return _in_partners("`tabSpecial Price Request`.`partner`", partners_seeing(user, "Special Price Request"))


def special_price_request_permission(doc, ptype: str | None = None, user: str | None = None, debug=False):
	"""A partner user: its own partner's requests, judged on the STORED partner and status; writes only
	while Draft (withdrawing goes through the portal endpoint, which checks read on the stored record)."""
	return partner_draft_permission(doc, ptype, user, SPECIAL_PRICE_EDITABLE)


def special_price_item_query(user: str | None = None, doctype: str | None = None) -> str:
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	partners = partners_seeing(user, "Special Price Request")
	return "`tabSpecial Price Request Item`.`parent` in (select `name` from `tabSpecial Price Request` where {})".format(
		_in_partners("`partner`", partners)
	)


def own_partner(doctype: str, user: str | None = None) -> str | None:
	"""The partner a partner user's new record of ``doctype`` belongs to (the first the user's partner
	role may see), None for staff."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return None
	partners = partners_seeing(user, doctype)
	return partners[0] if partners else None


def is_channel_manager(user: str | None) -> bool:
	"""An enabled staff user with the Partner Manager role (never Administrator or Guest)."""
	return bool(
		user
		and user not in ("Administrator", "Guest")
		and frappe.db.get_value("User", user, "enabled")
		and "Partner Manager" in frappe.get_roles(user)
	)


def managers_of(partner: str | None) -> list[str]:
	"""Who reviews a partner's deals, extension requests and changes: its channel manager while that is
	an enabled Partner Manager, else every Partner Manager (``partner_managers``)."""
	manager = frappe.db.get_value("Partner", partner, "channel_manager") if partner else None
	return [manager] if is_channel_manager(manager) else partner_managers()


def partner_managers() -> list[str]:
	"""Enabled users with the Partner Manager role (Administrator when there is none)."""
	users = frappe.get_all(
		"Has Role",
		filters={
			"role": "Partner Manager",
			"parenttype": "User",
			"parent": ("not in", ("Administrator", "Guest")),
		},
		pluck="parent",
		distinct=True,
	)
	enabled = frappe.get_all("User", filters={"name": ("in", users or [""]), "enabled": 1}, pluck="name")
	return sorted(enabled) or ["Administrator"]
