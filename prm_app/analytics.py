"""Channel analytics for the Channel Overview dashboard: revenue through partners against direct revenue,
and partner revenue by tier, month by month (company currency, net of credit notes, before taxes)."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import add_months, formatdate, getdate, today

NO_TIER = "No Tier"


def months_between(from_date: date, to_date: date) -> list[date]:
	cursor, out = date(from_date.year, from_date.month, 1), []
	while cursor <= to_date:
		out.append(cursor)
		cursor = getdate(add_months(cursor, 1))
	return out


def period(from_date=None, to_date=None, months: int = 12) -> tuple[date, date]:
	to_date = getdate(to_date or today())
	if from_date:
		return getdate(from_date), to_date
	start = getdate(add_months(to_date, -(months - 1)))
	return date(start.year, start.month, 1), to_date


def _invoices(company: str, from_date: date, to_date: date):
	si = frappe.qb.DocType("Sales Invoice")
	return si, (
		frappe.qb.from_(si).where(
			(si.docstatus == 1)
			& (si.company == company)
			& (si.posting_date >= from_date)
			& (si.posting_date <= to_date)
			& (si.is_opening != "Yes")
			& (si.is_internal_customer == 0)
		)
	)


def _chart(labels_months: list[date], series: dict[str, dict[str, float]]) -> dict:
	keys = [m.strftime("%Y-%m") for m in labels_months]
	return {
		"labels": [formatdate(m, "MMM YYYY") for m in labels_months],
		"datasets": [
			{"name": name, "values": [round(values.get(k, 0.0), 2) for k in keys]}
			for name, values in series.items()
		],
	}


def channel_revenue(company: str, from_date=None, to_date=None) -> dict:
	"""Two datasets: invoices with a Sales Partner, and those without."""
	frappe.has_permission("Sales Invoice", "read", throw=True)
	from_date, to_date = period(from_date, to_date)
	si, query = _invoices(company, from_date, to_date)
	rows = (
		query.select(si.posting_date, si.sales_partner, Sum(si.base_net_total).as_("amount"))
		.groupby(si.posting_date, si.sales_partner)
		.run(as_dict=True)
	)
	partners, direct = _("Through Partners"), _("Direct")
	series: dict[str, dict[str, float]] = {partners: {}, direct: {}}
	for r in rows:
		bucket = series[partners if r.sales_partner else direct]
		key = getdate(r.posting_date).strftime("%Y-%m")
		bucket[key] = bucket.get(key, 0.0) + float(r.amount or 0)
	return _chart(months_between(from_date, to_date), series)


def revenue_by_tier(company: str, from_date=None, to_date=None) -> dict:
	"""One dataset per current partner tier (highest rank first), plus partners without a tier."""
	frappe.has_permission("Sales Invoice", "read", throw=True)
	from_date, to_date = period(from_date, to_date)
	si, query = _invoices(company, from_date, to_date)
	partner = frappe.qb.DocType("Partner")
	rows = (
		query.join(partner)
		.on((partner.sales_partner == si.sales_partner) & (partner.company == si.company))
		.select(si.posting_date, partner.tier, Sum(si.base_net_total).as_("amount"))
		.groupby(si.posting_date, partner.tier)
		.run(as_dict=True)
	)
	order = frappe.get_all(
		"Partner Tier", order_by="`tabPartner Tier`.`rank` desc, `tabPartner Tier`.`name` asc", pluck="name"
	)
	series: dict[str, dict[str, float]] = {}
	for r in rows:
		name = r.tier or _(NO_TIER)
		key = getdate(r.posting_date).strftime("%Y-%m")
		series.setdefault(name, {})
		series[name][key] = series[name].get(key, 0.0) + float(r.amount or 0)
	ranked = {name: series[name] for name in order if name in series}
	ranked.update({name: values for name, values in series.items() if name not in ranked})
	return _chart(months_between(from_date, to_date), ranked)


def chart_filters(chart_name=None, chart=None, filters=None) -> tuple[frappe._dict, frappe._dict]:
	if chart_name:
		chart = frappe.get_doc("Dashboard Chart", chart_name)
	else:
		chart = frappe._dict(frappe.parse_json(chart) or {})
	filters = frappe._dict(frappe.parse_json(filters) or frappe.parse_json(chart.filters_json) or {})
	if not filters.company:
		filters.company = frappe.defaults.get_user_default("Company")
	return chart, filters
