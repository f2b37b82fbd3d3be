"""The product lines of a deal registration as a partner sends them: item codes with quantities.

Accepts what the portal's product picker posts (``[{"item_code": "X", "qty": "3"}, …]``) and what older
clients post (``["X", "Y"]``: quantity 1 each). Every problem is collected, never the first one only, so
the form can show them all at once. Whether an item may be registered is the Frappe layer's question
(the database); this module only checks the shape of the lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

MAX_LINES = 50  # products in one registration
MAX_QTY = Decimal("1000000")  # a sane upper bound for one product of one deal
MAX_CODE_LENGTH = 140  # an Item's name
MAX_ENTRIES = 4 * MAX_LINES  # posted entries looked at, duplicates included (beyond: refused unread)

# problem templates (translated by the Frappe layer; {0} is the item code)
NO_ITEM = "A product line has no item."
NOT_A_NUMBER = "The quantity of {0} must be a number."
NOT_POSITIVE = "The quantity of {0} must be greater than zero."
TOO_LARGE = "The quantity of {0} is too large: at most {1}."
TOO_MANY = "At most 50 products in one registration."


@dataclass(frozen=True)
class Line:
	item_code: str
	qty: Decimal


@dataclass(frozen=True)
class Problem:
	template: str
	args: tuple = ()


def parse_qty(value) -> Decimal | None:
	"""The quantity as a finite Decimal, or None when it is not a number (text, a boolean, NaN, ∞)."""
	if isinstance(value, bool) or value is None:
		return None
	if isinstance(value, str):
		value = value.strip()
		if not value:
			return None
	try:
		qty = Decimal(str(value))
	except (InvalidOperation, ValueError, TypeError):
		return None
	return qty if qty.is_finite() else None


def raw_line(entry) -> tuple[str, object]:
	"""(item code, raw quantity) of one posted entry: a code alone means quantity 1."""
	if isinstance(entry, dict):
		code, qty = entry.get("item_code"), entry.get("qty", 1)
	else:
		code, qty = entry, 1
	code = code.strip() if isinstance(code, str) else ""
	return code[: MAX_CODE_LENGTH + 1], qty


def parse_lines(entries) -> tuple[list[Line], list[Problem]]:
	"""The lines in the order first posted, the quantities of a product posted twice added up (one line
	per product), and the problems found. Lines with a problem are left out."""
	entries = list(entries or [])
	if len(entries) > MAX_ENTRIES:
		return [], [Problem(TOO_MANY)]
	totals: dict[str, Decimal] = {}
	problems: list[Problem] = []
	for entry in entries:
		code, raw_qty = raw_line(entry)
		if not code:
			problems.append(Problem(NO_ITEM))
			continue
		qty = parse_qty(raw_qty)
		if qty is None:
			problems.append(Problem(NOT_A_NUMBER, (code,)))
		elif qty <= 0:
			problems.append(Problem(NOT_POSITIVE, (code,)))
		else:
			totals[code] = totals.get(code, Decimal(0)) + qty
	for code, qty in totals.items():
		if qty > MAX_QTY:
			problems.append(Problem(TOO_LARGE, (code, MAX_QTY)))
	if len(totals) > MAX_LINES:
		problems.append(Problem(TOO_MANY))
	lines = [Line(code, qty) for code, qty in totals.items() if qty <= MAX_QTY]
	return lines, problems
