"""Deal-registration conflict check against 100,000 registrations and 50,000 customers (generated data).

    python benchmarks/conflicts.py [--registrations 100000] [--customers 50000] [--checks 200] [--seed 1]

Builds the candidate index once (timed separately), then times ``CandidateIndex.check`` for prospects that
are variants of existing names (a typo, another legal suffix, a subdomain) and for unrelated ones. Prints
the median and the 95th percentile per check; the target is <= 100 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from prm_app.engine.matching import CandidateIndex, make_party

SYLLABLES = (
	"ac me glo bex ini tech so lar nova ter ra zen quo vi al pha ome ga del ta sig ma kap pa rho lum en "
	"cor vex tri dyn amo syn ergo max pro flex gen ix on ar ul ob ex un it ly cal ber stra mon ta fer"
).split()
WORDS = "Solutions Systems Group Holdings Industries Partners Labs Digital Global Services Consulting".split()
SUFFIXES = ["", " Inc", " Inc.", " GmbH", " Ltd", " LLC", " S.A.", " B.V.", " OOO", " Pty Ltd", " Corp"]
COUNTRIES = ["United States", "Germany", "France", "United Kingdom", "India", "Brazil", "Japan", "Russia"]
PRODUCTS = [f"item:ITEM-{i:03d}" for i in range(200)] + [f"group:GROUP-{i:02d}" for i in range(20)]


def company(rng: random.Random) -> str:
	words = [
		"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 2))
	]
	if rng.random() < 0.5:
		words.append(rng.choice(WORDS))
	return " ".join(w.capitalize() for w in words) + rng.choice(SUFFIXES)


def domain_of(name: str, i: int) -> str:
	return "".join(c for c in name.split()[0].lower() if c.isalnum()) + f"{i % 97}.com"


def generate(n_regs: int, n_customers: int, seed: int):
	rng = random.Random(seed)
	parties = []
	for i in range(n_regs):
		name = company(rng)
		parties.append(
			make_party(
				"Deal Registration",
				f"DR-{i:06d}",
				company_name=name,
				websites=[
					f"https://www.{domain_of(name, i)}",
					f"someone@{rng.choice(['gmail.com', domain_of(name, i)])}",
				],
				tax_id=f"TX{rng.randint(0, 10**9):09d}",
				country=rng.choice(COUNTRIES),
				products=rng.sample(PRODUCTS, rng.randint(1, 4)),
				partner=f"P{rng.randint(0, 999)}",
				protecting=rng.random() < 0.4,
			)
		)
	for i in range(n_customers):
		name = company(rng)
		parties.append(
			make_party(
				"Customer",
				f"CUST-{i:06d}",
				company_name=name,
				websites=[domain_of(name, i + n_regs)],
				tax_id=f"TX{rng.randint(0, 10**9):09d}" if rng.random() < 0.7 else "",
			)
		)
	return parties


def prospects(parties, n: int, seed: int):
	rng = random.Random(seed + 1)
	out = []
	for k in range(n):
		base = rng.choice(parties)
		name = base.company_name
		if k % 3 == 0:  # a typo and another legal form
			i = rng.randrange(len(name.split()[0]))
			name = name[:i] + name[i + 1 :] + " Ltd"
		elif k % 3 == 1:  # unrelated
			name = company(rng)
		website = f"https://sales.{next(iter(base.domains))}" if base.domains and k % 3 != 1 else ""
		out.append(
			make_party(
				"Deal Registration",
				f"NEW-{k}",
				company_name=name,
				websites=[website] if website else [],
				country=rng.choice(COUNTRIES),
				products=rng.sample(PRODUCTS, 2),
				partner="P-NEW",
			)
		)
	return out


def main(argv=None):
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--registrations", type=int, default=100_000)
	parser.add_argument("--customers", type=int, default=50_000)
	parser.add_argument("--checks", type=int, default=200)
	parser.add_argument("--seed", type=int, default=1)
	args = parser.parse_args(argv)

	t0 = time.perf_counter()
	parties = generate(args.registrations, args.customers, args.seed)
	t1 = time.perf_counter()
	index = CandidateIndex.build(parties)
	t2 = time.perf_counter()
	timings, found, hard = [], 0, 0
	for p in prospects(parties, args.checks, args.seed):
		start = time.perf_counter()
		result = index.check(p)
		timings.append((time.perf_counter() - start) * 1000)
		found += bool(result.matches)
		hard += bool(result.hard)
	timings.sort()
	p95 = timings[int(len(timings) * 0.95) - 1]
	print(f"candidates: {len(index):,} ({args.registrations:,} registrations + {args.customers:,} customers)")
	print(f"generate {t1 - t0:.1f} s, build index {t2 - t1:.1f} s (once)")
	print(
		f"check: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms, max {timings[-1]:.2f} ms "
		f"over {len(timings)} prospects ({found} with matches, {hard} with a hard conflict)"
	)
	print("target <= 100 ms per check:", "met" if p95 <= 100 else "NOT met")


if __name__ == "__main__":
	main()
