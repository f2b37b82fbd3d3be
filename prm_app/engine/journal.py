"""Commission lines -> the rows of a balanced journal entry (expense vs the partner's payable).

An accrual debits commission expense (per cost center) and credits the payable account with the partner's
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


def _side(account: str, amount: Decimal, **extra: str) -> JournalRow:
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
) -> tuple[JournalRow, ...]:
	"""Balanced rows for the commission ``lines``: one expense row per cost center (``cost_centers``
	maps a line's ``line_key`` to its cost center, else ``default_cost_center``) and one payable row.
	An empty tuple when the lines net to zero on every cost center (nothing to post)."""
	if not expense_account or not payable_account:
		raise EngineError("a commission journal needs both an expense and a payable account")
	if not party:
		raise EngineError("a commission journal needs the partner's party (its supplier)")
	quantum = Decimal(1).scaleb(-precision)
	cost_centers = cost_centers or {}
	by_cost_center: dict[str, Decimal] = {}
	for line in lines:
		if line.amount != line.amount.quantize(quantum):
			raise EngineError(
				"commission line {0} of {1} is not rounded to {2} decimals",
				line.amount,
				line.invoice,
				precision,
			)
		cost_center = cost_centers.get(line.line_key, default_cost_center)
		by_cost_center[cost_center] = by_cost_center.get(cost_center, ZERO) + line.amount
	rows = [
		_side(expense_account, amount, cost_center=cost_center)
		for cost_center, amount in sorted(by_cost_center.items())
		if amount
	]
	total = sum(by_cost_center.values(), ZERO)
	if total:
		rows.append(_side(payable_account, -total, party=party))
	debit = sum((r.debit for r in rows), ZERO)
	credit = sum((r.credit for r in rows), ZERO)
	if debit != credit:  # cannot happen; a guard against future edits
		raise EngineError("commission journal does not balance: debit {0} != credit {1}", debit, credit)
	return tuple(rows)
