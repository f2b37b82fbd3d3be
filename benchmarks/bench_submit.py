"""Cost of prm_app on Sales Invoice submit, measured side by side in one run, in a real bench.

    cd ~/frappe-bench/sites && ../env/bin/python /path/to/prm_app/benchmarks/bench_submit.py [--site S] [--runs N]

Submits the same 20-line partner invoice N times with PRM's hooks active (commission computed, Partner
Commission and Journal Entry posted) and N times with PRM's doc_events removed, interleaved, each in a
transaction that is rolled back afterwards. Prints the median submit time of each, the ratio (the median
over pairs of a "with PRM" submit and the "hooks off" one just before it; target <= 1.15), the ratio of
the two medians, the SQL queries each submit ran, and the time inside PRM's on_submit handler.
"""

import argparse
import gc
import statistics
import time

import frappe


def without_prm_hooks(hooks: dict) -> dict:
	return {
		doctype: {
			event: [m for m in methods if not m.startswith("prm_app.")] for event, methods in events.items()
		}
		for doctype, events in hooks.items()
	}


class Stopwatch:
	"""Time spent inside one function of a module (patched in place), per call."""

	def __init__(self, module, name: str):
		self.module, self.name, self.calls = module, name, []
		self._original = getattr(module, name)

	def __enter__(self):
		def timed(*args, **kwargs):
			start = time.perf_counter()
			try:
				return self._original(*args, **kwargs)
			finally:
				self.calls.append(time.perf_counter() - start)

		setattr(self.module, self.name, timed)
		return self

	def __exit__(self, *exc):
		setattr(self.module, self.name, self._original)


class QueryCounter:
	def __init__(self):
		self.count = 0
		self._sql = frappe.db.sql

	def __enter__(self):
		def counting_sql(*args, **kwargs):
			self.count += 1
			return self._sql(*args, **kwargs)

		frappe.db.sql = counting_sql
		return self

	def __exit__(self, *exc):
		frappe.db.sql = self._sql


def main():
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument("--site", default=None)
	parser.add_argument("--runs", type=int, default=30)
	parser.add_argument("--lines", type=int, default=20)
	args = parser.parse_args()

	frappe.init(
		site=args.site or frappe.get_site_config(sites_path=".").get("default_site") or "", sites_path="."
	)
	frappe.connect()
	frappe.set_user("Administrator")
	frappe.flags.in_test = True  # test fixtures' naming; background jobs stay queued
	try:
		run(args)
	finally:
		frappe.db.rollback()
		frappe.destroy()


def run(args):
	from prm_app.tests.utils import make_company, make_item, make_partner, make_plan

	make_company()
	items = [make_item(f"_PRM Bench Item {i:02d}", "_PRM Hardware Group") for i in range(args.lines)]
	if not frappe.db.exists("Commission Plan", "_PRM Bench Plan"):
		make_plan(
			"_PRM Bench Plan",
			[
				{
					"rule_name": "Hardware",
					"rate_type": "Percentage",
					"rate": 8,
					"item_group": "_PRM Hardware Group",
				},
				{"rule_name": "Other", "rate_type": "Percentage", "rate": 5},
			],
			[
				{"rule_name": "Hardware", "from_amount": 0, "to_amount": 50000, "rate": 8},
				{"rule_name": "Hardware", "from_amount": 50000, "rate": 10},
			],
		)
	partner = frappe.db.get_value("Partner", "_PRM Bench Partner") and frappe.get_doc(
		"Partner", "_PRM Bench Partner"
	)
	if not partner:
		partner = make_partner("_PRM Bench Partner", plan="_PRM Bench Plan")
	frappe.db.commit()  # nosemgrep: fixtures kept for the next run

	from prm_app.events import sales_invoice
	from prm_app.prm_app.doctype.partner_commission import partner_commission

	hooks_on = frappe.get_doc_hooks()
	hooks_off = without_prm_hooks(hooks_on)
	lines = [(item, 2, 100 + i) for i, item in enumerate(items)]
	timings = {"with PRM": [], "PRM hooks off": []}
	queries = {"with PRM": [], "PRM hooks off": []}
	handler = Stopwatch(sales_invoice, "on_submit")  # PRM's on_submit handler, all of it
	journal = Stopwatch(partner_commission, "post_commission_journal")  # ERPNext's Journal Entry in it
	with handler, journal:
		measure(args, partner, lines, hooks_on, hooks_off, timings, queries)
	frappe.local.doc_events_hooks = hooks_on

	on = statistics.median(timings["with PRM"])
	off = statistics.median(timings["PRM hooks off"])
	q_on = statistics.median(queries["with PRM"])
	q_off = statistics.median(queries["PRM hooks off"])
	in_handler = statistics.median(handler.calls[1:])
	in_journal = statistics.median(journal.calls[1:])
	print(f"Sales Invoice submit, {args.lines} lines, {len(timings['with PRM'])} runs each (medians):")
	print(f"  PRM hooks off : {off * 1000:8.1f} ms  {q_off:6.0f} SQL queries")
	print(f"  with PRM      : {on * 1000:8.1f} ms  {q_on:6.0f} SQL queries")
	# each "with PRM" submit against the "hooks off" one just before it: slow drifts of the machine cancel
	paired = statistics.median(
		a / b for a, b in zip(timings["with PRM"], timings["PRM hooks off"], strict=True)
	)
	print(
		f"  ratio         : {paired:8.2f}    (target <= 1.15; median of {len(timings['with PRM'])} paired runs)"
	)
	print(f"  ratio of medians: {on / off:6.2f}    extra queries: {q_on - q_off:.0f}")
	print(
		f"  PRM's on_submit handler: {in_handler * 1000:.1f} ms, of which its Journal Entry (ERPNext's insert "
		f"and GL posting) {in_journal * 1000:.1f} ms"
	)


def measure(args, partner, lines, hooks_on, hooks_off, timings, queries):
	from prm_app.tests.utils import make_invoice

	for i in range(args.runs * 2):
		mode = "with PRM" if i % 2 else "PRM hooks off"
		frappe.local.doc_events_hooks = hooks_on if mode == "with PRM" else hooks_off
		si = make_invoice(partner, lines, submit=False)
		gc.collect()  # each submit starts from the same collector state (it stays on while timed)
		with QueryCounter() as counter:
			start = time.perf_counter()
			si.submit()
			elapsed = time.perf_counter() - start
		posted = frappe.db.exists("Partner Commission", {"sales_invoice": si.name})
		assert bool(posted) == (mode == "with PRM"), (mode, posted)
		if i >= 2:  # the first pair warms caches
			timings[mode].append(elapsed)
			queries[mode].append(counter.count)
		frappe.db.rollback()


if __name__ == "__main__":
	main()
