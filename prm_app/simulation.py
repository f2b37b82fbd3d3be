"""Commission Plan simulation: what a plan WOULD have paid on the partner invoices of the last N months,
against what WAS accrued for them.

It reads submitted Sales Invoices (and credit notes) of the plan's company that carry the Sales Partner of
a Partner, turns them into engine invoices exactly as posting does (``commissions.engine_invoice``), runs
them through the engine in posting order (``engine.simulate.run_stream``) and compares, per partner, with
the submitted Partner Commissions of those invoices. The result is a Commission Plan Simulation document;
nothing else is written, and nothing is posted to the ledger.

start_simulation(plan, months)   queue the background job (one at a time per plan)
run_simulation(simulation)       the job: compute and store the result, or record why it failed
simulate_plan(plan, from, to)    the computation itself (reads only; no frappe writes)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import add_months, flt, get_first_day, getdate, now_datetime, nowdate

from prm_app.commissions import engine_invoice, is_commissionable
from prm_app.compat import aggregate
from prm_app.engine import EngineError, Invoice, Plan
from prm_app.engine.commission import COMMISSION, REVERSAL
from prm_app.engine.simulate import run_stream
from prm_app.utils import commit_job, engine_error_message

SIMULATION = "Commission Plan Simulation"
REALTIME_EVENT = "prm_plan_simulation"
MAX_MONTHS = 60
CHUNK = 500  # invoice names per IN (...) query
VECTORISED_FROM = 200  # invoices; below this the per-invoice reference is as fast
SAVEPOINT = "prm_plan_simulation"

INVOICE_FIELDS = (
	"name",
	"company",
	"docstatus",
	"posting_date",
	"customer",
	"currency",
	"conversion_rate",
	"is_return",
	"return_against",
	"territory",
	"customer_group",
	"sales_partner",
	"is_internal_customer",
	"is_consolidated",
	"is_opening",
)
OPTIONAL_INVOICE_FIELDS = ("deal_registration",)  # read by engine_invoice when the field exists
ITEM_FIELDS = (
	"name",
	"parent",
	"item_code",
	"item_name",
	"base_net_amount",
	"qty",
	"item_group",
	"brand",
	"incoming_rate",
	"stock_qty",
	"grant_commission",
	"sales_invoice_item",
)


# --- the window ---------------------------------------------------------------------------------------------


def validate_months(months) -> int:
	months = int(months or 0)
	if not 1 <= months <= MAX_MONTHS:
		frappe.throw(
			_("Simulate between 1 and {0} months, not {1}.").format(MAX_MONTHS, months),
			title=_("Invalid Number of Months"),
		)
	return months


def simulation_window(months: int, today=None) -> tuple[date, date]:
	"""The last ``months`` calendar months, the current one included: from the first day of the month
	``months - 1`` months ago to today."""
	today = getdate(today or nowdate())
	return getdate(get_first_day(add_months(today, -(months - 1)))), today


def period_start(period: str, day: date) -> date:
	"""First day of the plan period (month, quarter, year) that ``day`` falls in."""
	if period == "month":
		return day.replace(day=1)
	if period == "quarter":
		return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
	return date(day.year, 1, 1)


# --- reading invoices ---------------------------------------------------------------------------------------


class InvoiceRecord:
	"""A submitted Sales Invoice read in bulk, with what ``engine_invoice`` reads of a document: its
	fields as attributes and ``.get``, and ``items`` (a frappe._dict can't hold a key named ``items``)."""

	def __init__(self, values: dict, items: list) -> None:
		self.__dict__.update(values)
		self.items = items

	def get(self, key: str, default=None):
		return self.__dict__.get(key, default)


def partners_by_sales_partner() -> dict[str, frappe._dict]:
	rows = frappe.get_all(
		"Partner",
		filters={"sales_partner": ("is", "set")},
		fields=["name", "status", "tier", "partner_type", "sales_partner", "supplier", "company"],
	)
	return {row.sales_partner: row for row in rows}


def invoice_headers(company: str, from_date: date, to_date: date, sales_partners: list[str]) -> list:
	meta = frappe.get_meta("Sales Invoice")
	fields = list(INVOICE_FIELDS) + [f for f in OPTIONAL_INVOICE_FIELDS if meta.has_field(f)]
	rows = frappe.get_all(
		"Sales Invoice",
		filters={
			"company": company,
			"docstatus": 1,
			"posting_date": ("between", [from_date, to_date]),
			"sales_partner": ("in", sales_partners),
		},
		fields=fields,
		order_by="posting_date, name",
	)
	return [row for row in rows if is_commissionable(row)]


def invoice_items(names: list[str]) -> dict[str, list]:
	items: dict[str, list] = {}
	for chunk in frappe.utils.create_batch(names, CHUNK):
		for row in frappe.get_all(
			"Sales Invoice Item",
			filters={"parenttype": "Sales Invoice", "parent": ("in", chunk)},
			fields=list(ITEM_FIELDS),
			order_by="parent, idx",
		):
			items.setdefault(row.parent, []).append(row)
	return items


def accrued_by_partner(invoice_names: list[str]) -> dict[str, Decimal]:
	"""What was accrued for these invoices and credit notes: submitted Partner Commissions, by partner."""
	accrued: dict[str, Decimal] = {}
	for chunk in frappe.utils.create_batch(invoice_names, CHUNK):
		for row in frappe.get_all(
			"Partner Commission",
			filters={"docstatus": 1, "sales_invoice": ("in", chunk)},
			fields=["partner", aggregate("sum", "total", "total")],
			group_by="partner",
		):
			accrued[row.partner] = accrued.get(row.partner, Decimal(0)) + Decimal(str(flt(row.total)))
	return accrued


# --- the computation ---------------------------------------------------------------------------------------


@dataclass
class PartnerOutcome:
	partner: str
	invoices: int = 0
	base: Decimal = Decimal(0)
	would_pay: Decimal = Decimal(0)
	was_accrued: Decimal = Decimal(0)

	@property
	def difference(self) -> Decimal:
		return self.would_pay - self.was_accrued


@dataclass
class SimulationOutcome:
	from_date: date
	to_date: date
	partners: dict[str, PartnerOutcome] = field(default_factory=dict)
	invoices: int = 0
	skipped_returns: int = 0
	warm_up_invoices: int = 0

	def partner(self, name: str) -> PartnerOutcome:
		if name not in self.partners:
			self.partners[name] = PartnerOutcome(name)
		return self.partners[name]

	def total(self, attribute: str) -> Decimal:
		return sum((getattr(p, attribute) for p in self.partners.values()), Decimal(0))


def simulate_plan(
	plan_name: str,
	from_date: date,
	to_date: date,
	progress: Callable[[int, int, str], None] | None = None,
) -> SimulationOutcome:
	"""Run the plan on the partner invoices from ``from_date`` to ``to_date`` and compare with what was
	accrued. Brackets and caps need the partner's volume since the start of the plan period, so the
	invoices from the start of the period that ``from_date`` falls in are run too ("warm-up") but not
	counted. Credit notes against invoices from before that are left out on both sides.

	``progress(done, total, stage)`` is called as invoices are read and computed. Reads only."""
	plan_doc = frappe.get_doc("Commission Plan", plan_name)
	plan = plan_doc.to_engine_plan()
	from_date, to_date = getdate(from_date), getdate(to_date)
	outcome = SimulationOutcome(from_date=from_date, to_date=to_date)
	partners = partners_by_sales_partner()
	if not partners:
		return outcome
	start = period_start(plan.period, from_date)
	headers = invoice_headers(plan_doc.company, start, to_date, list(partners))
	headers, outcome.skipped_returns = drop_orphan_returns(headers)
	steps = 2 * len(headers)
	done = 0
	stage = _("Reading invoices")

	def tick(n: int = 1) -> None:
		nonlocal done
		done += n
		if progress:
			progress(done, steps, stage)

	items = invoice_items([h.name for h in headers])
	invoices: list[Invoice] = []
	partner_of: dict[str, str] = {}
	for header in headers:
		partner = partners[header.sales_partner]
		invoices.append(engine_invoice(InvoiceRecord(header, items.get(header.name, [])), partner, plan))
		partner_of[header.name] = partner.name
		tick()
	stage = _("Computing commission")
	totals = commission_by_invoice(plan, invoices, progress=tick)

	counted = [h.name for h in headers if getdate(h.posting_date) >= from_date]
	outcome.invoices = len(counted)
	outcome.warm_up_invoices = len(headers) - len(counted)
	for name in counted:
		row = outcome.partner(partner_of[name])
		row.invoices += 1
		total, base = totals.get(name, (Decimal(0), Decimal(0)))
		row.would_pay += total
		row.base += base
	for partner, total in accrued_by_partner(counted).items():
		outcome.partner(partner).was_accrued += total
	return outcome


def commission_by_invoice(
	plan: Plan, invoices: list[Invoice], progress: Callable[[int], None] | None = None
) -> dict[str, tuple[Decimal, Decimal]]:
	"""(commission, commissionable base) per invoice name. Many invoices go through the engine's
	vectorised path (equal to the cent to the per-invoice reference), a few through ``run_stream``."""
	compute_frame = vectorised_engine() if len(invoices) >= VECTORISED_FROM else None
	if compute_frame is None:
		result = run_stream(plan, invoices, progress=progress)
		lines = result.lines
	else:
		import pandas as pd

		from prm_app.engine.io import line_records

		frame = compute_frame(plan, pd.DataFrame(list(line_records(invoices))))
		lines = frame[["invoice", "kind", "base", "amount"]].itertuples(index=False)
		if progress:
			progress(len(invoices))
	totals: dict[str, tuple[Decimal, Decimal]] = {}
	for line in lines:
		total, base = totals.get(line.invoice, (Decimal(0), Decimal(0)))
		if line.kind in (COMMISSION, REVERSAL):
			base += Decimal(line.base)
		totals[line.invoice] = (total + Decimal(line.amount), base)
	return totals


def vectorised_engine():
	"""``engine.vectorised.compute_frame`` when the engine has it and its libraries (pandas, pyarrow for
	exact decimal columns) are installed, else None."""
	try:
		import pyarrow

		from prm_app.engine.vectorised import compute_frame
	except ImportError:
		return None
	return compute_frame


def drop_orphan_returns(headers: list) -> tuple[list, int]:
	"""Credit notes whose invoice is not among ``headers`` (it is older) can't be computed against it."""
	names = {h.name for h in headers}
	kept = [h for h in headers if not h.is_return or h.return_against in names]
	return kept, len(headers) - len(kept)


# --- the job and its document --------------------------------------------------------------------------------


def job_id(plan_name: str) -> str:
	return f"prm-plan-simulation::{plan_name}"


def progress_title(plan_name: str) -> str:
	return _("Simulating {0}").format(plan_name)


def start_simulation(plan_name: str, months: int) -> dict:
	"""Create the simulation document and queue its job; while one runs for the plan, return that one.
	The caller checks permissions."""
	from frappe.utils.background_jobs import is_job_enqueued

	months = validate_months(months)
	running = frappe.get_all(
		SIMULATION,
		filters={"commission_plan": plan_name, "status": ("in", ("Queued", "Running"))},
		pluck="name",
		order_by="creation desc",
	)
	if running and is_job_enqueued(job_id(plan_name)):
		return {"simulation": running[0], "queued": False}
	for stale in running:  # its job is gone (worker restarted, job expired)
		frappe.db.set_value(
			SIMULATION,
			stale,
			{"status": "Failed", "error": _("The background job stopped before it finished.")},
		)
	from_date, to_date = simulation_window(months)
	doc = frappe.get_doc(
		{
			"doctype": SIMULATION,
			"commission_plan": plan_name,
			"months": months,
			"from_date": from_date,
			"to_date": to_date,
			"status": "Queued",
		}
	).insert()
	frappe.enqueue(
		"prm_app.simulation.run_simulation",
		queue="long",
		job_id=job_id(plan_name),
		deduplicate=True,
		enqueue_after_commit=True,
		simulation=doc.name,
	)
	return {"simulation": doc.name, "queued": True}


def run_simulation(simulation: str) -> None:
	"""Background job: compute and store the simulation; a failure is stored on it, not raised."""
	doc = frappe.get_doc(SIMULATION, simulation)
	doc.db_set({"status": "Running", "started_at": now_datetime(), "error": None})
	commit_job()  # so the form shows it running
	reporter = ProgressReporter(progress_title(doc.commission_plan))
	frappe.db.savepoint(SAVEPOINT)
	try:
		outcome = simulate_plan(doc.commission_plan, doc.from_date, doc.to_date, progress=reporter)
	except Exception as e:
		frappe.db.rollback(save_point=SAVEPOINT)
		frappe.clear_last_message()
		message = engine_error_message(e) if isinstance(e, EngineError) else str(e) or repr(e)
		frappe.log_error(
			title=_("Commission Plan simulation {0} failed").format(simulation),
			reference_doctype=SIMULATION,
			reference_name=simulation,
		)
		doc.reload()
		doc.db_set({"status": "Failed", "error": message, "finished_at": now_datetime()})
	else:
		doc.reload()
		store_outcome(doc, outcome)
	frappe.publish_realtime(
		REALTIME_EVENT,
		{"simulation": doc.name, "commission_plan": doc.commission_plan, "status": doc.status},
		user=doc.owner,
		after_commit=True,
	)


def store_outcome(doc, outcome: SimulationOutcome) -> None:
	precision = doc.precision("total_would_pay") or 2

	def money(value: Decimal) -> float:
		return flt(value, precision)

	doc.partners = []
	for row in sorted(outcome.partners.values(), key=lambda p: (-abs(p.difference), p.partner)):
		doc.append(
			"partners",
			{
				"partner": row.partner,
				"invoices": row.invoices,
				"base": money(row.base),
				"would_pay": money(row.would_pay),
				"was_accrued": money(row.was_accrued),
				"difference": money(row.difference),
			},
		)
	doc.update(
		{
			"status": "Completed",
			"finished_at": now_datetime(),
			"total_invoices": outcome.invoices,
			"skipped_returns": outcome.skipped_returns,
			"total_base": money(outcome.total("base")),
			"total_would_pay": money(outcome.total("would_pay")),
			"total_was_accrued": money(outcome.total("was_accrued")),
			"total_difference": money(outcome.total("difference")),
			"notes": outcome_notes(outcome),
		}
	)
	doc.flags.ignore_permissions = True
	doc.save()


def outcome_notes(outcome: SimulationOutcome) -> str:
	notes = [
		_("Invoices from {0} to {1}, at each partner's current tier. Nothing was posted.").format(
			frappe.format(outcome.from_date, "Date"), frappe.format(outcome.to_date, "Date")
		)
	]
	if outcome.warm_up_invoices:
		notes.append(
			_(
				"{0} earlier invoices of the first plan period were run first (not counted) so that brackets and caps start from the period's real volume."
			).format(outcome.warm_up_invoices)
		)
	if outcome.skipped_returns:
		notes.append(
			_("{0} credit notes against older invoices were left out.").format(outcome.skipped_returns)
		)
	return "\n".join(notes)


class ProgressReporter:
	"""``progress(done, total, stage)`` for simulate_plan: publishes to the user (the job runs as the
	user who started it) at most every 2 percent."""

	def __init__(self, title: str) -> None:
		self.title = title
		self.last = -1

	def __call__(self, done: int, total: int, stage: str) -> None:
		percent = int(done * 100 / total) if total else 100
		if percent < self.last + 2 and done < total:
			return
		self.last = percent
		frappe.publish_progress(percent, title=self.title, description=stage)
