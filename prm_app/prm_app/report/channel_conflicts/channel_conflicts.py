"""Channel Conflicts: submitted Quotations, Sales Orders and Sales Invoices for a customer protected by
another partner's deal registration (recorded on submit by prm_app.deals.check_channel_conflict), with the
partner the document named and the Partner Manager's override."""

import frappe
from frappe import _

from prm_app.deals import DATE_FIELD, PARTNER_FIELD


def execute(filters=None):
	filters = frappe._dict(filters or {})
	return columns(), data(filters)


def columns():
	return [
		{"fieldname": "document_type", "label": _("Document Type"), "fieldtype": "Link", "options": "DocType", "width": 120},
		{"fieldname": "document", "label": _("Document"), "fieldtype": "Dynamic Link", "options": "document_type", "width": 160},
		{"fieldname": "date", "label": _("Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "customer", "label": _("Protected Customer"), "fieldtype": "Link", "options": "Customer", "width": 180},
		{"fieldname": "deal_registration", "label": _("Protecting Registration"), "fieldtype": "Link", "options": "Deal Registration", "width": 160},
		{"fieldname": "protecting_partner", "label": _("Protecting Partner"), "fieldtype": "Link", "options": "Partner", "width": 160},
		{"fieldname": "partner_used", "label": _("Sales Partner Used"), "fieldtype": "Link", "options": "Sales Partner", "width": 160},
		{"fieldname": "override_reason", "label": _("Override Reason"), "fieldtype": "Small Text", "width": 220},
		{"fieldname": "override_by", "label": _("Overridden By"), "fieldtype": "Link", "options": "User", "width": 160},
		{"fieldname": "override_on", "label": _("Overridden On"), "fieldtype": "Datetime", "width": 150},
	]


def data(filters):
	rows = []
	for doctype in ("Sales Invoice", "Sales Order", "Quotation"):
		if filters.document_type and filters.document_type != doctype:
			continue
		date_field = DATE_FIELD[doctype]
		conditions = [["docstatus", "=", 1], ["prm_protected_by", "is", "set"]]
		if filters.from_date:
			conditions.append([date_field, ">=", filters.from_date])
		if filters.to_date:
			conditions.append([date_field, "<=", filters.to_date])
		customer_field = "party_name" if doctype == "Quotation" else "customer"
		for doc in frappe.get_all(
			doctype,
			filters=conditions,
			fields=[
				"name",
				date_field,
				customer_field,
				PARTNER_FIELD[doctype],
				"prm_protected_by",
				"prm_channel_override_reason",
				"prm_channel_override_by",
				"prm_channel_override_on",
			],
			order_by=f"{date_field} desc",
		):
			rows.append(
				{
					"document_type": doctype,
					"document": doc.name,
					"date": doc.get(date_field),
					"customer": doc.get(customer_field),
					"deal_registration": doc.prm_protected_by,
					"partner_used": doc.get(PARTNER_FIELD[doctype]),
					"override_reason": doc.prm_channel_override_reason,
					"override_by": doc.prm_channel_override_by,
					"override_on": doc.prm_channel_override_on,
				}
			)
	partners = dict(
		frappe.get_all(
			"Deal Registration",
			filters={"name": ("in", sorted({r["deal_registration"] for r in rows}) or [""])},
			fields=["name", "partner"],
			as_list=True,
		)
	)
	for row in rows:
		row["protecting_partner"] = partners.get(row["deal_registration"])
	if filters.partner:
		rows = [r for r in rows if r["protecting_partner"] == filters.partner]
	return sorted(rows, key=lambda r: (str(r["date"] or ""), r["document"]), reverse=True)
