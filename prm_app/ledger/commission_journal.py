"""The only code that writes commission Journal Entries.

An accrual: Dr commission expense (the invoice line's cost center), Cr commission payable with party
Supplier = the partner's supplier and no reference, so the entry is an open payable of that supplier in
Accounts Payable, Payment Entry and Payment Reconciliation. A clawback is the mirror image.
"""

from __future__ import annotations

from types import SimpleNamespace

import frappe
from frappe import _
from frappe.utils import flt

from prm_app.engine import EngineError, journal_draft
from prm_app.engine.money import to_decimal
from prm_app.utils import company_currency_precision, engine_error_message


def commission_accounts(company: str) -> frappe._dict:
	"""The company's commission accounts, with a clear error naming what is missing."""
	values = frappe.get_cached_value(
		"Company",
		company,
		[
			"prm_commission_expense_account",
			"prm_commission_payable_account",
			"prm_commission_cost_center",
			"cost_center",
		],
		as_dict=True,
	)
	missing = [
		label
		for field, label in (
			("prm_commission_expense_account", _("Commission Expense Account")),
			("prm_commission_payable_account", _("Commission Payable Account")),
		)
		if not values.get(field)
	]
	if missing:
		frappe.throw(
			_(
				"Set the {0} on Company {1} (section Partner Commission) before commissions can be posted."
			).format(_(" and ").join(missing), frappe.bold(company)),
			title=_("Commission Accounts Missing"),
		)
	payable_type = frappe.get_cached_value("Account", values.prm_commission_payable_account, "account_type")
	if payable_type != "Payable":
		frappe.throw(
			_("Commission Payable Account {0} must be of type Payable.").format(
				frappe.bold(values.prm_commission_payable_account)
			),
			title=_("Invalid Commission Account"),
		)
	return frappe._dict(
		expense=values.prm_commission_expense_account,
		payable=values.prm_commission_payable_account,
		cost_center=values.prm_commission_cost_center or values.cost_center,
	)


def dimension_fields() -> list[str]:
	"""The accounting dimensions a commission line carries from its invoice line to the expense: the
	project and every enabled custom dimension (each a field of Partner Commission Line)."""
	from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import get_accounting_dimensions

	meta = frappe.get_meta("Partner Commission Line")
	return [f for f in ("project", *get_accounting_dimensions()) if meta.has_field(f)]


def post_commission_journal(commission) -> str | None:
	"""Create and submit the Journal Entry of a submitted Partner Commission; returns its name."""
	if not commission.supplier:
		frappe.throw(
			_("Partner {0} has no Supplier to pay commission to.").format(frappe.bold(commission.partner)),
			title=_("Supplier Missing"),
		)
	accounts = commission_accounts(commission.company)
	precision = company_currency_precision(commission.company)
	lines = [
		SimpleNamespace(
			amount=to_decimal(flt(row.amount, precision)).quantize(to_decimal(10) ** -precision),
			line_key=row.name,
			invoice=commission.name,
		)
		for row in commission.lines
	]
	fields = dimension_fields()
	try:
		rows = journal_draft(
			lines,
			expense_account=accounts.expense,
			payable_account=accounts.payable,
			party=commission.supplier,
			precision=precision,
			cost_centers={row.name: row.cost_center for row in commission.lines if row.cost_center},
			default_cost_center=accounts.cost_center,
			dimensions={
				row.name: tuple(sorted((f, row.get(f)) for f in fields if row.get(f)))
				for row in commission.lines
			},
		)
	except EngineError as e:
		frappe.throw(engine_error_message(e), title=_("Commission Not Posted"))
	if not rows:
		return None
	targets = settlement_targets(commission)
	je = frappe.new_doc("Journal Entry")
	je.update(
		{
			"voucher_type": "Journal Entry",
			"company": commission.company,
			"posting_date": commission.posting_date,
			"cheque_no": commission.sales_invoice or commission.name,
			"cheque_date": commission.posting_date,
			"pay_to_recd_from": commission.partner,
			"user_remark": _("{0} {1} for partner {2} on {3}").format(
				_("Commission clawback") if commission.total < 0 else _("Partner commission"),
				commission.name,
				commission.partner,
				commission.sales_invoice or "-",
			),
			"prm_partner_commission": commission.name,
			# Accounts Payable ages an accrual from when it may be paid (after the holding period)
			"due_date": commission.payable_on if commission.total > 0 else commission.posting_date,
		}
	)
	payable_dimensions = dict(shared_dimensions(commission, rows))
	for row in rows:
		entry = {
			"account": row.account,
			"debit_in_account_currency": float(row.debit),
			"credit_in_account_currency": float(row.credit),
			**(payable_dimensions if row.party else dict(row.dimensions)),
		}
		if row.party:
			entry.update(party_type="Supplier", party=row.party)
			if row.debit and targets:
				# A clawback settles against the accruals it reverses, as a credit note against its invoice,
				# as far as they are still unpaid; the rest stays an open debit of the partner, which the
				# next payout nets against new commission.
				rest = settle_against(je, entry, flt(row.debit), targets, precision)
				if not rest:
					continue
				entry["debit_in_account_currency"] = rest
		else:
			entry["cost_center"] = row.cost_center or accounts.cost_center
		je.append("accounts", entry)
	# ERPNext fills each row's "against" (the General Ledger's Against Account) only while a journal is a
	# draft; this one is inserted as submitted, so fill it the same way here (amounts in company currency)
	for account_row in je.accounts:
		account_row.debit = account_row.debit_in_account_currency
		account_row.credit = account_row.credit_in_account_currency
	je.set_against_account()
	je.flags.ignore_permissions = True
	je.docstatus = 1  # inserted as submitted: one write instead of insert + submit
	je.insert()
	return je.name


def settlement_targets(commission) -> list[str]:
	"""The accrual journals a clawback settles against, in order: the one of the commission it reverses,
	then the other accruals of the same document (an On Payment invoice accrues once per payment, and
	cancelling it takes back all of them)."""
	journals = [accrual_journal_of(commission.against_commission)]
	if commission.against_commission and commission.sales_invoice:
		journals += frappe.get_all(
			"Partner Commission",
			filters={
				"sales_invoice": commission.sales_invoice,
				"partner": commission.partner,
				"docstatus": 1,
				"total": (">", 0),
				"journal_entry": ("is", "set"),
				"name": ("not in", [commission.against_commission, commission.name]),
			},
			order_by="creation",
			pluck="journal_entry",
		)
	return [j for j in dict.fromkeys(journals) if j]


def settle_against(je, entry: dict, amount: float, journals: list[str], precision: int) -> float:
	"""Append payable debit rows of ``amount`` referencing ``journals`` as far as each is still open;
	returns what is left (an open debit). Outstanding amounts are compared at the currency's precision:
	a float residue of a paid journal is nothing open."""
	for journal in journals:
		if amount <= 0:
			break
		settled = flt(min(amount, max(0.0, journal_settlement(journal).outstanding)), precision)
		if settled <= 0:
			continue
		je.append(
			"accounts",
			{
				**entry,
				"debit_in_account_currency": settled,
				"reference_type": "Journal Entry",
				"reference_name": journal,
			},
		)
		amount = flt(amount - settled, precision)
	return amount


def shared_dimensions(commission, rows) -> set[tuple[str, str]]:
	"""The payable's accounting dimensions: those all of the expense shares (an invoice's project, say);
	where the expense rows differ, the invoice's own, as ERPNext books its receivable."""
	expense = [set(row.dimensions) for row in rows if not row.party]
	if not expense:
		return set()
	shared = set.intersection(*expense)
	differing = {field for dims in expense for field, _value in dims} - {field for field, _value in shared}
	if differing and commission.sales_invoice:
		header = frappe.db.get_value(
			"Sales Invoice", commission.sales_invoice, sorted(differing), as_dict=True
		)
		shared |= {(field, value) for field, value in (header or {}).items() if value}
	return shared


def cancel_commission_journal(commission) -> None:
	if not commission.journal_entry:
		return
	je = frappe.get_doc("Journal Entry", commission.journal_entry)
	if je.docstatus == 1:
		je.flags.ignore_permissions = True
		je.cancel()


def accrual_journal_of(commission: str | None) -> str | None:
	"""The submitted Journal Entry of an accrual commission (what its clawbacks settle against)."""
	if not commission:
		return None
	journal = frappe.db.get_value("Partner Commission", commission, "journal_entry")
	if journal and frappe.db.get_value("Journal Entry", journal, "docstatus") == 1:
		return journal
	return None


def journal_settlement(journal_entry: str | None) -> frappe._dict:
	"""From the Payment Ledger, what happened to a commission Journal Entry's payable: ``outstanding``
	(positive: owed to the partner), ``paid`` (settled by payments, or netted in a payout against another
	commission's clawback) and ``clawed_back`` (settled by the clawbacks of this very commission: its
	credit notes and reversals). A Payment Ledger amount on a payable is positive for what is owed and
	negative for what settles it."""
	result = frappe._dict(outstanding=0.0, paid=0.0, clawed_back=0.0)
	if not journal_entry:
		return result
	rows = settlements_of("Journal Entry", journal_entry)
	clawback_journals = own_clawback_journals(journal_entry, rows)
	for row in rows:
		result.outstanding += flt(row.amount)
		if row.voucher_no == journal_entry:
			continue
		if row.voucher_type == "Journal Entry" and row.voucher_no in clawback_journals:
			result.clawed_back -= flt(row.amount)
		else:
			result.paid -= flt(row.amount)
	# sums of floats carry residue (8.88e-16 left of a paid journal): money is compared at its precision
	precision = ledger_precision()
	return frappe._dict({key: flt(value, precision) + 0.0 for key, value in result.items()})


def ledger_precision() -> int:
	"""The precision of Payment Ledger amounts (the system's currency precision)."""
	return frappe.get_precision("Payment Ledger Entry", "amount") or 2


def clawback_netted(journal_entry: str | None, accrual_journal: str | None) -> float:
	"""How much of a clawback journal's debit was netted in a payout (set against an accrual journal other
	than the one of the commission it reverses): for the partner, that clawback is paid."""
	if not journal_entry:
		return 0.0
	rows = frappe.get_all(
		"Journal Entry Account",
		filters={
			"parent": journal_entry,
			"parenttype": "Journal Entry",
			"party_type": "Supplier",
			"reference_type": "Journal Entry",
			"reference_name": ("!=", accrual_journal or ""),
		},
		fields=["debit_in_account_currency"],
	)
	return flt(sum(flt(r.debit_in_account_currency) for r in rows), ledger_precision())


def own_clawback_journals(journal_entry: str, rows: list[frappe._dict]) -> set[str]:
	"""Among the journals that settled ``journal_entry``, those of clawbacks of its own commission: its
	credit notes and reversals, and the take-backs of the same document (On Payment)."""
	names = [
		r.voucher_no for r in rows if r.voucher_type == "Journal Entry" and r.voucher_no != journal_entry
	]
	if not names:
		return set()
	accrual = frappe.db.get_value(
		"Partner Commission", {"journal_entry": journal_entry}, ["name", "sales_invoice"], as_dict=True
	)
	if not accrual:
		return set()
	je = frappe.qb.DocType("Journal Entry")
	clawback = frappe.qb.DocType("Partner Commission")
	return set(
		frappe.qb.from_(je)
		.join(clawback)
		.on(clawback.name == je.prm_partner_commission)
		.select(je.name)
		.where(
			je.name.isin(names)
			& (
				(clawback.against_commission == accrual.name)
				| (clawback.sales_invoice == (accrual.sales_invoice or ""))
			)
		)
		.run(pluck=True)
	)


def settlements_of(voucher_type: str, voucher_no: str) -> list[frappe._dict]:
	"""The live Payment Ledger movements against a voucher, summed per voucher that made them (the
	voucher itself included): what an invoice or a commission journal was settled by. ``amount`` is in
	company currency, ``amount_in_account_currency`` in the party account's."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	return (
		frappe.qb.from_(ple)
		.select(
			ple.voucher_type,
			ple.voucher_no,
			frappe.query_builder.functions.Sum(ple.amount).as_("amount"),
			frappe.query_builder.functions.Sum(ple.amount_in_account_currency).as_(
				"amount_in_account_currency"
			),
		)
		.where(
			(ple.against_voucher_type == voucher_type)
			& (ple.against_voucher_no == voucher_no)
			& (ple.delinked == 0)
		)
		.groupby(ple.voucher_type, ple.voucher_no)
		.run(as_dict=True)
	)


def journals_among(rows: list[frappe._dict], filters: dict) -> set[str]:
	"""The Journal Entries among ``rows``' vouchers that match ``filters``."""
	names = [r.voucher_no for r in rows if r.voucher_type == "Journal Entry"]
	if not names:
		return set()
	return set(frappe.get_all("Journal Entry", filters={"name": ("in", names), **filters}, pluck="name"))


def journal_allocated_amount(journal_entry: str | None) -> float:
	"""How much of a commission Journal Entry was settled by payments (not by clawbacks)."""
	return journal_settlement(journal_entry).paid
