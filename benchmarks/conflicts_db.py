"""The conflict check of a Deal Registration as the Frappe layer runs it: candidates read from the database
(an indexed equality lookup on stored keys, ``Deal Match Key``), then scored by the engine. In a real bench:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/prm_app/benchmarks/conflicts_db.py --site S

Inserts N customers and M deal registrations with generated names (``benchmarks/conflicts.py``'s
generator) in one transaction, fills their keys (``prm_app.deal_keys.rebuild``, as the patch does), times
``prm_app.deals.find_conflicts`` for generated prospects, and rolls everything back. Prints the median and
95th percentile per check (targets: 50 ms / 100 ms), and the retrieval recall on the labelled sets
(tests/data/conflicts*.csv, in-sample and held out): their B sides are inserted among the generated
records, and for every pair the scorer matches, the B record must be among the candidates fetched by
key for A.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import frappe

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conflicts import company, domain_of  # the engine benchmark's generator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def labelled_recall(company_name: str):
	"""(pairs the scorer matches, of them fetched by key, conflict pairs, of them fetched) on the labelled
	sets (in-sample and the two held-out ones)."""
	from test_conflict_set import SETS, load, party

	from prm_app import deal_keys
	from prm_app.engine.matching import compare

	now = frappe.utils.now()
	matched = fetched = conflicts = conflicts_fetched = 0
	for s, path in enumerate(SETS):
		rows = load(path)
		regs = [
			{
				"name": f"_BENCH-SET{s}-{i:04d}",
				"partner": "_BENCH-OTHER",
				"company": company_name,
				"prospect_name": row["b_name"],
				"website": row["b_site"] or None,
				"tax_id": row["b_tax"] or None,
				"status": "Approved",
				"expires_on": frappe.utils.add_days(frappe.utils.nowdate(), 30),
				"expected_amount": 1000,
				"currency": "USD",
				"expected_close_date": frappe.utils.nowdate(),
				"creation": now,
				"modified": now,
				"owner": "Administrator",
				"modified_by": "Administrator",
			}
			for i, row in enumerate(rows)
		]
		columns = list(regs[0])
		frappe.db.bulk_insert("Deal Registration", columns, [[r[c] for c in columns] for r in regs])
		keys = [
			(DR, r["name"], key)
			for r in regs
			for key in sorted(deal_keys.keys_of(DR, frappe._dict(r, contact_email=None)))
		]
		deal_keys._insert(keys)
		for i, row in enumerate(rows):
			a = party(row, "a", "A", "P1", False)
			b = party(row, "b", f"_BENCH-SET{s}-{i:04d}", "P2", True)
			match = compare(a, b)
			if not match:
				continue
			found = b.name in deal_keys.lookup(a.keys).get(DR, [])
			matched += 1
			fetched += found
			if row["label"] == "conflict":
				conflicts += 1
				conflicts_fetched += found
	return matched, fetched, conflicts, conflicts_fetched


DR = "Deal Registration"


def insert_rows(customers: int, registrations: int, seed: int, partner: str, company_name: str):
	rng = random.Random(seed)
	now = frappe.utils.now()
	common = {"creation": now, "modified": now, "owner": "Administrator", "modified_by": "Administrator"}
	cust_rows = []
	for i in range(customers):
		name = company(rng)
		cust_rows.append(
			{
				**common,
				"name": f"_BENCH-C-{i:06d}",
				"customer_name": name,
				"customer_type": "Company",
				"website": domain_of(name, i),
				"tax_id": f"TX{rng.randint(0, 10**9):09d}",
				"disabled": 0,
			}
		)
	columns = list(cust_rows[0])
	frappe.db.bulk_insert("Customer", columns, [[r[c] for c in columns] for r in cust_rows], chunk_size=5000)
	reg_rows = []
	for i in range(registrations):
		name = company(rng)
		reg_rows.append(
			{
				**common,
				"name": f"_BENCH-DR-{i:06d}",
				"partner": partner,
				"company": company_name,
				"prospect_name": name,
				"website": domain_of(name, i + customers),
				"tax_id": f"TX{rng.randint(0, 10**9):09d}",
				"status": rng.choice(["Submitted", "Approved", "Approved", "Won", "Expired"]),
				"expires_on": frappe.utils.add_days(frappe.utils.nowdate(), 30),
				"expected_amount": 1000,
				"currency": "USD",
				"expected_close_date": frappe.utils.nowdate(),
			}
		)
	columns = list(reg_rows[0])
	frappe.db.bulk_insert(
		"Deal Registration", columns, [[r[c] for c in columns] for r in reg_rows], chunk_size=5000
	)
	return [r["customer_name"] for r in cust_rows]


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default="prm5.localhost")
	parser.add_argument("--customers", type=int, default=50_000)
	parser.add_argument("--registrations", type=int, default=100_000)
	parser.add_argument("--checks", type=int, default=50)
	parser.add_argument("--seed", type=int, default=3)
	parser.add_argument("--assert-targets", action="store_true", help="fail when a target is missed")
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		partner = ["_BENCH-MINE"]  # the prospect's partner: only compared by name, never read
		company_name = frappe.get_all("Company", limit=1, pluck="name")[0]
		t0 = time.perf_counter()
		names = insert_rows(args.customers, args.registrations, args.seed, "_BENCH-OTHER", company_name)
		t1 = time.perf_counter()
		from prm_app import deal_keys

		written = deal_keys.rebuild(["Customer", "Deal Registration"])
		t2 = time.perf_counter()
		matched, fetched, conflicts, conflicts_fetched = labelled_recall(company_name)
		rng = random.Random(args.seed + 1)
		timings, found = [], 0
		for k in range(args.checks):
			doc = frappe.get_doc(
				{
					"doctype": "Deal Registration",
					"name": f"_BENCH-NEW-{k}",
					"partner": partner[0],
					"company": company_name,
					"prospect_name": rng.choice(names) + " Ltd" if k % 2 else company(rng),
					"website": "",
					"currency": "USD",
					"products": [{"item_group": "All Item Groups"}],
				}
			)
			start = time.perf_counter()
			from prm_app import deals

			result = deals.find_conflicts(doc)
			timings.append((time.perf_counter() - start) * 1000)
			found += bool(result.matches)
		timings.sort()
		median = statistics.median(timings)
		p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
		print(
			f"{args.customers:,} customers + {args.registrations:,} registrations inserted in {t1 - t0:.1f} s, "
			f"{written:,} keys filled in {t2 - t1:.1f} s (rolled back afterwards)"
		)
		print(f"{'':34s} {'target':>10s} {'measured':>10s}")
		print(f"{'find_conflicts median (ms)':34s} {'<= 50':>10s} {median:10.1f}")
		print(f"{'find_conflicts p95 (ms)':34s} {'<= 100':>10s} {p95:10.1f}")
		print(f"{'find_conflicts max (ms)':34s} {'':>10s} {timings[-1]:10.1f}")
		print(f"{'prospects checked (with matches)':34s} {'':>10s} {len(timings):>5d} ({found})")
		print(
			f"{'retrieval recall, scorer matches':34s} {'1.000':>10s} {fetched / max(1, matched):10.3f}"
			f"  ({fetched}/{matched})"
		)
		print(
			f"{'retrieval recall, conflict pairs':34s} {'1.000':>10s} "
			f"{conflicts_fetched / max(1, conflicts):10.3f}  ({conflicts_fetched}/{conflicts})"
		)
		if args.assert_targets:
			assert fetched == matched and conflicts_fetched == conflicts, "a scored pair was not fetched"
			assert median <= 50 and p95 <= 100, (median, p95)
	finally:
		frappe.db.rollback()
		frappe.destroy()


if __name__ == "__main__":
	main()
