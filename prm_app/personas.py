"""What each persona's roles need outside prm_app's own doctypes, shipped on install and migrate.

prm_app's doctypes grant their roles in their own DocPerms. What a channel manager or a partner
accountant also needs to read in ERPNext (the territories, brands and partner types a plan's rules name,
the Sales Partner and Opportunity a partner and a deal link to, the invoices behind commissions and the
channel revenue) is granted here as Custom DocPerm rows, read only, the way Frappe's Role Permission
Manager stores them. Each grant is made once: a row the customer changed or removed later is never
touched again. Role Profiles name each persona's roles for the User form.
"""

import frappe
from frappe.permissions import setup_custom_perms

from prm_app.utils import first_time

# doctype -> roles that read it (and so find it in link searches)
READ_ACCESS: dict[str, tuple[str, ...]] = {
	# a plan's rules and a partner's profile
	"Territory": ("Partner Manager",),
	"Sales Partner Type": ("Partner Manager", "Accounts User"),
	"Brand": ("Partner Manager",),
	"Customer Group": ("Partner Manager",),
	"Company": ("Partner Manager",),
	"Currency": ("Partner Manager",),
	# what a partner record links to in ERPNext; an invoice's Sales Partner
	"Sales Partner": ("Partner Manager", "Accounts User"),
	"Supplier": ("Partner Manager",),
	"Supplier Group": ("Partner Manager",),
	# a deal registration's customer and opportunity
	"Customer": ("Partner Manager",),
	"Opportunity": ("Partner Manager",),
	# the invoices behind commissions and channel revenue (Channel Overview, Partner Scorecard)
	"Sales Invoice": ("Partner Manager",),
}

# persona -> roles (a Role Profile fills a user's roles from it)
ROLE_PROFILES: dict[str, tuple[str, ...]] = {
	"Channel Manager": ("Partner Manager",),
	"Partner Accountant": ("Accounts User",),
}

GRANTED_KEY = "prm_granted_permissions"


def setup() -> None:
	grant_read_access()
	make_role_profiles()


def grant_read_access() -> None:
	"""Add a read row for each (doctype, role) of READ_ACCESS once. A role that already reads the doctype
	(a standard or custom row) gets nothing, so standard permissions stay standard where nothing is
	missing; a grant made before is never made again (the customer may have removed it)."""
	for doctype, roles in READ_ACCESS.items():
		if not frappe.db.exists("DocType", doctype):
			continue
		for role in roles:
			if frappe.db.exists("Role", role) and first_time(GRANTED_KEY, f"{doctype}:{role}"):
				if not role_reads(doctype, role):
					add_read_row(doctype, role)


def role_reads(doctype: str, role: str) -> bool:
	"""Whether a permlevel-0 row gives the role read on the doctype (custom rows replace standard ones)."""
	table = "Custom DocPerm" if frappe.db.exists("Custom DocPerm", {"parent": doctype}) else "DocPerm"
	return bool(
		frappe.db.exists(table, {"parent": doctype, "role": role, "permlevel": 0, "read": 1, "if_owner": 0})
	)


def add_read_row(doctype: str, role: str) -> None:
	setup_custom_perms(doctype)  # Frappe reads custom rows only once a doctype has one: copy the standard
	existing = frappe.db.get_value(
		"Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0, "if_owner": 0}
	)
	if existing:  # the customer's own row for this role: theirs to decide
		return
	frappe.get_doc(
		{
			"doctype": "Custom DocPerm",
			"parent": doctype,
			"parenttype": "DocType",
			"parentfield": "permissions",
			"role": role,
			"permlevel": 0,
			"read": 1,
		}
	).insert(ignore_permissions=True)
	frappe.clear_cache(doctype=doctype)


def make_role_profiles() -> None:
	"""Create each persona's Role Profile once; an existing one is the customer's to change."""
	for name, roles in ROLE_PROFILES.items():
		if frappe.db.exists("Role Profile", name):
			continue
		profile = frappe.get_doc(
			{"doctype": "Role Profile", "role_profile": name, "roles": [{"role": role} for role in roles]}
		).insert(ignore_permissions=True)
		# Role Profile queues "update all its users" and locks itself until a worker runs it (outside install
		# and tests, e.g. on migrate); a new profile has no users, and a lock left by a bench without workers
		# would refuse the customer's first edit ("document is locked")
		profile.unlock()
