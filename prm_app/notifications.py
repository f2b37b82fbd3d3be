"""Notifications both ways, as Frappe Notification records the customer can edit or disable: Partner
Managers hear of new applications and submitted deal registrations (email and the desk's bell); a
partner's users hear of decisions on their registrations, commission earned and payouts paid (email).
Texts are rendered in each recipient's language (prm_app.overrides.notification).

Each record is created once, on install or migrate, and is the customer's afterwards. A partner's
recipients come from ``prm_partner_emails`` (a Jinja method): the enabled users of that partner whose
portal role sees the doctype, never another partner's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import frappe
from frappe.utils import parse_addr

from prm_app.permissions import ROLE_DOCTYPES
from prm_app.utils import first_time

CREATED_KEY = "prm_created_notifications"


def partner_cc(doctype: str) -> str:
	return "{{ prm_partner_emails(doc.partner, " + frappe.as_json(doctype) + ") }}"


def link(url: str, label: str) -> str:
	"""A paragraph with a link: ``url`` and ``label`` are Jinja expressions."""
	return f'<p><a href="{{{{ {url} }}}}">{{{{ {label} }}}}</a></p>'


# the partner's channel manager, else every Partner Manager (prm_app.permissions.managers_of)
MANAGER_CC = "{{ prm_manager_emails(doc.partner) }}"
FORM_URL = "frappe.utils.get_url_to_form(doc.doctype, doc.name)"
MONEY = "frappe.utils.fmt_money({0}, currency=doc.currency)"

# Each sentence is one message of locale/main.pot, rendered in the recipient's language (send_per_language).
NOTIFICATIONS: list[dict] = [
	{
		"name": "PRM New Partner Application",
		"document_type": "Partner",
		"event": "New",
		"condition": 'doc.status == "Applicant"',
		"subject": '{{ _("New partner application: {0}").format(doc.partner_name) }}',
		"message": '<p>{{ _("{0} applied to become a partner.").format(doc.partner_name) }}</p>'
		+ link(FORM_URL, '_("Review the application")'),
		"recipients": [{"receiver_by_role": "Partner Manager"}],
		"send_system_notification": 1,
	},
	{
		"name": "PRM Deal Registration Submitted",
		"document_type": "Deal Registration",
		"event": "Value Change",
		"value_changed": "status",
		"condition": 'doc.status == "Submitted"',
		"subject": '{{ _("Deal registration {0} submitted by {1}: {2}")'
		".format(doc.name, doc.partner, doc.prospect_name) }}",
		"message": '<p>{{ _("{0} registered {1} ({2}).").format(doc.partner, doc.prospect_name, '
		+ MONEY.format("doc.expected_amount")
		+ ") }}</p>"
		+ link(FORM_URL, '_("Review the registration")'),
		"recipients": [{"cc": MANAGER_CC}],
		"send_system_notification": 1,
	},
	{
		"name": "PRM Deal Registration Decision",
		"document_type": "Deal Registration",
		"event": "Value Change",
		"value_changed": "status",
		"condition": 'doc.status in ("Approved", "Rejected", "Returned for information")',
		"subject": '{{ _("Deal registration {0} ({1}): {2}").format(doc.name, doc.prospect_name, _(doc.status)) }}',
		"message": (
			'<p>{{ _("Your deal registration {0} for {1} is now {2}.")'
			'.format(doc.name, doc.prospect_name, "<b>" + _(doc.status) + "</b>") }}</p>'
			"{% if doc.status == 'Approved' and doc.expires_on %}<p>"
			'{{ _("Protected until {0}.").format(frappe.utils.formatdate(doc.expires_on)) }}</p>{% endif %}'
			"{% if doc.rejection_reason %}<p>{{ doc.rejection_reason }}</p>{% endif %}"
		)
		+ link('frappe.utils.get_url("/partner/deal/" + doc.name)', '_("Open it on the portal")'),
		"recipients": [{"cc": partner_cc("Deal Registration")}],
	},
	{
		"name": "PRM Commission Earned",
		"document_type": "Partner Commission",
		"event": "Submit",
		"condition": "not doc.is_clawback and doc.total > 0",
		"subject": '{{ _("Commission earned: {0}").format(' + MONEY.format("doc.total") + ") }}",
		"message": (
			'<p>{{ _("You earned {0} of commission ({1}, invoice {2}), payable from {3}.").format('
			+ MONEY.format("doc.total")
			+ ", doc.name, doc.sales_invoice, frappe.utils.formatdate(doc.payable_on)) }}</p>"
		)
		+ link('frappe.utils.get_url("/partner/commissions")', '_("Your commissions")'),
		"recipients": [{"cc": partner_cc("Partner Commission")}],
	},
	{
		"name": "PRM Payout Paid",
		"document_type": "Partner Payout",
		"event": "Method",
		"method": "on_paid",
		"subject": '{{ _("Payout {0} paid: {1}").format(doc.name, '
		+ MONEY.format("doc.paid_amount")
		+ ") }}",
		"message": (
			'<p>{{ _("Payout {0} for {1} to {2} was paid: {3}.").format(doc.name, '
			"frappe.utils.formatdate(doc.from_date), frappe.utils.formatdate(doc.to_date), "
			+ MONEY.format("doc.paid_amount")
			+ ") }}</p>"
		)
		+ link('frappe.utils.get_url("/partner/payouts")', '_("Your payouts and statements")'),
		"recipients": [{"cc": partner_cc("Partner Payout")}],
	},
]
NOTIFICATION_NAMES = frozenset(values["name"] for values in NOTIFICATIONS)


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
	return user_emails(users)


def user_emails(users: list[str]) -> str:
	"""The enabled ``users``' emails as a notification's recipients ("" for none)."""
	if not users:
		return ""
	# "," alone: Frappe splits the rendered text at commas and keeps any space as part of the address
	return ",".join(
		frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="email", order_by="name")
	)


def translates(template: str | None) -> bool:
	"""Whether a notification template asks for translation (``_()``), so is worth a render per language."""
	return "_(" in (template or "")


def recipient_languages(addresses: list[str]) -> dict[str, list[str]]:
	"""``addresses`` grouped by their user's language (User.language, else the system's; an address
	without a user gets the system's)."""
	default = frappe.db.get_single_value("System Settings", "language") or "en"
	emails = {address: parse_addr(address)[1].lower() for address in addresses}
	rows = frappe.get_all(
		"User", filters={"email": ("in", list(set(emails.values())) or [""])}, fields=["email", "language"]
	)
	language_of = {row.email.lower(): row.language for row in rows}
	groups: dict[str, list[str]] = {}
	for address, email in emails.items():
		groups.setdefault(language_of.get(email) or default, []).append(address)
	return groups


@contextmanager
def in_language(language: str) -> Iterator[None]:
	"""Render (``_()``, Jinja) in ``language`` for the block; like frappe.translate.print_language, but
	restores the language when the block fails too."""
	previous, jenv = frappe.local.lang, getattr(frappe.local, "jenv", None)
	frappe.local.lang, frappe.local.jenv = language, None
	try:
		yield
	finally:
		frappe.local.lang, frappe.local.jenv = previous, jenv


def prm_manager_emails(partner: str | None) -> str:
	"""The emails of whoever reviews ``partner``'s deals, comma-separated (a notification's recipients)."""
	from prm_app.permissions import managers_of

	return user_emails(managers_of(partner))
