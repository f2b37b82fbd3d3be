"""Notifications in the recipient's language (issue 12): the texts prm_app shipped in English become
``_()`` templates, field by field, only where the record still holds the shipped English text; a
customer's edit of a subject or message stays as it is."""

import frappe

from prm_app.notifications import NOTIFICATIONS

# subject and message as shipped before (prm_app.notifications, commit a48a12f)
SHIPPED_ENGLISH = {
	"PRM New Partner Application": {
		"subject": "New partner application: {{ doc.partner_name }}",
		"message": (
			'<p>{{ doc.partner_name }} applied to become a partner.</p><p><a href="{{ frappe.utils.get_url_to_form(doc.doctype, doc.name) }}">Review the application</a></p>'
		),
	},
	"PRM Deal Registration Submitted": {
		"subject": "Deal registration {{ doc.name }} submitted by {{ doc.partner }}: {{ doc.prospect_name }}",
		"message": (
			'<p>{{ doc.partner }} registered {{ doc.prospect_name }} ({{ frappe.utils.fmt_money(doc.expected_amount, currency=doc.currency) }}).</p><p><a href="{{ frappe.utils.get_url_to_form(doc.doctype, doc.name) }}">Review the registration</a></p>'
		),
	},
	"PRM Deal Registration Decision": {
		"subject": "Deal registration {{ doc.name }} ({{ doc.prospect_name }}): {{ _(doc.status) }}",
		"message": (
			'<p>Your deal registration {{ doc.name }} for {{ doc.prospect_name }} is now <b>{{ _(doc.status) }}</b>.</p>{% if doc.status == \'Approved\' and doc.expires_on %}<p>Protected until {{ frappe.utils.formatdate(doc.expires_on) }}.</p>{% endif %}{% if doc.rejection_reason %}<p>{{ doc.rejection_reason }}</p>{% endif %}<p><a href="{{ frappe.utils.get_url("/partner/deal/" + doc.name) }}">Open it on the portal</a></p>'
		),
	},
	"PRM Commission Earned": {
		"subject": "Commission earned: {{ frappe.utils.fmt_money(doc.total, currency=doc.currency) }}",
		"message": (
			'<p>You earned {{ frappe.utils.fmt_money(doc.total, currency=doc.currency) }} of commission ({{ doc.name }}, invoice {{ doc.sales_invoice }}), payable from {{ frappe.utils.formatdate(doc.payable_on) }}.</p><p><a href="{{ frappe.utils.get_url("/partner/commissions") }}">Your commissions</a></p>'
		),
	},
	"PRM Payout Paid": {
		"subject": "Payout {{ doc.name }} paid: {{ frappe.utils.fmt_money(doc.paid_amount, currency=doc.currency) }}",
		"message": (
			'<p>Payout {{ doc.name }} for {{ frappe.utils.formatdate(doc.from_date) }} to {{ frappe.utils.formatdate(doc.to_date) }} was paid: {{ frappe.utils.fmt_money(doc.paid_amount, currency=doc.currency) }}.</p><p><a href="{{ frappe.utils.get_url("/partner/payouts") }}">Your payouts and statements</a></p>'
		),
	},
}


def execute():
	for values in NOTIFICATIONS:
		shipped = SHIPPED_ENGLISH.get(values["name"])
		if not shipped or not frappe.db.exists("Notification", values["name"]):
			continue
		doc = frappe.get_doc("Notification", values["name"])
		changed = False
		for field in ("subject", "message"):
			if (doc.get(field) or "").strip() == shipped[field]:
				doc.set(field, values[field])
				changed = True
		if changed:
			doc.save(ignore_permissions=True)
