"""From a Sales Invoice to a submitted Partner Commission: the only place that feeds the engine from
ERPNext documents and turns its result into documents. Money is computed by the engine alone.

accrue_for_invoice(si)   on submit: an accrual, or for a credit note a clawback against the original
reverse_for_invoice(si)  on cancel: cancel the commission when nothing depends on it, else post a reversal
"""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import flt, getdate

from prm_app import deals
from prm_app.channel_funds.special_pricing import review_reason as special_price_review_reason
from prm_app.compat import accounts_frozen_till
from prm_app.engine import (
	CommissionLine,
	EngineError,
	Invoice,
	InvoiceLine,
	OriginalInvoice,
	Plan,
	compute_commission,
	plan_from_json,
	reverse_commission,
	state_from_lines,
)
from prm_app.engine.money import to_decimal
from prm_app.engine.plans import period_key
from prm_app.ledger.commission_journal import commission_accounts, dimension_fields
from prm_app.utils import engine_error_message

# engine kinds <-> the Select options of Partner Commission Line.kind
KIND_LABELS = {
	"commission": "Commission",
	"true_up": "True-up",
	"minimum": "Minimum",
	"maximum": "Maximum",
	"cap": "Cap",
	"reversal": "Reversal",
}
KIND_CODES = {v: k for k, v in KIND_LABELS.items()}


class CommissionSkipped(Exception):
	"""Nothing to commission (no partner, no plan, payment-triggered plan …); not an error."""


# --- which invoices, partners and plans ------------------------------------------------------------------


def is_commissionable(si) -> bool:
	"""Partner invoices that ERPNext itself would carry commission on; internal, opening and POS
	consolidated invoices never are."""
	return bool(
		si.docstatus == 1
		and si.get("sales_partner")
		and not si.get("is_internal_customer")
		and not si.get("is_consolidated")
		and si.get("is_opening") != "Yes"
	)


PARTNER_FIELDS = ("name", "status", "tier", "partner_type", "commission_plan", "supplier", "company")


def partner_for(si, for_update: bool = False) -> frappe._dict | None:
	"""The Partner of the invoice's Sales Partner; ``for_update`` also takes the partner lock (see
	``lock_partner``) in the same query."""
	return frappe.db.get_value(
		"Partner", {"sales_partner": si.sales_partner}, PARTNER_FIELDS, as_dict=True, for_update=for_update
	)


def resolve_plan_name(partner: frappe._dict) -> str | None:
	"""Partner's own plan, else its tier's plan, else the default plan in PRM Settings."""
	if partner.commission_plan:
		return partner.commission_plan
	if partner.tier:
		tier_plan = frappe.get_cached_value("Partner Tier", partner.tier, "commission_plan")
		if tier_plan:
			return tier_plan
	return frappe.db.get_single_value("PRM Settings", "default_commission_plan")


PLAN_FIELDS = ("prm_commission_plan", "prm_partner_tier")


def remember_plan(si, partner: frappe._dict) -> None:
	"""Note on the invoice (in memory) the plan and tier that decide its commission, so that payments,
	returns and a cancel later follow them (a plan paying on invoice never starts paying on payment).
	Written with the invoice's commission fields in one update (``_set_invoice_commission``), or by
	``store_plan`` when no commission was posted."""
	plan = None if si.is_return else resolve_plan_name(partner)
	if plan:
		si.prm_commission_plan, si.prm_partner_tier = plan, partner.tier or None


def store_plan(si) -> None:
	if si.get("prm_commission_plan"):
		si.db_set({f: si.get(f) for f in PLAN_FIELDS}, update_modified=False)


def applicable_plan(si, partner: frappe._dict):
	"""The Commission Plan doc for this invoice; raises a clear error when the partner or plan can't
	accrue, ``CommissionSkipped`` when there is simply nothing to do."""
	if partner.status != "Active":
		frappe.throw(
			_(
				"Partner {0} is {1}: no commission can be accrued for invoice {2}. Reactivate the partner or remove the Sales Partner from the invoice."
			).format(frappe.bold(partner.name), _(partner.status), si.name),
			title=_("Partner Not Active"),
		)
	plan_name = resolve_plan_name(partner)
	if not plan_name:
		raise CommissionSkipped(_("No commission plan applies to partner {0}.").format(partner.name))
	plan = frappe.get_cached_doc("Commission Plan", plan_name)
	if not plan.enabled:
		frappe.throw(
			_("Commission Plan {0} of partner {1} is disabled.").format(frappe.bold(plan.name), partner.name),
			title=_("Commission Plan Not Applicable"),
		)
	if plan.company != si.company:
		frappe.throw(
			_("Commission Plan {0} is for company {1}, but invoice {2} is for {3}.").format(
				frappe.bold(plan.name), plan.company, si.name, si.company
			),
			title=_("Commission Plan Not Applicable"),
		)
	if not plan.is_valid_on(si.posting_date):
		frappe.throw(
			_("Commission Plan {0} is valid from {1} to {2}; invoice {3} is dated {4}.").format(
				frappe.bold(plan.name),
				frappe.format(plan.valid_from, "Date") or _("any date"),
				frappe.format(plan.valid_to, "Date") or _("any date"),
				si.name,
				frappe.format(si.posting_date, "Date"),
			),
			title=_("Commission Plan Not Applicable"),
		)
	if plan.trigger != "On Invoice":
		raise CommissionSkipped(_("Plan {0} pays on payment.").format(plan.name))
	return plan


# --- ERPNext documents -> engine inputs ------------------------------------------------------------------


def _dec(value) -> Decimal:
	return to_decimal(flt(value))


def engine_invoice(si, partner: frappe._dict, plan: Plan) -> Invoice:
	gross_margin = plan.basis == "gross_margin"
	lines = tuple(
		InvoiceLine(
			item_code=item.item_code or item.item_name or "",
			base_net_amount=_dec(item.base_net_amount),
			qty=_dec(item.qty),
			item_group=item.item_group or "",
			brand=item.brand or "",
			# ERPNext's valuation of what was sold; non-stock lines carry none, so their margin is the amount
			cost=_dec(flt(item.incoming_rate) * flt(item.stock_qty)) if gross_margin else None,
			grant_commission=bool(item.grant_commission),
			line_id=item.name,
			return_line_id=item.get("sales_invoice_item") or "",
		)
		for item in si.items
	)
	return Invoice(
		name=si.name,
		posting_date=getdate(si.posting_date),
		partner=partner.name,
		lines=lines,
		customer=si.customer or "",
		currency=si.currency or "",
		conversion_rate=_dec(si.conversion_rate or 1),
		is_return=bool(si.is_return),
		return_against=si.return_against or "" if si.is_return else "",
		territory=si.territory or "",
		customer_group=si.customer_group or "",
		partner_tier=partner.tier or "",
		partner_type=partner.partner_type or "",
		new_customer=any(r.new_customer is not None for r in plan.rules) and is_new_customer(si),
		registered_deal=deals.protects_invoice(si),
	)


def is_new_customer(si) -> bool:
	"""The customer's first submitted invoice (credit notes aside)."""
	earlier = frappe.db.exists(
		"Sales Invoice",
		{
			"customer": si.customer,
			"company": si.company,
			"docstatus": 1,
			"is_return": 0,
			"name": ("!=", si.name),
			"posting_date": ("<=", si.posting_date),
		},
	)
	return not earlier


def stored_lines(commission_names: list[str]) -> dict[str, list[CommissionLine]]:
	"""Engine lines of stored commissions, by commission name."""
	if not commission_names:
		return {}
	rows = frappe.get_all(
		"Partner Commission Line",
		filters={"parent": ("in", commission_names), "parenttype": "Partner Commission"},
		fields=[
			"parent",
			"kind",
			"item_code",
			"item_group",
			"rule",
			"bracket",
			"period",
			"rate_type",
			"rate",
			"base",
			"qty",
			"amount",
			"line_key",
			"against_invoice",
			"explanation",
		],
		order_by="parent, idx",
	)
	out: dict[str, list[CommissionLine]] = {}
	for r in rows:
		out.setdefault(r.parent, []).append(
			CommissionLine(
				invoice=r.parent,
				partner="",
				kind=KIND_CODES.get(r.kind, "commission"),
				rule=r.rule or "",
				period=r.period or "",
				rate_type=r.rate_type or "",
				rate=_dec(r.rate),
				base=_dec(r.base),
				qty=_dec(r.qty),
				amount=_dec(r.amount),
				explanation=r.explanation or "",
				item_code=r.item_code or "",
				item_group=r.item_group or "",
				line_key=r.line_key or "",
				bracket=r.bracket or "",
				against=r.against_invoice or "",
			)
		)
	return out


def lines_by_commission(commissions: list[str], fields: list[str]) -> dict[str, list[frappe._dict]]:
	"""``fields`` of the lines of these commissions, in order, by commission (read in chunks; a child
	table follows its parent's permissions, so callers pass only commissions the user may read)."""
	out: dict[str, list[frappe._dict]] = {}
	for start in range(0, len(commissions), 1000):
		for row in frappe.get_all(
			"Partner Commission Line",
			filters={"parenttype": "Partner Commission", "parent": ("in", commissions[start : start + 1000])},
			fields=["parent", *fields],
			order_by="idx asc",
		):
			out.setdefault(row.parent, []).append(row)
	return out


def period_lines(
	partner: str, plan_name: str, periods: set[str], exclude_invoice: str | None = None
) -> list[CommissionLine]:
	"""The partner's submitted commission lines of a plan in the given periods: what its period state is
	rebuilt from. The caller holds the partner lock, so concurrent invoices see each other's volume."""
	pc = frappe.qb.DocType("Partner Commission")
	line = frappe.qb.DocType("Partner Commission Line")
	condition = (
		(pc.partner == partner)
		& (pc.commission_plan == plan_name)
		& (pc.docstatus == 1)
		& (line.parenttype == "Partner Commission")
		& (line.period.isin(list(periods)))
	)
	if exclude_invoice:
		condition &= pc.sales_invoice != exclude_invoice
	rows = (
		frappe.qb.from_(line)
		.join(pc)
		.on(line.parent == pc.name)
		.select(line.kind, line.rule, line.period, line.base, line.qty, line.amount)
		.where(condition)
		.run(as_dict=True)
	)
	return [
		CommissionLine(
			invoice="",
			partner=partner,
			kind=KIND_CODES.get(r.kind, "commission"),
			rule=r.rule or "",
			period=r.period or "",
			rate_type="",
			rate=Decimal(0),
			base=_dec(r.base),
			qty=_dec(r.qty),
			amount=_dec(r.amount),
			explanation="",
		)
		for r in rows
	]


def lock_partner(partner: str) -> None:
	"""Serialise commission postings of one partner (brackets and caps read then write its state)."""
	frappe.db.sql("select name from `tabPartner` where name = %s for update", partner)


# --- accrual ----------------------------------------------------------------------------------------------


def idempotency_key(si_name: str, partner: str, event: str = "submit") -> str:
	return f"Sales Invoice|{si_name}|{partner}|{event}"


def accrue_for_invoice(si):
	"""Post the commission of a submitted invoice or credit note; returns the Partner Commission (a
	doc when posted now, its name when it was posted before, None when there is nothing to
	commission). Running it twice posts nothing new."""
	if not is_commissionable(si):
		return None
	partner = partner_for(si, for_update=True)  # locked before the idempotency check: one posting wins
	if not partner:
		return None
	remember_plan(si, partner)
	key = idempotency_key(si.name, partner.name)
	existing = frappe.db.get_value("Partner Commission", {"idempotency_key": key, "docstatus": ("<", 2)})
	if existing:
		return existing
	commission_accounts(si.company)  # a missing account fails before anything is written
	try:
		if si.is_return:
			return _accrue_return(si, partner, key)
		return _accrue_sale(si, partner, key)
	except CommissionSkipped:
		return None


def _compute(
	plan_doc_name: str, plan: Plan, partner: frappe._dict, invoice: Invoice, period: str, original=None
):
	state = state_from_lines(plan, period_lines(partner.name, plan_doc_name, {period}))
	try:
		return compute_commission(plan, invoice, state, original)
	except EngineError as e:
		frappe.throw(engine_error_message(e), title=_("Commission Not Computed"))


def _accrue_sale(si, partner: frappe._dict, key: str) -> str | None:
	plan_doc = applicable_plan(si, partner)
	plan = plan_doc.to_engine_plan(tiers=[partner.tier] if partner.tier else [])
	invoice = engine_invoice(si, partner, plan)
	result = _compute(plan_doc.name, plan, partner, invoice, period_key(plan.period, invoice.posting_date))
	if not result.lines:
		return None
	return make_commission(
		si,
		partner,
		plan_doc.name,
		plan,
		result,
		key,
		tier=partner.tier,
		posting_date=open_posting_date(si.company, si.posting_date),
	)


def original_commission(invoice_name: str, partner: str) -> frappe._dict | None:
	name = frappe.db.get_value(
		"Partner Commission", {"idempotency_key": idempotency_key(invoice_name, partner), "docstatus": 1}
	)
	if not name:
		return None
	return frappe.db.get_value(
		"Partner Commission",
		name,
		["name", "commission_plan", "plan_snapshot", "partner_tier", "sales_invoice"],
		as_dict=True,
	)


def _accrue_return(si, partner: frappe._dict, key: str) -> str | None:
	"""A credit note: clawback at the original's plan (its snapshot) and the original's attributes."""
	original = original_commission(si.return_against, partner.name)
	if not original:
		return None  # the original earned nothing, so there is nothing to claw back
	plan = plan_from_json(original.plan_snapshot)
	source_si = frappe.get_doc("Sales Invoice", si.return_against)
	source_partner = frappe._dict(partner, tier=original.partner_tier)
	source = engine_invoice(source_si, source_partner, plan)
	prior = frappe.get_all(
		"Sales Invoice",
		filters={
			"return_against": si.return_against,
			"docstatus": 1,
			"is_return": 1,
			"name": ("!=", si.name),
		},
		order_by="posting_date, name",
		pluck="name",
	)
	prior_returns = tuple(
		engine_invoice(frappe.get_doc("Sales Invoice", name), source_partner, plan) for name in prior
	)
	original_lines = stored_lines([original.name]).get(original.name, [])
	invoice = engine_invoice(si, source_partner, plan)
	result = _compute(
		original.commission_plan,
		plan,
		partner,
		invoice,
		period_key(plan.period, source.posting_date),
		OriginalInvoice(source, tuple(original_lines), prior_returns),
	)
	if not result.lines:
		return None
	return make_commission(
		si,
		partner,
		original.commission_plan,
		plan,
		result,
		key,
		tier=original.partner_tier,
		against=original.name,
		posting_date=open_posting_date(si.company, si.posting_date),
	)


def by_line_key(si, values) -> dict:
	"""``values(item)`` per key a commission line may carry: the invoice line's name and, on a credit
	note, the name of the original line it returns (a reversal line is keyed by the original's)."""
	out = {}
	for item in si.items:
		value = values(item)
		out[item.name] = value
		if item.get("sales_invoice_item"):
			out.setdefault(item.sales_invoice_item, value)
	return out


def make_commission(
	si,
	partner,
	plan_name,
	plan: Plan,
	result,
	key,
	tier=None,
	against=None,
	source=None,
	posting_date=None,
	is_clawback=None,
):
	"""Insert and submit the Partner Commission (its submit posts the journal entry)."""
	cost_centers = by_line_key(si, lambda item: item.cost_center)
	# accounting dimensions: the line's own, else the invoice's
	fields = dimension_fields()
	header = {f: si.get(f) for f in fields if si.get(f)}
	dimensions = by_line_key(si, lambda item: {**header, **{f: item.get(f) for f in fields if item.get(f)}})
	doc = frappe.get_doc(
		{
			"doctype": "Partner Commission",
			"partner": partner.name,
			"company": si.company,
			"posting_date": posting_date or si.posting_date,
			"sales_invoice": si.name,
			"commission_plan": plan_name,
			"partner_tier": tier,
			"supplier": partner.supplier,
			"currency": frappe.get_cached_value("Company", si.company, "default_currency"),
			"is_clawback": int(is_clawback if is_clawback is not None else result.total < 0 or si.is_return),
			"against_commission": against,
			"idempotency_key": key,
			"plan_snapshot": plan.to_json(),
			"payment_source_type": source.doctype if source else None,
			"payment_source": source.name if source else None,
			"lines": [
				{
					"kind": KIND_LABELS[ln.kind],
					"item_code": ln.item_code or None,
					"item_group": ln.item_group or None,
					"rule": ln.rule,
					"bracket": ln.bracket,
					"period": ln.period,
					"rate_type": ln.rate_type,
					"rate": float(ln.rate),
					"base": float(ln.base),
					"qty": float(ln.qty),
					"amount": float(ln.amount),
					"line_key": ln.line_key,
					"cost_center": cost_centers.get(ln.line_key) or si.cost_center,
					"against_invoice": ln.against or None,
					"explanation": ln.explanation,
					**dimensions.get(ln.line_key, header),
				}
				for ln in result.lines
			],
		}
	)
	# special pricing (issue 15): the plan may hold commission on specially priced invoices for review
	reason = None if si.is_return else special_price_review_reason(si, plan_name)
	doc.update({"needs_review": 1 if reason else 0, "review_reason": reason})
	doc.flags.ignore_permissions = True
	doc.flags.ignore_links = True  # every link was copied from the validated, submitted invoice
	doc.flags.prm_posting = True  # made here, from its source document (validate refuses any other)
	doc.docstatus = 1  # inserted as submitted: one write instead of insert + submit
	doc.insert()
	return doc


def sync_invoice_commission_fields(si, commission) -> None:
	"""ERPNext's own commission fields agree with what PRM accrued, so its Sales Partner reports agree."""
	if not commission:
		return
	if isinstance(commission, str):
		commission = frappe.db.get_value(
			"Partner Commission", commission, ["name", "total", "base_total"], as_dict=True
		)
	_set_invoice_commission(si, commission.name, commission.total, commission.base_total)


def sync_invoice_earned_so_far(si, none_is_zero: bool = False) -> None:
	"""For a plan paying on payment: ERPNext's commission fields show what the invoice has earned so far
	(all its commissions), so its Sales Partner reports agree with PRM at any time; ``none_is_zero``:
	an invoice without commissions shows 0."""
	rows = frappe.get_all(
		"Partner Commission",
		filters={"sales_invoice": si.name, "docstatus": 1},
		fields=["name", "total"],
		order_by="creation",
	)
	if not rows and not none_is_zero:
		return
	total = flt(sum(flt(r.total) for r in rows), si.precision("total_commission"))
	_set_invoice_commission(si, rows[-1].name if rows else None, total, si.amount_eligible_for_commission)


def manages_commission(si) -> bool:
	"""Whether a PRM plan decides this invoice's commission (an active partner with a plan)."""
	partner = partner_for(si)
	return bool(partner and partner.status == "Active" and resolve_plan_name(partner))


def _set_invoice_commission(si, commission_name: str | None, total, base) -> None:
	eligible = flt(si.amount_eligible_for_commission) or flt(base)
	rate = flt(total) / eligible * 100 if eligible else 0
	si.db_set(
		{
			"total_commission": flt(total, si.precision("total_commission")),
			"commission_rate": flt(rate, 6),
			"prm_partner_commission": commission_name,
			**{f: si.get(f) for f in PLAN_FIELDS if si.get(f)},
		},
		update_modified=False,
	)


# --- cancel ------------------------------------------------------------------------------------------------


def reverse_for_invoice(si) -> list[str]:
	"""On cancel of an invoice or credit note: cancel each of its commissions when it is unpaid and
	the latest in its periods (nothing was computed on top of it); otherwise post a reversal, so paid
	history is never rewritten. Returns the reversal commissions created."""
	created = []
	commissions = frappe.get_all(
		"Partner Commission",
		filters={"sales_invoice": si.name, "docstatus": 1, "idempotency_key": ("like", "%|submit")},
		fields=["name", "partner"],
	)
	for row in commissions:
		lock_partner(row.partner)
		commission = frappe.get_doc("Partner Commission", row.name)
		if commission.can_be_cancelled():
			commission.flags.ignore_permissions = True
			commission.cancel()
		else:
			created.append(post_reversal(si, commission))
	return created


def post_reversal(si, commission) -> str:
	"""The commission that undoes ``commission`` when its document is cancelled: lines that depended on
	nothing else are mirrored; a bracketed or capped period is recomputed on what is left of it, as a
	credit note would (``engine.reverse_commission``). Dated in the cancelled commission's own period
	(as ERPNext reverses the document's GL), or the first open date when that period is closed."""
	key = idempotency_key(si.name, commission.partner, "cancel")
	existing = frappe.db.get_value("Partner Commission", {"idempotency_key": key, "docstatus": 1})
	if existing:
		return existing
	plan = plan_from_json(commission.plan_snapshot)
	posted = stored_lines([commission.name]).get(commission.name, [])
	periods = {ln.period for ln in posted if ln.period}
	state = state_from_lines(plan, period_lines(commission.partner, commission.commission_plan, periods))
	try:
		result = reverse_commission(
			plan,
			posted,
			state,
			name=si.name,
			partner=commission.partner,
			tier=commission.partner_tier or "",
			posting_date=getdate(commission.posting_date),
			cancelled=si.name,
		)
	except EngineError as e:
		frappe.throw(engine_error_message(e), title=_("Commission Not Computed"))
	partner = frappe._dict(name=commission.partner, supplier=commission.supplier)
	doc = make_commission(
		si,
		partner,
		commission.commission_plan,
		plan,
		result,
		key,
		tier=commission.partner_tier,
		against=commission.name,
		posting_date=open_posting_date(commission.company, commission.posting_date),
		is_clawback=result.total < 0,
	)
	return doc.name


def open_posting_date(company: str, posting_date) -> str:
	"""``posting_date`` unless the books are closed there (Accounts Frozen Till, a Period Closing Voucher,
	or an Accounting Period closed for Journal Entries), then today: the first date still open."""
	date = getdate(posting_date)
	frozen = accounts_frozen_till(company)
	if frozen and date <= getdate(frozen):
		return frappe.utils.nowdate()
	pcv = frappe.qb.DocType("Period Closing Voucher")
	closed_to = (
		frappe.qb.from_(pcv)
		.select(pcv.period_end_date)
		.where((pcv.company == company) & (pcv.docstatus == 1) & (pcv.period_end_date >= date))
		.limit(1)
		.run()
	)
	if closed_to:
		return frappe.utils.nowdate()
	period, closed = frappe.qb.DocType("Accounting Period"), frappe.qb.DocType("Closed Document")
	in_closed_period = (
		frappe.qb.from_(period)
		.join(closed)
		.on(closed.parent == period.name)
		.select(period.name)
		.where(
			(period.company == company)
			& (period.start_date <= date)
			& (period.end_date >= date)
			& (closed.document_type == "Journal Entry")
			& (closed.closed == 1)
		)
		.limit(1)
		.run()
	)
	return frappe.utils.nowdate() if in_closed_period else str(date)
