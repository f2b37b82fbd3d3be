"""The only code that writes market-development-fund documents to the ledger.

- An approved Fund Claim becomes a **Purchase Invoice** to the partner's Supplier: one line, the
  fund's expense account and cost center, credit to the partner payable account (the company's
  commission payable account, so that a Partner Payout can pay it together with commissions; else the
  supplier's party account). Its bill number is the claim. Cancelling either cancels the other.
- The **open-commitments accrual**: a Journal Entry Dr the fund's expense, Cr the accrual account for
  what is approved and not yet claimed, with its reversal dated the first day of the next period.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, flt


def partner_payable_account(company: str, supplier: str) -> str:
	account = frappe.get_cached_value("Company", company, "prm_commission_payable_account")
	if account:
		return account
	from erpnext.accounts.party import get_party_account

	return get_party_account("Supplier", supplier, company)


def make_claim_invoice(claim, fund) -> str:
	"""Create and submit the claim's Purchase Invoice; idempotent (an existing live invoice is kept)."""
	from prm_app.commissions import open_posting_date

	existing = frappe.db.get_value("Purchase Invoice", {"prm_fund_claim": claim.name, "docstatus": ("<", 2)})
	if existing:
		return existing
	if not claim.supplier:
		frappe.throw(
			_("Partner {0} has no Supplier to reimburse.").format(frappe.bold(claim.partner)),
			title=_("Supplier Missing"),
		)
	posting_date = open_posting_date(claim.company, claim.posting_date)
	request = frappe.db.get_value(
		"Fund Request", claim.fund_request, ["activity_title", "activity_type"], as_dict=True
	)
	pi = frappe.new_doc("Purchase Invoice")
	pi.update(
		{
			"company": claim.company,
			"supplier": claim.supplier,
			"posting_date": posting_date,
			"set_posting_time": 1,
			"bill_no": claim.name,
			"bill_date": claim.posting_date,
			"due_date": posting_date,
			"credit_to": partner_payable_account(claim.company, claim.supplier),
			"update_stock": 0,
			"prm_fund_claim": claim.name,
			"remarks": _("Market development funds: claim {0} on request {1} ({2}), fund {3}").format(
				claim.name, claim.fund_request, request.activity_title, claim.fund
			),
			"items": [
				{
					"item_name": _("Market development funds"),
					"description": _("{0}: {1} (claim {2})").format(
						_(request.activity_type), request.activity_title, claim.name
					),
					"qty": 1,
					"uom": frappe.db.get_single_value("Stock Settings", "stock_uom") or "Nos",
					"conversion_factor": 1,
					"rate": flt(claim.claimed_amount),
					"expense_account": fund.expense_account,
					"cost_center": fund.cost_center,
				}
			],
		}
	)
	pi.flags.ignore_permissions = True
	pi.insert()
	pi.submit()
	return pi.name


def cancel_claim_invoice(claim) -> None:
	"""Cancel the claim's Purchase Invoice when the claim is cancelled (ERPNext unlinks its payments as
	Accounts Settings say); a draft is deleted."""
	if not claim.purchase_invoice:
		return
	pi = frappe.get_doc("Purchase Invoice", claim.purchase_invoice)
	pi.flags.ignore_permissions = True
	pi.flags.from_fund_claim = True
	if pi.docstatus == 1:
		pi.cancel()
	elif pi.docstatus == 0:
		frappe.delete_doc("Purchase Invoice", pi.name, ignore_permissions=True, force=True)


ACCRUAL_KEY = "MDF-ACCRUAL:{0}:{1}"  # the accrual's Reference No: period end, fund (* for all)


def existing_accrual(company: str, posting_date, fund: str | None) -> tuple[str, str | None] | None:
	"""The live accrual (and its reversal) already posted for this period end and fund. An accrual of
	all the company's funds and one of a single fund overlap: posting one over the other is refused."""
	key = ACCRUAL_KEY.format(posting_date, fund or "*")
	for je in frappe.get_all(
		"Journal Entry",
		filters={
			"company": company,
			"docstatus": 1,
			"cheque_no": ("like", ACCRUAL_KEY.format(posting_date, "%")),
		},
		fields=["name", "cheque_no"],
		order_by="creation",
	):
		if je.cheque_no == key:
			reversal = frappe.db.get_value("Journal Entry", {"reversal_of": je.name, "docstatus": 1})
			return je.name, reversal
		if not fund or je.cheque_no.endswith(":*"):
			frappe.throw(
				_("The open commitments at {0} are already accrued in {1}: cancel it first.").format(
					posting_date, je.name
				),
				title=_("Already Accrued"),
			)
	return None


def make_accrual_journal(
	company: str, posting_date, rows: list[dict], accrual_account: str, remark: str, fund: str | None = None
):
	"""The period-end accrual of open commitments and its reversal on the first day of the next period.
	``rows``: (expense_account, cost_center, amount) per fund. Returns (accrual, reversal) names;
	idempotent: an accrual already posted for the period end and fund is returned, not posted again."""
	from prm_app.commissions import open_posting_date

	existing = existing_accrual(company, posting_date, fund)
	if existing:
		return existing
	rows = [r for r in rows if flt(r["amount"]) > 0]
	if not rows:
		frappe.throw(_("There are no open commitments to accrue."))
	total = flt(sum(flt(r["amount"]) for r in rows), 2)

	def journal(date, reverse: bool, reversal_of=None):
		je = frappe.new_doc("Journal Entry")
		je.update(
			{
				"voucher_type": "Journal Entry",
				"company": company,
				"posting_date": date,
				"user_remark": remark if not reverse else _("Reversal of {0}").format(reversal_of),
				"reversal_of": reversal_of,
			}
		)
		if not reverse:
			je.cheque_no = ACCRUAL_KEY.format(posting_date, fund or "*")
			je.cheque_date = date
		debit, credit = (
			("credit_in_account_currency", "debit_in_account_currency")
			if reverse
			else (
				"debit_in_account_currency",
				"credit_in_account_currency",
			)
		)
		for r in rows:
			je.append(
				"accounts",
				{
					"account": r["expense_account"],
					"cost_center": r["cost_center"],
					debit: flt(r["amount"], 2),
				},
			)
		je.append(
			"accounts", {"account": accrual_account, credit: total, "cost_center": rows[0]["cost_center"]}
		)
		je.flags.ignore_permissions = True
		je.insert()
		je.submit()
		return je.name

	accrual = journal(open_posting_date(company, posting_date), False)
	reversal = journal(add_days(posting_date, 1), True, accrual)
	return accrual, reversal
