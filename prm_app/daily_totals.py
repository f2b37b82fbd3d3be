"""Per-day totals of what the partner portal and a partner's tier progress sum, kept as the documents are
submitted and cancelled, so one partner's figures over months are read from at most one row a day
instead of from every commission and invoice (issue 12, speed: the first, uncached view of /partner).

Table ``prm_daily_total`` (not a DocType: nobody edits it; created by ``ensure_table`` from Partner
Commission's ``on_doctype_update`` and the v0_3 patch), one row per (kind, ref, company, day):

    earned       ref = partner        sum of its submitted Partner Commissions' total > 0 that day
    clawed_back  ref = partner        sum of those with total < 0
    invoice      ref = sales partner  sum of submitted Sales Invoices' base_net_total (not returns)
    return       ref = sales partner  the same for credit notes (is_return)

Invoices count as ``prm_app.tiers.load_invoices`` counts them: opening and internal invoices left out.
Each change recomputes the whole (ref, company, day) bucket from its documents (``refresh_*``): a few
rows, idempotent, exact (SQL decimal sums), whatever happened before. ``rebuild`` recomputes everything
(or one ref) from the documents.
"""

from __future__ import annotations

import frappe

TABLE = "prm_daily_total"
COMMISSION_KINDS = ("earned", "clawed_back")
INVOICE_KINDS = ("invoice", "return")

_COMMISSION_SELECT = """
	select case when total < 0 then 'clawed_back' else 'earned' end, partner, company, posting_date,
		sum(total)
	from `tabPartner Commission`
	where docstatus = 1 and total != 0 and partner is not null and posting_date is not null {where}
	group by 1, partner, company, posting_date"""

_INVOICE_SELECT = """
	select case when is_return = 1 then 'return' else 'invoice' end, sales_partner, company, posting_date,
		sum(base_net_total)
	from `tabSales Invoice`
	where docstatus = 1 and is_opening != 'Yes' and is_internal_customer = 0
		and sales_partner is not null and sales_partner != '' and posting_date is not null {where}
	group by 1, sales_partner, company, posting_date"""


def ensure_table() -> None:
	"""Create the table (DDL: run from migrate or a patch, never inside a request's transaction)."""
	frappe.db.sql(
		f"""create table if not exists `{TABLE}` (
			kind varchar(20) not null,
			ref varchar(140) not null,
			company varchar(140) not null,
			day date not null,
			amount decimal(21,9) not null default 0,
			primary key (ref, kind, day, company)
		) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_ci"""
	)


def _replace(kinds: tuple, ref: str, company: str | None, day, select: str, where: str, values: dict) -> None:
	company_clause = " and company = %(company)s" if company is not None else ""
	frappe.db.sql(
		f"""delete from `{TABLE}` where kind in %(kinds)s and ref = %(ref)s and day = %(day)s
		{company_clause}""",
		{"kinds": kinds, "ref": ref, "day": day, "company": company},
	)
	frappe.db.sql(
		f"insert into `{TABLE}` (kind, ref, company, day, amount) " + select.format(where=where), values
	)


def refresh_commission(partner: str | None, day) -> None:
	"""Recompute one partner's commission buckets of one day (every company: a partner has one)."""
	if not partner or not day:
		return
	_replace(
		COMMISSION_KINDS,
		partner,
		None,
		day,
		_COMMISSION_SELECT,
		"and partner = %(ref)s and posting_date = %(day)s",
		{"ref": partner, "day": day},
	)


def refresh_invoice(sales_partner: str | None, company: str | None, day) -> None:
	"""Recompute one sales partner's invoice and credit-note buckets of one day in one company."""
	if not sales_partner or not company or not day:
		return
	_replace(
		INVOICE_KINDS,
		sales_partner,
		company,
		day,
		_INVOICE_SELECT,
		"and sales_partner = %(ref)s and company = %(company)s and posting_date = %(day)s",
		{"ref": sales_partner, "company": company, "day": day},
	)


def rebuild(partner: str | None = None, sales_partner: str | None = None) -> None:
	"""Recompute every bucket from the documents, or only one partner's and/or one sales partner's."""
	targets = []
	if partner or not sales_partner:
		targets.append((COMMISSION_KINDS, partner, _COMMISSION_SELECT, "partner"))
	if sales_partner or not partner:
		targets.append((INVOICE_KINDS, sales_partner, _INVOICE_SELECT, "sales_partner"))
	for kinds, ref, select, column in targets:
		ref_clause = " and ref = %(ref)s" if ref else ""
		frappe.db.sql(
			f"delete from `{TABLE}` where kind in %(kinds)s{ref_clause}", {"kinds": kinds, "ref": ref}
		)
		where = f"and {column} = %(ref)s" if ref else ""
		frappe.db.sql(
			f"insert into `{TABLE}` (kind, ref, company, day, amount) " + select.format(where=where),
			{"ref": ref},
		)


# --- document events -------------------------------------------------------------------------------------


def on_commission_change(doc, method=None) -> None:
	"""Partner Commission on_submit / on_cancel."""
	refresh_commission(doc.partner, doc.posting_date)


def on_invoice_change(doc, method=None) -> None:
	"""Sales Invoice on_submit / on_cancel / on_update_after_submit (a changed sales partner: both)."""
	refresh_invoice(doc.sales_partner, doc.company, doc.posting_date)
	before = doc.get_doc_before_save() if method == "on_update_after_submit" else None
	if before and before.sales_partner != doc.sales_partner:
		refresh_invoice(before.sales_partner, doc.company, doc.posting_date)


def on_sales_partner_rename(doc, method=None, old: str | None = None, new: str | None = None, merge=False):
	"""Sales Partner after_rename: its invoices now carry the new name (merged: the target's too), so its
	buckets move with them; left under the old name they would be lost to the partner and counted for
	whatever Sales Partner is made under the old name next (another partner's tier progress)."""
	if not old or not new:
		return
	frappe.db.sql(
		f"delete from `{TABLE}` where kind in %(kinds)s and ref = %(ref)s",
		{"kinds": INVOICE_KINDS, "ref": old},
	)
	rebuild(sales_partner=new)


def on_company_rename(doc, method=None, old: str | None = None, new: str | None = None, merge=False):
	"""Company after_rename: its commissions and invoices now carry the new name, so its buckets do too
	(merged into another company: both companies' buckets are recomputed from the documents)."""
	if not old or not new:
		return
	if merge:
		rebuild()
		return
	frappe.db.sql(f"update `{TABLE}` set company = %s where company = %s", (new, old))


# --- reads -------------------------------------------------------------------------------------------------


def commission_by_day(partner: str, from_date, to_date) -> list[tuple]:
	"""[(day, earned + clawed back)] of one partner, ``from_date`` <= day <= ``to_date``, by day."""
	return frappe.db.sql(
		f"""select day, sum(amount) from `{TABLE}`
		where ref = %s and kind in ('earned', 'clawed_back') and day between %s and %s
		group by day order by day""",
		(partner, from_date, to_date),
	)


def commission_split(partner: str, from_date, to_date) -> tuple[float, float]:
	"""(earned, clawed back) of one partner, ``from_date`` <= day <= ``to_date``."""
	row = frappe.db.sql(
		f"""select coalesce(sum(case when kind = 'earned' then amount end), 0),
			coalesce(sum(case when kind = 'clawed_back' then amount end), 0)
		from `{TABLE}`
		where ref = %s and kind in ('earned', 'clawed_back') and day between %s and %s""",
		(partner, from_date, to_date),
	)[0]
	return row[0], row[1]
