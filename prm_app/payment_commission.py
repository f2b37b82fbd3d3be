"""Commission on payment: plans with trigger On Payment earn in proportion to what the customer paid.

Nothing is added up from increments. Whenever an invoice's payments change (a Payment Entry or Journal
Entry submitted, cancelled or re-allocated, a payment unreconciled, a credit note), PRM recomputes from
the Payment Ledger what the invoice has earned so far and posts the difference from what was accrued:

    earned = the invoice's commission net of its credit notes (the engine, as if on invoice)
             x paid / (grand total - returned - written off)

so partial payments, cancellations and re-allocations always converge, and running it twice posts
nothing. Written-off amounts (Write Off Entry journals, the invoice's own write-off) never earn.
"""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate

from prm_app import commissions
from prm_app.engine import CommissionLine, PartnerState, compute_commission
from prm_app.engine.money import round_magnitude, to_decimal
from prm_app.engine.plans import period_key
from prm_app.ledger.commission_journal import journals_among, settlements_of

LINE_KEY = ("kind", "rule", "line_key", "bracket", "period")


def payment_plan(si):
	"""(partner, plan doc) when the invoice is paid on payment; else None. The plan and tier are the ones
	the invoice was submitted under (kept on it), whatever the partner's plan, tier or status is now, so a
	cancelled payment takes back exactly what it earned; a cancelled invoice still answers, so its
	commission can be taken back to zero."""
	if si.docstatus == 0 or si.is_return or not si.get("sales_partner"):
		return None
	if si.get("is_internal_customer") or si.get("is_consolidated") or si.get("is_opening") == "Yes":
		return None
	partner = commissions.partner_for(si)
	if not partner:
		return None
	name = si.get("prm_commission_plan")
	if name:
		partner = frappe._dict(partner, tier=si.get("prm_partner_tier"))
	else:  # submitted before the plan was kept on the invoice: the partner's current plan
		if partner.status != "Active":
			return None
		name = commissions.resolve_plan_name(partner)
		if not name or not frappe.get_cached_value("Commission Plan", name, "enabled"):
			return None
	plan = frappe.get_cached_doc("Commission Plan", name)
	if plan.trigger != "On Payment" or plan.company != si.company:
		return None
	return partner, plan


def settled_amounts(si) -> frappe._dict:
	"""What the customer paid, what credit notes returned and what was written off, in the invoice's
	party-account currency (the currency ``invoice_total`` is in), from the Payment Ledger."""
	rows = [r for r in settlements_of("Sales Invoice", si.name) if r.voucher_no != si.name]
	write_off_journals = journals_among(rows, {"voucher_type": "Write Off Entry"})
	own_write_off = si.write_off_amount if same_currency(si) else si.base_write_off_amount
	result = frappe._dict(paid=0.0, returned=0.0, written_off=flt(own_write_off))
	for row in rows:
		if row.voucher_type == "Sales Invoice":
			continue  # credit notes: counted from the returns themselves below
		if row.voucher_no in write_off_journals:
			result.written_off -= flt(row.amount_in_account_currency)
		else:
			result.paid -= flt(row.amount_in_account_currency)
	for amount in payment_write_offs(si, rows).values():
		result.paid -= amount  # a Payment Entry's write-off deduction settles the invoice, unpaid
		result.written_off += amount
	for total in frappe.get_all(
		"Sales Invoice",
		filters={"return_against": si.name, "docstatus": 1, "is_return": 1},
		fields=["grand_total", "rounded_total", "base_grand_total", "base_rounded_total", "currency"],
	):
		result.returned += abs(invoice_total(si, total))
	return result


def same_currency(si) -> bool:
	"""Whether the receivable is kept in the invoice's currency (else in the company's)."""
	return (si.party_account_currency or si.currency) == si.currency


def payment_write_offs(si, rows) -> dict[str, float]:
	"""Per Payment Entry among ``rows``, the part of what it allocated to the invoice that is a deduction to
	the company's write-off account (the customer paid less and the rest was written off in the payment),
	in the receivable's currency: the deduction in proportion to the payment's allocation to the invoice."""
	payments = [r.voucher_no for r in rows if r.voucher_type == "Payment Entry"]
	write_off_account = frappe.get_cached_value("Company", si.company, "write_off_account")
	if not payments or not write_off_account:
		return {}
	deductions: dict[str, float] = {}
	for d in frappe.get_all(
		"Payment Entry Deduction",
		filters={"parent": ("in", payments), "parenttype": "Payment Entry", "account": write_off_account},
		fields=["parent", "amount"],
	):
		deductions[d.parent] = deductions.get(d.parent, 0.0) + flt(d.amount)
	out = {}
	for payment, deduction in deductions.items():
		allocated = frappe.get_all(
			"Payment Entry Reference",
			filters={"parent": payment, "parenttype": "Payment Entry"},
			fields=["reference_doctype", "reference_name", "allocated_amount"],
		)
		total = sum(flt(a.allocated_amount) for a in allocated)
		mine = sum(
			flt(a.allocated_amount)
			for a in allocated
			if a.reference_doctype == "Sales Invoice" and a.reference_name == si.name
		)
		company_currency = frappe.get_cached_value("Company", si.company, "default_currency")
		rate = 1.0
		if (si.party_account_currency or company_currency) != company_currency:
			rate = flt(frappe.db.get_value("Payment Entry", payment, "source_exchange_rate")) or 1.0
		if total and mine:
			out[payment] = deduction / rate * mine / total  # deductions are in company currency
	return out


def invoice_total(si, values=None) -> float:
	"""The invoice's total in its party-account currency, the Payment Ledger's account currency."""
	values = values or si
	if same_currency(si):
		return flt(values.rounded_total or values.grand_total)
	return flt(values.base_rounded_total or values.base_grand_total)


def net_of_returns(si, partner, plan):
	"""The engine invoice less what its credit notes returned, line by line (quantities and bases)."""
	invoice = commissions.engine_invoice(si, partner, plan)
	returned: dict[str, Decimal] = {}
	for name in frappe.get_all(
		"Sales Invoice", filters={"return_against": si.name, "docstatus": 1, "is_return": 1}, pluck="name"
	):
		for item in frappe.get_doc("Sales Invoice", name).items:
			key = item.sales_invoice_item or next(
				(ln.line_id for ln in invoice.lines if ln.item_code == item.item_code), ""
			)
			returned[key] = returned.get(key, Decimal(0)) + to_decimal(-flt(item.qty))
	if not returned:
		return invoice
	from dataclasses import replace

	lines = []
	for line in invoice.lines:
		gone = min(returned.get(line.line_id, Decimal(0)), line.qty)
		if gone and line.qty:
			share = (line.qty - gone) / line.qty
			line = replace(
				line,
				qty=line.qty - gone,
				base_net_amount=line.base_net_amount * share,
				cost=None if line.cost is None else line.cost * share,
			)
		lines.append(line)
	return replace(invoice, lines=tuple(lines))


def accrued_lines(si_name: str) -> dict[tuple, frappe._dict]:
	rows = frappe.db.sql(
		"""select l.kind, l.rule, l.line_key, l.bracket, l.period, l.item_code, l.item_group, l.rate_type,
			l.rate, l.cost_center, sum(l.base) as base, sum(l.qty) as qty, sum(l.amount) as amount
		from `tabPartner Commission Line` l join `tabPartner Commission` c on c.name = l.parent
		where c.sales_invoice = %s and c.docstatus = 1 and l.parenttype = 'Partner Commission'
		group by l.kind, l.rule, l.line_key, l.bracket, l.period""",
		si_name,
		as_dict=True,
	)
	return {tuple(r[k] or "" for k in LINE_KEY): r for r in rows}


def recompute_invoice(si_name: str, source=None) -> str | None:
	"""Post the difference between what the invoice has earned by its payments and what was accrued;
	returns the Partner Commission posted for it (None when nothing changed).

	A plan with brackets or a cap per period pays on the period's *paid* volume: every invoice of the
	partner's period under the plan is recomputed in order (posting date, name), each on the paid share of
	its lines after the ones before it, so the period's commission is the brackets (and cap) applied to
	what was paid, whatever the order of the payments."""
	si = frappe.get_doc("Sales Invoice", si_name)
	found = payment_plan(si)
	if not found:
		return None
	partner, plan_doc = found
	commissions.commission_accounts(si.company)
	commissions.lock_partner(partner.name)
	plans: dict[str, object] = {}

	def engine_plan(tier):
		if tier not in plans:
			plans[tier] = plan_doc.to_engine_plan(tiers=[tier] if tier else [])
		return plans[tier]

	plan = engine_plan(partner.tier or "")
	period_rules = {r.name for r in plan.rules if r.brackets or r.cap_per_period is not None}
	if not period_rules:
		return post_earned(si, partner, plan_doc, plan, PartnerState(), source, period_rules)[0]
	period = period_key(plan.period, getdate(si.posting_date))
	names = period_invoices(partner.name, plan_doc.name, period) | {si.name}
	ordered = frappe.get_all(
		"Sales Invoice",
		filters={"name": ("in", sorted(names))},
		fields=["name", "posting_date", "prm_partner_tier", "prm_commission_plan"],
		order_by="posting_date asc, name asc",
	)
	state, posted = PartnerState(), None
	for row in ordered:
		doc = si if row.name == si.name else frappe.get_doc("Sales Invoice", row.name)
		tier = row.prm_partner_tier if row.prm_commission_plan else partner.tier
		name, state = post_earned(
			doc,
			frappe._dict(partner, tier=tier),
			plan_doc,
			engine_plan(tier or ""),
			state,
			source,
			period_rules,
		)
		if row.name == si.name:
			posted = name
	return posted


def period_invoices(partner: str, plan: str, period: str) -> set[str]:
	"""The invoices that hold commission of the partner under the plan in the period."""
	pc, line = frappe.qb.DocType("Partner Commission"), frappe.qb.DocType("Partner Commission Line")
	return set(
		frappe.qb.from_(pc)
		.join(line)
		.on(line.parent == pc.name)
		.select(pc.sales_invoice)
		.distinct()
		.where(
			(pc.partner == partner)
			& (pc.commission_plan == plan)
			& (pc.docstatus == 1)
			& (line.parenttype == "Partner Commission")
			& (line.period == period)
		)
		.run(pluck=True)
	)


def paid_share(si) -> Decimal:
	"""What share of the invoice the customer has paid: paid / (total - credit notes), 0 to 1."""
	if si.docstatus != 1:
		return Decimal(0)
	settled = settled_amounts(si)
	collectable = invoice_total(si) - settled.returned  # written-off amounts stay unpaid: they never earn
	return to_decimal(min(1.0, max(0.0, settled.paid / collectable))) if collectable > 0 else Decimal(0)


def scaled(invoice, share: Decimal):
	"""The invoice's lines at ``share`` of their base and quantity: what has been paid of them."""
	from dataclasses import replace

	return replace(
		invoice,
		lines=tuple(
			replace(
				line,
				base_net_amount=line.base_net_amount * share,
				qty=line.qty * share,
				cost=None if line.cost is None else line.cost * share,
			)
			for line in invoice.lines
		),
	)


def post_earned(si, partner, plan_doc, plan, state, source, period_rules: set[str]):
	"""Post what one invoice earned by its payments less what was accrued for it; returns (the Partner
	Commission posted or None, the period state after the invoice). Rules without period effects earn
	their commission times the paid share; rules with brackets or a cap earn on the paid share of the
	lines, at the period's volume in ``state``."""
	invoice = net_of_returns(si, partner, plan)
	share = paid_share(si)
	precision, method = plan.money_precision, plan.rounding_method
	target: dict[tuple, dict] = {}

	def add(line, amount, base, qty, explanation):
		key = (commissions.KIND_LABELS[line.kind], line.rule, line.line_key, line.bracket, line.period)
		row = target.setdefault(
			key, {"line": line, "amount": Decimal(0), "base": Decimal(0), "qty": Decimal(0)}
		)
		row["amount"] += amount
		row["base"] += base
		row["qty"] += qty
		row["explanation"] = explanation

	percent = flt(share * 100, 2)
	for line in compute_commission(plan, invoice, state).lines:
		if line.rule not in period_rules:
			add(
				line,
				round_magnitude(line.amount * share, precision, method),
				line.base * share,
				line.qty * share,
				_("{0}% of the invoice paid: {1}").format(percent, line.explanation),
			)
	if period_rules:
		paid = compute_commission(plan, scaled(invoice, share), state)
		state = paid.state
		for line in paid.lines:
			if line.rule in period_rules:
				add(
					line,
					line.amount,
					line.base,
					line.qty,
					_("On the {0}% of the invoice paid: {1}").format(percent, line.explanation),
				)

	accrued = accrued_lines(si.name)
	deltas = []
	for key in list(target) + [k for k in accrued if k not in target]:
		row = target.get(key)
		before = accrued.get(key)
		change = (row["amount"] if row else Decimal(0)) - to_decimal(
			flt(before.amount, precision) if before else 0
		)
		if not change:
			continue
		base = (row["base"] if row else Decimal(0)) - to_decimal(flt(before.base) if before else 0)
		qty = (row["qty"] if row else Decimal(0)) - to_decimal(flt(before.qty) if before else 0)
		source_line = row["line"] if row else before
		deltas.append(
			CommissionLine(
				invoice=si.name,
				partner=partner.name,
				kind=commissions.KIND_CODES.get(key[0], "commission"),
				rule=key[1],
				period=key[4],
				rate_type=source_line.rate_type or "",
				rate=to_decimal(flt(source_line.rate)),
				base=base.quantize(Decimal("0.000001")),
				qty=qty.quantize(Decimal("0.000001")),
				amount=change,
				explanation=row["explanation"]
				if row
				else _("{0}% of the invoice paid: {1}").format(percent, before.explanation or key[1]),
				item_code=source_line.item_code or "",
				item_group=source_line.item_group or "",
				line_key=key[2],
				bracket=key[3],
			)
		)
	if not deltas:
		return None, state
	count = frappe.db.count("Partner Commission", {"sales_invoice": si.name})
	key = commissions.idempotency_key(si.name, partner.name, f"payment-{count + 1}")
	first = frappe.db.get_value(
		"Partner Commission",
		{"sales_invoice": si.name, "docstatus": 1, "total": (">", 0)},
		order_by="creation",
	)
	result = frappe._dict(lines=deltas, total=sum((d.amount for d in deltas), Decimal(0)))
	doc = commissions.make_commission(
		si,
		partner,
		plan_doc.name,
		plan,
		result,
		key,
		tier=partner.tier,
		against=first if result.total < 0 else None,
		source=source,
		posting_date=commissions.open_posting_date(si.company, earned_on(source)),
	)
	if si.docstatus == 1:
		commissions.sync_invoice_earned_so_far(si)
	return doc.name, state


def earned_on(source) -> str:
	"""The date a change of what an invoice earned is booked on: the date of the payment that changed it
	(its submit, cancel, unreconciliation or re-allocation: the Payment Ledger keeps the payment's date),
	of the credit note, or of the invoice's own cancel (ERPNext reverses a cancelled document on its own
	date too); today only when nothing names one (the daily sweep)."""
	if source is None:
		return frappe.utils.nowdate()
	date = source.get("posting_date")
	if not date and source.get("voucher_type") and source.get("voucher_no"):  # an Unreconcile Payment
		date = frappe.db.get_value(source.voucher_type, source.voucher_no, "posting_date")
	return str(getdate(date)) if date else frappe.utils.nowdate()


def affected_invoices(doc) -> set[str]:
	if doc.doctype == "Payment Entry":
		return {r.reference_name for r in doc.references if r.reference_doctype == "Sales Invoice"}
	if doc.doctype == "Journal Entry":
		if doc.get("prm_partner_commission"):
			return set()  # our own commission journals
		return {
			r.reference_name for r in doc.accounts if r.reference_type == "Sales Invoice" and r.reference_name
		}
	if doc.doctype == "Unreconcile Payment":
		return {
			r.reference_name for r in doc.get("allocations", []) if r.reference_doctype == "Sales Invoice"
		}
	if doc.doctype == "Sales Invoice" and doc.is_return and doc.return_against:
		return {doc.return_against}
	return set()


def on_payment_event(doc, method=None):
	"""doc_events of Payment Entry, Journal Entry, Unreconcile Payment and Sales Invoice. On submit and
	cancel the Payment Ledger is final when this runs; a re-allocation (update after submit, as Payment
	Reconciliation does) rebuilds it afterwards, so that one is recomputed after the commit."""
	names = affected_invoices(doc)
	if doc.doctype == "Sales Invoice" and method == "on_cancel" and not doc.is_return:
		names.add(doc.name)
	if method == "on_cancel" and doc.doctype != "Sales Invoice":
		# commissions that name this payment as their source stay: their own reversal is posted below
		doc.ignore_linked_doctypes = (*tuple(doc.get("ignore_linked_doctypes") or ()), "Partner Commission")
	for name in sorted(names):
		if method == "on_update_after_submit":
			frappe.enqueue(
				"prm_app.payment_commission.recompute_after_reallocation",
				si_name=name,
				source_doctype=doc.doctype,
				source_name=doc.name,
				enqueue_after_commit=True,
				job_id=f"prm-payment-commission-{name}",
				deduplicate=True,
			)
		else:
			recompute_invoice(name, source=doc)


def recompute_after_reallocation(si_name: str, source_doctype: str, source_name: str):
	"""Background: after a payment was re-allocated (Payment Reconciliation), dated by that payment."""
	source = frappe.db.get_value(source_doctype, source_name, ["name", "posting_date"], as_dict=True)
	if source:
		source.doctype = source_doctype
	recompute_invoice(si_name, source=source)


def sweep():
	"""Daily: converge every invoice of an On Payment plan whose payments moved without an event
	(e.g. bank reconciliation tools); idempotent."""
	plans = frappe.get_all("Commission Plan", filters={"trigger": "On Payment", "enabled": 1}, pluck="name")
	if not plans:
		return
	for name in frappe.get_all(
		"Sales Invoice",
		filters={
			"docstatus": 1,
			"is_return": 0,
			"prm_partner": ("is", "set"),
			"modified": (">=", add_days(getdate(), -2)),
		},
		pluck="name",
	):
		recompute_invoice(name)
