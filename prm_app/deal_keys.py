"""Retrieval keys of the records the deal-registration conflict check compares against, stored in
``Deal Match Key`` (one row per key, indexed) and kept in step on save.

The keys are the engine's (``prm_app.engine.matching.party_keys``): the start of each distinctive name
word (folded, transliterated, without quotes, legal forms or punctuation), acronyms, the registrable
domain (and a platform shop or page), the tax id with and without its country prefix. The engine only
scores a name against a name sharing a key, so the indexed equality lookup here cannot miss a match.

Domains are stored whatever the shared-domain list says (the prospect's own shared domains are never
looked up), so editing the list in PRM Settings (additions to the built-in list, ``-entry`` removals)
needs no rebuild except for new platform entries. A change of normalisation changes the keys: a patch
then refills them (``rebuild``).
"""

from __future__ import annotations

from functools import lru_cache

import frappe

from prm_app.engine.matching import (
	DEFAULT_SHARED,
	MatchingError,
	SharedDomains,
	name_tokens,
	normalise_tax_id,
	party_keys,
)

KEY_DOCTYPE = "Deal Match Key"
NO_SHARED = SharedDomains()

# doctype -> (name fields, website / e-mail fields, tax id field)
SOURCES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str | None]] = {
	"Deal Registration": (("prospect_name",), ("website", "contact_email"), "tax_id"),
	"Customer": (("customer_name",), ("website", "email_id"), "tax_id"),
	"Lead": (("company_name",), ("website", "email_id"), None),
	"Prospect": (("company_name",), ("website",), None),
	"Opportunity": (("customer_name", "party_name"), ("website", "contact_email"), None),
	"Quotation": (("customer_name",), ("contact_email",), None),
}


def shared_domains() -> SharedDomains:
	"""The built-in shared mail / ISP / platform domains with the additions (and ``-entry`` removals) of
	PRM Settings."""
	return _parse(frappe.db.get_single_value("PRM Settings", "shared_domains") or "")


@lru_cache(maxsize=8)
def _parse(text: str) -> SharedDomains:
	return SharedDomains.parse(text, DEFAULT_SHARED) if text.strip() else DEFAULT_SHARED


def clear_shared_domains_cache() -> None:
	"""Nothing to clear: the settings are read on every check (parsing is cached by their text)."""


def _domains(values, shared: SharedDomains) -> set[str]:
	out = set()
	for value in values:
		if not value:
			continue
		for table in (NO_SHARED, shared):
			try:
				key = table.key(value)
			except MatchingError:
				continue
			if key:
				out.add(key)
	return out


def keys_of(doctype: str, row) -> set[str]:
	"""Every key of a record (a document or a row with the ``SOURCES`` fields)."""
	name_fields, site_fields, tax_field = SOURCES[doctype]
	keys = set()
	for field in name_fields:
		keys |= party_keys(" ".join(name_tokens(row.get(field) or "")))
	keys |= party_keys("", _domains([row.get(f) for f in site_fields], shared_domains()))
	if tax_field:
		keys |= party_keys("", (), normalise_tax_id(row.get(tax_field) or ""))
	return {k[:140] for k in keys if k}


def _insert(rows: list[tuple[str, str, str]]) -> None:
	if not rows:
		return
	now = frappe.utils.now()
	frappe.db.bulk_insert(
		KEY_DOCTYPE,
		["name", "ref_doctype", "ref_name", "match_key", "creation", "modified", "owner", "modified_by"],
		[
			(frappe.generate_hash(length=12), dt, name, key, now, now, "Administrator", "Administrator")
			for dt, name, key in rows
		],
		chunk_size=5000,
	)


def update(doc, method=None) -> None:
	"""doc_events on_update: replace the record's keys (when they changed)."""
	if doc.doctype not in SOURCES:
		return
	keys = keys_of(doc.doctype, doc)
	table = frappe.qb.DocType(KEY_DOCTYPE)
	stored = set(
		frappe.qb.from_(table)
		.select(table.match_key)
		.where((table.ref_doctype == doc.doctype) & (table.ref_name == doc.name))
		.run(pluck=True)
	)
	if stored == keys:
		return
	remove(doc)
	_insert([(doc.doctype, doc.name, key) for key in sorted(keys)])


def remove(doc, method=None) -> None:
	"""doc_events on_trash: the record's keys go with it."""
	table = frappe.qb.DocType(KEY_DOCTYPE)
	frappe.qb.from_(table).delete().where(
		(table.ref_doctype == doc.doctype) & (table.ref_name == doc.name)
	).run()


def after_rename(doc, method=None, old=None, new=None, merge=False) -> None:
	table = frappe.qb.DocType(KEY_DOCTYPE)
	frappe.qb.update(table).set(table.ref_name, new).where(
		(table.ref_doctype == doc.doctype) & (table.ref_name == old)
	).run()


def rebuild(doctypes=None, batch: int = 20_000) -> int:
	"""Recompute the keys of every record of ``doctypes`` (all sources by default); the patch and the
	benchmark run it. Returns the number of keys written."""
	written = 0
	for doctype in doctypes or SOURCES:
		name_fields, site_fields, tax_field = SOURCES[doctype]
		fields = ["name", *name_fields, *site_fields, *([tax_field] if tax_field else [])]
		table = frappe.qb.DocType(KEY_DOCTYPE)
		frappe.qb.from_(table).delete().where(table.ref_doctype == doctype).run()
		start = 0
		while True:
			rows = frappe.get_all(
				doctype, fields=fields, order_by="name asc", limit_start=start, limit_page_length=batch
			)
			if not rows:
				break
			out = [(doctype, row.name, key) for row in rows for key in sorted(keys_of(doctype, row))]
			_insert(out)
			written += len(out)
			start += batch
	return written


def lookup(keys, lock: bool = False) -> dict[str, list[str]]:
	"""Records sharing one of ``keys``, by doctype (an indexed equality lookup).

	``lock``: a locking read (``for update``), for the conflict check of a registration being submitted
	or approved. It reads the latest committed keys, not the transaction's snapshot, and holds the keys'
	index range until commit: of two registrations of the same prospect submitted at the same moment,
	the second waits for the first and then sees it (else both were checked against a world without the
	other, and both auto-approved)."""
	keys = sorted({k[:140] for k in keys if k})
	if not keys:
		return {}
	out: dict[str, set[str]] = {}
	for doctype, name in frappe.db.sql(
		"select ref_doctype, ref_name from `tabDeal Match Key` where match_key in %s"
		+ (" for update" if lock else ""),
		(tuple(keys),),
	):
		out.setdefault(doctype, set()).add(name)
	return {doctype: sorted(names) for doctype, names in out.items()}
