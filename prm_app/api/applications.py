"""A Partner Manager's decision on a partner application (a Partner with status Applicant): approve it
with a tier, a commission plan and the applicant's portal role, or reject it with a reason.

Both read the STORED partner (the form saves its edits first), check that the user is a manager who may
write it, and change it through the document."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.desk.form.assign_to import close_all_assignments
from frappe.utils import today

from prm_app.permissions import is_channel_manager, require_manager

PORTAL_ROLES = ("Admin", "Sales", "Finance")


def stored_application(partner: str):
	"""The stored partner, once the user is known to be a manager who may write it and it is still an
	application."""
	require_manager(_("Only a Partner Manager can decide on applications."))
	frappe.has_permission("Partner", "write", partner, throw=True)
	doc = frappe.get_doc("Partner", partner)
	if doc.status != "Applicant":
		frappe.throw(
			_("Partner {0} is not an applicant (status {1}).").format(frappe.bold(partner), _(doc.status)),
			title=_("Not an Application"),
		)
	return doc


def readable_link(doctype: str, name: str | None, label: str) -> str | None:
	if not name:
		return None
	if not frappe.db.exists(doctype, name) or not frappe.has_permission(doctype, "read", name):
		frappe.throw(_("{0} {1} not found.").format(label, frappe.bold(name)), title=_("Invalid Value"))
	return name


@frappe.whitelist(methods=["POST"])
def approve(
	partner: str,
	tier: str | None = None,
	commission_plan: str | None = None,
	portal_role: str | None = "Admin",
) -> dict:
	"""Activate the applicant (the controller creates its Sales Partner and Supplier) with the tier and
	plan chosen, and make its applicant contact a portal user with ``portal_role`` and the invitation."""
	doc = stored_application(partner)
	portal_role = portal_role or "Admin"
	if portal_role not in PORTAL_ROLES:
		frappe.throw(
			_("Portal role must be one of {0}.").format(", ".join(_(r) for r in PORTAL_ROLES)),
			title=_("Invalid Value"),
		)
	doc.tier = readable_link("Partner Tier", tier, _("Partner Tier")) or doc.tier
	doc.commission_plan = (
		readable_link("Commission Plan", commission_plan, _("Commission Plan")) or doc.commission_plan
	)
	doc.status = "Active"
	doc.rejection_reason = None
	if not doc.channel_manager and is_channel_manager(frappe.session.user):
		doc.channel_manager = frappe.session.user  # the partner's contact from now on
	doc.partnership_start_date = doc.partnership_start_date or today()
	doc.save()
	user = invite_applicant(doc.name, portal_role)
	close_all_assignments("Partner", doc.name, ignore_permissions=True)  # the review ToDos are done
	return {
		"partner": doc.name,
		"status": doc.status,
		"user": user,
		"sales_partner": doc.sales_partner,
		"tier": doc.tier,
		"commission_plan": doc.commission_plan,
	}


@frappe.whitelist(methods=["POST"])
def reject(partner: str, reason: str) -> dict:
	"""Close the application as Rejected with the reason (kept on the partner and in its timeline)."""
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Give the reason for rejecting the application."), title=_("Reason Required"))
	doc = stored_application(partner)
	doc.status = "Rejected"
	doc.rejection_reason = reason
	doc.save()
	doc.add_comment("Comment", frappe.utils.escape_html(_("Application rejected: {0}").format(reason)))
	close_all_assignments("Partner", doc.name, ignore_permissions=True)
	return {"partner": doc.name, "status": doc.status, "rejection_reason": doc.rejection_reason}


def invite_applicant(partner: str, portal_role: str) -> str | None:
	"""The applicant's contact (the first linked to the partner) as a portal user, unless its email is
	already a user."""
	from prm_app.api.portal import add_portal_user

	contact = frappe.db.get_value(
		"Dynamic Link",
		{"parenttype": "Contact", "link_doctype": "Partner", "link_name": partner},
		"parent",
		order_by="creation asc",
	)
	if not contact:
		return None
	values = frappe.db.get_value("Contact", contact, ["email_id", "first_name", "last_name"], as_dict=True)
	if not values.email_id or frappe.db.exists("User", values.email_id):
		return None
	return add_portal_user(
		partner,
		values.email_id,
		" ".join(filter(None, [values.first_name, values.last_name])),
		portal_role,
	)
