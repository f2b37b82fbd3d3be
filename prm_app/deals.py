"""Deal registration, the Frappe side: candidates for the matcher read from the database, protection of
invoices, the Opportunity that carries the partner, and the daily expiry and reminder job.

Scoring lives in ``prm_app.engine.matching``; this module only moves data in and out of ERPNext.
"""

from __future__ import annotations

from dataclasses import replace

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app.compat import opportunity_source
from prm_app.engine.matching import (
	COUNTRY,
	DOMAIN,
	GROUP,
	ITEM,
	NAME,
	OTHER_COUNTRY,
	PRODUCTS,
	TAX_ID,
	CandidateIndex,
	Conflicts,
	MatchingError,
	Party,
	make_party,
	normalise_domain,
	normalise_tax_id,
	prescreen,
	search_prefixes,
)

DR = "Deal Registration"
ACTIVE = ("Submitted", "Under Review", "Returned for information", "Approved", "Won")
PROTECTING = ("Approved", "Won")
OPEN_OPPORTUNITY = ("Open", "Replied", "Quotation")
OPEN_QUOTATION = ("Draft", "Open", "Replied", "Partially Ordered")
DEFAULT_PROTECTION_DAYS = 90

REASON_TEXT = {
	TAX_ID: "same tax id {0}",
	DOMAIN: "same domain {0}",
	NAME: "company name {0}% alike",
	COUNTRY: "same country",
	OTHER_COUNTRY: "other country ({0})",
	PRODUCTS: "shared products: {0}",
}


# --- the registration as the matcher sees it --------------------------------------------------------------


def item_groups_of(item_codes) -> dict[str, str]:
	item_codes = [c for c in item_codes if c]
	if not item_codes:
		return {}
	return dict(
		frappe.get_all(
			"Item", filters={"name": ("in", item_codes)}, fields=["name", "item_group"], as_list=True
		)
	)


def product_keys(rows) -> tuple[list[str], list[str]]:
	"""("item:X", "group:G" as registered; the item groups of the items)."""
	products, items = [], []
	for row in rows:
		if row.get("item_code"):
			products.append(ITEM + row.item_code)
			items.append(row.item_code)
		elif row.get("item_group"):
			products.append(GROUP + row.item_group)
	return products, list(set(item_groups_of(items).values()))


def registration_party(doc, strict: bool = False) -> Party:
	products, groups = product_keys(doc.products)
	return make_party(
		DR,
		doc.name,
		company_name=doc.prospect_name,
		websites=[doc.website or "", doc.contact_email or ""],
		tax_id=doc.tax_id or "",
		country=doc.country or "",
		products=products,
		item_groups=groups,
		partner=doc.partner,
		strict=strict,
	)


def is_protecting(status: str, expires_on, on_date=None) -> bool:
	return status in PROTECTING and bool(expires_on) and getdate(expires_on) >= getdate(on_date or nowdate())


# --- candidates from the database -------------------------------------------------------------------------


def _escape(value: str) -> str:
	return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _prefilter(prospect: Party, name_columns: list[str], domain_columns: list[str], tax_column: str | None):
	"""A SQL condition and its values that keep rows sharing a key with the prospect: a distinctive word
	start of the name, the domain or the tax id. The matcher then scores the few rows it lets through.
	(LIKE compares case- and accent-insensitively under utf8mb4_unicode_ci.)"""
	conditions, values = [], []
	for prefix in search_prefixes(prospect.norm_name):
		for column in name_columns:
			conditions.append(f"({column} like %s or {column} like %s)")
			values.extend((_escape(prefix) + "%", "% " + _escape(prefix) + "%"))
	for domain in prospect.domains:
		for column in domain_columns:
			conditions.append(f"{column} like %s")
			values.append("%" + _escape(domain) + "%")
	if tax_column and prospect.tax_id:
		conditions.append(f"upper(regexp_replace({tax_column}, '[^0-9A-Za-z]', '')) = %s")
		values.append(prospect.tax_id)
	return (" or ".join(conditions) or "1=0"), values


def _rows(sql: str, prospect, name_columns, domain_columns, tax_column, values=()):
	"""Rows the SQL pre-filter lets through, screened again in memory (a cheap fuzzy name screen, the
	domain, the tax id) so that only likely matches are normalised and scored."""
	condition, match_values = _prefilter(prospect, name_columns, domain_columns, tax_column)
	rows = frappe.db.sql(sql.format(match=condition), (*values, *match_values), as_dict=True)
	if not rows:
		return rows
	keep = set()
	for column in name_columns:
		keep |= prescreen(prospect.norm_name, [r[column] or "" for r in rows])
	for i, r in enumerate(rows):
		if i in keep:
			continue
		if any(d in (r[c] or "").lower() for d in prospect.domains for c in domain_columns):
			keep.add(i)
		elif tax_column and prospect.tax_id and normalise_tax_id(r[tax_column] or "") == prospect.tax_id:
			keep.add(i)
	return [rows[i] for i in sorted(keep)]


def registration_candidates(prospect: Party, exclude: str | None) -> list[Party]:
	"""Other partners' active registrations that share a key with the prospect, without their products
	(``with_products`` adds those to the few that match)."""
	rows = _rows(
		"""select name, prospect_name, website, contact_email, tax_id, country, partner, status, expires_on
		from `tabDeal Registration`
		where status in %s and name != %s and partner != %s and ({match})""",
		prospect,
		["prospect_name"],
		["website", "contact_email"],
		"tax_id",
		(ACTIVE, exclude or "", prospect.partner),
	)
	today = getdate(nowdate())
	return [
		make_party(
			DR,
			r.name,
			company_name=r.prospect_name,
			websites=[r.website or "", r.contact_email or ""],
			tax_id=r.tax_id or "",
			country=r.country or "",
			partner=r.partner,
			protecting=is_protecting(r.status, r.expires_on, today),
		)
		for r in rows
	]


def with_products(parties: list[Party]) -> list[Party]:
	"""The parties, registrations among them with their products (one query)."""
	names = [p.name for p in parties if p.doctype == DR]
	if not names:
		return parties
	products: dict[str, list] = {}
	for row in frappe.get_all(
		"Deal Registration Product",
		filters={"parent": ("in", names), "parenttype": DR},
		fields=["parent", "item_code", "item_group"],
	):
		products.setdefault(row.parent, []).append(row)
	out = []
	for party in parties:
		if party.doctype == DR:
			keys, groups = product_keys(products.get(party.name, []))
			party = replace(party, products=frozenset(keys), item_groups=frozenset(groups))
		out.append(party)
	return out


def erpnext_candidates(prospect: Party, opportunity: str | None) -> list[Party]:
	"""Customers, Leads, Prospects and open Opportunities / Quotations that look like the prospect."""
	out = []
	for r in _rows(
		"select name, customer_name, website, email_id, tax_id from `tabCustomer` where disabled = 0 and ({match})",
		prospect,
		["customer_name"],
		["website", "email_id"],
		"tax_id",
	):
		out.append(make_party("Customer", r.name, r.customer_name, [r.website, r.email_id], r.tax_id))
	for r in _rows(
		"""select name, company_name, website, email_id, country from `tabLead`
		where status not in ('Converted', 'Do Not Contact') and ({match})""",
		prospect,
		["company_name"],
		["website", "email_id"],
		None,
	):
		out.append(make_party("Lead", r.name, r.company_name, [r.website, r.email_id], country=r.country))
	for r in _rows(
		"select name, company_name, website from `tabProspect` where ({match})",
		prospect,
		["company_name"],
		["website"],
		None,
	):
		out.append(make_party("Prospect", r.name, r.company_name, [r.website]))
	for r in _rows(
		"""select name, customer_name, party_name, website, contact_email, country from `tabOpportunity`
		where status in %s and name != %s and ({match})""",
		prospect,
		["customer_name", "party_name"],
		["website", "contact_email"],
		None,
		(OPEN_OPPORTUNITY, opportunity or ""),
	):
		out.append(
			make_party(
				"Opportunity",
				r.name,
				r.customer_name or r.party_name,
				[r.website, r.contact_email],
				country=r.country,
			)
		)
	for r in _rows(
		"""select name, customer_name, contact_email from `tabQuotation`
		where docstatus < 2 and status in %s and ({match})""",
		prospect,
		["customer_name"],
		["contact_email"],
		None,
		(OPEN_QUOTATION,),
	):
		out.append(make_party("Quotation", r.name, r.customer_name, [r.contact_email]))
	return out


def find_conflicts(doc) -> Conflicts:
	"""Other partners' active registrations and ERPNext records that look like this registration.

	Two passes: candidates sharing a key are scored without products; the registrations that match are
	then read with their products and scored again (products decide hard conflicts)."""
	prospect = registration_party(doc)
	candidates = registration_candidates(prospect, doc.name) + erpnext_candidates(prospect, doc.opportunity)
	exclude = [("Customer", doc.customer)] if doc.customer else []
	first = CandidateIndex.build(candidates).check(prospect, exclude=exclude, limit=len(candidates))
	by_key = {(c.doctype, c.name): c for c in candidates}
	matched = with_products([by_key[(m.doctype, m.name)] for m in first.matches])
	return CandidateIndex.build(matched).check(prospect, exclude=exclude)


def reason_text(match) -> str:
	return "; ".join(_(REASON_TEXT[code]).format(detail) for code, detail in match.reasons)


# --- protection of invoices -------------------------------------------------------------------------------


def registration_of(name: str | None) -> frappe._dict | None:
	if not name:
		return None
	return frappe.db.get_value(
		DR,
		name,
		["name", "status", "partner", "sales_partner", "expires_on", "first_invoice"],
		as_dict=True,
	)


def protects_invoice(si) -> bool:
	"""The invoice's registration is approved (or won) for the invoice's partner and not expired on the
	posting date: the commission engine then applies ``registered_deal`` rules."""
	reg = registration_of(si.get("deal_registration"))
	return bool(
		reg
		and si.get("sales_partner")
		and reg.sales_partner == si.sales_partner
		and is_protecting(reg.status, reg.expires_on, si.posting_date)
	)


# --- conversion -------------------------------------------------------------------------------------------


def protection_days(partner: str) -> int:
	tier = frappe.db.get_value("Partner", partner, "tier")
	if tier:
		days = frappe.db.get_value("Partner Tier", tier, "deal_protection_days")
		if days:
			return int(days)
	days = frappe.db.get_single_value("PRM Settings", "deal_protection_days")
	return int(days) if days else DEFAULT_PROTECTION_DAYS


def auto_approves(doc) -> bool:
	"""The partner's tier approves registrations up to a value by itself, when nothing looks like them."""
	if doc.conflicts:
		return False
	tier = frappe.db.get_value("Partner", doc.partner, "tier")
	if not tier:
		return False
	limit = flt(frappe.db.get_value("Partner Tier", tier, "deal_auto_approval_limit"))
	if limit <= 0:
		return False
	return company_amount(doc) <= limit


def company_amount(doc) -> float:
	company_currency = frappe.get_cached_value("Company", doc.company, "default_currency")
	if not doc.currency or doc.currency == company_currency:
		return flt(doc.expected_amount)
	from erpnext.setup.utils import get_exchange_rate

	return flt(doc.expected_amount) * flt(get_exchange_rate(doc.currency, company_currency, nowdate()) or 1)


def ensure_prospect(doc) -> str:
	existing = frappe.db.exists("Prospect", doc.prospect_name)
	if existing:
		return existing
	prospect = frappe.get_doc(
		{
			"doctype": "Prospect",
			"company_name": doc.prospect_name,
			"website": doc.website,
			"company": doc.company,
		}
	)
	prospect.flags.ignore_permissions = True
	prospect.insert()
	return prospect.name


def link_opportunity(doc) -> str:
	"""The Opportunity of an approved registration, created when none is linked; it carries the partner."""
	if doc.opportunity:
		frappe.db.set_value(
			"Opportunity",
			doc.opportunity,
			{"deal_registration": doc.name, "prm_sales_partner": doc.sales_partner},
		)
		return doc.opportunity
	opportunity = frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": "Customer" if doc.customer else "Prospect",
			"party_name": doc.customer or ensure_prospect(doc),
			"company": doc.company,
			"transaction_date": nowdate(),
			"expected_closing": doc.expected_close_date,
			"currency": doc.currency,
			"opportunity_amount": doc.expected_amount,
			"website": doc.website,
			"country": doc.country,
			"contact_email": doc.contact_email,
			**opportunity_source(),
			"deal_registration": doc.name,
			"prm_sales_partner": doc.sales_partner,
			"items": opportunity_items(doc),
		}
	)
	opportunity.flags.ignore_permissions = True
	opportunity.insert()
	return opportunity.name


def opportunity_items(doc) -> list[dict]:
	"""The registered items, the expected amount spread over them."""
	rows = [row for row in doc.products if row.item_code]
	qty = sum(flt(row.qty) or 1 for row in rows)
	return [
		{"item_code": row.item_code, "qty": flt(row.qty) or 1, "rate": flt(doc.expected_amount) / qty}
		for row in rows
	]


# --- sales documents along the chain ----------------------------------------------------------------------


def fill_partner(doc, fieldname: str) -> None:
	"""Quotation / Sales Order / Sales Invoice: a protected registration brings its Sales Partner."""
	reg = registration_of(doc.get("deal_registration"))
	if reg and not doc.get(fieldname) and is_protecting(reg.status, reg.expires_on):
		doc.set(fieldname, reg.sales_partner)


def validate_invoice_partner(si) -> None:
	reg = registration_of(si.get("deal_registration"))
	if not reg:
		return
	if si.get("sales_partner") and reg.sales_partner and si.sales_partner != reg.sales_partner:
		frappe.throw(
			_(
				"Invoice {0} names Sales Partner {1}, but its Deal Registration {2} belongs to partner {3} (Sales Partner {4}). Use the registration's partner or remove the Deal Registration."
			).format(
				si.name or _("(new)"),
				frappe.bold(si.sales_partner),
				frappe.bold(reg.name),
				frappe.bold(reg.partner),
				frappe.bold(reg.sales_partner),
			),
			title=_("Partner Does Not Match the Deal Registration"),
		)


def mark_won(si) -> None:
	"""The first submitted invoice of a protected registration wins it."""
	if si.get("is_return") or not protects_invoice(si):
		return
	reg = frappe.get_doc(DR, si.deal_registration)
	if reg.status == "Approved":
		reg.set_status("Won", won_on=getdate(si.posting_date), first_invoice=si.name)


def unmark_won(si) -> None:
	"""Cancelling the invoice that won a registration puts it back to Approved (or Expired)."""
	reg = registration_of(si.get("deal_registration"))
	if not reg or reg.status != "Won" or reg.first_invoice != si.name:
		return
	doc = frappe.get_doc(DR, reg.name)
	status = "Approved" if is_protecting("Approved", doc.expires_on) else "Expired"
	doc.set_status(status, won_on=None, first_invoice=None)


# --- daily job --------------------------------------------------------------------------------------------


def expire_registrations(today=None) -> list[str]:
	"""Approved registrations past their protection date expire; their Opportunity loses the partner."""
	today = getdate(today or nowdate())
	names = frappe.get_all(
		DR, filters={"status": "Approved", "expires_on": ("<", today)}, pluck="name", order_by="expires_on"
	)
	for name in names:
		with frappe.database.savepoint(catch=Exception):
			doc = frappe.get_doc(DR, name)
			doc.set_status("Expired")
			if doc.opportunity:
				frappe.db.set_value("Opportunity", doc.opportunity, "prm_sales_partner", None)
	return names


def send_expiry_reminders(today=None) -> list[str]:
	"""E-mail the partner's users and the approver N days (PRM Settings) before a registration expires."""
	days = frappe.db.get_single_value("PRM Settings", "deal_expiry_reminder_days")
	if not days:
		return []
	today = getdate(today or nowdate())
	rows = frappe.get_all(
		DR,
		filters=[
			["status", "=", "Approved"],
			["expires_on", ">=", today],
			["expires_on", "<=", add_days(today, int(days))],
		],
		fields=["name", "partner", "prospect_name", "expires_on", "approved_by", "reminder_sent_for"],
	)
	sent = []
	for row in rows:
		if row.reminder_sent_for and getdate(row.reminder_sent_for) == getdate(row.expires_on):
			continue
		recipients = set(
			frappe.get_all(
				"Partner User", filters={"parent": row.partner, "parenttype": "Partner"}, pluck="user"
			)
		)
		if row.approved_by:
			recipients.add(row.approved_by)
		recipients = sorted(r for r in recipients if r not in ("Administrator", "Guest"))
		if recipients and not _send_reminder(row, recipients):
			break  # no outgoing e-mail account: nothing is marked, the next run tries again
		frappe.db.set_value(DR, row.name, "reminder_sent_for", row.expires_on, update_modified=False)
		sent.append(row.name)
	return sent


def _send_reminder(row, recipients) -> bool:
	try:
		frappe.sendmail(
			recipients=recipients,
			subject=_("Deal registration {0} ({1}) expires on {2}").format(
				row.name, row.prospect_name, frappe.format(row.expires_on, "Date")
			),
			message=_(
				"The protection of deal registration {0} for {1} ends on {2}. Close the deal, or request an extension before then."
			).format(row.name, row.prospect_name, frappe.format(row.expires_on, "Date")),
			reference_doctype=DR,
			reference_name=row.name,
		)
	except frappe.OutgoingEmailError:
		frappe.log_error(title=_("Deal registration reminders not sent: no outgoing e-mail account"))
		return False
	return True


def daily() -> None:
	send_expiry_reminders()
	expire_registrations()
