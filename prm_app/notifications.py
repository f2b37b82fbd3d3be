"""Notifications both ways, as Frappe Notification records the customer can edit or disable: Partner
Managers hear of new applications and submitted deal registrations (email and the desk's bell); a
partner's users hear of decisions on their registrations, commission earned and payouts paid (email).

Each record is created once, on install or migrate, and is the customer's afterwards. A partner's
recipients come from ``prm_partner_emails`` (a Jinja method): the enabled users of that partner whose
portal role sees the doctype, never another partner's."""

from __future__ import annotations

import frappe

from prm_app.permissions import ROLE_DOCTYPES
from prm_app.utils import first_time

CREATED_KEY = "prm_created_notifications"


def partner_cc(doctype: str) -> str:
	return "{{ prm_partner_emails(doc.partner, " + frappe.as_json(doctype) + ") }}"


def link(label: str = "Open {{ doc.doctype }} {{ doc.name }}") -> str:
	return f'<p><a href="{{{{ frappe.utils.get_url_to_form(doc.doctype, doc.name) }}}}">{label}</a></p>'


NOTIFICATIONS: list[dict] = [
	{
		"name": "PRM New Partner Application",
		"document_type": "Partner",
		"event": "New",
		"condition": 'doc.status == "Applicant"',
		"subject": "New partner application: {{ doc.partner_name }}",
		"message": "<p>{{ doc.partner_name }} applied to become a partner.</p>"
		+ link("Review the application"),
		"recipients": [{"receiver_by_role": "Partner Manager"}],
		"send_system_notification": 1,
	},
	{
		"name": "PRM Deal Registration Submitted",
		"document_type": "Deal Registration",
		"event": "Value Change",
		"value_changed": "status",
		"condition": 'doc.status == "Submitted"',
		"subject": "Deal registration {{ doc.name }} submitted by {{ doc.partner }}: {{ doc.prospect_name }}",
		"message": (
			"<p>{{ doc.partner }} registered {{ doc.prospect_name }} "
			"({{ frappe.utils.fmt_money(doc.expected_amount, currency=doc.currency) }}).</p>"
		)
		+ link("Review the registration"),
		"recipients": [{"receiver_by_role": "Partner Manager"}],
		"send_system_notification": 1,
	},
	{
		"name": "PRM Deal Registration Decision",
		"document_type": "Deal Registration",
		"event": "Value Change",
		"value_changed": "status",
		"condition": 'doc.status in ("Approved", "Rejected", "Returned for information")',
		"subject": "Deal registration {{ doc.name }} ({{ doc.prospect_name }}): {{ _(doc.status) }}",
		"message": (
			"<p>Your deal registration {{ doc.name }} for {{ doc.prospect_name }} is now "
			"<b>{{ _(doc.status) }}</b>.</p>"
			"{% if doc.status == 'Approved' and doc.expires_on %}<p>Protected until "
			"{{ frappe.utils.formatdate(doc.expires_on) }}.</p>{% endif %}"
			"{% if doc.rejection_reason %}<p>{{ doc.rejection_reason }}</p>{% endif %}"
			'<p><a href="{{ frappe.utils.get_url("/partner/deal/" + doc.name) }}">Open it on the portal</a></p>'
		),
		"recipients": [{"cc": partner_cc("Deal Registration")}],
	},
	{
		"name": "PRM Commission Earned",
		"document_type": "Partner Commission",
		"event": "Submit",
		"condition": "not doc.is_clawback and doc.total > 0",
		"subject": "Commission earned: {{ frappe.utils.fmt_money(doc.total, currency=doc.currency) }}",
		"message": (
			"<p>You earned {{ frappe.utils.fmt_money(doc.total, currency=doc.currency) }} of commission "
			"({{ doc.name }}, invoice {{ doc.sales_invoice }}), payable from "
			"{{ frappe.utils.formatdate(doc.payable_on) }}.</p>"
			'<p><a href="{{ frappe.utils.get_url("/partner/commissions") }}">Your commissions</a></p>'
		),
		"recipients": [{"cc": partner_cc("Partner Commission")}],
	},
	{
		"name": "PRM Payout Paid",
		"document_type": "Partner Payout",
		"event": "Method",
		"method": "on_paid",
		"subject": "Payout {{ doc.name }} paid: {{ frappe.utils.fmt_money(doc.paid_amount, currency=doc.currency) }}",
		"message": (
			"<p>Payout {{ doc.name }} for {{ frappe.utils.formatdate(doc.from_date) }} to "
			"{{ frappe.utils.formatdate(doc.to_date) }} was paid: "
			"{{ frappe.utils.fmt_money(doc.paid_amount, currency=doc.currency) }}.</p>"
			'<p><a href="{{ frappe.utils.get_url("/partner/payouts") }}">Your payouts and statements</a></p>'
		),
		"recipients": [{"cc": partner_cc("Partner Payout")}],
	},
]


def make_notifications() -> None:
	"""Create each notification once (enabled, email); afterwards it is the customer's to edit."""
	for values in NOTIFICATIONS:
		if frappe.db.exists("Notification", values["name"]) or not first_time(CREATED_KEY, values["name"]):
			continue
		doc = frappe.get_doc({"doctype": "Notification", "channel": "Email", "enabled": 1, **values})
		doc.name = values["name"]
		doc.insert(ignore_permissions=True)


def prm_partner_emails(partner: str | None, doctype: str) -> str:
	"""The enabled users of ``partner`` whose portal role sees ``doctype``, comma-separated (a
	notification's recipients)."""
	if not partner:
		return ""
	rows = frappe.get_all(
		"Partner User", filters={"parent": partner, "parenttype": "Partner"}, fields=["user", "partner_role"]
	)
	users = [
		row.user
		for row in rows
		if (row.partner_role or "Admin") == "Admin" or doctype in ROLE_DOCTYPES.get(row.partner_role, ())
	]
	if not users:
		return ""
	return ", ".join(
		frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="email", order_by="name")
	)
