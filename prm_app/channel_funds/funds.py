"""Market development funds: allocations (preview, background apply), balances derived from the
documents, manual adjustments, request decisions and expiry. Rules are in ``prm_app.engine.funds``."""

from __future__ import annotations

import math
from decimal import Decimal

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import flt, getdate, now_datetime, nowdate

from prm_app.engine import EngineError
from prm_app.engine import funds as rules
from prm_app.engine.money import to_decimal
from prm_app.permissions import require_manager
from prm_app.utils import commit_job, company_currency_precision, engine_error_message, rounding_method

MAX_AMOUNT = 999_999_999_999  # a Currency column holds 12 digits before the decimal point


def dec(value) -> Decimal:
	return to_decimal(flt(value))


def check_amount_size(label: str, value) -> None:
	"""Refuse an amount the database cannot hold (a clear error instead of the column's overflow)."""
	if not math.isfinite(flt(value)):
		frappe.throw(_("{0} must be a number.").format(_(label)), title=_("Invalid Amount"))
	if abs(flt(value)) > MAX_AMOUNT:
		frappe.throw(
			_("{0} {1} is too large: at most {2}.").format(
				_(label), frappe.format(flt(value), "Float"), frappe.format(MAX_AMOUNT, "Float")
			),
			title=_("Invalid Amount"),
		)


def check_amounts(doc, fields) -> None:
	for field in fields:
		check_amount_size(doc.meta.get_label(field), doc.get(field))


def engine_call(function, *args, title=None, **kwargs):
	"""Call an engine rule; its typed error becomes a translated message."""
	try:
		return function(*args, **kwargs)
	except EngineError as e:
		frappe.throw(engine_error_message(e), title=title or _("Market Development Funds"))


# --- allocation ------------------------------------------------------------------------------------------


def allocation_rule(fund) -> rules.AllocationRule:
	return engine_call(
		rules.AllocationRule,
		method=fund.allocation_method,
		amount=dec(fund.amount_per_partner),
		tier_amounts={row.tier: dec(row.amount) for row in fund.tier_amounts},
		percentage=dec(fund.revenue_percentage),
		cap=dec(fund.cap_per_partner) or None,
		total=dec(fund.total_amount),
		precision=company_currency_precision(fund.company),
		rounding_method=rounding_method(),
	)


def partner_revenue(company: str, from_date, to_date) -> dict[str, Decimal]:
	"""Each partner's net invoiced revenue (company currency, credit notes netted) in a period."""
	si = frappe.qb.DocType("Sales Invoice")
	rows = (
		frappe.qb.from_(si)
		.select(si.prm_partner, Sum(si.base_net_total))
		.where(
			(si.company == company)
			& (si.docstatus == 1)
			& (si.prm_partner.isnotnull())
			& (si.posting_date >= from_date)
			& (si.posting_date <= to_date)
		)
		.groupby(si.prm_partner)
		.run()
	)
	return {partner: dec(amount) for partner, amount in rows}


def compute_allocations(fund) -> list[rules.Allocation]:
	partners = frappe.get_all(
		"Partner",
		filters={"company": fund.company, "status": "Active"},
		fields=["name", "tier"],
		order_by="name",
	)
	revenue = {}
	if fund.allocation_method == rules.PERCENT_OF_REVENUE:
		if not (fund.revenue_from_date and fund.revenue_to_date):
			frappe.throw(_("Set the revenue period (Revenue From and Revenue To) of the fund."))
		revenue = partner_revenue(fund.company, fund.revenue_from_date, fund.revenue_to_date)
	inputs = [rules.PartnerInput(p.name, p.tier, revenue.get(p.name, Decimal(0))) for p in partners]
	allocations = engine_call(rules.allocate, allocation_rule(fund), inputs)
	committed = {
		a.partner: a
		for a in frappe.get_all(
			"Fund Allocation",
			filters={"fund": fund.name},
			fields=["partner", "reserved", "claimed", "adjustment_amount"],
		)
	}
	return [
		rules.keep_commitments(
			a,
			dec(committed[a.partner].reserved) + dec(committed[a.partner].claimed),
			dec(committed[a.partner].adjustment_amount),
		)
		if a.partner in committed
		else a
		for a in allocations
	]


@frappe.whitelist()
def preview_allocation(fund: str) -> list[dict]:
	"""What applying the allocation would give each partner (nothing is written)."""
	doc = frappe.get_doc("Fund", fund)
	doc.check_permission("write")
	return [
		{"partner": a.partner, "amount": flt(a.amount), "explanation": a.explanation}
		for a in compute_allocations(doc)
	]


@frappe.whitelist(methods=["POST"])
def apply_allocation(fund: str) -> str:
	"""Start the allocation job (long queue; progress is published to the user)."""
	doc = frappe.get_doc("Fund", fund)
	doc.check_permission("write")
	require_manager(_("Only a Partner Manager can allocate a fund."))
	job_id = f"prm-fund-allocation-{fund}"
	frappe.enqueue(
		"prm_app.channel_funds.funds.run_allocation",
		queue="long",
		timeout=3600,
		job_id=job_id,
		deduplicate=True,
		fund=fund,
	)
	return job_id


def run_allocation(fund: str) -> dict:
	"""Write each partner's Fund Allocation (idempotent: an existing allocation gets the new base amount;
	adjustments stay). Progress is published per partner."""
	doc = frappe.get_doc("Fund", fund)
	allocations = compute_allocations(doc)
	result = {"created": 0, "updated": 0}
	for i, a in enumerate(allocations):
		frappe.publish_progress(
			(i + 1) * 100 / max(len(allocations), 1),
			title=_("Allocating fund {0}").format(fund),
			description=a.partner,
		)
		name = frappe.db.get_value("Fund Allocation", {"fund": fund, "partner": a.partner})
		alloc = frappe.get_doc("Fund Allocation", name) if name else frappe.new_doc("Fund Allocation")
		alloc.update(
			{
				"fund": fund,
				"partner": a.partner,
				"tier": frappe.db.get_value("Partner", a.partner, "tier"),
				"base_amount": flt(a.amount),
				"explanation": a.explanation,
			}
		)
		alloc.flags.ignore_permissions = True
		alloc.save()
		result["updated" if name else "created"] += 1
		if i % 500 == 499:
			commit_job()
	if doc.status == "Draft":
		doc.db_set("status", "Active")
	refresh_fund_total(fund)
	return result


def refresh_fund_total(fund: str) -> None:
	"""The fund's allocated amount: its allocations with their adjustments."""
	allocation = frappe.qb.DocType("Fund Allocation")
	total = (
		frappe.qb.from_(allocation)
		.select(Sum(allocation.allocated))
		.where(allocation.fund == fund)
		.run()[0][0]
	)
	frappe.db.set_value("Fund", fund, "allocated_amount", flt(total), update_modified=False)


@frappe.whitelist(methods=["POST"])
def adjust_allocation(fund: str, partner: str, amount: float, reason: str) -> str:
	"""A manager's manual adjustment, logged on the fund with the reason and the user."""
	require_manager(_("Only a Partner Manager can adjust a fund allocation."))
	if not (reason or "").strip():
		frappe.throw(_("Give the reason for the adjustment."), title=_("Reason Required"))
	if not flt(amount):
		frappe.throw(_("An adjustment needs an amount."))
	check_amount_size("Amount", amount)
	allocated = balance_of(fund, partner).allocated if allocation_of(fund, partner) else Decimal(0)
	if allocated + dec(amount) < 0:
		frappe.throw(
			_("The allocation of partner {0} cannot go below zero: {1} is allocated.").format(
				partner, frappe.format(flt(allocated), "Float")
			),
			title=_("Invalid Amount"),
		)
	doc = frappe.get_doc("Fund", fund)
	doc.check_permission("write")
	doc.append(
		"adjustments",
		{
			"partner": partner,
			"amount": amount,
			"reason": reason,
			"adjusted_by": frappe.session.user,
			"adjusted_on": now_datetime(),
		},
	)
	doc.flags.adjusting = True
	doc.save()
	name = allocation_of(fund, partner, create=True)
	refresh_allocation(name)
	refresh_fund_total(fund)
	return name


def allocation_of(fund: str, partner: str, create: bool = False) -> str | None:
	name = frappe.db.get_value("Fund Allocation", {"fund": fund, "partner": partner})
	if name or not create:
		return name
	alloc = frappe.get_doc(
		{
			"doctype": "Fund Allocation",
			"fund": fund,
			"partner": partner,
			"tier": frappe.db.get_value("Partner", partner, "tier"),
			"base_amount": 0,
		}
	)
	alloc.flags.ignore_permissions = True
	alloc.insert()
	return alloc.name


# --- balances --------------------------------------------------------------------------------------------


def balance_of(fund: str, partner: str, exclude_request: str | None = None) -> rules.Balance:
	"""The allocation's balance from its documents: the allocation and adjustments, the partner's
	requests on the fund and their approved claims (with what their invoices have been paid)."""
	base = flt(frappe.db.get_value("Fund Allocation", {"fund": fund, "partner": partner}, "base_amount"))
	adjustments = flt(
		sum(
			flt(r.amount)
			for r in frappe.get_all(
				"Fund Adjustment",
				filters={"parent": fund, "parenttype": "Fund", "partner": partner},
				fields=["amount"],
			)
		)
	)
	requests = frappe.get_all(
		"Fund Request",
		filters={"fund": fund, "partner": partner, "name": ("!=", exclude_request or "")},
		fields=["name", "status", "requested_amount", "approved_amount"],
	)
	claims = frappe.get_all(
		"Fund Claim",
		filters={"fund": fund, "partner": partner, "docstatus": 1},
		fields=["fund_request", "claimed_amount", "reimbursed_amount"],
	)
	return rules.balance(
		dec(base) + dec(adjustments),
		[
			rules.RequestFigures(r.name, r.status, dec(r.requested_amount), dec(r.approved_amount))
			for r in requests
		],
		[rules.ClaimFigures(c.fund_request, dec(c.claimed_amount), dec(c.reimbursed_amount)) for c in claims],
	)


def refresh_allocation(name: str) -> None:
	"""Store the derived balance on the Fund Allocation (read-only fields, never typed)."""
	alloc = frappe.db.get_value("Fund Allocation", name, ["fund", "partner", "base_amount"], as_dict=True)
	if not alloc:
		return
	b = balance_of(alloc.fund, alloc.partner)
	values = {k: flt(v) for k, v in b.as_dict().items()}
	values["adjustment_amount"] = flt(b.allocated - dec(alloc.base_amount))
	frappe.db.set_value("Fund Allocation", name, values, update_modified=False)


def refresh_for(fund: str, partner: str) -> None:
	name = allocation_of(fund, partner)
	if name:
		refresh_allocation(name)


# --- request decisions (manager only, server side) ---------------------------------------------------------


def decide(name: str, action) -> frappe._dict:
	require_manager(_("Only a Partner Manager can decide on a fund request."))
	doc = frappe.get_doc("Fund Request", name)
	doc.check_permission("write")
	action(doc)
	doc.decided_by = frappe.session.user
	doc.flags.deciding = True
	doc.save()
	refresh_for(doc.fund, doc.partner)
	return frappe._dict(name=doc.name, status=doc.status, approved_amount=doc.approved_amount)


@frappe.whitelist(methods=["POST"])
def approve_request(name: str, amount: float | None = None, override_reason: str | None = None):
	"""Approve the request in full (no amount) or in part; the amount is reserved. Beyond the available
	balance only with an override reason."""

	def approve(doc):
		expect(doc, rules.SUBMITTED, _("Only a submitted request can be approved."))
		if doc.expires_on and getdate(doc.expires_on) < getdate(nowdate()):
			frappe.throw(
				_("The claim window of request {0} ended on {1}.").format(
					doc.name, frappe.format(doc.expires_on, "Date")
				),
				title=_("Request Expired"),
			)
		if amount not in (None, ""):
			check_amount_size("Amount", amount)
		approved = dec(doc.requested_amount if amount in (None, "") else amount)
		status = engine_call(rules.check_approval, dec(doc.requested_amount), approved)
		available = balance_of(doc.fund, doc.partner, exclude_request=doc.name).available
		engine_call(rules.check_reserve, available, approved, override_reason, title=_("Not Enough Funds"))
		doc.status = status
		doc.approved_amount = flt(approved)
		doc.override_reason = override_reason if approved > available else None

	return decide(name, approve)


@frappe.whitelist(methods=["POST"])
def reject_request(name: str, reason: str):
	def reject(doc):
		expect(doc, rules.SUBMITTED, _("Only a submitted request can be rejected."))
		require_reason(reason)
		doc.status = rules.REJECTED
		doc.decision_note = reason
		doc.approved_amount = 0

	return decide(name, reject)


@frappe.whitelist(methods=["POST"])
def return_request(name: str, information: str):
	"""Return the request to the partner asking for information; the partner edits and submits again."""

	def send_back(doc):
		expect(doc, rules.SUBMITTED, _("Only a submitted request can be returned for information."))
		require_reason(information)
		doc.status = rules.RETURNED
		doc.decision_note = information

	return decide(name, send_back)


def expect(doc, status: str, message: str) -> None:
	if doc.status != status:
		frappe.throw(message, title=_("Wrong Status"))


def require_reason(text: str | None) -> None:
	if not (text or "").strip():
		frappe.throw(_("Give a reason."), title=_("Reason Required"))


# --- expiry ------------------------------------------------------------------------------------------------


def expire_requests(today=None) -> list[str]:
	"""Daily: requests whose claim window has passed expire, releasing what they reserved."""
	today = getdate(today or nowdate())
	names = frappe.get_all(
		"Fund Request",
		filters={"status": ("in", rules.RESERVING + rules.PENDING), "expires_on": ("<", today)},
		fields=["name", "fund", "partner", "status", "expires_on"],
	)
	expired = []
	for r in names:
		if not rules.is_expired(r.status, getdate(r.expires_on), today):
			continue
		if frappe.db.exists(
			"Fund Claim", {"fund_request": r.name, "docstatus": 0, "status": "Pending approval"}
		):
			continue  # a claim made in time is still being reviewed
		frappe.db.set_value("Fund Request", r.name, "status", rules.EXPIRED)
		refresh_for(r.fund, r.partner)
		expired.append(r.name)
	return expired
