"""Special Pricing: per partner (or per request) what was asked and what was granted — list, requested and
granted totals and discounts, the margin given away as granted and as invoiced (submitted Sales Invoice
lines priced by the request's Pricing Rules, credit notes netted), and how the deals ended (won / lost:
the deal registration's status, or the quotation's for staff requests).

Requests are read with ``frappe.get_list`` (the user's permissions apply); discounts are weighted by
list value, so a large line counts as much as its money."""

import frappe
from frappe import _
from frappe.utils import flt

from prm_app.channel_funds.special_pricing import DOCTYPE, ITEM_DOCTYPE

GRANTED = ("Approved", "Expired", "Withdrawn")  # with approved_on set: a price was granted


def execute(filters=None):
	filters = frappe._dict(filters or {})
	requests = load_requests(filters)
	by_request = filters.group_by == "Request"
	return columns(by_request), rows(requests, by_request)


def columns(by_request: bool):
	head = [
		{
			"fieldname": "partner",
			"label": _("Partner"),
			"fieldtype": "Link",
			"options": "Partner",
			"width": 180,
		}
	]
	if by_request:
		head += [
			{
				"fieldname": "request",
				"label": _("Special Price Request"),
				"fieldtype": "Link",
				"options": DOCTYPE,
				"width": 150,
			},
			{
				"fieldname": "customer",
				"label": _("Customer"),
				"fieldtype": "Link",
				"options": "Customer",
				"width": 160,
			},
			{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 110},
		]
	else:
		head += [
			{"fieldname": "requests", "label": _("Requests"), "fieldtype": "Int", "width": 90},
			{"fieldname": "granted", "label": _("Granted"), "fieldtype": "Int", "width": 90},
		]
	return [
		*head,
		{"fieldname": "list_total", "label": _("List Total"), "fieldtype": "Currency", "width": 120},
		{
			"fieldname": "requested_discount",
			"label": _("Requested Discount (%)"),
			"fieldtype": "Percent",
			"width": 110,
		},
		{
			"fieldname": "granted_discount",
			"label": _("Granted Discount (%)"),
			"fieldtype": "Percent",
			"width": 110,
		},
		{
			"fieldname": "margin_given_away",
			"label": _("Margin Given Away"),
			"fieldtype": "Currency",
			"width": 130,
		},
		{
			"fieldname": "invoiced_margin_given_away",
			"label": _("Invoiced Margin Given Away"),
			"fieldtype": "Currency",
			"width": 130,
		},
		{"fieldname": "won", "label": _("Won"), "fieldtype": "Int", "width": 70},
		{"fieldname": "lost", "label": _("Lost"), "fieldtype": "Int", "width": 70},
		{"fieldname": "win_rate", "label": _("Win Rate (%)"), "fieldtype": "Percent", "width": 90},
	]


def load_requests(filters) -> list[frappe._dict]:
	conditions = [["status", "!=", "Draft"]]
	for field in ("company", "partner"):
		if filters.get(field):
			conditions.append([field, "=", filters.get(field)])
	if filters.from_date:
		conditions.append(["valid_from", ">=", filters.from_date])
	if filters.to_date:
		conditions.append(["valid_from", "<=", filters.to_date])
	requests = frappe.get_list(
		DOCTYPE,
		filters=conditions,
		fields=[
			"name",
			"partner",
			"customer",
			"status",
			"approved_on",
			"list_total",
			"requested_total",
			"granted_total",
			"margin_given_away",
			"deal_registration",
			"quotation",
		],
		order_by="partner, name",
	)
	outcomes = deal_outcomes(requests)
	invoiced = invoiced_margins([r.name for r in requests])
	for r in requests:
		r.is_granted = bool(r.approved_on) and r.status in GRANTED
		r.outcome = outcomes.get(r.name)
		r.invoiced_margin_given_away = invoiced.get(r.name, 0.0)
	return requests


def deal_outcomes(requests) -> dict[str, str]:
	"""{request: "Won" | "Lost"} from its deal registration, else its quotation."""
	deals = {r.deal_registration for r in requests if r.deal_registration}
	quotations = {r.quotation for r in requests if r.quotation and not r.deal_registration}
	deal_status = dict(
		frappe.get_all(
			"Deal Registration",
			filters={"name": ("in", list(deals) or [""])},
			fields=["name", "status"],
			as_list=True,
		)
	)
	quotation_status = dict(
		frappe.get_all(
			"Quotation",
			filters={"name": ("in", list(quotations) or [""])},
			fields=["name", "status"],
			as_list=True,
		)
	)
	out = {}
	for r in requests:
		status = (
			deal_status.get(r.deal_registration) if r.deal_registration else quotation_status.get(r.quotation)
		)
		if status in ("Won", "Ordered"):
			out[r.name] = "Won"
		elif status == "Lost":
			out[r.name] = "Lost"
	return out


def invoiced_margins(names: list[str]) -> dict[str, float]:
	"""{request: (list price - invoiced rate) x qty} over submitted Sales Invoice lines priced by the
	request's Pricing Rules (credit notes carry negative quantities, so they net)."""
	if not names:
		return {}
	rules = frappe.get_all(
		ITEM_DOCTYPE,
		filters={"parent": ("in", names), "pricing_rule": ("is", "set")},
		fields=["parent", "pricing_rule", "item_code", "list_price"],
	)
	if not rules:
		return {}
	by_rule = {r.pricing_rule: r for r in rules}
	sii, si = frappe.qb.DocType("Sales Invoice Item"), frappe.qb.DocType("Sales Invoice")
	condition = None
	for rule in by_rule:
		match = sii.pricing_rules.like(f"%{rule}%")
		condition = match if condition is None else condition | match
	lines = (
		frappe.qb.from_(sii)
		.join(si)
		.on(si.name == sii.parent)
		.select(sii.item_code, sii.qty, sii.rate, sii.pricing_rules)
		.where((si.docstatus == 1) & condition)
		.run(as_dict=True)
	)
	out: dict[str, float] = {}
	for line in lines:
		for rule in frappe.parse_json(line.pricing_rules or "[]") or []:
			row = by_rule.get(rule)
			if row and row.item_code == line.item_code:
				out[row.parent] = out.get(row.parent, 0.0) + (flt(row.list_price) - flt(line.rate)) * flt(
					line.qty
				)
	return out


def discount(list_total, total) -> float:
	return flt((flt(list_total) - flt(total)) * 100 / flt(list_total), 2) if flt(list_total) else 0.0


def request_row(r) -> dict:
	return {
		"partner": r.partner,
		"request": r.name,
		"customer": r.customer,
		"status": _(r.status),
		"list_total": flt(r.list_total),
		"requested_discount": discount(r.list_total, r.requested_total),
		"granted_discount": discount(r.list_total, r.granted_total) if r.is_granted else None,
		"margin_given_away": flt(r.margin_given_away) if r.is_granted else 0.0,
		"invoiced_margin_given_away": flt(r.invoiced_margin_given_away, 2),
		"won": 1 if r.outcome == "Won" else 0,
		"lost": 1 if r.outcome == "Lost" else 0,
		"win_rate": None,
	}


def rows(requests, by_request: bool) -> list[dict]:
	if by_request:
		return [request_row(r) for r in requests]
	groups: dict[str | None, list] = {}
	for r in requests:
		groups.setdefault(r.partner, []).append(r)
	out = []
	for partner, items in groups.items():
		granted = [r for r in items if r.is_granted]
		won = sum(1 for r in items if r.outcome == "Won")
		lost = sum(1 for r in items if r.outcome == "Lost")
		out.append(
			{
				"partner": partner,
				"requests": len(items),
				"granted": len(granted),
				"list_total": sum(flt(r.list_total) for r in items),
				"requested_discount": discount(
					sum(flt(r.list_total) for r in items), sum(flt(r.requested_total) for r in items)
				),
				"granted_discount": discount(
					sum(flt(r.list_total) for r in granted), sum(flt(r.granted_total) for r in granted)
				)
				if granted
				else None,
				"margin_given_away": sum(flt(r.margin_given_away) for r in granted),
				"invoiced_margin_given_away": flt(sum(r.invoiced_margin_given_away for r in items), 2),
				"won": won,
				"lost": lost,
				"win_rate": flt(won * 100 / (won + lost), 2) if won + lost else None,
			}
		)
	return out
