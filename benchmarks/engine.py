"""Commission engine speed, measured side by side in one run.

    python benchmarks/engine.py [--lines N] [--numbers float|str] [--mode marginal|step] [--skip-reference]

(a) one 100-line invoice against a 20-rule plan through ``commission.compute_commission`` (median of many
    calls); (b) ``vectorised.compute_frame`` on N invoice lines (default 1,000,000; median of 3 runs);
(c) ``simulate.run_stream`` — the per-invoice path — on the same lines, and the ratio (c)/(b), after
    checking that both give the same total; peak memory (resident set size, and Python allocations).

The data are generated with a fixed seed: ~1,000 partners, ~10 lines per invoice over one year (so
quarterly bracket volumes cross their thresholds), ~3 % of invoices returned in part by a credit note.
Targets on a 2-core machine: (a) <= 1 ms, (b) <= 2 s, memory <= 1 GB.
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
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from prm_app.engine.commission import Invoice, InvoiceLine, PartnerState, compute_commission
from prm_app.engine.frames import frame_to_invoices
from prm_app.engine.plans import Plan, plan_from_dict
from prm_app.engine.simulate import run_stream
from prm_app.engine.vectorised import compute_frame

SEED = 20260101
GROUPS = [f"G{i:02d}" for i in range(20)]
BRANDS = [f"B{i}" for i in range(10)]
TERRITORIES = ["North", "South", "East", "West"]
CUSTOMER_GROUPS = ["Commercial", "Government", "Education"]
TIERS = ["Platinum", "Gold", "Silver", ""]
TYPES = ["Reseller", "Referral", "Distributor"]


def make_plan(mode: str = "marginal") -> Plan:
	"""A 20-rule quarterly plan: brackets, percentages, per unit, per invoice, limits, caps, tiers."""
	brackets = [
		{"from": 0, "to": 20000, "rate": 3},
		{"from": 20000, "to": 60000, "rate": 5},
		{"from": 60000, "rate": 7.5},
	]
	rules = [
		{"name": f"volume-{g}", "priority": 1, "match": {"item_group": [g]}, "brackets": brackets}
		for g in GROUPS[:4]
	]
	rules[0]["min_per_invoice"] = "5"
	rules += [
		{"name": "services-north", "rate": "8", "match": {"item_group": ["G04"], "territory": ["North"]}},
		{
			"name": "services",
			"rate": "6.5",
			"match": {"item_group": ["G04", "G05"]},
			"cap_per_period": "5000",
		},
		{"name": "resellers", "rate": "4.25", "match": {"item_group": ["G06"], "partner_type": ["Reseller"]}},
		{
			"name": "public",
			"rate": "3.75",
			"match": {"item_group": ["G07"], "customer_group": ["Government", "Education"]},
		},
		{
			"name": "licences",
			"rate_type": "per_unit",
			"rate": "1.25",
			"match": {"item_group": ["G08"]},
			"max_per_invoice": "40",
		},
		{"name": "seats", "rate_type": "per_unit", "rate": "0.75", "match": {"item_group": ["G09"]}},
		{"name": "devices", "rate_type": "per_unit", "rate": "2", "match": {"item_group": ["G10"]}},
		{
			"name": "deal-bonus",
			"rate_type": "per_invoice",
			"rate": "25",
			"priority": 2,
			"match": {"registered_deal": True, "item_group": ["G11"]},
		},
		{
			"name": "new-logo",
			"rate_type": "per_invoice",
			"rate": "10",
			"match": {"new_customer": True, "item_group": ["G12"]},
		},
		{"name": "brand-b1", "rate": "5", "match": {"brand": ["B1"], "item_group": ["G13", "G14"]}},
		{"name": "brand-b2", "rate": "4.5", "match": {"brand": ["B2"]}},
		{"name": "g13", "rate": "3.3", "match": {"item_group": ["G13"]}},
		{"name": "g14-edu", "rate": "6", "match": {"item_group": ["G14"], "customer_group": ["Education"]}},
		{
			"name": "g15-17",
			"rate": "2.75",
			"match": {"item_group": ["G15", "G16", "G17"]},
			"cap_per_period": "3000",
		},
		{"name": "g18", "rate": "1.5", "match": {"item_group": ["G18"]}, "min_per_invoice": "2"},
		{"name": "everything-else", "rate": "2", "priority": 20},
	]
	assert len(rules) == 20
	return plan_from_dict(
		{
			"name": "Benchmark",
			"currency": "USD",
			"period": "quarter",
			"bracket_mode": mode,
			"tier_multipliers": {"Platinum": "1.5", "Gold": "1.25", "Silver": "1.1"},
			"rules": rules,
		}
	)


def make_lines(n_lines: int, numbers: str = "float", seed: int = SEED) -> pd.DataFrame:
	"""About ``n_lines`` invoice lines (sales and ~3 % partial credit notes), seeded."""
	rng = np.random.default_rng(seed)
	partners = 1000
	per_invoice = rng.integers(5, 16, size=n_lines // 5 + 10)  # ~10 lines per invoice
	n_sales = int(np.searchsorted(np.cumsum(per_invoice), n_lines * 0.985)) + 1
	per_invoice = per_invoice[:n_sales]
	partner = rng.integers(0, partners, n_sales)
	tier = np.array(TIERS, dtype=object)[partner % len(TIERS)]
	ptype = np.array(TYPES, dtype=object)[partner % len(TYPES)]
	day = rng.integers(0, 365, n_sales)
	sale_lines = int(per_invoice.sum())
	inv = np.repeat(np.arange(n_sales), per_invoice)
	group = rng.integers(0, len(GROUPS), sale_lines)
	item = group * 100 + rng.integers(0, 100, sale_lines)
	amount = np.round(rng.lognormal(5.5, 1.0, sale_lines), 2)
	qty = rng.integers(1, 11, sale_lines).astype(np.int64)
	sales = {
		"invoice": np.array([f"SINV-{i:07d}" for i in range(n_sales)], dtype=object)[inv],
		"posting_date": (np.datetime64("2026-01-01") + day.astype("timedelta64[D]"))[inv],
		"partner": np.array([f"PARTNER-{p:04d}" for p in range(partners)], dtype=object)[partner][inv],
		"customer": np.array([f"CUST-{c:05d}" for c in rng.integers(0, 20000, n_sales)], dtype=object)[inv],
		"territory": np.array(TERRITORIES, dtype=object)[rng.integers(0, 4, n_sales)][inv],
		"customer_group": np.array(CUSTOMER_GROUPS, dtype=object)[rng.integers(0, 3, n_sales)][inv],
		"partner_tier": tier[inv],
		"partner_type": ptype[inv],
		"new_customer": (rng.random(n_sales) < 0.1)[inv],
		"registered_deal": (rng.random(n_sales) < 0.2)[inv],
		"is_return": np.zeros(sale_lines, dtype=bool),
		"return_against": np.full(sale_lines, "", dtype=object),
		"item_code": np.array([f"ITEM-{i:04d}" for i in range(2000)], dtype=object)[item],
		"item_group": np.array(GROUPS, dtype=object)[group],
		"brand": np.array(BRANDS, dtype=object)[rng.integers(0, len(BRANDS), sale_lines)],
		"base_net_amount": amount,
		"qty": qty,
	}
	frame = pd.DataFrame(sales)
	# credit notes: ~3 % of invoices, 1-3 of their lines, part of the quantity, 1-60 days later
	starts = np.r_[0, np.cumsum(per_invoice)[:-1]]
	returned = rng.choice(n_sales, size=max(1, min(n_sales, n_lines - sale_lines) // 2), replace=False)
	rows = []
	for number, s in enumerate(returned.tolist()):
		chosen = rng.choice(per_invoice[s], size=min(per_invoice[s], int(rng.integers(1, 4))), replace=False)
		for offset in chosen.tolist():
			j = starts[s] + offset
			back = int(rng.integers(1, qty[j] + 1))
			rows.append((number, s, j, back, offset))
	frame["return_line_id"] = ""
	if rows:
		number, s, j, back, offset = (np.array(x) for x in zip(*rows, strict=True))
		notes = frame.iloc[j].copy()
		notes["invoice"] = [f"CRN-{k:07d}" for k in number]
		notes["posting_date"] = notes["posting_date"].to_numpy() + rng.integers(1, 61, len(j)).astype(
			"timedelta64[D]"
		)
		notes["is_return"] = True
		notes["return_against"] = frame["invoice"].to_numpy()[j]
		notes["qty"] = -back
		notes["return_line_id"] = [str(k + 1) for k in offset]  # the returned line (its position)
		notes["base_net_amount"] = -np.round(amount[j] * back / qty[j], 2)
		frame = pd.concat([frame, notes], ignore_index=True)
	if numbers == "str":
		frame["base_net_amount"] = [f"{v:.2f}" for v in frame["base_net_amount"]]
		frame["qty"] = frame["qty"].astype(str)
	return frame


def one_invoice(n: int = 100, seed: int = SEED) -> tuple[Invoice, PartnerState]:
	rng = np.random.default_rng(seed)
	lines = tuple(
		InvoiceLine(
			item_code=f"ITEM-{g * 100 + int(rng.integers(0, 100)):04d}",
			item_group=GROUPS[g],
			brand=BRANDS[int(rng.integers(0, len(BRANDS)))],
			base_net_amount=Decimal(f"{rng.lognormal(5.5, 1.0):.2f}"),
			qty=Decimal(int(rng.integers(1, 11))),
		)
		for g in rng.integers(0, len(GROUPS), n).tolist()
	)
	invoice = Invoice(
		name="SINV-BENCH",
		posting_date=date(2026, 5, 14),
		partner="PARTNER-0001",
		lines=lines,
		territory="North",
		customer_group="Education",
		partner_tier="Gold",
		partner_type="Reseller",
		registered_deal=True,
		new_customer=True,
	)
	volume = {(f"volume-{g}", "2026-Q2"): Decimal("19000") for g in GROUPS[:4]}
	earned = {("services", "2026-Q2"): Decimal("4990"), ("g15-17", "2026-Q2"): Decimal("100")}
	return invoice, PartnerState(volume=volume, earned=earned)


def _status_mb(field: str) -> float | None:
	try:
		with open("/proc/self/status") as status:
			for line in status:
				if line.startswith(field + ":"):
					return int(line.split()[1]) / 1024
	except OSError:
		pass
	return None


def current_rss_mb() -> float | None:
	return _status_mb("VmRSS")


def reset_peak_rss() -> bool:
	"""Reset the process's peak RSS (Linux: ``clear_refs`` 5), so the next peak is (b)'s own."""
	try:
		with open("/proc/self/clear_refs", "w") as f:
			f.write("5")
		return True
	except OSError:
		return False


def peak_rss_mb() -> float:
	"""Peak resident set size (since the last reset where Linux allows it)."""
	peak = _status_mb("VmHWM")
	return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn, repeat: int) -> tuple[float, object]:
	times, result = [], None
	for _ in range(repeat):
		gc.collect()
		start = time.perf_counter()
		result = fn()
		times.append(time.perf_counter() - start)
	return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
	parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
	parser.add_argument("--lines", type=int, default=1_000_000, help="invoice lines for (b) and (c)")
	parser.add_argument("--numbers", choices=("float", "str"), default="float", help="money column type")
	parser.add_argument("--mode", choices=("marginal", "step"), default="marginal", help="bracket mode")
	parser.add_argument("--skip-reference", action="store_true", help="do not run (c)")
	args = parser.parse_args(argv)
	plan = make_plan(args.mode)

	# (a) one 100-line invoice, 20 rules, compute_commission
	invoice, state = one_invoice()
	compute_commission(plan, invoice, state)
	calls = 300
	samples = []
	for _ in range(calls):
		start = time.perf_counter()
		compute_commission(plan, invoice, state)
		samples.append(time.perf_counter() - start)
	one = statistics.median(samples)

	# data
	start = time.perf_counter()
	frame = make_lines(args.lines, args.numbers)
	made = time.perf_counter() - start
	invoices = frame["invoice"].nunique()
	returns = frame.loc[frame["is_return"], "invoice"].nunique()
	# (b) vectorised
	compute_frame(plan, frame.head(1000))
	gc.collect()
	rss_before = current_rss_mb()
	reset = reset_peak_rss()
	vec, result = timed(lambda: compute_frame(plan, frame), 3)
	rss_peak = peak_rss_mb()
	tracemalloc.start()
	compute_frame(plan, frame)
	_, traced = tracemalloc.get_traced_memory()
	tracemalloc.stop()

	print(f"data: {len(frame):,} lines, {invoices:,} invoices ({returns:,} credit notes), 1,000 partners, ")
	print(f"      20-rule {args.mode} plan, money as {args.numbers} (generated in {made:.1f} s)")
	print()
	print(
		f"(a) compute_commission, one 100-line invoice:  {one * 1000:8.3f} ms  (median of {calls})  target <= 1 ms"
	)
	print(f"(b) vectorised, {len(frame):,} lines:        {vec:8.3f} s   (median of 3)    target <= 2 s")
	since = "during (b)" if reset else "of the process"
	print(
		f"    memory: peak RSS {since} {rss_peak:,.0f} MB, of which {rss_before or 0:,.0f} MB before (b) "
		f"(interpreter, libraries, input frame); Python/numpy allocations of one run peak at "
		f"{traced / 2**20:,.0f} MB   target <= 1 GB"
	)
	print(f"    {len(result):,} commission lines, total {result['amount'].sum()}")
	if args.skip_reference:
		return 0

	# (c) the per-invoice path on the same lines
	start = time.perf_counter()
	objects = frame_to_invoices(frame)
	build = time.perf_counter() - start
	reset_peak_rss()
	start = time.perf_counter()
	stream = run_stream(plan, objects)
	ref = time.perf_counter() - start
	want = [(ln.invoice, ln.kind, ln.rule, ln.line_key, ln.amount) for ln in stream.lines]
	have = list(
		zip(*(result[c].tolist() for c in ("invoice", "kind", "rule", "line_key", "amount")), strict=True)
	)
	same = want == have
	print(
		f"(c) run_stream, same lines:                  {ref:8.3f} s   (+ {build:.1f} s to build Invoice objects)"
	)
	print(
		f"    ratio (c)/(b): {ref / vec:,.1f}x   identical lines (invoice, kind, rule, line, amount): {same}"
	)
	print(f"    memory: peak RSS during (c) {peak_rss_mb():,.0f} MB")
	return 0 if same else 1


if __name__ == "__main__":
	raise SystemExit(main())
