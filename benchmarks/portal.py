"""Partner portal dashboard server time for a partner with many commission lines, in a real bench.

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/prm_app/benchmarks/portal.py [--site S] [--lines 50000,500000] [--runs R]

Inside one transaction that is rolled back afterwards: a partner with a portal user (Admin), N submitted
Partner Commissions (one Partner Commission Line each: N lines) and N submitted Sales Invoice headers
through its Sales Partner, spread over the last 24 months, written with bulk inserts. Then, as the
portal user, times R runs of the dashboard's data (``prm_app.portal.dashboard``) and of the whole
/partner page rendered server-side (context, tier progress, Jinja). Each size in ``--lines`` is seeded
on top of the previous one and measured in the same run; the results are printed side by side.
Each run times the page cold (the portal's caches emptied first: what a partner's first view costs) and
warm, printed side by side. Targets (issue 12): cold page median <= 150 ms at 50,000 lines and <= 250 ms
at 500,000. The seed computes the per-day totals (prm_app.daily_totals) of what it bulk-inserted;
"before" times the cold page reading every invoice and commission instead, as it did before them.
"""

import argparse
import random
import statistics
import time

import frappe
from frappe.utils import add_days, getdate, nowdate

TARGETS_MS = {50_000: 150, 500_000: 250}


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default=None)
	parser.add_argument("--lines", default="50000,500000", help="sizes, comma-separated, ascending")
	parser.add_argument("--runs", type=int, default=15)
	parser.add_argument(
		"--scan-runs", type=int, default=3, help="cold runs reading every row, as before the daily totals"
	)
	args = parser.parse_args()

	frappe.init(
		site=args.site or frappe.get_site_config(sites_path=".").get("default_site") or "", sites_path="."
	)
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.flags.in_test = True
	commit = frappe.db.commit
	frappe.db.commit = lambda *a, **k: None  # the page commits its CSRF token: keep everything rolled back
	try:
		run(args)
	finally:
		frappe.db.commit = commit
		frappe.db.rollback()
		frappe.destroy()


def seed(partner, lines: int, start: int = 0) -> None:
	"""Commissions ``start`` to ``lines`` (one line each) and as many invoice headers, over the last 24
	months."""
	rng = random.Random(7 + start)
	today = getdate(nowdate())
	now = frappe.utils.now()
	statuses = ("Accrued", "Payable", "Partly Paid", "Paid")
	commissions, commission_lines, invoices = [], [], []
	for i in range(start, lines):
		day = add_days(today, -rng.randrange(0, 730))
		total = round(rng.uniform(5, 500), 2)
		status = statuses[i % 4]
		paid = total if status == "Paid" else (round(total / 2, 2) if status == "Partly Paid" else 0)
		name, invoice = f"PRM-BENCH-COM-{i:06d}", f"PRM-BENCH-SI-{i:06d}"
		commissions.append(
			(name, now, now, "Administrator", "Administrator", 1, partner.name, partner.company, day, status,
			 invoice, total, total, paid, total - paid, "USD")
		)  # fmt: skip
		commission_lines.append(
			(f"PRM-BENCH-COL-{i:06d}", now, now, "Administrator", "Administrator", 1, name, "lines",
			 "Partner Commission", 1, "Commission", "_PRM Software", total * 10, total, "10% of the line")
		)  # fmt: skip
		invoices.append(
			(invoice, now, now, "Administrator", "Administrator", 1, partner.company, "_PRM Test Customer", day,
			 partner.sales_partner, total * 10, total * 10, "No", 0, 0, "USD", 1)
		)  # fmt: skip
	frappe.db.bulk_insert(
		"Partner Commission",
		["name", "creation", "modified", "owner", "modified_by", "docstatus", "partner", "company",
		 "posting_date", "status", "sales_invoice", "total", "base_total", "paid_amount",
		 "outstanding_amount", "currency"],
		commissions,
		chunk_size=5000,
	)  # fmt: skip
	frappe.db.bulk_insert(
		"Partner Commission Line",
		["name", "creation", "modified", "owner", "modified_by", "docstatus", "parent", "parentfield",
		 "parenttype", "idx", "kind", "item_code", "base", "amount", "explanation"],
		commission_lines,
		chunk_size=5000,
	)  # fmt: skip
	frappe.db.bulk_insert(
		"Sales Invoice",
		["name", "creation", "modified", "owner", "modified_by", "docstatus", "company", "customer",
		 "posting_date", "sales_partner", "base_net_total", "net_total", "is_opening", "is_return",
		 "is_internal_customer", "currency", "conversion_rate"],
		invoices,
		chunk_size=5000,
	)  # fmt: skip
	# the bulk inserts skip the documents' events: the per-day totals they keep, computed once here
	from prm_app import daily_totals

	daily_totals.rebuild(partner=partner.name, sales_partner=partner.sales_partner)


def run(args):
	from prm_app.tests.utils import make_company, make_partner, make_portal_user, make_tier

	make_company()
	tier = make_tier("_PRM Bench Portal Tier", 91)
	partner = make_partner("_PRM Bench Portal Partner", tier=tier)
	user = make_portal_user("prm.bench.portal@example.com", partner)
	frappe.db.set_value("Partner User", {"parent": partner.name, "user": user}, "partner_role", "Admin")
	sizes = sorted(int(n) for n in str(args.lines).split(","))
	results, seeded = [], 0
	for size in sizes:
		frappe.set_user("Administrator")
		started = time.perf_counter()
		seed(partner, size, seeded)
		seeded = size
		print(
			f"seeded {size} commissions + lines + invoices ({time.perf_counter() - started:.1f} s)",
			flush=True,
		)
		frappe.set_user(user)
		results.append((size, *measure(args.runs), scan_cold(args.scan_runs)))
	total = frappe.db.count("Partner Commission Line", {"parent": ("like", "PRM-BENCH-COM-%")})
	assert total == sizes[-1], total
	print(
		f"\n/partner for a partner with N commission lines, median of {args.runs} runs (after 2 warm-up);"
		"\ncold = the portal's caches emptied before each run (a partner's first view), warm = cached;"
		f"\nbefore = cold, tier progress and chart read from every invoice and commission (median of"
		f" {args.scan_runs}):"
	)
	print(
		f"  {'lines':>9}  {'page cold':>10}  {'max cold':>9}  {'page warm':>10}  {'data cold':>10}"
		f"  {'data warm':>10}  {'before':>10}  target (whole page, cold)"
	)
	for size, cold, warm, data_cold, data_warm, scan in results:
		target = TARGETS_MS.get(size)
		verdict = (
			""
			if target is None
			else f"<= {target} ms: {'met' if statistics.median(cold) <= target else 'NOT met'}"
		)
		print(
			f"  {size:>9,}  {statistics.median(cold):7.1f} ms  {max(cold):6.1f} ms"
			f"  {statistics.median(warm):7.1f} ms  {statistics.median(data_cold):7.1f} ms"
			f"  {statistics.median(data_warm):7.1f} ms"
			f"  {statistics.median(scan) if scan else 0:7.1f} ms  {verdict}"
		)


def measure(runs: int) -> tuple[list[float], ...]:
	"""Per run: the whole page with the portal's caches emptied (cold), then again (warm); the same for
	the dashboard's data."""
	from frappe.utils import set_request
	from frappe.website.serve import get_response_content

	from prm_app import portal

	def page() -> tuple[float, str]:
		set_request(method="GET", path="/partner")
		started = time.perf_counter()
		html = get_response_content("/partner")
		return (time.perf_counter() - started) * 1000, html

	def data() -> float:
		started = time.perf_counter()
		portal.dashboard(portal.current_partner())
		return (time.perf_counter() - started) * 1000

	cold, warm, data_cold, data_warm = [], [], [], []
	html = ""
	for _i in range(runs + 2):  # two warm-up runs
		frappe.cache.delete_keys("prm:portal:")
		ms, html = page()
		cold.append(ms)
		warm.append(page()[0])
		frappe.cache.delete_keys("prm:portal:")
		data_cold.append(data())
		data_warm.append(data())
	if "prm-chart" not in html:
		start = html.find("Traceback")
		raise SystemExit(
			"the page did not render:\n" + (html[start : start + 3000] if start >= 0 else html[-3000:])
		)
	return cold[2:], warm[2:], data_cold[2:], data_warm[2:]


def scan_cold(runs: int) -> list[float]:
	"""The cold page as it was before the daily totals: one partner's tier progress from every invoice of
	the year (``tiers.load_invoices``), the chart's earlier months from every commission."""
	from frappe.utils import get_first_day, nowdate, set_request
	from frappe.website.serve import get_response_content

	from prm_app import daily_totals, tiers

	def commission_by_day(partner, from_date, to_date):
		return frappe.db.sql(
			"""select posting_date, sum(total) from `tabPartner Commission`
			where partner = %s and docstatus = 1 and posting_date >= %s and posting_date < %s
			group by posting_date order by posting_date""",
			(partner, from_date, get_first_day(nowdate())),
		)

	saved = tiers.load_invoices_of, daily_totals.commission_by_day
	tiers.load_invoices_of, daily_totals.commission_by_day = tiers.load_invoices, commission_by_day
	times = []
	try:
		for _i in range(runs):
			frappe.cache.delete_keys("prm:portal:")
			set_request(method="GET", path="/partner")
			started = time.perf_counter()
			get_response_content("/partner")
			times.append((time.perf_counter() - started) * 1000)
	finally:
		tiers.load_invoices_of, daily_totals.commission_by_day = saved
	return times


if __name__ == "__main__":
	main()
