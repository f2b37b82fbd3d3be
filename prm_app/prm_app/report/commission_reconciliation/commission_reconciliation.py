"""Commission Reconciliation: per partner, the outstanding commission per prm_app (opening + accrued +
clawed back - paid) against the Payment Ledger and the GL on the commission payable account; the
differences are 0.00 on a consistent ledger. The computation is ``prm_app.reconciliation.reconcile``,
which the daily check uses too."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import getdate

from prm_app.reconciliation import has_difference, reconcile


def execute(filters=None):
	filters = frappe._dict(filters or {})
	validate_filters(filters)
	rows = reconcile(
		filters.company,
		partner=filters.partner,
		from_date=filters.from_date,
		to_date=filters.to_date,
	)
	if filters.only_differences:
		rows = [r for r in rows if has_difference(r)]
	currency = frappe.get_cached_value("Company", filters.company, "default_currency")
	for row in rows:
		row.currency = currency
	return get_columns(), rows, None, None, summary(rows, currency)


def validate_filters(filters) -> None:
	if not filters.company:
		frappe.throw(_("Select a Company."), title=_("Filter Missing"))
	frappe.has_permission("Partner Commission", "report", throw=True)
	if filters.from_date and filters.to_date and getdate(filters.from_date) > getdate(filters.to_date):
		frappe.throw(_("From Date must be before To Date."), title=_("Invalid Period"))


def summary(rows: list[dict], currency: str) -> list[dict]:
	differences = [r for r in rows if has_difference(r)]
	return [
		{
			"label": _("Outstanding per prm_app"),
			"value": sum(r.prm_outstanding for r in rows),
			"datatype": "Currency",
			"currency": currency,
		},
		{
			"label": _("Outstanding per Payment Ledger"),
			"value": sum(r.ledger_outstanding for r in rows),
			"datatype": "Currency",
			"currency": currency,
		},
		{
			"label": _("Partners with a difference"),
			"value": len(differences),
			"datatype": "Int",
			"indicator": "Red" if differences else "Green",
		},
	]


def _currency(label: str, fieldname: str, width: int = 120) -> dict:
	return {
		"label": label,
		"fieldname": fieldname,
		"fieldtype": "Currency",
		"options": "currency",
		"width": width,
	}


def get_columns() -> list[dict]:
	return [
		{
			"label": _("Partner"),
			"fieldname": "partner",
			"fieldtype": "Link",
			"options": "Partner",
			"width": 160,
		},
		{
			"label": _("Supplier"),
			"fieldname": "supplier",
			"fieldtype": "Link",
			"options": "Supplier",
			"width": 150,
		},
		_currency(_("Opening"), "opening"),
		_currency(_("Accrued"), "accrued"),
		_currency(_("Clawed Back"), "clawed_back"),
		_currency(_("Paid"), "paid"),
		_currency(_("Outstanding (prm_app)"), "prm_outstanding", 150),
		_currency(_("Outstanding (Payment Ledger)"), "ledger_outstanding", 170),
		_currency(_("Outstanding (GL)"), "gl_outstanding", 140),
		_currency(_("Difference"), "difference"),
		_currency(_("GL Difference"), "gl_difference"),
		_currency(_("Outstanding (Commission Records)"), "records_outstanding", 190),
		_currency(_("Records Difference"), "records_difference", 140),
		{
			"label": _("Payable Account"),
			"fieldname": "payable_account",
			"fieldtype": "Link",
			"options": "Account",
			"width": 160,
		},
		{
			"label": _("Currency"),
			"fieldname": "currency",
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
