"""Market development funds at scale: ``engine.funds`` on generated data.

    python benchmarks/funds.py [--partners 5000] [--lines 1000000] [--records 100000] [--runs 3]

1. Allocation: a fund allocated as 2 % of each partner's previous-period revenue, capped at 25,000 and
   scaled to the fund's total, for N partners from M invoice lines (amounts as floats, as
   ``frappe.get_all`` returns currency; ~4 % credit notes): ``allocate_frame`` (pandas group-by, then the
   Decimal engine per partner). Checked: the allocations add up to the fund's total to the cent.
2. Utilisation: the funnel (allocated -> requested -> approved -> claimed -> paid, expired) over R
   requests and claims, grouped by fund and partner, with ``engine.funds.utilisation`` (what the Fund
   Utilisation report runs), and the balances of every allocation with ``engine.funds.balance``.

Reported: generation time and the median time over ``--runs`` runs of each step, on this machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from prm_app.engine import funds

SEED = 20261205


def make_lines(partners: int, lines: int, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
	names = np.array([f"P{i:05d}" for i in range(partners)])
	weights = rng.pareto(1.5, partners) + 0.05
	who = rng.choice(partners, size=lines, p=weights / weights.sum())
	amount = np.round(rng.lognormal(7, 1.2, lines), 2)
	amount[rng.random(lines) < 0.04] *= -1  # credit notes
	frame = pd.DataFrame({"partner": names[who], "base_net_amount": amount})
	tiers = rng.choice(["Gold", "Silver", "Bronze", None], size=partners, p=[0.1, 0.3, 0.5, 0.1])
	return pd.DataFrame({"partner": names, "tier": tiers}), frame


def make_records(records: int, partners: int, rng) -> tuple[list[dict], dict]:
	"""Half requests, half claims on them; with the figures ``balance`` takes per allocation."""
	statuses = np.array(funds.REQUEST_STATUSES)
	n = records // 2
	partner = rng.integers(0, partners, n)
	fund = rng.integers(0, 4, n)
	status = statuses[rng.integers(0, len(statuses), n)]
	requested = np.round(rng.uniform(500, 20000, n), 2)
	approved = np.round(requested * rng.uniform(0.5, 1, n), 2).tolist()
	requested, partner, fund, status = requested.tolist(), partner.tolist(), fund.tolist(), status.tolist()
	rows, per_allocation = [], {}
	for i in range(n):
		key = (f"F{fund[i]}", f"P{partner[i]:05d}")
		approved_i = approved[i] if status[i] in (*funds.RESERVING, funds.CLAIMED, funds.EXPIRED) else 0
		rows.append(
			{
				"fund": key[0],
				"partner": key[1],
				"requested": requested[i] if status[i] != funds.DRAFT else 0,
				"approved": approved_i,
				"expired": approved_i if status[i] == funds.EXPIRED else 0,
			}
		)
		claimed = round(approved_i * 0.8, 2) if status[i] == funds.CLAIMED else 0
		rows.append({"fund": key[0], "partner": key[1], "claimed": claimed, "paid": claimed})
		entry = per_allocation.setdefault(key, ([], []))
		entry[0].append(
			funds.RequestFigures(
				str(i), str(status[i]), Decimal(repr(requested[i])), Decimal(repr(approved_i))
			)
		)
		if claimed:
			entry[1].append(funds.ClaimFigures(str(i), Decimal(repr(claimed)), Decimal(repr(claimed))))
	for key in per_allocation:
		rows.append({"fund": key[0], "partner": key[1], "allocated": 25000})
	return rows, per_allocation


def timed(function, runs: int):
	times, result = [], None
	for _ in range(runs):
		start = time.perf_counter()
		result = function()
		times.append(time.perf_counter() - start)
	return statistics.median(times), result


def main(argv=None) -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--partners", type=int, default=5000)
	parser.add_argument("--lines", type=int, default=1_000_000)
	parser.add_argument("--records", type=int, default=100_000)
	parser.add_argument("--runs", type=int, default=3)
	args = parser.parse_args(argv)
	rng = np.random.default_rng(SEED)

	start = time.perf_counter()
	partners, lines = make_lines(args.partners, args.lines, rng)
	generated = time.perf_counter() - start
	total = Decimal("2500000")
	rule = funds.AllocationRule(
		funds.PERCENT_OF_REVENUE, percentage=Decimal("2"), cap=Decimal("25000"), total=total
	)
	seconds, allocations = timed(lambda: funds.allocate_frame(rule, partners, lines), args.runs)
	allocated = sum(a.amount for a in allocations)
	assert allocated <= total, allocated  # scaled down to the total, to the cent, when the rule asks more
	print(
		f"allocation: {args.partners:,} partners from {args.lines:,} invoice lines "
		f"(generated in {generated:.1f}s): {seconds:.2f}s median of {args.runs}; "
		f"allocated {allocated:,.2f} of {total:,.2f}"
	)

	start = time.perf_counter()
	rows, per_allocation = make_records(args.records, args.partners, rng)
	generated = time.perf_counter() - start
	seconds, result = timed(lambda: funds.utilisation(rows, ("fund", "partner")), args.runs)
	print(
		f"utilisation: {args.records:,} requests and claims, {len(result):,} allocations "
		f"(generated in {generated:.1f}s): {seconds:.2f}s median of {args.runs}"
	)
	seconds, balances = timed(
		lambda: [funds.balance(Decimal(25000), r, c) for r, c in per_allocation.values()], args.runs
	)
	print(
		f"balances: {len(balances):,} allocations from the same records: {seconds:.2f}s median of {args.runs}"
	)


if __name__ == "__main__":
	main()
