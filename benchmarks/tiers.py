"""Tier evaluation speed and memory: ``engine.tiers.evaluate_tiers`` on a large generated data set.

    python benchmarks/tiers.py [--partners 5000] [--lines 1000000] [--runs 3]

The data (fixed seed): N partners with random current tiers (2 % locked), invoice lines over 24 months
(amounts as floats, the way ``frappe.get_all`` returns currency), credit notes for ~3 % of them, ~20 deal
registrations and ~3 certifications per partner, and 12 months of evaluation history per partner. Four tiers
with different windows (6 and 12 months), revenue, won-deal and certification minimums and grace counts.

Reported: generation time, the median evaluation time over ``--runs`` runs, the peak resident set size of
the process (data + evaluation) and the peak of Python/numpy allocations during one evaluation.
Targets (issue 6): 5,000 partners over 1,000,000 invoice lines in <= 30 s and <= 2 GB.
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from datetime import date

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from prm_app.engine.tiers import TierCriteria, evaluate_tiers

SEED = 20261127
AS_OF = date(2026, 10, 31)
TIERS = [
	TierCriteria("Registered", 1),
	TierCriteria("Silver", 2, min_revenue=100_000, min_won_deals=1, window_months=12, grace_count=2),
	TierCriteria("Gold", 3, min_revenue=300_000, min_won_deals=4, min_certified_users=2, grace_count=1),
	TierCriteria("Platinum", 4, min_revenue=250_000, min_won_deals=6, min_certified_users=3, window_months=6),
]


def make_data(n_partners: int, n_lines: int) -> dict:
	rng = np.random.default_rng(SEED)
	names = np.array([f"Partner {i:05d}" for i in range(n_partners)])
	tier_names = np.array(["", "Registered", "Silver", "Gold", "Platinum"])
	partners = pd.DataFrame(
		{
			"partner": names,
			"tier": tier_names[rng.integers(0, 5, n_partners)],
			"tier_locked": rng.random(n_partners) < 0.02,
		}
	)
	# a skewed revenue distribution: a few partners sell a lot
	weights = rng.pareto(1.2, n_partners) + 0.05
	weights /= weights.sum()
	days = np.datetime64(AS_OF, "D") - rng.integers(0, 730, n_lines).astype("timedelta64[D]")
	invoices = pd.DataFrame(
		{
			"partner": pd.Categorical(names[rng.choice(n_partners, n_lines, p=weights)]),
			"posting_date": days,
			"base_net_amount": np.round(rng.gamma(2.0, 400.0, n_lines), 2),
		}
	)
	picked = rng.random(n_lines) < 0.03
	returns = pd.DataFrame(
		{
			"partner": invoices.partner[picked].to_numpy(),
			"posting_date": days[picked] + rng.integers(0, 30, picked.sum()).astype("timedelta64[D]"),
			"base_net_amount": -np.round(
				invoices.base_net_amount[picked].to_numpy() * rng.random(picked.sum()), 2
			),
		}
	)
	n_regs = n_partners * 20
	registrations = pd.DataFrame(
		{
			"partner": names[rng.integers(0, n_partners, n_regs)],
			"status": np.array(["Won", "Lost", "Approved", "Submitted"])[rng.integers(0, 4, n_regs)],
			"won_on": np.datetime64(AS_OF, "D") - rng.integers(0, 730, n_regs).astype("timedelta64[D]"),
		}
	)
	n_certs = n_partners * 3
	valid_until = np.datetime64(AS_OF, "D") + rng.integers(-365, 730, n_certs).astype("timedelta64[D]")
	certifications = pd.DataFrame(
		{
			"partner": names[rng.integers(0, n_partners, n_certs)],
			"user": [f"u{i % 7}@p" for i in range(n_certs)],
			"valid_until": np.where(rng.random(n_certs) < 0.2, np.datetime64("NaT"), valid_until),
		}
	)
	months = pd.date_range(end=pd.Timestamp(AS_OF), periods=12, freq="ME")
	history = pd.DataFrame(
		{
			"partner": np.repeat(names, 12),
			"evaluated_on": np.tile(months.to_numpy(), n_partners),
			"tier": np.repeat(partners.tier.to_numpy(), 12),
			"failed": rng.random(n_partners * 12) < 0.3,
		}
	)
	return dict(
		partners=partners,
		invoices=invoices,
		returns=returns,
		registrations=registrations,
		certifications=certifications,
		history=history,
	)


def main(argv=None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--partners", type=int, default=5000)
	parser.add_argument("--lines", type=int, default=1_000_000)
	parser.add_argument("--runs", type=int, default=3)
	args = parser.parse_args(argv)

	start = time.perf_counter()
	data = make_data(args.partners, args.lines)
	generated = time.perf_counter() - start
	print(
		f"data: {args.partners:,} partners, {len(data['invoices']):,} invoice lines, "
		f"{len(data['returns']):,} return lines, {len(data['registrations']):,} registrations, "
		f"{len(data['certifications']):,} certifications, {len(data['history']):,} history rows "
		f"(generated in {generated:.1f} s)"
	)

	times = []
	for _ in range(args.runs):
		gc.collect()
		start = time.perf_counter()
		result = evaluate_tiers(TIERS, as_of=AS_OF, **data)
		times.append(time.perf_counter() - start)
	gc.collect()
	tracemalloc.start()
	evaluate_tiers(TIERS, as_of=AS_OF, **data)
	_, traced_peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

	changes = result.change.value_counts().to_dict()
	print(f"proposals: {len(result):,}; changes: {changes}; locked: {int(result.locked.sum())}")
	print(
		f"evaluation: median {statistics.median(times):.2f} s over {args.runs} run(s) "
		f"(min {min(times):.2f}, max {max(times):.2f}); target <= 30 s"
	)
	print(
		f"memory: peak RSS of the process {rss:,.0f} MiB (data included); "
		f"peak allocations during one evaluation {traced_peak / 2**20:,.0f} MiB; target <= 2,048 MiB"
	)
	ok = statistics.median(times) <= 30 and rss <= 2048
	print("OK" if ok else "TARGET MISSED")
	return 0 if ok else 1


if __name__ == "__main__":
	sys.exit(main())
