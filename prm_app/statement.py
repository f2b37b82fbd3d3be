"""Partner Statement: a partner's commission account for a period — opening balance (outstanding
before the period), commissions with their explanations, clawbacks, payouts (payments allocated
against the commission Journal Entries) and the closing balance — as data, HTML and PDF.

partner_statement(partner, from_date, to_date, company=None)   data (also a Jinja method for the print format)
get_statement_pdf(...)                                         PDF bytes
download_statement(...)                                        whitelisted: the PDF as a download
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate

from prm_app.commissions import lines_by_commission
from prm_app.reconciliation import payments_against_commissions, reconcile

TEMPLATE = "prm_app/templates/partner_statement.html"
STATEMENT_LINE_FIELDS = ["item_code", "rule", "amount", "explanation"]  # what a partner may see of a line


def partner_statement(partner: str, from_date, to_date, company: str | None = None) -> frappe._dict:
	"""The statement of ``partner`` from ``from_date`` to ``to_date`` (company currency). Checks that the
	user may read the partner."""
	frappe.has_permission("Partner", "read", partner, throw=True)
	from_date, to_date = getdate(from_date), getdate(to_date)
	if from_date > to_date:
		frappe.throw(_("From Date must be before To Date."), title=_("Invalid Period"))
	info = frappe.db.get_value(
		"Partner", partner, ["name", "partner_name", "company", "supplier"], as_dict=True
	)
	company = company or info.company
	precision = frappe.get_precision("Partner Commission", "total") or 2
	opening_row = reconcile(company, partner, to_date=add_days(from_date, -1), ignore_permissions=True)
	opening = flt(opening_row[0].prm_outstanding, precision) if opening_row else 0.0
	commissions, clawbacks = commission_rows(company, partner, from_date, to_date)
	payouts = payments_against_commissions(company, partner, from_date, to_date)
	total_commission = flt(sum(r.total for r in commissions), precision)
	total_clawback = flt(sum(r.total for r in clawbacks), precision)
	total_paid = flt(sum(r.amount for r in payouts), precision)
	return frappe._dict(
		partner=partner,
		partner_name=info.partner_name,
		supplier=info.supplier,
		company=company,
		currency=frappe.get_cached_value("Company", company, "default_currency"),
		from_date=from_date,
		to_date=to_date,
		opening=opening,
		commissions=commissions,
		clawbacks=clawbacks,
		payouts=payouts,
		total_commission=total_commission,
		total_clawback=total_clawback,
		total_paid=total_paid,
		closing=flt(opening + total_commission + total_clawback - total_paid, precision) + 0.0,
	)


def commission_rows(company: str, partner: str, from_date, to_date) -> tuple[list, list]:
	"""The period's submitted commissions (total > 0) and clawbacks (total < 0), each with its lines."""
	rows = frappe.get_all(
		"Partner Commission",
		filters={
			"company": company,
			"partner": partner,
			"docstatus": 1,
			"posting_date": ("between", [from_date, to_date]),
			"total": ("!=", 0),
		},
		fields=["name", "posting_date", "sales_invoice", "total", "status", "against_commission"],
		order_by="posting_date asc, creation asc",
	)
	by_parent = lines_by_commission([r.name for r in rows], STATEMENT_LINE_FIELDS)
	for row in rows:
		row.total = flt(row.total)
		row.lines = by_parent.get(row.name, [])
	return [r for r in rows if r.total > 0], [r for r in rows if r.total < 0]


def render_statement(statement: frappe._dict) -> str:
	return frappe.render_template(TEMPLATE, {"statement": statement})


def get_statement_pdf(partner: str, from_date, to_date, company: str | None = None) -> bytes:
	from frappe.utils.pdf import get_pdf

	statement = partner_statement(partner, from_date, to_date, company)
	return get_pdf(render_statement(statement))


@frappe.whitelist()
def download_statement(partner: str, from_date: str, to_date: str, company: str | None = None) -> None:
	"""The statement as a PDF download from the desk, for those who may read commissions (a Sales User
	may read the partner, not its commissions; partner users have the portal's own statement)."""
	frappe.has_permission("Partner Commission", "read", throw=True)
	pdf = get_statement_pdf(partner, from_date, to_date, company)
	frappe.local.response.filename = "{}-{}-{}.pdf".format(
		_("Statement"), frappe.scrub(partner), getdate(to_date).isoformat()
	)
	frappe.local.response.filecontent = pdf
	frappe.local.response.type = "pdf"
