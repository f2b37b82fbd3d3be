"""Open Fund Commitments: approved requests not yet claimed (what the vendor has promised and not yet
been invoiced), for the period-end accrual. ``make_accrual`` posts it as a Journal Entry that reverses
on the first day of the next period (``prm_app.ledger.fund_invoice``)."""

import frappe
from frappe import _
from frappe.utils import flt, getdate

from prm_app.engine import funds as rules
from prm_app.permissions import require_manager


def execute(filters=None):
	filters = frappe._dict(filters or {})
	return columns(), commitments(filters)


def commitments(filters) -> list[dict]:
	conditions = {"status": ("in", rules.RESERVING)}
	if filters.get("company"):
		conditions["company"] = filters.company
	if filters.get("fund"):
		conditions["fund"] = filters.fund
	if filters.get("as_on"):
		conditions["start_date"] = ("<=", filters.as_on)
	rows = frappe.get_list(
		"Fund Request",
		filters=conditions,
		fields=[
			"name",
			"fund",
			"partner",
			"activity_type",
			"activity_title",
			"end_date",
			"expires_on",
			"approved_amount",
			"claimed_amount",
		],
		order_by="fund, partner, name",
	)
	accounts = {
		f.name: f
		for f in frappe.get_all(
			"Fund",
			filters={"name": ("in", list({r.fund for r in rows}) or [""])},
			fields=["name", "expense_account", "cost_center"],
		)
	}
	out = []
	for r in rows:
		amount = flt(rules.request_reserve("Approved", flt(r.approved_amount), flt(r.claimed_amount)))
		if amount <= 0:
			continue
		out.append(
			{
				"fund_request": r.name,
				"fund": r.fund,
				"partner": r.partner,
				"activity_type": r.activity_type,
				"activity_title": r.activity_title,
				"end_date": r.end_date,
				"expires_on": r.expires_on,
				"open_amount": amount,
				"expense_account": accounts[r.fund].expense_account,
				"cost_center": accounts[r.fund].cost_center,
			}
		)
	return out


@frappe.whitelist(methods=["POST"])
def make_accrual(company: str, period_end: str, accrual_account: str, fund: str | None = None) -> dict:
	"""Accrue the open commitments at the period's end (Dr each fund's expense, Cr the accrual account)
	and reverse them on the next day, the first of the next period."""
	from prm_app.ledger.fund_invoice import make_accrual_journal

	require_manager(_("Only a Partner Manager can post the commitments accrual."))
	frappe.has_permission("Journal Entry", "submit", throw=True)
	if frappe.get_cached_value("Account", accrual_account, "company") != company:
		frappe.throw(
			_("{0} {1} does not belong to company {2}.").format(_("Account"), accrual_account, company)
		)
	rows = commitments(frappe._dict(company=company, fund=fund, as_on=period_end))
	totals: dict[tuple[str, str], float] = {}
	for r in rows:
		key = (r["expense_account"], r["cost_center"])
		totals[key] = flt(totals.get(key, 0) + r["open_amount"], 2)
	accrual, reversal = make_accrual_journal(
		company,
		getdate(period_end),
		[{"expense_account": a, "cost_center": c, "amount": v} for (a, c), v in totals.items()],
		accrual_account,
		_("Accrual of open market development fund commitments at {0}").format(period_end),
		fund=fund or None,
	)
	return {"accrual": accrual, "reversal": reversal}


def columns() -> list[dict]:
	return [
		{
			"fieldname": "fund_request",
			"label": _("Fund Request"),
			"fieldtype": "Link",
			"options": "Fund Request",
			"width": 150,
		},
		{"fieldname": "fund", "label": _("Fund"), "fieldtype": "Link", "options": "Fund", "width": 130},
		{
			"fieldname": "partner",
			"label": _("Partner"),
			"fieldtype": "Link",
			"options": "Partner",
			"width": 160,
		},
		{"fieldname": "activity_type", "label": _("Activity Type"), "fieldtype": "Data", "width": 120},
		{"fieldname": "activity_title", "label": _("Activity"), "fieldtype": "Data", "width": 180},
		{"fieldname": "end_date", "label": _("Activity End"), "fieldtype": "Date", "width": 100},
		{"fieldname": "expires_on", "label": _("Claim By"), "fieldtype": "Date", "width": 100},
		{"fieldname": "open_amount", "label": _("Open Commitment"), "fieldtype": "Currency", "width": 130},
		{
			"fieldname": "expense_account",
			"label": _("Expense Account"),
			"fieldtype": "Link",
			"options": "Account",
			"width": 160,
		},
		{
			"fieldname": "cost_center",
			"label": _("Cost Center"),
			"fieldtype": "Link",
			"options": "Cost Center",
			"width": 130,
		},
	]
