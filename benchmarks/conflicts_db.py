"""The conflict check of a Deal Registration as the Frappe layer runs it: candidates read from the database
(a SQL pre-filter on name keys, domain and tax id), then scored by the engine. In a real bench:

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/prm_app/benchmarks/conflicts_db.py --site S

Inserts N customers and M deal registrations with generated names (``benchmarks/conflicts.py``'s
generator) in one transaction, times ``prm_app.deals.find_conflicts`` for generated prospects, and rolls
everything back. Prints the median and 95th percentile per check.
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
	args = parser.parse_args()
	frappe.init(site=args.site, sites_path=".")
	frappe.connect()
	try:
		partner = ["_BENCH-MINE"]  # the prospect's partner: only compared by name, never read
		company_name = frappe.get_all("Company", limit=1, pluck="name")[0]
		t0 = time.perf_counter()
		names = insert_rows(args.customers, args.registrations, args.seed, "_BENCH-OTHER", company_name)
		t1 = time.perf_counter()
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
		print(
			f"{args.customers:,} customers + {args.registrations:,} registrations inserted in {t1 - t0:.1f} s "
			"(rolled back afterwards)"
		)
		print(
			f"find_conflicts: median {statistics.median(timings):.1f} ms, "
			f"p95 {timings[int(len(timings) * 0.95) - 1]:.1f} ms, max {timings[-1]:.1f} ms "
			f"over {len(timings)} prospects ({found} with matches)"
		)
	finally:
		frappe.db.rollback()
		frappe.destroy()


if __name__ == "__main__":
	main()
