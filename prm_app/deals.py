"""Deal registration, the Frappe side: candidates for the matcher read from the database, protection of
invoices, the Opportunity that carries the partner, and the daily expiry and reminder job.

Scoring lives in ``prm_app.engine.matching``; this module only moves data in and out of ERPNext.
"""

from __future__ import annotations

from dataclasses import replace

import frappe
from frappe import _
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app import deal_keys
from prm_app.compat import opportunity_source
from prm_app.deal_keys import shared_domains
from prm_app.engine.matching import (
	COUNTRY,
	DOMAIN,
	GROUP,
	ITEM,
	NAME,
	OTHER_COUNTRY,
	PRODUCTS,
	SAME_ENTITY,
	SAME_PARTNER,
	TAX_ID,
	Conflicts,
	Party,
	compare,
	make_party,
	products_overlap,
	rank,
	with_ancestors,
)
from prm_app.permissions import MANAGER_ROLES

DR = "Deal Registration"
ACTIVE = ("Submitted", "Under Review", "Returned for information", "Approved", "Won")
PROTECTING = ("Approved", "Won")
PENDING = ("Submitted", "Under Review", "Returned for information")
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
	SAME_PARTNER: "the same partner's pending registration {0}",
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


def group_ancestry(groups) -> dict[str, str]:
	"""group -> parent group for the groups and every group above them (Item Group's nested set), so the
	engine can tell that a registration for "Hardware" covers "Laptops"."""
	groups = sorted({g for g in groups if g})
	if not groups:
		return {}
	child = frappe.qb.DocType("Item Group")
	parent = frappe.qb.DocType("Item Group").as_("parent")
	rows = (
		frappe.qb.from_(child)
		.join(parent)
		.on((parent.lft <= child.lft) & (parent.rgt >= child.rgt))
		.select(parent.name, parent.parent_item_group)
		.where(child.name.isin(groups))
		.distinct()
		.run()
	)
	return {name: up for name, up in rows}


def product_keys(rows) -> tuple[list[str], list[str]]:
	"""("item:X", "group:G" as registered; the item groups the products fall in, with their ancestors)."""
	products, items, groups = [], [], []
	for row in rows:
		if row.get("item_code"):
			products.append(ITEM + row.item_code)
			items.append(row.item_code)
		elif row.get("item_group"):
			products.append(GROUP + row.item_group)
			groups.append(row.item_group)
	groups += list(item_groups_of(items).values())
	return products, sorted(with_ancestors(groups, group_ancestry(groups)))


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
		shared=shared_domains(),
	)


def is_protecting(status: str, expires_on, on_date=None) -> bool:
	return status in PROTECTING and bool(expires_on) and getdate(expires_on) >= getdate(on_date or nowdate())


# --- candidates from the database -------------------------------------------------------------------------


def _fetch(doctype: str, names, sql: str, values=()):
	"""Rows of ``doctype`` among ``names`` (found by key) that pass the status conditions of ``sql``."""
	if not names:
		return []
	return frappe.db.sql(sql, (tuple(names), *values), as_dict=True)


def registration_candidates(prospect: Party, exclude: str | None, names=None) -> list[Party]:
	"""Registrations sharing a key with the prospect: other partners' active ones, and the same partner's
	pending ones (a duplicate), without their products (``with_products`` adds those to the few that
	match)."""
	if names is None:
		names = deal_keys.lookup(prospect.keys).get(DR, [])
	rows = _fetch(
		DR,
		names,
		"""select name, prospect_name, website, contact_email, tax_id, country, partner, status, expires_on
		from `tabDeal Registration`
		where name in %s and name != %s
		and ((partner != %s and status in %s) or (partner = %s and status in %s))
		for update""",
		(exclude or "", prospect.partner, ACTIVE, prospect.partner, PENDING),
	)
	today = getdate(nowdate())
	shared = shared_domains()
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
			pending=r.partner == prospect.partner and r.status in PENDING,
			shared=shared,
			keys=False,
		)
		for r in rows
	]


def with_products(parties: list[Party]) -> list[Party]:
	"""The parties, registrations among them with their products (one query)."""
	names = [p.name for p in parties if p.doctype == DR]
	if not names:
		return parties
	products: dict[str, list] = {}
	for row in frappe.db.sql(  # a locking read, as the registrations were (``registration_candidates``)
		"""select parent, item_code, item_group from `tabDeal Registration Product`
		where parent in %s and parenttype = %s for update""",
		(tuple(names), DR),
		as_dict=True,
	):
		products.setdefault(row.parent, []).append(row)
	out = []
	for party in parties:
		if party.doctype == DR:
			keys, groups = product_keys(products.get(party.name, []))
			party = replace(party, products=frozenset(keys), item_groups=frozenset(groups))
		out.append(party)
	return out


def erpnext_candidates(prospect: Party, opportunity: str | None, found=None) -> list[Party]:
	"""Customers, Leads, Prospects and open Opportunities / Quotations sharing a key with the prospect."""
	if found is None:
		found = deal_keys.lookup(prospect.keys)
	shared = shared_domains()
	out = []
	for r in _fetch(
		"Customer",
		found.get("Customer"),
		"select name, customer_name, website, email_id, tax_id from `tabCustomer` where name in %s and disabled = 0",
	):
		out.append(
			make_party(
				"Customer",
				r.name,
				r.customer_name,
				[r.website, r.email_id],
				r.tax_id,
				shared=shared,
				keys=False,
			)
		)
	for r in _fetch(
		"Lead",
		found.get("Lead"),
		"""select name, company_name, website, email_id, country from `tabLead`
		where name in %s and status not in ('Converted', 'Do Not Contact')""",
	):
		out.append(
			make_party(
				"Lead",
				r.name,
				r.company_name,
				[r.website, r.email_id],
				country=r.country,
				shared=shared,
				keys=False,
			)
		)
	for r in _fetch(
		"Prospect",
		found.get("Prospect"),
		"select name, company_name, website from `tabProspect` where name in %s",
	):
		out.append(make_party("Prospect", r.name, r.company_name, [r.website], shared=shared, keys=False))
	for r in _fetch(
		"Opportunity",
		found.get("Opportunity"),
		"""select name, customer_name, party_name, website, contact_email, country from `tabOpportunity`
		where name in %s and status in %s and name != %s""",
		(OPEN_OPPORTUNITY, opportunity or ""),
	):
		out.append(
			make_party(
				"Opportunity",
				r.name,
				r.customer_name or r.party_name,
				[r.website, r.contact_email],
				country=r.country,
				shared=shared,
				keys=False,
			)
		)
	for r in _fetch(
		"Quotation",
		found.get("Quotation"),
		"""select name, customer_name, contact_email from `tabQuotation`
		where name in %s and docstatus < 2 and status in %s""",
		(OPEN_QUOTATION,),
	):
		out.append(
			make_party("Quotation", r.name, r.customer_name, [r.contact_email], shared=shared, keys=False)
		)
	return out


def find_conflicts(doc) -> Conflicts:
	"""Other partners' active registrations and ERPNext records that look like this registration.

	Two passes: candidates sharing a key are scored without products; the registrations that match are
	then read with their products and scored again (products decide hard conflicts)."""
	prospect = registration_party(doc)
	found = deal_keys.lookup(prospect.keys, lock=True)  # sees (and waits for) concurrent registrations
	candidates = registration_candidates(prospect, doc.name, found.get(DR, [])) + erpnext_candidates(
		prospect, doc.opportunity, found
	)
	exclude = [("Customer", doc.customer)] if doc.customer else []
	first = rank(prospect, candidates, exclude=exclude, limit=len(candidates))
	by_key = {(c.doctype, c.name): c for c in candidates}
	matched = with_products([by_key[(m.doctype, m.name)] for m in first.matches])
	return rank(prospect, matched, exclude=exclude)


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


def matched_customer(doc) -> str | None:
	"""The existing Customer the prospect was found to be (a conflict row scoring as the same entity)."""
	for row in doc.get("conflicts") or []:
		if row.matched_doctype == "Customer" and flt(row.score) >= SAME_ENTITY:
			return row.matched_record
	return None


def link_opportunity(doc) -> str:
	"""The Opportunity of an approved registration, created when none is linked; it carries the partner.
	A prospect that is an existing customer gets the Opportunity of that Customer (no second Prospect)."""
	if not doc.customer:
		doc.customer = matched_customer(doc)
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


# --- protection against other partners' sales -------------------------------------------------------------

WARN, REQUIRE_OVERRIDE, BLOCK = "Warn", "Require override", "Block"
PARTNER_FIELD = {
	"Quotation": "referral_sales_partner",
	"Sales Order": "sales_partner",
	"Sales Invoice": "sales_partner",
}
DATE_FIELD = {
	"Quotation": "transaction_date",
	"Sales Order": "transaction_date",
	"Sales Invoice": "posting_date",
}


def customer_of(doc) -> str | None:
	if doc.doctype == "Quotation":
		return doc.party_name if doc.get("quotation_to") == "Customer" else None
	return doc.get("customer")


def document_party(doc, customer: str) -> Party:
	"""The customer of a sales document as the matcher sees it, with the document's items as products and
	the partner of its Sales Partner."""
	values = (
		frappe.db.get_value(
			"Customer", customer, ["customer_name", "website", "email_id", "tax_id"], as_dict=True
		)
		or frappe._dict()
	)
	sales_partner = doc.get(PARTNER_FIELD[doc.doctype])
	partner = (
		frappe.db.get_value("Partner", {"sales_partner": sales_partner}, "name") if sales_partner else None
	)
	rows = [frappe._dict(item_code=row.item_code) for row in doc.get("items") or [] if row.get("item_code")]
	products, groups = product_keys(rows)
	return make_party(
		doc.doctype,
		doc.name or "",
		company_name=values.customer_name or customer,
		websites=[values.website or "", values.email_id or ""],
		tax_id=values.tax_id or "",
		products=products,
		item_groups=groups,
		partner=partner or "",
		shared=shared_domains(),
	)


def protecting_registrations(doc) -> list[frappe._dict]:
	"""Other partners' approved, unexpired registrations that protect the document's customer for one of
	its products: linked to the customer, or matching it by the conflict engine (same tax id, domain or
	name, score >= SAME_ENTITY). The document's own registration and its partner's are left out."""
	customer = customer_of(doc)
	if not customer:
		return []
	# judged on the document's date and on today, whichever is earlier: a document dated after the
	# registration's expiry while it still protects today is a conflict all the same
	on_date = min(getdate(doc.get(DATE_FIELD[doc.doctype]) or nowdate()), getdate(nowdate()))
	party = document_party(doc, customer)
	found = deal_keys.lookup(party.keys)
	names = set(found.get(DR, []))
	customers = same_customers(customer, party)
	names.update(
		frappe.get_all(
			DR, filters={"customer": ("in", sorted(customers)), "status": ("in", PROTECTING)}, pluck="name"
		)
	)
	if not names:
		return []
	rows = frappe.get_all(
		DR,
		filters={"name": ("in", sorted(names)), "status": ("in", PROTECTING), "expires_on": (">=", on_date)},
		fields=[
			"name",
			"partner",
			"sales_partner",
			"prospect_name",
			"website",
			"contact_email",
			"tax_id",
			"customer",
			"expires_on",
			"status",
		],
	)
	sales_partner = doc.get(PARTNER_FIELD[doc.doctype])
	out = []
	for r in rows:
		# naming a registration does not lift it: only its own partner's documents are not conflicts
		if sales_partner and r.sales_partner == sales_partner:
			continue
		if party.partner and r.partner == party.partner:
			continue
		candidate = make_party(
			DR,
			r.name,
			company_name=r.prospect_name,
			websites=[r.website or "", r.contact_email or ""],
			tax_id=r.tax_id or "",
			partner=r.partner,
			protecting=True,
			shared=shared_domains(),
		)
		[candidate] = with_products([candidate])
		# linked to this very customer: the same prospect whatever the names say
		linked = r.customer in customers and products_overlap(party, candidate)
		match = compare(replace(party, partner=party.partner or "-"), candidate)
		if linked or (match and match.hard):
			out.append(r)
	return out


def same_customers(customer: str, party: Party) -> set[str]:
	"""The customer and the other Customer records of the same company: the same tax id or company domain
	(a registration linked to one protects the others)."""
	keys = {k for k in party.keys if k.startswith(("t:", "d:"))}
	return {customer, *deal_keys.lookup(keys).get("Customer", [])}


def channel_conflict_action() -> str:
	return frappe.db.get_single_value("PRM Settings", "channel_conflict_action") or REQUIRE_OVERRIDE


def check_channel_conflict(doc) -> None:
	"""before_submit of Quotation / Sales Order / Sales Invoice: a customer protected by another partner's
	registration. Warn, require a Partner Manager's override with a reason, or block (PRM Settings); the
	protecting registration and the override are recorded on the document (Channel Conflicts report)."""
	if doc.doctype == "Sales Invoice" and doc.get("is_return"):
		return
	regs = protecting_registrations(doc)
	if not regs:
		doc.prm_protected_by = None
		return
	reg = regs[0]
	doc.prm_protected_by = reg.name
	used = doc.get(PARTNER_FIELD[doc.doctype])
	message = _(
		"{0} is protected by deal registration {1} of partner {2} until {3}, and this {4} names {5}."
	).format(
		frappe.bold(customer_of(doc)),
		frappe.bold(reg.name),
		frappe.bold(reg.partner),
		frappe.format(reg.expires_on, "Date"),
		_(doc.doctype),
		frappe.bold(used) if used else _("no sales partner"),
	)
	action = channel_conflict_action()
	if action == BLOCK:
		frappe.throw(message + " " + _("Submitting is blocked (PRM Settings)."), title=_("Channel Conflict"))
	if action == REQUIRE_OVERRIDE:
		reason = (doc.get("prm_channel_override_reason") or "").strip()
		if not reason:
			frappe.throw(
				message
				+ " "
				+ _(
					"A Partner Manager must give a Channel Override Reason on the document to submit it, or link the protecting registration."
				),
				title=_("Channel Override Required"),
			)
		if set(MANAGER_ROLES).isdisjoint(frappe.get_roles()):
			frappe.throw(
				message + " " + _("Only a Partner Manager can override another partner's protection."),
				frappe.PermissionError,
				title=_("Channel Override Required"),
			)
		doc.prm_channel_override_by = frappe.session.user
		doc.prm_channel_override_on = frappe.utils.now_datetime()
		return
	frappe.msgprint(message, title=_("Channel Conflict"), indicator="orange")
