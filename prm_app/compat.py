"""The few places where Frappe/ERPNext v15 and v16 differ for prm_app; everything else is written once.

Each helper answers in the same shape on both lines, so callers never check versions themselves."""

from __future__ import annotations

import frappe

FRAPPE_MAJOR = int(frappe.__version__.split(".")[0])


def aggregate(function: str, field: str, alias: str):
	"""An SQL aggregate as a ``fields`` entry of get_list / get_all: v16 refuses functions written as
	strings and takes ``{"SUM": "total", "as": "total"}``; v15 only understands the string."""
	if FRAPPE_MAJOR >= 16:
		return {function.upper(): field, "as": alias}
	return f"{function.lower()}({field}) as {alias}"


def tax_withholding_details(category: str, posting_date, company: str, supplier: str) -> frappe._dict | None:
	"""The rate, single-transaction threshold, account and description of a Tax Withholding Category for a
	date and company, by ERPNext's own lookup (v15 ``get_tax_withholding_details``; v16, which rewrote tax
	withholding, ``TaxWithholdingDetails`` with the supplier's withholding group)."""
	from erpnext.accounts.doctype.tax_withholding_category import tax_withholding_category as twc

	if hasattr(twc, "get_tax_withholding_details"):  # v15
		details = twc.get_tax_withholding_details(category, posting_date, company)
		if not details:
			return None
		return frappe._dict(
			rate=details.rate,
			threshold=details.threshold,
			account_head=details.account_head,
			description=details.description,
		)
	group = frappe.db.get_value("Supplier", supplier, "tax_withholding_group")
	try:
		details = twc.TaxWithholdingDetails(
			[category], group, posting_date, "Supplier", supplier, company
		).get()
	except frappe.ValidationError:
		return None  # no rate for the date, or no account for the company
	row = details.get(category)
	if not row:
		return None
	return frappe._dict(
		rate=row.tax_rate,
		threshold=row.single_threshold,
		account_head=row.account_head,
		description=row.description,
	)


def opportunity_source() -> dict:
	"""What marks an Opportunity as coming from the partner channel: v15's Lead Source "Partner" (when the
	site has it), v16's UTM Source "Partner" (Lead Source and Opportunity.source are gone in v16)."""
	meta = frappe.get_meta("Opportunity")
	if meta.has_field("utm_source"):
		return {"utm_source": frappe.db.exists("UTM Source", "Partner") or None}
	if meta.has_field("source"):
		return {"source": frappe.db.exists("Lead Source", "Partner") or None}
	return {}


def accounts_frozen_till(company: str):
	"""The date up to which the company's books are frozen: v15 keeps one date for all companies
	(Accounts Settings ``acc_frozen_upto``), v16 one per company (``Company.accounts_frozen_till_date``)."""
	if frappe.get_meta("Company").has_field("accounts_frozen_till_date"):
		return frappe.get_cached_value("Company", company, "accounts_frozen_till_date")
	return frappe.db.get_single_value("Accounts Settings", "acc_frozen_upto")


def set_accounts_frozen_till(company: str, date) -> None:
	"""Freeze the company's books up to ``date`` (None: unfreeze), on either line (tests, setup)."""
	if frappe.get_meta("Company").has_field("accounts_frozen_till_date"):
		frappe.db.set_value("Company", company, "accounts_frozen_till_date", date)
		frappe.clear_document_cache("Company", company)
	else:
		frappe.db.set_single_value("Accounts Settings", "acc_frozen_upto", date)


def opportunities_of_campaign(campaign: str | None, utm_campaign: str | None) -> list[str]:
	"""Opportunities of a marketing campaign: v15's Opportunity has ``campaign`` (Link Campaign); v16 replaced
	it with ``utm_campaign`` (Link UTM Campaign), which a campaign's name or its UTM name may fill."""
	meta = frappe.get_meta("Opportunity")
	names: set[str] = set()
	if campaign and meta.has_field("campaign"):
		names.update(frappe.get_all("Opportunity", filters={"campaign": campaign}, pluck="name"))
	if meta.has_field("utm_campaign"):
		values = [v for v in (utm_campaign, campaign) if v]
		if values:
			names.update(
				frappe.get_all("Opportunity", filters={"utm_campaign": ("in", values)}, pluck="name")
			)
	return sorted(names)


def ledger_posted_by_reconciliation(ple) -> bool:
	"""Whether a Payment Ledger Entry being submitted is a payment's ledger posted again after its submit by
	ERPNext's Payment Reconciliation (``reconcile_against_document``, v15 and v16). Its common path posts
	with ``adv_adj``; with the company's "Book Advance Payments in Separate Party Account" it posts a
	Payment Entry's advance rows through ``make_advance_gl_entries`` without it, so the flag the function
	sets around its whole work (``ignore_party_validation``, both lines) tells them too."""
	return bool(ple.flags.adv_adj or frappe.flags.ignore_party_validation)
