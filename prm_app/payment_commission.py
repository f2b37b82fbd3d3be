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
from frappe.utils import flt, getdate

from prm_app import commissions
from prm_app.engine import CommissionLine, compute_commission, state_from_lines
from prm_app.engine.money import round_magnitude, to_decimal
from prm_app.engine.plans import period_key
from prm_app.ledger.commission_journal import journals_among, settlements_of

LINE_KEY = ("kind", "rule", "line_key", "bracket", "period")


def payment_plan(si):
	"""(partner, plan doc) when the invoice's partner is paid on payment; else None. A cancelled invoice
	still answers, so its commission can be taken back to zero."""
	if si.docstatus == 0 or si.is_return or not si.get("sales_partner"):
		return None
	if si.get("is_internal_customer") or si.get("is_consolidated") or si.get("is_opening") == "Yes":
		return None
	partner = commissions.partner_for(si)
	if not partner or partner.status != "Active":
		return None
	name = commissions.resolve_plan_name(partner)
	if not name:
		return None
	plan = frappe.get_cached_doc("Commission Plan", name)
	if plan.trigger != "On Payment" or not plan.enabled or plan.company != si.company:
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
	returns the Partner Commission posted (None when nothing changed)."""
	si = frappe.get_doc("Sales Invoice", si_name)
	found = payment_plan(si)
	if not found:
		return None
	partner, plan_doc = found
	commissions.commission_accounts(si.company)
	commissions.lock_partner(partner.name)
	plan = plan_doc.to_engine_plan(tiers=[partner.tier] if partner.tier else [])
	invoice = net_of_returns(si, partner, plan)
	period = period_key(plan.period, invoice.posting_date)
	state = state_from_lines(plan, commissions.period_lines(partner.name, plan_doc.name, {period}, si.name))
	full = compute_commission(plan, invoice, state)

	settled = settled_amounts(si) if si.docstatus == 1 else frappe._dict(paid=0, returned=0, written_off=0)
	collectable = invoice_total(si) - settled.returned  # written-off amounts stay unpaid: they never earn
	share = to_decimal(min(1.0, max(0.0, settled.paid / collectable))) if collectable > 0 else Decimal(0)
	if si.docstatus != 1:
		share = Decimal(0)
	precision, method = plan.money_precision, plan.rounding_method

	accrued = accrued_lines(si.name)
	target: dict[tuple, CommissionLine] = {}
	for line in full.lines:
		key = (
			commissions.KIND_LABELS[line.kind],
			line.rule,
			line.line_key,
			line.bracket,
			line.period,
		)
		target[key] = line
	deltas = []
	for key in list(target) + [k for k in accrued if k not in target]:
		line = target.get(key)
		earned = round_magnitude(line.amount * share, precision, method) if line else Decimal(0)
		before = accrued.get(key)
		change = earned - to_decimal(flt(before.amount, precision) if before else 0)
		if not change:
			continue
		base = (line.base * share if line else Decimal(0)) - to_decimal(flt(before.base) if before else 0)
		qty = (line.qty * share if line else Decimal(0)) - to_decimal(flt(before.qty) if before else 0)
		source_line = line or before
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
				explanation=_("{0}% of the invoice paid: {1}").format(
					flt(share * 100, 2), getattr(source_line, "explanation", "") or key[1]
				),
				item_code=source_line.item_code or "",
				item_group=source_line.item_group or "",
				line_key=key[2],
				bracket=key[3],
			)
		)
	if not deltas:
		return None
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
	return doc.name


def earned_on(source) -> str:
	"""The date a change of what an invoice earned is booked on: the date of the document that changed it
	(a payment, its cancel, a credit note, the invoice's own cancel: ERPNext reverses a cancelled document
	on its own date too); today when nothing names one (the daily sweep, an unreconciliation)."""
	date = source.get("posting_date") if source is not None else None
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
				"prm_app.payment_commission.recompute_invoice",
				si_name=name,
				enqueue_after_commit=True,
				job_id=f"prm-payment-commission-{name}",
				deduplicate=True,
			)
		else:
			recompute_invoice(name, source=doc)


def sweep():
	"""Daily: converge every invoice of an On Payment plan whose payments moved without an event
	(e.g. bank reconciliation tools); idempotent."""
	plans = frappe.get_all("Commission Plan", filters={"trigger": "On Payment", "enabled": 1}, pluck="name")
	if not plans:
		return
	for name in frappe.get_all(
		"Sales Invoice",
		filters={"docstatus": 1, "is_return": 0, "prm_partner": ("is", "set"), "modified": (">=", getdate())},
		pluck="name",
	):
		recompute_invoice(name)
