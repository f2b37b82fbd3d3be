"""Commission status from the ledger, payable dates, and partner payouts through Payment Entries.

The Payment Ledger is the truth: an accrual's outstanding is what its Journal Entry still owes the
partner after payments and clawbacks (clawback journals settle against the accrual they reverse). Status
follows: Accrued -> Payable (holding period over, approved if required) -> Partly Paid / Paid, or
Reversed when clawed back in full.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app.compat import tax_withholding_details
from prm_app.ledger.commission_journal import journal_settlement
from prm_app.permissions import require_manager

EPSILON = 0.005


def settings():
	return frappe.get_cached_doc("PRM Settings")


def payable_on(posting_date) -> str:
	return add_days(posting_date, int(settings().holding_days or 0))


def is_payable(commission, on_date=None) -> bool:
	"""Holding period over and, when PRM Settings require it or the commission needs review (a special
	price, issue 15), approved."""
	if not commission.payable_on or getdate(commission.payable_on) > getdate(on_date or nowdate()):
		return False
	if commission.get("needs_review") and not commission.approved:
		return False
	return bool(commission.approved) or not settings().require_approval


def commission_status(commission, settlement: frappe._dict) -> str:
	if commission.docstatus == 0:
		return "Draft"
	if commission.docstatus == 2:
		return "Cancelled"
	total = flt(commission.total)
	if total < 0:  # a clawback: settled once nothing of it is open any more
		return "Paid" if settlement.outstanding > -EPSILON else "Payable"
	if settlement.clawed_back >= total - EPSILON and total > 0:
		return "Reversed"
	if settlement.paid > EPSILON:
		return "Paid" if settlement.outstanding <= EPSILON else "Partly Paid"
	return "Payable" if is_payable(commission) else "Accrued"


def refresh_commission(name: str) -> None:
	"""Recompute a commission's paid / outstanding / status from the Payment Ledger."""
	commission = frappe.db.get_value(
		"Partner Commission",
		name,
		[
			"name",
			"docstatus",
			"total",
			"journal_entry",
			"against_commission",
			"payable_on",
			"approved",
			"needs_review",
			"status",
		],
		as_dict=True,
	)
	if not commission:
		return
	settlement = journal_settlement(commission.journal_entry)
	outstanding = settlement.outstanding
	# a clawback is "paid" as far as it has settled (against its accrual, or netted in a payout)
	paid = settlement.paid if flt(commission.total) >= 0 else flt(commission.total) - outstanding
	frappe.db.set_value(
		"Partner Commission",
		name,
		{
			"status": commission_status(commission, settlement),
			"paid_amount": flt(paid, 2),
			"outstanding_amount": flt(outstanding, 2) if commission.docstatus == 1 else 0,
		},
		update_modified=False,
	)


def refresh_for_journals(journals: list[str]) -> None:
	"""After a payment or clawback touched these commission journals, refresh their commissions and the
	clawbacks against them."""
	journals = [j for j in set(journals) if j]
	if not journals:
		return
	accruals = frappe.get_all("Partner Commission", filters={"journal_entry": ("in", journals)}, pluck="name")
	clawbacks = frappe.get_all(
		"Partner Commission",
		filters={"against_commission": ("in", accruals or [""]), "docstatus": 1},
		pluck="name",
	)
	for name in accruals + clawbacks:
		refresh_commission(name)


def mark_payable() -> None:
	"""Daily: commissions whose holding period ended become Payable (when approval is required, the
	approved ones; approving refreshes the commission itself)."""
	filters = {"docstatus": 1, "status": "Accrued", "payable_on": ("<=", nowdate())}
	if settings().require_approval:
		filters["approved"] = 1
	for name in frappe.get_all("Partner Commission", filters=filters, pluck="name"):
		refresh_commission(name)


@frappe.whitelist(methods=["POST"])
def approve_commissions(names: list[str] | str) -> int:
	"""A Partner Manager approves accrued commissions (when PRM Settings require approval)."""
	if isinstance(names, str):
		names = frappe.parse_json(names)
	count = 0
	for name in names:
		doc = frappe.get_doc("Partner Commission", name)
		doc.check_permission("read")  # the role below grants approval, not sight of other companies
		# approval is the channel's decision: a Partner Manager's, not an accountant's who may post and pay
		require_manager(_("Only a Partner Manager can approve commission {0}.").format(name))
		if doc.docstatus != 1 or doc.approved:
			continue
		doc.db_set({"approved": 1, "approved_by": frappe.session.user})
		refresh_commission(name)
		count += 1
	return count


# --- payouts ---------------------------------------------------------------------------------------------


def outstanding_by_journal(supplier: str, company: str, journals: list[str]) -> dict[str, float]:
	if not journals:
		return {}
	ple = frappe.qb.DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(ple.against_voucher_no, frappe.query_builder.functions.Sum(ple.amount))
		.where(
			(ple.company == company)
			& (ple.party_type == "Supplier")
			& (ple.party == supplier)
			& (ple.against_voucher_type == "Journal Entry")
			& (ple.against_voucher_no.isin(journals))
			& (ple.delinked == 0)
		)
		.groupby(ple.against_voucher_no)
		.run()
	)
	return {journal: flt(amount, 2) for journal, amount in rows}


def payout_candidates(
	partner: str, company: str, supplier: str, to_date, on_date, exclude_payout=None
) -> list[dict]:
	"""Accrual journals of the partner with something outstanding: payable ones (holding period over,
	approved if required) with what they still owe, and any that clawbacks took below zero (netted)."""
	# held by a submitted payout whose Payment Entry is still a draft (not yet in the ledger)
	payout, row = frappe.qb.DocType("Partner Payout"), frappe.qb.DocType("Partner Payout Commission")
	held = set(
		frappe.qb.from_(row)
		.join(payout)
		.on(payout.name == row.parent)
		.select(row.partner_commission)
		.where(
			(payout.partner == partner)
			& (payout.docstatus == 1)
			& (payout.status != "Paid")
			& (payout.name != (exclude_payout or ""))
		)
		.run(pluck=True)
	)
	commissions = frappe.get_all(
		"Partner Commission",
		filters={
			"partner": partner,
			"company": company,
			"docstatus": 1,
			"journal_entry": ("is", "set"),
			"posting_date": ("<=", to_date),
		},
		fields=[
			"name",
			"posting_date",
			"sales_invoice",
			"journal_entry",
			"payable_on",
			"approved",
			"needs_review",
			"status",
		],
		order_by="posting_date, name",
	)
	outstanding = outstanding_by_journal(supplier, company, [c.journal_entry for c in commissions])
	rows, paying = [], []
	for c in commissions:
		amount = outstanding.get(c.journal_entry, 0.0)
		if abs(amount) < EPSILON or c.name in held:
			continue
		if amount > 0 and not is_payable(c, on_date):
			continue  # still held (holding period or approval); it carries to a later payout
		row = {
			"partner_commission": c.name,
			"posting_date": c.posting_date,
			"sales_invoice": c.sales_invoice,
			"journal_entry": c.journal_entry,
			"is_clawback": 1 if amount < 0 else 0,
			"amount": amount,
		}
		rows.append(row)
		if amount > 0:
			paying.append(row)
	return add_netted_clawbacks(rows, paying, partner, company, supplier, to_date, exclude_payout)


def add_netted_clawbacks(rows, paying, partner, company, supplier, to_date, exclude_payout=None) -> list:
	"""A clawback of a commission not yet paid settles against that commission's journal when it is
	posted, so the journal's outstanding is already net of it: the payout shows the commission before
	the clawback and the clawback as its own (netted) row, so Commission, Clawbacks and Net say what
	happened. Clawbacks shown in another payout are not shown again."""
	if not paying:
		return rows
	ple, pc = frappe.qb.DocType("Payment Ledger Entry"), frappe.qb.DocType("Partner Commission")
	netted = (
		frappe.qb.from_(ple)
		.join(pc)
		.on((pc.journal_entry == ple.voucher_no) & (pc.company == ple.company))
		.select(
			ple.against_voucher_no.as_("against"),
			pc.name,
			pc.posting_date,
			pc.sales_invoice,
			pc.journal_entry,
			pc.partner_payout,
			frappe.query_builder.functions.Sum(ple.amount).as_("amount"),
		)
		.where(
			(ple.company == company)
			& (ple.party_type == "Supplier")
			& (ple.party == supplier)
			& (ple.voucher_type == "Journal Entry")
			& (ple.against_voucher_type == "Journal Entry")
			& (ple.against_voucher_no.isin([r["journal_entry"] for r in paying]))
			& (ple.voucher_no != ple.against_voucher_no)
			& (ple.delinked == 0)
			& (ple.posting_date <= to_date)
			& (pc.partner == partner)
			& (pc.docstatus == 1)
			& (pc.total < 0)
		)
		.groupby(ple.against_voucher_no, pc.name)
		.orderby(pc.posting_date)
		.orderby(pc.name)
		.run(as_dict=True)
	)
	shown_elsewhere = set(
		frappe.get_all(
			"Partner Payout",
			filters={
				"name": ("in", [n.partner_payout for n in netted if n.partner_payout] or [""]),
				"docstatus": 1,
			},
			pluck="name",
		)
	) - {exclude_payout}
	by_journal = {r["journal_entry"]: r for r in paying}
	for n in netted:
		amount = flt(n.amount, 2)
		if amount >= 0 or n.partner_payout in shown_elsewhere:
			continue
		by_journal[n.against]["amount"] = flt(by_journal[n.against]["amount"] - amount, 2)
		rows.append(
			{
				"partner_commission": n.name,
				"posting_date": n.posting_date,
				"sales_invoice": n.sales_invoice,
				"journal_entry": n.journal_entry,
				"is_clawback": 1,
				"netted": 1,
				"amount": amount,
			}
		)
	return rows


def make_payment_entry(payout):
	"""The payout's Payment Entry: Pay the partner's supplier from the payout account, allocated against
	each commission journal (clawbacks that took a journal below zero are allocated negative, so they
	net). The supplier's Tax Withholding Category applies. Draft for review unless PRM Settings submit."""
	from prm_app.ledger.commission_journal import commission_accounts

	accounts = commission_accounts(payout.company)
	pe = frappe.new_doc("Payment Entry")
	pe.update(
		{
			"payment_type": "Pay",
			"company": payout.company,
			"posting_date": payout.posting_date,
			"mode_of_payment": payout.mode_of_payment,
			"party_type": "Supplier",
			"party": payout.supplier,
			"paid_from": payout.payment_account,
			"paid_to": accounts.payable,
			"paid_amount": payout.net_amount,
			"received_amount": payout.net_amount,
			"source_exchange_rate": 1,
			"target_exchange_rate": 1,
			"reference_no": payout.name,
			"reference_date": payout.posting_date,
			"remarks": _("Partner payout {0} for {1}, {2} to {3}").format(
				payout.name, payout.partner, payout.from_date, payout.to_date
			),
			"prm_partner_payout": payout.name,
		}
	)
	add_tax_withholding(pe, payout)
	for (doctype, name), amount in net_clawbacks(payout).items():
		pe.append(
			"references",
			{"reference_doctype": doctype, "reference_name": name, "allocated_amount": amount},
		)
	pe.setup_party_account_field()
	pe.set_missing_values()
	pe.flags.ignore_permissions = True
	pe.insert()
	if settings().submit_payment_entries:
		pe.submit()
	return pe


def net_clawbacks(payout) -> dict[tuple[str, str], float]:
	"""Settle the payout's open clawbacks against its commissions, as ERPNext's Payment Reconciliation
	allocates a debit journal to a credit one; returns what each commission journal (and fund claim
	invoice) still owes, keyed by (doctype, name), which the Payment Entry pays."""
	from erpnext.accounts.utils import reconcile_against_document

	from prm_app.ledger.commission_journal import commission_accounts

	# what each commission journal owes now (its row shows it before the clawbacks netted in it)
	owed = {
		("Journal Entry", journal): amount
		for journal, amount in outstanding_by_journal(
			payout.supplier,
			payout.company,
			[r.journal_entry for r in payout.commissions if flt(r.amount) > 0],
		).items()
		if amount > 0
	}
	# approved fund claims' Purchase Invoices are paid together with the commissions (Channel Funds)
	owed.update(
		{("Purchase Invoice", r.purchase_invoice): flt(r.amount) for r in payout.get("fund_claims") or []}
	)
	payable = commission_accounts(payout.company).payable
	for clawback in [r for r in payout.commissions if flt(r.amount) < 0 and not r.netted]:
		for target in list(owed):
			detail = open_debit_row(clawback.journal_entry, payable, payout.supplier)
			if not detail:
				break
			allocated = min(flt(detail.amount), owed[target])
			if allocated <= 0:
				continue
			reconcile_against_document(
				[
					frappe._dict(
						voucher_type="Journal Entry",
						voucher_no=clawback.journal_entry,
						voucher_detail_no=detail.name,
						against_voucher_type=target[0],
						against_voucher=target[1],
						account=payable,
						party_type="Supplier",
						party=payout.supplier,
						dr_or_cr="debit_in_account_currency",
						unreconciled_amount=flt(detail.amount),
						unadjusted_amount=flt(detail.amount),
						allocated_amount=allocated,
						difference_amount=0,
						exchange_rate=1,
						is_advance="No",
						cost_center=detail.cost_center,
					)
				]
			)
			owed[target] = flt(owed[target] - allocated, 2)
	return {target: amount for target, amount in owed.items() if amount > 0}


def open_debit_row(journal_entry: str, payable: str, supplier: str) -> frappe._dict | None:
	"""The unallocated payable debit of a clawback journal (what the partner still owes back)."""
	rows = frappe.get_all(
		"Journal Entry Account",
		filters={
			"parent": journal_entry,
			"parenttype": "Journal Entry",
			"account": payable,
			"party_type": "Supplier",
			"party": supplier,
			"debit_in_account_currency": (">", 0),
		},
		fields=["name", "debit_in_account_currency as amount", "cost_center", "reference_type"],
	)
	return next((r for r in rows if not r.reference_type), None)


def add_tax_withholding(pe, payout) -> None:
	"""The supplier's Tax Withholding Category, deducted on the payout. ERPNext withholds on a Payment
	Entry only for advances and purchase orders, not for amounts allocated to journal entries, so the
	payout adds the deduction itself with the category's rate and account (ERPNext's own lookup) for the
	posting date; below the category's single-transaction threshold nothing is withheld."""
	category = frappe.db.get_value("Supplier", payout.supplier, "tax_withholding_category")
	if not category:
		return
	details = tax_withholding_details(category, payout.posting_date, payout.company, payout.supplier)
	if not details or not details.rate:
		frappe.throw(
			_("Tax Withholding Category {0} has no rate for {1} or no account for company {2}.").format(
				frappe.bold(category), frappe.format(payout.posting_date, "Date"), payout.company
			),
			title=_("Tax Withholding"),
		)
	if flt(details.threshold) and flt(payout.net_amount) < flt(details.threshold):
		return
	pe.tax_withholding_category = category
	pe.append(
		"taxes",
		{
			"charge_type": "On Paid Amount",
			"rate": details.rate,
			"add_deduct_tax": "Deduct",
			"account_head": details.account_head,
			"description": details.description,
			"cost_center": frappe.get_cached_value("Company", payout.company, "cost_center"),
		},
	)


def on_unreconcile(doc, method=None):
	"""Unreconcile Payment on_submit: the commissions and fund claims the payment was taken off follow the
	Payment Ledger (open again), as on a payment's cancel."""
	from prm_app.channel_funds import claims

	rows = doc.get("allocations") or []
	# a clawback's journal taken off the accrual it was netted against: its own commission follows too
	own = [doc.voucher_no] if doc.voucher_type == "Journal Entry" else []
	refresh_for_journals([r.reference_name for r in rows if r.reference_doctype == "Journal Entry"] + own)
	claims.refresh_reimbursed([r.reference_name for r in rows if r.reference_doctype == "Purchase Invoice"])


def on_ledger_reposted(ple, method=None):
	"""Payment Ledger Entry on_submit, for a payment's ledger posted again after its submit (``adv_adj``, or
	an advance booked in a separate party account: ``compat.ledger_posted_by_reconciliation``):
	ERPNext's Payment Reconciliation saves the payment with its new allocation (its update-after-submit
	events run then, on the old ledger) and only afterwards posts its Payment Ledger again. The commissions
	and fund claims it is now allocated to follow that ledger here."""
	from prm_app.compat import ledger_posted_by_reconciliation

	if ple.party_type != "Supplier" or ple.delinked or not ledger_posted_by_reconciliation(ple):
		return
	if ple.against_voucher_no == ple.voucher_no:
		return  # the payment's own unallocated row
	# a clawback's journal netted against an accrual's journal or a claim's invoice: its own commission
	# follows too
	own = [ple.voucher_no] if ple.voucher_type == "Journal Entry" else []
	if ple.against_voucher_type == "Journal Entry":
		refresh_for_journals([ple.against_voucher_no, *own])
	elif ple.against_voucher_type == "Purchase Invoice":
		from prm_app.channel_funds import claims

		claims.refresh_reimbursed([ple.against_voucher_no])
		refresh_for_journals(own)


def refuse_reopening_a_left_supplier(pe, method=None):
	"""Payment Entry before_cancel (and a payout's cancel): a payment of commissions or fund claims on a
	supplier their partner has since left (``Partner.validate_supplier_change``) is not cancelled; it would
	open them again where no payout pays them (a payout pays the partner's current supplier only)."""
	if pe.get("party_type") == "Supplier" and pe.get("party"):
		refuse_on_left_supplier(
			pe.party, [(r.reference_doctype, r.reference_name) for r in pe.get("references") or []], pe.name
		)


def refuse_unreconciling_a_left_supplier(doc, method=None):
	"""Unreconcile Payment before_submit: the same for a payment taken off what it paid."""
	for row in doc.get("allocations") or []:
		if row.party_type == "Supplier" and row.party:
			refuse_on_left_supplier(
				row.party, [(row.reference_doctype, row.reference_name)], doc.voucher_no, unreconcile=True
			)


def refuse_cancelling_a_journal_on_a_left_supplier(je, method=None):
	"""Journal Entry before_cancel: a journal made in the desk paying commissions or fund claims on a
	supplier their partner has since left is not cancelled, as a Payment Entry (a commission's own journal
	follows its commission)."""
	if je.get("prm_partner_commission"):
		return
	for row in je.get("accounts") or []:
		if (
			row.party_type == "Supplier"
			and row.party
			and row.reference_type in ("Journal Entry", "Purchase Invoice")
		):
			refuse_on_left_supplier(row.party, [(row.reference_type, row.reference_name)], je.name)


def on_journal_change(je, method=None):
	"""Journal Entry submit / cancel / update after submit: commissions a journal made in the desk pays (a
	row against their Journal Entry) follow the Payment Ledger, as with a Payment Entry."""
	if je.get("prm_partner_commission"):
		return  # a commission's own journal: the commission refreshes itself and what it settles
	refresh_for_journals(
		[
			r.reference_name
			for r in je.get("accounts") or []
			if r.reference_type == "Journal Entry" and r.reference_name != je.name
		]
	)


def refuse_on_left_supplier(
	supplier: str, references: list[tuple[str, str]], voucher: str, unreconcile: bool = False
) -> None:
	"""Refuse when a commission journal or fund claim invoice among ``references`` is of a partner whose
	supplier is no longer ``supplier`` (``voucher`` being cancelled, or unreconciled)."""
	journals = [name for doctype, name in references if doctype == "Journal Entry"]
	invoices = [name for doctype, name in references if doctype == "Purchase Invoice"]
	partners = set()
	for doctype, field, names in (
		("Partner Commission", "journal_entry", journals),
		("Fund Claim", "purchase_invoice", invoices),
	):
		if names:
			partners.update(
				frappe.get_all(doctype, filters={field: ("in", names)}, pluck="partner", distinct=True)
			)
	for partner in sorted(partners):
		current = frappe.db.get_value("Partner", partner, "supplier")
		if current and current != supplier:
			message = (
				_(
					"Partner {0} has moved from supplier {1} to {2}: unreconciling {3} would open what it paid on {1} again, where no payout pays it. Move the partner back to {1} first."
				)
				if unreconcile
				else _(
					"Partner {0} has moved from supplier {1} to {2}: cancelling {3} would open what it paid on {1} again, where no payout pays it. Move the partner back to {1} first."
				)
			)
			frappe.throw(
				message.format(frappe.bold(partner), frappe.bold(supplier), frappe.bold(current), voucher),
				title=_("Partner Moved to Another Supplier"),
			)


def on_payment_change(pe, method=None):
	"""Payment Entry submit / cancel: commissions paid through it, and its payout, follow. A payout's
	Payment Entry may be cancelled on its own (the payout stays, unpaid, and can be cancelled or paid
	anew), so the payout's link does not block ERPNext's cancel."""
	if method == "on_cancel" and pe.get("prm_partner_payout"):
		pe.ignore_linked_doctypes = (*tuple(pe.get("ignore_linked_doctypes") or ()), "Partner Payout")
	journals = [r.reference_name for r in pe.references if r.reference_doctype == "Journal Entry"]
	refresh_for_journals(journals)
	if pe.get("prm_partner_payout"):
		frappe.get_doc("Partner Payout", pe.prm_partner_payout).refresh_payment()


# --- payout run --------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def create_payouts(company: str, from_date: str, to_date: str, posting_date: str | None = None) -> str:
	"""Start the payout run for a period (background job on the long queue; progress is published)."""
	frappe.has_permission("Partner Payout", "submit", throw=True)  # the run submits payouts and payments
	frappe.has_permission("Company", "read", company, throw=True)
	job_id = f"prm-payout-run-{company}-{from_date}-{to_date}"
	frappe.enqueue(
		"prm_app.payouts.run_payouts",
		queue="long",
		timeout=3600,
		job_id=job_id,
		deduplicate=True,
		company=company,
		from_date=from_date,
		to_date=to_date,
		posting_date=posting_date or nowdate(),
		user=frappe.session.user,
	)
	return job_id


def run_payouts(company, from_date, to_date, posting_date=None, user=None) -> dict:
	"""A payout per active partner with something payable; idempotent: a partner whose period already
	has a payout (draft or submitted) is skipped. One partner's error does not stop the others."""
	partners = frappe.get_all(
		"Partner",
		filters={"company": company, "status": "Active", "supplier": ("is", "set")},
		fields=["name", "supplier"],
	)
	result = {"created": [], "skipped": 0, "failed": []}
	for i, (partner, supplier) in enumerate((p.name, p.supplier) for p in partners):
		frappe.publish_progress(
			(i + 1) * 100 / max(len(partners), 1),
			title=_("Creating partner payouts"),
			description=partner,
		)
		if frappe.db.exists(
			"Partner Payout",
			{
				"partner": partner,
				"company": company,
				"docstatus": ("<", 2),
				"from_date": ("<=", to_date),
				"to_date": (">=", from_date),
			},
		):
			result["skipped"] += 1
			continue
		rows = payout_candidates(partner, company, supplier, to_date, posting_date or nowdate())
		net = flt(sum(flt(r["amount"]) for r in rows), 2)
		if not rows or net <= 0 or net < flt(settings().minimum_payout):
			result["skipped"] += 1  # nothing payable, or it carries forward
			continue
		savepoint = f"prm_payout_{i}"
		frappe.db.savepoint(savepoint)
		try:
			payout = frappe.get_doc(
				{
					"doctype": "Partner Payout",
					"partner": partner,
					"company": company,
					"from_date": from_date,
					"to_date": to_date,
					"posting_date": posting_date or nowdate(),
				}
			)
			payout.flags.ignore_permissions = True
			payout.insert()
			payout.submit()
			result["created"].append(payout.name)
		except Exception:
			frappe.db.rollback(save_point=savepoint)  # undo this partner only
			frappe.log_error(title=_("Partner payout failed for {0}").format(partner))
			result["failed"].append(partner)
	return result


def monthly_payout_run():
	"""Scheduler (monthly): payouts for the previous month, when PRM Settings ask for it."""
	if not settings().monthly_payout_run:
		return
	from frappe.utils import get_first_day, get_last_day

	last_month = add_days(get_first_day(nowdate()), -1)
	for company in frappe.get_all("Company", pluck="name"):
		run_payouts(company, get_first_day(last_month), get_last_day(last_month))
