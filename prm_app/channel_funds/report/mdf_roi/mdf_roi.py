"""MDF ROI: per activity (fund request), the leads it brought (imported from the claim's lead list,
tagged with the request and the partner), the deals the partner registered from them (the
registration's contact is one of the leads, its customer was converted from one, or its opportunity's
campaign is the request's campaign), and the revenue invoiced on those deals and customers, against
what the fund paid for the activity."""

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt


def execute(filters=None):
	filters = frappe._dict(filters or {})
	return columns(), [activity_row(r) for r in activities(filters)]


def activities(filters) -> list:
	conditions = {"status": ("in", ("Approved", "Partially approved", "Claimed", "Expired"))}
	for field in ("company", "fund", "partner", "activity_type"):
		if filters.get(field):
			conditions[field] = filters[field]
	return frappe.get_list(
		"Fund Request",
		filters=conditions,
		fields=[
			"name",
			"fund",
			"partner",
			"activity_type",
			"activity_title",
			"campaign",
			"claimed_amount",
			"expected_leads",
			"expected_pipeline",
		],
		order_by="start_date desc, name",
	)


def activity_row(r) -> dict:
	leads = frappe.get_all(
		"Lead", filters={"prm_fund_request": r.name, "prm_partner": r.partner}, fields=["name", "email_id"]
	)
	emails = [lead.email_id for lead in leads if lead.email_id]
	customers = frappe.get_all(
		"Customer", filters={"lead_name": ("in", [lead.name for lead in leads] or [""])}, pluck="name"
	)
	deals = registered_deals(r, emails, customers)
	revenue = invoiced_revenue(deals, customers)
	cost = flt(r.claimed_amount)
	return {
		"fund_request": r.name,
		"fund": r.fund,
		"partner": r.partner,
		"activity_type": r.activity_type,
		"activity_title": r.activity_title,
		"expected_leads": r.expected_leads,
		"leads": len(leads),
		"registered_deals": len(deals),
		"expected_pipeline": r.expected_pipeline,
		"invoiced_revenue": revenue,
		"fund_cost": cost,
		"roi": flt(revenue / cost, 2) if cost else 0,
	}


def registered_deals(r, emails: list[str], customers: list[str]) -> list[str]:
	deal = frappe.qb.DocType("Deal Registration")
	condition = deal.contact_email.isin(emails or [""]) | deal.customer.isin(customers or [""])
	if r.campaign and frappe.get_meta("Opportunity").has_field("campaign"):
		opportunities = frappe.get_all("Opportunity", filters={"campaign": r.campaign}, pluck="name")
		condition = condition | deal.opportunity.isin(opportunities or [""])
	return (
		frappe.qb.from_(deal)
		.select(deal.name)
		.where((deal.partner == r.partner) & (deal.docstatus < 2) & condition)
		.run(pluck=True)
	)


def invoiced_revenue(deals: list[str], customers: list[str]) -> float:
	if not deals and not customers:
		return 0.0
	si = frappe.qb.DocType("Sales Invoice")
	total = (
		frappe.qb.from_(si)
		.select(Sum(si.base_net_total))
		.where(
			(si.docstatus == 1)
			& (si.deal_registration.isin(deals or [""]) | si.customer.isin(customers or [""]))
		)
		.run()[0][0]
	)
	return flt(total, 2)


def columns() -> list[dict]:
	return [
		{
			"fieldname": "fund_request",
			"label": _("Fund Request"),
			"fieldtype": "Link",
			"options": "Fund Request",
			"width": 150,
		},
		{"fieldname": "fund", "label": _("Fund"), "fieldtype": "Link", "options": "Fund", "width": 120},
		{
			"fieldname": "partner",
			"label": _("Partner"),
			"fieldtype": "Link",
			"options": "Partner",
			"width": 150,
		},
		{"fieldname": "activity_type", "label": _("Activity Type"), "fieldtype": "Data", "width": 110},
		{"fieldname": "activity_title", "label": _("Activity"), "fieldtype": "Data", "width": 170},
		{"fieldname": "expected_leads", "label": _("Expected Leads"), "fieldtype": "Int", "width": 100},
		{"fieldname": "leads", "label": _("Leads"), "fieldtype": "Int", "width": 80},
		{"fieldname": "registered_deals", "label": _("Registered Deals"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "expected_pipeline",
			"label": _("Expected Pipeline"),
			"fieldtype": "Currency",
			"width": 130,
		},
		{
			"fieldname": "invoiced_revenue",
			"label": _("Invoiced Revenue"),
			"fieldtype": "Currency",
			"width": 130,
		},
		{"fieldname": "fund_cost", "label": _("Fund Cost (Claimed)"), "fieldtype": "Currency", "width": 130},
		{"fieldname": "roi", "label": _("Revenue per Fund Dollar"), "fieldtype": "Float", "width": 120},
	]
