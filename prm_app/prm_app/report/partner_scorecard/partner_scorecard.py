"""Partner Scorecard: per partner, revenue by month, growth against the previous window of the same length,
won / lost deal registrations and win rate, commission and effective rate, tier and distance to the next
tier. Partners and commissions are read with ``frappe.get_list`` (the user's permissions apply); revenue is
summed for those partners only."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import add_days, add_months, flt, formatdate, getdate, today

from prm_app import tiers
from prm_app.compat import aggregate

TOP_PARTNERS_IN_CHART = 5


def execute(filters=None):
	filters = frappe._dict(filters or {})
	validate_filters(filters)
	months = month_keys(filters.from_date, filters.to_date)
	partners = get_partners(filters)
	columns = get_columns(months)
	if not partners:
		return columns, [], None, None, []
	names = [p.name for p in partners]
	sales_partners = {p.sales_partner: p.name for p in partners if p.sales_partner}
	previous_from, previous_to = previous_window(filters.from_date, filters.to_date)

	by_month = revenue_by_month(filters.company, sales_partners, filters.from_date, filters.to_date)
	previous = revenue_by_month(filters.company, sales_partners, previous_from, previous_to)
	deals = registrations(names, filters.from_date, filters.to_date)
	commission = commissions(filters.company, names, filters.from_date, filters.to_date)
	progress = tier_progress(names, filters.to_date)

	data = []
	for partner in partners:
		monthly = by_month.get(partner.name, {})
		revenue = sum(monthly.values())
		before = sum(previous.get(partner.name, {}).values())
		won, lost = deals.get(partner.name, (0, 0))
		paid = commission.get(partner.name, 0.0)
		next_tier, distance = progress.get(partner.name, ("", ""))
		row = {
			"partner": partner.name,
			"partner_name": partner.partner_name,
			"tier": partner.tier,
			"territory": partner.territory,
			"revenue": revenue,
			"previous_revenue": before,
			"growth": (revenue - before) * 100 / abs(before) if before else None,
			"won_deals": won,
			"lost_deals": lost,
			"win_rate": won * 100 / (won + lost) if won + lost else None,
			"commission": paid,
			"effective_rate": paid * 100 / revenue if revenue else None,
			"next_tier": next_tier,
			"distance_to_next_tier": distance,
		}
		for key in months:
			row[month_field(key)] = monthly.get(key, 0.0)
		data.append(row)
	data.sort(key=lambda r: (-r["revenue"], r["partner"]))
	return columns, data, None, get_chart(data, months), get_summary(data)


def validate_filters(filters) -> None:
	if not filters.company:
		frappe.throw(_("Select a company."), title=_("Company Required"))
	filters.to_date = getdate(filters.to_date or today())
	filters.from_date = getdate(filters.from_date or add_days(add_months(filters.to_date, -12), 1))
	if filters.from_date > filters.to_date:
		frappe.throw(
			_("From Date {0} is after To Date {1}.").format(
				formatdate(filters.from_date), formatdate(filters.to_date)
			),
			title=_("Invalid Period"),
		)


def previous_window(from_date: date, to_date: date) -> tuple[date, date]:
	days = (to_date - from_date).days + 1
	return add_days(from_date, -days), add_days(from_date, -1)


def month_keys(from_date: date, to_date: date) -> list[str]:
	keys, cursor = [], date(from_date.year, from_date.month, 1)
	while cursor <= to_date:
		keys.append(cursor.strftime("%Y-%m"))
		cursor = getdate(add_months(cursor, 1))
	return keys


def month_field(key: str) -> str:
	return "m_" + key.replace("-", "_")


def get_partners(filters) -> list[frappe._dict]:
	conditions = {"company": filters.company}
	for field in ("tier", "territory"):
		if filters.get(field):
			conditions[field] = filters.get(field)
	if filters.get("partner"):
		conditions["name"] = filters.partner
	return frappe.get_list(
		"Partner",
		filters=conditions,
		fields=["name", "partner_name", "tier", "territory", "sales_partner"],
		order_by="name",
	)


def revenue_by_month(company, sales_partners: dict, from_date, to_date) -> dict[str, dict[str, float]]:
	"""Net revenue (credit notes included, company currency) per partner and month."""
	if not sales_partners:
		return {}
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(si.sales_partner, si.posting_date, Sum(si.base_net_total).as_("amount"))
		.where(
			(si.docstatus == 1)
			& (si.company == company)
			& (si.sales_partner.isin(list(sales_partners)))
			& (si.posting_date >= from_date)
			& (si.posting_date <= to_date)
			& (si.is_opening != "Yes")
			& (si.is_internal_customer == 0)
		)
		.groupby(si.sales_partner, si.posting_date)
		.run(as_dict=True)
	)
	out: dict[str, dict[str, float]] = {}
	for r in rows:
		partner = sales_partners[r.sales_partner]
		key = getdate(r.posting_date).strftime("%Y-%m")
		out.setdefault(partner, {})
		out[partner][key] = out[partner].get(key, 0.0) + flt(r.amount)
	return out


def registrations(partners: list[str], from_date, to_date) -> dict[str, tuple[int, int]]:
	"""Won and lost deal registrations closed in the period (none when the user may not read
	registrations)."""
	if not frappe.has_permission("Deal Registration", "read"):
		return {}
	out: dict[str, list[int]] = {}
	for status, field in (("Won", "won_on"), ("Lost", "lost_on")):
		rows = frappe.get_list(
			"Deal Registration",
			filters={
				"partner": ("in", partners),
				"status": status,
				field: ("between", [from_date, to_date]),
			},
			fields=["partner", aggregate("count", "name", "n")],
			group_by="partner",
		)
		for r in rows:
			out.setdefault(r.partner, [0, 0])[0 if status == "Won" else 1] += int(r.n)
	return {k: (v[0], v[1]) for k, v in out.items()}


def commissions(company, partners: list[str], from_date, to_date) -> dict[str, float]:
	"""Submitted Partner Commission totals (clawbacks included) posted in the period."""
	if not frappe.has_permission("Partner Commission", "read"):
		return {}
	rows = frappe.get_list(
		"Partner Commission",
		filters={
			"company": company,
			"partner": ("in", partners),
			"docstatus": 1,
			"posting_date": ("between", [from_date, to_date]),
		},
		fields=["partner", aggregate("sum", "total", "total")],
		group_by="partner",
	)
	return {r.partner: flt(r.total) for r in rows}


def tier_progress(partners: list[str], as_of) -> dict[str, tuple[str, str]]:
	"""Next tier and what is missing for it, per partner, from the tier engine."""
	proposals = tiers.evaluate(as_of, partners=partners)
	out = {}
	for row in proposals.itertuples(index=False):
		if not row.next_tier:
			out[row.partner] = ("", _("Highest tier"))
			continue
		gaps = []
		for key, detail in row.criteria.get(row.next_tier, {}).items():
			short = detail["target"] - detail["value"]
			if short > 0:
				value = frappe.format(short, "Currency") if key == "revenue" else int(short)
				gaps.append(_("{0}: {1} short").format(_(tiers.CRITERION_LABELS[key]), value))
		out[row.partner] = (row.next_tier, "; ".join(gaps) or _("Qualifies"))
	return out


def get_columns(months: list[str]) -> list[dict]:
	columns = [
		{
			"label": _("Partner"),
			"fieldname": "partner",
			"fieldtype": "Link",
			"options": "Partner",
			"width": 160,
		},
		{"label": _("Partner Name"), "fieldname": "partner_name", "fieldtype": "Data", "width": 160},
		{
			"label": _("Tier"),
			"fieldname": "tier",
			"fieldtype": "Link",
			"options": "Partner Tier",
			"width": 100,
		},
		{
			"label": _("Territory"),
			"fieldname": "territory",
			"fieldtype": "Link",
			"options": "Territory",
			"width": 110,
		},
		{"label": _("Revenue"), "fieldname": "revenue", "fieldtype": "Currency", "width": 130},
		{
			"label": _("Previous Period"),
			"fieldname": "previous_revenue",
			"fieldtype": "Currency",
			"width": 130,
		},
		{"label": _("Growth %"), "fieldname": "growth", "fieldtype": "Percent", "width": 90},
		{"label": _("Won Deals"), "fieldname": "won_deals", "fieldtype": "Int", "width": 90},
		{"label": _("Lost Deals"), "fieldname": "lost_deals", "fieldtype": "Int", "width": 90},
		{"label": _("Win Rate %"), "fieldname": "win_rate", "fieldtype": "Percent", "width": 90},
		{"label": _("Commission"), "fieldname": "commission", "fieldtype": "Currency", "width": 120},
		{"label": _("Effective Rate %"), "fieldname": "effective_rate", "fieldtype": "Percent", "width": 110},
		{
			"label": _("Next Tier"),
			"fieldname": "next_tier",
			"fieldtype": "Link",
			"options": "Partner Tier",
			"width": 100,
		},
		{
			"label": _("Distance to Next Tier"),
			"fieldname": "distance_to_next_tier",
			"fieldtype": "Data",
			"width": 260,
		},
	]
	for key in months:
		columns.append(
			{
				"label": formatdate(key + "-01", "MMM YYYY"),
				"fieldname": month_field(key),
				"fieldtype": "Currency",
				"width": 110,
			}
		)
	return columns


def get_chart(data: list[dict], months: list[str]) -> dict | None:
	if not data:
		return None
	top = data[:TOP_PARTNERS_IN_CHART]
	return {
		"data": {
			"labels": [formatdate(key + "-01", "MMM YYYY") for key in months],
			"datasets": [
				{
					"name": row["partner_name"] or row["partner"],
					"values": [row[month_field(k)] for k in months],
				}
				for row in top
			],
		},
		"type": "line",
		"fieldtype": "Currency",
		# drawn without animation: frappe-charts' 250 ms animated copy meets a resize (a scrollbar, a turned
		# phone) and throws "Failed to execute 'removeChild'" (as the dashboard charts' custom_options)
		"animate": 0,
		"disableEntryAnimation": 1,
	}


def get_summary(data: list[dict]) -> list[dict]:
	revenue = sum(r["revenue"] for r in data)
	commission = sum(r["commission"] for r in data)
	return [
		{"value": len(data), "label": _("Partners"), "datatype": "Int"},
		{"value": revenue, "label": _("Revenue"), "datatype": "Currency"},
		{"value": commission, "label": _("Commission"), "datatype": "Currency"},
		{
			"value": commission * 100 / revenue if revenue else 0,
			"label": _("Effective Rate %"),
			"datatype": "Percent",
		},
	]
