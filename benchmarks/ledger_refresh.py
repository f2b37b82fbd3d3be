"""A commission's refresh after a payment touched its journal, on a site with many commissions, in a real bench.

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/prm_app/benchmarks/ledger_refresh.py [--site S] [--lines 50000,500000] [--runs R]

Every payment, payout, desk journal, unreconcile and Payment Reconciliation allocation that touches a
commission's journal refreshes that commission and the clawbacks against it
(``prm_app.payouts.refresh_for_journals``): it finds them by ``journal_entry`` and ``against_commission``.
A Payment Reconciliation refreshes once per allocation.

Inside one transaction that is rolled back afterwards: N submitted Partner Commissions (each with its own
journal name; every 20th a clawback against the one before), bulk-inserted. Then times R runs of
``refresh_for_journals`` for one journal, and the two lookups it makes read through their indexes and,
as before the indexes (``IGNORE INDEX``), by scanning the table; printed side by side.
"""

import argparse
import statistics
import time

import frappe
from frappe.utils import nowdate


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default=None)
	parser.add_argument("--lines", default="50000,500000", help="sizes, comma-separated, ascending")
	parser.add_argument("--runs", type=int, default=15)
	args = parser.parse_args()
	frappe.init(
		site=args.site or frappe.get_site_config(sites_path=".").get("default_site") or "", sites_path="."
	)
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		run(args)
	finally:
		frappe.db.rollback()
		frappe.destroy()


def seed(partner, company: str, lines: int, start: int) -> None:
	now, today = frappe.utils.now(), nowdate()
	rows = []
	for i in range(start, lines):
		clawback = i % 20 == 19
		rows.append(
			(f"PRM-BENCH-RF-{i:07d}", now, now, "Administrator", "Administrator", 1, partner, company, today,
			 "Payable", 10.0 if not clawback else -10.0, 10.0, 0, 10.0, "USD", f"PRM-BENCH-JE-{i:07d}",
			 f"PRM-BENCH-RF-{i - 1:07d}" if clawback else None, 1 if clawback else 0)
		)  # fmt: skip
	frappe.db.bulk_insert(
		"Partner Commission",
		["name", "creation", "modified", "owner", "modified_by", "docstatus", "partner", "company",
		 "posting_date", "status", "total", "base_total", "paid_amount", "outstanding_amount", "currency",
		 "journal_entry", "against_commission", "is_clawback"],
		rows,
		chunk_size=5000,
	)  # fmt: skip


def timed(runs: int, fn) -> list[float]:
	fn()
	fn()  # warm-up
	out = []
	for _ in range(runs):
		started = time.perf_counter()
		fn()
		out.append((time.perf_counter() - started) * 1000)
	return out


def lookups(journal: str, hint: str) -> None:
	"""The two lookups of ``refresh_for_journals`` (``hint``: an index hint, or none)."""
	accruals = frappe.db.sql(
		f"select name from `tabPartner Commission` {hint} where journal_entry in %s",
		((journal,),),
		pluck=True,
	)
	frappe.db.sql(
		f"select name from `tabPartner Commission` {hint} where against_commission in %s and docstatus = 1",
		(tuple(accruals) or ("",),),
	)


def run(args):
	from prm_app.payouts import refresh_for_journals
	from prm_app.tests.utils import COMPANY, make_company, make_partner

	make_company()
	partner = make_partner("_PRM Bench Refresh Partner").name
	indexes = set(
		frappe.db.sql(
			"select index_name from information_schema.statistics where table_schema = database()"
			" and table_name = 'tabPartner Commission' and column_name in ('journal_entry', 'against_commission')",
			pluck=True,
		)
	)
	print(f"indexes on journal_entry / against_commission: {sorted(indexes) or 'none (migrate the site)'}")
	scan = "ignore index ({})".format(", ".join(f"`{i}`" for i in sorted(indexes))) if indexes else ""
	sizes = sorted(int(n) for n in str(args.lines).split(","))
	results, seeded = [], 0
	for size in sizes:
		started = time.perf_counter()
		seed(partner, COMPANY, size, seeded)
		seeded = size
		print(f"seeded {size:,} commissions ({time.perf_counter() - started:.1f} s)", flush=True)
		journal = f"PRM-BENCH-JE-{size - 21:07d}"  # an accrual with a clawback against it
		results.append(
			(
				size,
				timed(args.runs, lambda journal=journal: refresh_for_journals([journal])),
				timed(args.runs, lambda journal=journal: lookups(journal, "")),
				timed(max(3, args.runs // 5), lambda journal=journal: lookups(journal, scan)),
			)
		)
	print(
		f"\nrefresh of one commission journal, median of the runs ({args.runs}; scans {max(3, args.runs // 5)}):"
	)
	print(
		f"  {'commissions':>11}  {'refresh':>9}  {'lookups':>9}  {'scanned':>9}  {'scan/index':>10}"
		f"  {'100 allocations, scanned':>24}"
	)
	for size, refresh, indexed, scanned in results:
		i, s = statistics.median(indexed), statistics.median(scanned)
		print(
			f"  {size:>11,}  {statistics.median(refresh):6.2f} ms  {i:6.2f} ms  {s:6.1f} ms"
			f"  {s / i if i else 0:9.0f}x  {100 * s / 1000:21.1f} s"
		)


if __name__ == "__main__":
	main()
