"""Partner Commission Register: every line of the submitted Partner Commissions the user may read, with
its source document (for a credit note: the invoice it returns against), rule, bracket, rate, base,
amount, explanation and the commission's status; a totals row."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt, getdate

from prm_app.commissions import lines_by_commission

LINE_FIELDS = [
	"idx",
	"kind",
	"item_code",
	"rule",
	"bracket",
	"period",
	"rate_type",
	"rate",
	"base",
	"amount",
	"against_invoice",
	"explanation",
]


def execute(filters=None):
	filters = frappe._dict(filters or {})
	validate_filters(filters)
	return get_columns(), get_data(filters)


def validate_filters(filters) -> None:
	if not filters.company:
		frappe.throw(_("Select a Company."), title=_("Filter Missing"))
	if filters.from_date and filters.to_date and getdate(filters.from_date) > getdate(filters.to_date):
		frappe.throw(_("From Date must be before To Date."), title=_("Invalid Period"))


def get_data(filters) -> list[dict]:
	commissions = get_commissions(filters)
	if not commissions:
		return []
	lines = lines_by_commission([c.name for c in commissions], LINE_FIELDS)
	returned = returns_against([c.sales_invoice for c in commissions if c.is_clawback and c.sales_invoice])
	data = []
	for pc in commissions:
		for line in lines.get(pc.name, []):
			data.append(
				{
					"partner_commission": pc.name,
					"posting_date": pc.posting_date,
					"partner": pc.partner,
					"status": pc.status,
					"sales_invoice": pc.sales_invoice,
					"against_invoice": line.against_invoice or returned.get(pc.sales_invoice),
					"is_clawback": pc.is_clawback,
					"kind": line.kind,
					"item_code": line.item_code,
					"rule": line.rule,
					"bracket": line.bracket,
					"period": line.period,
					"rate_type": line.rate_type,
					"rate": line.rate,
					"base": line.base,
					"amount": line.amount,
					"explanation": line.explanation,
					"journal_entry": pc.journal_entry,
					"journal_entry_type": "Journal Entry" if pc.journal_entry else None,
					"currency": pc.currency,
				}
			)
	if data:
		data.append(total_row(data))
	return data


def get_commissions(filters) -> list[frappe._dict]:
	"""The submitted commissions in the filters, with the user's permissions."""
	conditions = {"company": filters.company, "docstatus": 1}
	if filters.partner:
		conditions["partner"] = filters.partner
	if filters.status:
		conditions["status"] = filters.status
	if filters.from_date and filters.to_date:
		conditions["posting_date"] = ("between", [filters.from_date, filters.to_date])
	elif filters.from_date:
		conditions["posting_date"] = (">=", filters.from_date)
	elif filters.to_date:
		conditions["posting_date"] = ("<=", filters.to_date)
	return frappe.get_list(
		"Partner Commission",
		filters=conditions,
		fields=[
			"name",
			"posting_date",
			"partner",
			"status",
			"sales_invoice",
			"is_clawback",
			"journal_entry",
			"currency",
		],
		order_by="posting_date asc, creation asc",
		limit_page_length=0,
	)


def returns_against(credit_notes: list[str]) -> dict[str, str]:
	if not credit_notes:
		return {}
	rows = frappe.get_all(
		"Sales Invoice",
		filters={"name": ("in", list(set(credit_notes)))},
		fields=["name", "return_against"],
	)
	return {r.name: r.return_against for r in rows if r.return_against}


def total_row(data: list[dict]) -> dict:
	precision = frappe.get_precision("Partner Commission Line", "amount") or 2
	return {
		"partner_commission": _("Total"),
		"base": flt(sum(flt(r["base"]) for r in data), precision),
		"amount": flt(sum(flt(r["amount"]) for r in data), precision),
		"currency": data[0].get("currency"),
		"is_total_row": 1,
	}


def get_columns() -> list[dict]:
	return [
		{
			"label": _("Partner Commission"),
			"fieldname": "partner_commission",
			"fieldtype": "Link",
			"options": "Partner Commission",
			"width": 170,
		},
		{"label": _("Posting Date"), "fieldname": "posting_date", "fieldtype": "Date", "width": 100},
		{
			"label": _("Partner"),
			"fieldname": "partner",
			"fieldtype": "Link",
			"options": "Partner",
			"width": 150,
		},
		{"label": _("Status"), "fieldname": "status", "fieldtype": "Data", "width": 90},
		{
			"label": _("Source Document"),
			"fieldname": "sales_invoice",
			"fieldtype": "Link",
			"options": "Sales Invoice",
			"width": 160,
		},
		{
			"label": _("Against Invoice"),
			"fieldname": "against_invoice",
			"fieldtype": "Link",
			"options": "Sales Invoice",
			"width": 160,
		},
		{"label": _("Clawback"), "fieldname": "is_clawback", "fieldtype": "Check", "width": 80},
		{"label": _("Kind"), "fieldname": "kind", "fieldtype": "Data", "width": 90},
		{"label": _("Item"), "fieldname": "item_code", "fieldtype": "Link", "options": "Item", "width": 130},
		{"label": _("Rule"), "fieldname": "rule", "fieldtype": "Data", "width": 120},
		{"label": _("Bracket"), "fieldname": "bracket", "fieldtype": "Data", "width": 100},
		{"label": _("Period"), "fieldname": "period", "fieldtype": "Data", "width": 90},
		{"label": _("Rate Type"), "fieldname": "rate_type", "fieldtype": "Data", "width": 100},
		{"label": _("Rate"), "fieldname": "rate", "fieldtype": "Float", "width": 80},
		{
			"label": _("Base"),
			"fieldname": "base",
			"fieldtype": "Currency",
			"options": "currency",
			"width": 120,
		},
		{
			"label": _("Amount"),
			"fieldname": "amount",
			"fieldtype": "Currency",
			"options": "currency",
			"width": 120,
		},
		{"label": _("Explanation"), "fieldname": "explanation", "fieldtype": "Data", "width": 320},
		{
			"label": _("Journal Entry"),
			"fieldname": "journal_entry",
			# a Dynamic Link: Frappe's report filter requires read on every Link column's doctype, and a
			# channel manager reads commissions, not the ledger (the link still opens for accountants)
			"fieldtype": "Dynamic Link",
			"options": "journal_entry_type",
			"width": 150,
		},
		{
			"label": _("Currency"),
			"fieldname": "currency",
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
