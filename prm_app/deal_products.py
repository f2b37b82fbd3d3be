"""The products a partner may register on a deal: enabled sales items that are not variant templates.
One rule for the portal's product search, the portal's endpoints and the Deal Registration controller;
the shape of the posted lines (quantities, duplicates, at most 50) is ``prm_app.engine.deal_lines``."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.utils import escape_html, flt

from prm_app.engine.deal_lines import MAX_LINES, Line, parse_lines

REGISTRABLE = {"disabled": 0, "is_sales_item": 1, "has_variants": 0}
SEARCH_LIMIT = 20  # results of one search
MAX_SEARCH_LENGTH = 140  # characters of the search text


def registrable(item_codes) -> set[str]:
	"""The codes among ``item_codes`` a partner may register (one query)."""
	item_codes = sorted({c for c in item_codes if c})
	if not item_codes:
		return set()
	return set(frappe.get_all("Item", filters={"name": ("in", item_codes), **REGISTRABLE}, pluck="name"))


def refused_items(item_codes) -> list[str]:
	"""A partner's refusal of the codes it may not register, one message each, the same whether the item
	does not exist, is disabled or is no sales item (the portal must not tell which items exist)."""
	allowed = registrable(item_codes)
	return [
		_("{0} is not a product you can register.").format(escape_html(code))
		for code in dict.fromkeys(item_codes)
		if code not in allowed
	]


def lines_from_form(entries) -> tuple[list[dict], list[str]]:
	"""Child rows (item_code, qty) from what the portal posted, and every problem as a translated message."""
	lines, problems = parse_lines(entries)
	messages = [
		_(problem.template).format(*(escape_html(str(arg)) for arg in problem.args)) for problem in problems
	]
	if len(lines) <= MAX_LINES:  # more: refused for their number, not item by item
		messages += refused_items([line.item_code for line in lines])
	return [row(line) for line in lines], messages


def row(line: Line) -> dict:
	return {"item_code": line.item_code, "qty": flt(line.qty)}


def like_pattern(word: str) -> str:
	return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(txt: str = "", limit: int = SEARCH_LIMIT) -> list[dict]:
	"""Registrable items whose code or name holds every word of ``txt`` (any case), codes starting with the
	text first, then by name; with no text the first ones by name. Only code, name and item group."""
	item = frappe.qb.DocType("Item")
	query = frappe.qb.from_(item).select(item.item_code, item.item_name, item.item_group)
	for field, value in REGISTRABLE.items():
		query = query.where(item[field] == value)
	words = txt.split()
	for word in words[:5]:
		pattern = like_pattern(word)
		query = query.where(item.item_code.like(pattern) | item.item_name.like(pattern))
	if words:
		# an exact or leading match of the code or name comes first
		leading = like_pattern(words[0])[1:]
		query = query.orderby(
			Case().when(item.item_code.like(leading) | item.item_name.like(leading), 0).else_(1)
		)
	return query.orderby(item.item_name).orderby(item.item_code).limit(limit).run(as_dict=True)


def names_of(item_codes) -> dict[str, str]:
	item_codes = sorted({c for c in item_codes if c})
	if not item_codes:
		return {}
	return dict(
		frappe.get_all(
			"Item", filters={"name": ("in", item_codes)}, fields=["name", "item_name"], as_list=True
		)
	)
