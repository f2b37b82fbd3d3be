"""Commission lines -> the rows of a balanced journal entry (expense vs the partner's payable).

An accrual debits commission expense (per cost center and accounting dimensions) and credits the payable account with the partner's
party; a clawback is the mirror image (debit payable, credit expense). Rows never carry negative amounts:
a negative net on a cost center moves to the other side, as an accountant would write it. Debits equal
credits to the cent by construction, and the function checks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from prm_app.engine.commission import CommissionLine
from prm_app.engine.errors import EngineError
from prm_app.engine.money import ZERO


@dataclass(frozen=True, slots=True)
class JournalRow:
	account: str
	debit: Decimal
	credit: Decimal
	party: str = ""
	cost_center: str = ""
	dimensions: tuple[tuple[str, str], ...] = ()  # (fieldname, value) pairs of the expense row


def _side(account: str, amount: Decimal, **extra) -> JournalRow:
	if amount >= 0:
		return JournalRow(account=account, debit=amount, credit=ZERO, **extra)
	return JournalRow(account=account, debit=ZERO, credit=-amount, **extra)


def journal_draft(
	lines: Iterable[CommissionLine],
	*,
	expense_account: str,
	payable_account: str,
	party: str,
	precision: int,
	cost_centers: Mapping[str, str] | None = None,
	default_cost_center: str = "",
	dimensions: Mapping[str, tuple[tuple[str, str], ...]] | None = None,
) -> tuple[JournalRow, ...]:
	"""Balanced rows for the commission ``lines``: one expense row per cost center and set of accounting
	dimensions (``cost_centers`` maps a line's ``line_key`` to its cost center, else
	``default_cost_center``; ``dimensions`` maps it to its other dimensions as sorted (fieldname, value)
	pairs) and one payable row. An empty tuple when the lines net to zero on every expense row (nothing
	to post)."""
	if not expense_account or not payable_account:
		raise EngineError("a commission journal needs both an expense and a payable account")
	if not party:
		raise EngineError("a commission journal needs the partner's party (its supplier)")
	quantum = Decimal(1).scaleb(-precision)
	cost_centers = cost_centers or {}
	dimensions = dimensions or {}
	by_expense_row: dict[tuple[str, tuple[tuple[str, str], ...]], Decimal] = {}
	for line in lines:
		if line.amount != line.amount.quantize(quantum):
			raise EngineError(
				"commission line {0} of {1} is not rounded to {2} decimals",
				line.amount,
				line.invoice,
				precision,
			)
		key = (cost_centers.get(line.line_key, default_cost_center), dimensions.get(line.line_key, ()))
		by_expense_row[key] = by_expense_row.get(key, ZERO) + line.amount
	rows = [
		_side(expense_account, amount, cost_center=cost_center, dimensions=dims)
		for (cost_center, dims), amount in sorted(by_expense_row.items())
		if amount
	]
	total = sum(by_expense_row.values(), ZERO)
	if total:
		rows.append(_side(payable_account, -total, party=party))
	debit = sum((r.debit for r in rows), ZERO)
	credit = sum((r.credit for r in rows), ZERO)
	if debit != credit:  # cannot happen; a guard against future edits
		raise EngineError("commission journal does not balance: debit {0} != credit {1}", debit, credit)
	return tuple(rows)
