"""Fund Utilisation: allocated -> requested -> approved -> claimed -> paid, and what expired, by fund,
partner tier, partner or activity type. Every figure is read from the documents; the funnel sums are
the engine's (``prm_app.engine.funds.utilisation``)."""

import frappe
from frappe import _
from frappe.utils import flt

from prm_app.engine import funds as rules

GROUPS = {
	"Fund": ("fund",),
	"Partner Tier": ("tier",),
	"Partner": ("fund", "partner"),
	"Activity Type": ("activity_type",),
}
REQUESTED = ("Submitted", "Returned for information", "Approved", "Partially approved", "Expired", "Claimed")
APPROVED = ("Approved", "Partially approved", "Expired", "Claimed")


def execute(filters=None):
	filters = frappe._dict(filters or {})
	group_by = filters.get("group_by") or "Partner"
	keys = GROUPS.get(group_by) or GROUPS["Partner"]
	rows = rules.utilisation(funnel_rows(filters), keys)
	return columns(keys), [{**r, **{k: flt(v) for k, v in r.items() if k not in keys}} for r in rows]


def fund_filters(filters) -> dict:
	conditions = {}
	if filters.get("company"):
		conditions["company"] = filters.company
	if filters.get("fund"):
		conditions["name"] = filters.fund
	if filters.get("from_date"):
		conditions["to_date"] = (">=", filters.from_date)
	if filters.get("to_date"):
		conditions["from_date"] = ("<=", filters.to_date)
	return conditions


def funnel_rows(filters) -> list[dict]:
	"""One row per allocation, request and claim with the funnel columns it contributes."""
	fund_names = frappe.get_list("Fund", filters=fund_filters(filters), pluck="name")
	if not fund_names:
		return []
	tiers = dict(frappe.get_all("Partner", fields=["name", "tier"], as_list=True))
	out = []
	for a in frappe.get_list(
		"Fund Allocation", filters={"fund": ("in", fund_names)}, fields=["fund", "partner", "allocated"]
	):
		out.append(
			{"fund": a.fund, "partner": a.partner, "tier": tiers.get(a.partner), "allocated": a.allocated}
		)
	activity = {}
	for r in frappe.get_list(
		"Fund Request",
		filters={"fund": ("in", fund_names), "status": ("in", REQUESTED)},
		fields=["name", "fund", "partner", "activity_type", "status", "requested_amount", "approved_amount"],
	):
		activity[r.name] = r.activity_type
		out.append(
			{
				"fund": r.fund,
				"partner": r.partner,
				"tier": tiers.get(r.partner),
				"activity_type": r.activity_type,
				"requested": r.requested_amount,
				"approved": r.approved_amount if r.status in APPROVED else 0,
				"expired": r.approved_amount if r.status == "Expired" else 0,
			}
		)
	for c in frappe.get_list(
		"Fund Claim",
		filters={"fund": ("in", fund_names), "docstatus": 1},
		fields=["fund", "partner", "fund_request", "claimed_amount", "reimbursed_amount"],
	):
		out.append(
			{
				"fund": c.fund,
				"partner": c.partner,
				"tier": tiers.get(c.partner),
				"activity_type": activity.get(c.fund_request),
				"claimed": c.claimed_amount,
				"paid": c.reimbursed_amount,
			}
		)
	return out


def columns(keys) -> list[dict]:
	labels = {
		"fund": (_("Fund"), "Link", "Fund"),
		"partner": (_("Partner"), "Link", "Partner"),
		"tier": (_("Partner Tier"), "Link", "Partner Tier"),
		"activity_type": (_("Activity Type"), "Data", None),
	}
	cols = [
		{
			"fieldname": k,
			"label": labels[k][0],
			"fieldtype": labels[k][1],
			"options": labels[k][2],
			"width": 180,
		}
		for k in keys
	]
	for field, label in (
		("allocated", _("Allocated")),
		("requested", _("Requested")),
		("approved", _("Approved")),
		("claimed", _("Claimed")),
		("paid", _("Paid")),
		("expired", _("Expired")),
	):
		cols.append({"fieldname": field, "label": label, "fieldtype": "Currency", "width": 130})
	cols.append(
		{"fieldname": "utilisation", "label": _("Utilisation (%)"), "fieldtype": "Percent", "width": 110}
	)
	return cols
