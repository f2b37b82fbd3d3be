"""``prm-sim``: run commission plans on invoice lines without ERPNext.

Commands::

    prm-sim demo [--out DIR] [--size N] [--seed S] [--write-inputs]
    prm-sim run --plan plan.json --lines lines.csv [--out DIR]
    prm-sim compare --plan A.json --plan B.json --lines lines.csv [--out DIR]
    prm-sim plan-example [--out DIR] [--format csv|parquet]
    prm-sim validate --plan plan.json [--lines lines.csv]

Each invoice goes through the same per-invoice engine that posting uses (``simulate.run_stream``), in
posting_date then invoice order. Bad input gives one line on stderr naming the file, row and column, and
exit code 2; results go to stdout, progress to stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

from prm_app import __version__
from prm_app.engine import demo as demo_data
from prm_app.engine import io
from prm_app.engine.commission import COMMISSION, KINDS, REVERSAL, CommissionLine, Invoice
from prm_app.engine.errors import EngineError
from prm_app.engine.money import ZERO, format_amount, format_number
from prm_app.engine.plans import LIST_CONDITIONS, Plan, Rule
from prm_app.engine.simulate import StreamResult, run_stream, stream_order

EXIT_OK = 0
EXIT_BAD_INPUT = 2
DEFAULT_OUT = "prm-sim-out"
DEFAULT_EXAMPLE_DIR = "prm-sim-example"
BASE_KINDS = (COMMISSION, REVERSAL)  # kinds whose base adds up to the commissioned base


# --- progress ---------------------------------------------------------------------------------------------


class Progress:
	"""Progress on stderr: a redrawn bar on a terminal, one line per finished stage otherwise."""

	def __init__(self, enabled: bool = True, stream: TextIO | None = None) -> None:
		self.stream = stream or sys.stderr
		self.enabled = enabled
		self.tty = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
		self.open = False  # a bar is drawn and not yet ended with a newline

	def stage(self, label: str, total: int | None = None, unit: str = "") -> Stage:
		return Stage(self, label, total, unit)

	def write(self, text: str) -> None:
		if self.enabled:
			self.stream.write(text)
			self.stream.flush()

	def close(self) -> None:
		"""End a bar left open (before an error message)."""
		if self.open:
			self.write("\n")
			self.open = False


class Stage:
	WIDTH = 30

	def __init__(self, progress: Progress, label: str, total: int | None, unit: str) -> None:
		self.progress = progress
		self.label = label
		self.total = total
		self.unit = unit
		self.count = 0
		self.start = time.monotonic()
		self.drawn = 0.0
		self.length = 0
		if progress.tty:
			self.draw()

	@property
	def elapsed(self) -> float:
		return time.monotonic() - self.start

	def update(self, n: int = 1) -> None:
		self.count += n
		if self.progress.tty:
			now = time.monotonic()
			if now - self.drawn >= 0.1:
				self.draw()

	def draw(self) -> None:
		self.drawn = time.monotonic()
		if self.total:
			share = min(self.count / self.total, 1.0)
			filled = round(share * self.WIDTH)
			bar = f"[{'#' * filled}{'-' * (self.WIDTH - filled)}] {share * 100:3.0f}%  "
			counts = f"{self.count:,}/{self.total:,} {self.unit}"
		else:
			bar = ""
			counts = f"{self.count:,} {self.unit}" if self.count else ""
		text = f"{self.label:<24} {bar}{counts}  {self.elapsed:.1f}s"
		self.progress.write("\r" + text.ljust(self.length))
		self.length = len(text)
		self.progress.open = True

	def done(self, note: str = "") -> None:
		if self.progress.tty:
			if self.total:
				self.count = max(self.count, self.total)
			self.draw()
			self.progress.write(f"  {note}\n" if note else "\n")
			self.progress.open = False
		else:
			what = note or (f"{self.count:,} {self.unit}" if self.count else "done")
			self.progress.write(f"{self.label}: {what} in {self.elapsed:.1f}s\n")


# --- totals -----------------------------------------------------------------------------------------------


@dataclass
class PartnerTotals:
	partner: str
	tier: str = ""
	partner_type: str = ""
	invoices: int = 0
	credit_notes: int = 0
	net_sales: Decimal = ZERO
	base: Decimal = ZERO
	commission: Decimal = ZERO
	lines: list[CommissionLine] = field(default_factory=list)
	statement: str = ""

	@property
	def effective_rate(self) -> Decimal | None:
		return percent(self.commission, self.net_sales)


@dataclass
class Group:
	"""Totals of a set of commission lines (per period, rule or kind)."""

	lines: int = 0
	base: Decimal = ZERO
	commission: Decimal = ZERO

	def add(self, line: CommissionLine) -> None:
		self.lines += 1
		self.commission += line.amount
		if line.kind in BASE_KINDS:
			self.base += line.base

	@property
	def rate(self) -> Decimal | None:
		return percent(self.commission, self.base)


@dataclass
class Summary:
	plan: Plan
	source: str
	invoices: int
	credit_notes: int
	input_lines: int
	first_date: date | None
	last_date: date | None
	partners: dict[str, PartnerTotals]
	by_period: dict[str, Group]
	by_rule: dict[str, Group]
	by_kind: dict[str, Group]
	commission_lines: int
	posting_dates: dict[str, date]
	lines: list[CommissionLine]  # all commission lines, in posting order

	@property
	def net_sales(self) -> Decimal:
		return sum((p.net_sales for p in self.partners.values()), ZERO)

	@property
	def base(self) -> Decimal:
		return sum((p.base for p in self.partners.values()), ZERO)

	@property
	def commission(self) -> Decimal:
		return sum((p.commission for p in self.partners.values()), ZERO)

	@property
	def effective_rate(self) -> Decimal | None:
		return percent(self.commission, self.net_sales)

	def ranked(self) -> list[PartnerTotals]:
		"""Partners by commission, largest first (then by name)."""
		return sorted(self.partners.values(), key=lambda p: (-p.commission, p.partner))

	def money(self, value: Decimal) -> str:
		return format_amount(value, self.plan.money_precision)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
	if not whole:
		return None
	return (part / whole * 100).quantize(Decimal("0.01"))


def format_rate(rate: Decimal | None) -> str:
	return "–" if rate is None else f"{rate:.2f}%"


def summarise(plan: Plan, invoices: Sequence[Invoice], result: StreamResult, source: str) -> Summary:
	partners: dict[str, PartnerTotals] = {}
	posting_dates: dict[str, date] = {}
	input_lines = 0
	for inv in sorted(invoices, key=stream_order):
		totals = partners.get(inv.partner)
		if totals is None:
			totals = partners[inv.partner] = PartnerTotals(inv.partner)
		if inv.is_return:
			totals.credit_notes += 1
		else:
			totals.invoices += 1
			totals.tier = inv.partner_tier or totals.tier  # the latest invoice's tier
			totals.partner_type = inv.partner_type or totals.partner_type
		totals.net_sales += sum((ln.base_net_amount for ln in inv.lines), ZERO)
		posting_dates[inv.name] = inv.posting_date
		input_lines += len(inv.lines)
	by_period: dict[str, Group] = {}
	by_rule: dict[str, Group] = {rule.name: Group() for rule in plan.rules}
	by_kind: dict[str, Group] = {kind: Group() for kind in KINDS}
	for line in result.lines:
		totals = partners[line.partner]
		totals.lines.append(line)
		totals.commission += line.amount
		if line.kind in BASE_KINDS:
			totals.base += line.base
		by_period.setdefault(line.period, Group()).add(line)
		by_rule.setdefault(line.rule, Group()).add(line)
		by_kind.setdefault(line.kind, Group()).add(line)
	dates = sorted(posting_dates.values())
	return Summary(
		plan=plan,
		source=source,
		invoices=sum(p.invoices for p in partners.values()),
		credit_notes=sum(p.credit_notes for p in partners.values()),
		input_lines=input_lines,
		first_date=dates[0] if dates else None,
		last_date=dates[-1] if dates else None,
		partners=partners,
		by_period=dict(sorted(by_period.items())),
		by_rule=by_rule,
		by_kind={k: g for k, g in by_kind.items() if g.lines},
		commission_lines=len(result.lines),
		posting_dates=posting_dates,
		lines=result.lines,
	)


# --- computing -------------------------------------------------------------------------------------------


def compute(
	plan: Plan,
	invoices: Sequence[Invoice],
	progress: Progress,
	*,
	lines: io.LineSet | None = None,
	label: str = "Computing commission",
) -> StreamResult:
	"""``run_stream`` with a progress bar; an engine error is located at the failing invoice's row."""
	order = sorted(invoices, key=stream_order)
	stage = progress.stage(label, total=len(order), unit="invoices")
	done = 0

	def tick(n: int) -> None:
		nonlocal done
		done += n
		stage.update(n)

	try:
		result = run_stream(plan, order, progress=tick)
	except EngineError as e:
		if lines is not None and done < len(order):
			raise e.located(lines.where(order[done].name))
		raise
	stage.done(f"{len(result.lines):,} commission lines")
	return result


def load_lines(path: str, progress: Progress) -> io.LineSet:
	stage = progress.stage(f"Reading {Path(path).name}", unit="rows")
	lines = io.read_lines(path, progress=stage.update)
	stage.done(f"{lines.line_count:,} lines, {len(lines.invoices):,} invoices")
	for warning in lines.warnings:
		progress.close()
		print(warning, file=sys.stderr)
	return lines


# --- writing ----------------------------------------------------------------------------------------------


@dataclass
class Written:
	out: Path
	commission_lines: int = 0
	partners: int = 0
	statements: int = 0


def write_outputs(out: Path, summary: Summary, progress: Progress, statements: bool = True) -> Written:
	"""commissions.csv, partners.csv, summary.json and statements/<partner>.txt under ``out``."""
	stage = progress.stage(
		"Writing files", total=len(summary.partners) + 1 if statements else 1, unit="files"
	)
	written = Written(out)
	out.mkdir(parents=True, exist_ok=True)
	written.commission_lines = io.write_commissions(
		out / "commissions.csv", summary.lines, summary.posting_dates
	)
	stage.update()
	ranked = summary.ranked()
	if statements:
		folder = out / "statements"
		folder.mkdir(exist_ok=True)
		for old in folder.glob("*.txt"):
			old.unlink()
		taken: set[str] = set()
		for totals in ranked:
			totals.statement = f"statements/{io.statement_filename(totals.partner, taken)}"
			text = io.render_statement(
				partner=totals.partner,
				tier=totals.tier,
				partner_type=totals.partner_type,
				plan=summary.plan,
				lines=totals.lines,
				posting_dates=summary.posting_dates,
				invoices=totals.invoices,
				credit_notes=totals.credit_notes,
				net_sales=totals.net_sales,
				first_date=summary.first_date,
				last_date=summary.last_date,
			)
			(out / totals.statement).write_text(text, encoding="utf-8")
			written.statements += 1
			stage.update()
	written.partners = io.write_csv(
		out / "partners.csv",
		(
			"partner",
			"partner_tier",
			"partner_type",
			"invoices",
			"credit_notes",
			"net_sales",
			"base",
			"commission",
			"effective_rate",
			"statement",
		),
		(
			(
				p.partner,
				p.tier,
				p.partner_type,
				p.invoices,
				p.credit_notes,
				p.net_sales,
				p.base,
				p.commission,
				p.effective_rate,
				p.statement,
			)
			for p in ranked
		),
	)
	io.write_json(out / "summary.json", summary_json(summary))
	stage.done(f"{written.commission_lines:,} commission lines, {written.statements:,} statements")
	return written


def _group_json(name: str, key: str, group: Group) -> dict[str, Any]:
	return {
		key: name,
		"lines": group.lines,
		"base": group.base,
		"commission": group.commission,
		"rate_percent": group.rate,
	}


def summary_json(summary: Summary) -> dict[str, Any]:
	plan = summary.plan
	return {
		"generator": f"prm-sim {__version__}",
		"plan": {
			"name": plan.name,
			"currency": plan.currency,
			"basis": plan.basis,
			"trigger": plan.trigger,
			"bracket_mode": plan.bracket_mode,
			"period": plan.period,
			"rounding_method": plan.rounding_method,
			"precision": plan.money_precision,
			"rules": len(plan.rules),
		},
		"input": {
			"source": summary.source,
			"invoices": summary.invoices,
			"credit_notes": summary.credit_notes,
			"lines": summary.input_lines,
			"partners": len(summary.partners),
			"first_date": summary.first_date,
			"last_date": summary.last_date,
		},
		"totals": {
			"net_sales": summary.net_sales,
			"base": summary.base,
			"commission": summary.commission,
			"effective_rate_percent": summary.effective_rate,
			"commission_lines": summary.commission_lines,
		},
		"by_period": [_group_json(k, "period", g) for k, g in summary.by_period.items()],
		"by_rule": [_group_json(k, "rule", g) for k, g in summary.by_rule.items()],
		"by_kind": [_group_json(k, "kind", g) for k, g in summary.by_kind.items()],
		"partners": [
			{
				"partner": p.partner,
				"partner_tier": p.tier,
				"partner_type": p.partner_type,
				"invoices": p.invoices,
				"credit_notes": p.credit_notes,
				"net_sales": p.net_sales,
				"base": p.base,
				"commission": p.commission,
				"effective_rate_percent": p.effective_rate,
				"statement": p.statement,
			}
			for p in summary.ranked()
		],
		"files": {
			"commissions": "commissions.csv",
			"partners": "partners.csv",
			"statements": "statements/",
		},
	}


# --- printing ---------------------------------------------------------------------------------------------


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str, indent: str = "  ") -> str:
	"""Fixed-width columns; ``align`` has one letter per column, ``l`` or ``r``."""
	widths = [max([len(header[i])] + [len(row[i]) for row in rows if row]) for i in range(len(header))]

	def fmt(row: Sequence[str]) -> str:
		cells = [v.rjust(w) if a == "r" else v.ljust(w) for v, w, a in zip(row, widths, align, strict=True)]
		return (indent + "  ".join(cells)).rstrip()

	rule = indent + "  ".join("-" * w for w in widths)
	body = [fmt(r) if r else rule for r in rows]
	return "\n".join([fmt(header), rule, *body])


def describe_plan(plan: Plan) -> str:
	tiers = ", ".join(f"{k} ×{format_number(v)}" for k, v in plan.tier_multipliers.items())
	text = (
		f"{plan.name} ({plan.currency}; {len(plan.rules)} rules; {plan.bracket_mode} brackets per "
		f"{plan.period}; basis {plan.basis}"
	)
	return text + (f"; tiers {tiers})" if tiers else ")")


def describe_rule(rule: Rule, plan: Plan) -> str:
	money = lambda v: format_amount(v, plan.money_precision)  # noqa: E731
	if rule.brackets:
		what = "brackets " + ", ".join(f"{b.label} at {format_number(b.rate)}%" for b in rule.brackets)
	elif rule.rate_type == "percentage":
		what = f"{format_number(rule.rate)}%"
	elif rule.rate_type == "per_unit":
		what = f"{money(rule.rate)} per unit"
	else:
		what = f"{money(rule.rate)} per invoice"
	conditions = []
	for name in LIST_CONDITIONS:
		values = getattr(rule, name)
		if values:
			conditions.append(f"{name} {' or '.join(values)}")
	for name in ("registered_deal", "new_customer"):
		value = getattr(rule, name)
		if value is not None:
			conditions.append(name if value else f"not {name}")
	text = f"{rule.name} (priority {rule.priority}): {what}"
	text += f" where {' and '.join(conditions)}" if conditions else " on any line"
	if rule.min_per_invoice is not None:
		text += f"; at least {money(rule.min_per_invoice)} per invoice"
	if rule.max_per_invoice is not None:
		text += f"; at most {money(rule.max_per_invoice)} per invoice"
	if rule.cap_per_period is not None:
		text += f"; capped at {money(rule.cap_per_period)} per {plan.period}"
	return text


def report(summary: Summary, top: int, out: TextIO) -> None:
	"""The readable result: top partners, totals, effective rates, by period and by rule."""
	plan = summary.plan
	money = summary.money
	dates = ""
	if summary.first_date and summary.last_date:
		dates = f", {summary.first_date.isoformat()} to {summary.last_date.isoformat()}"
	print(f"Plan   {describe_plan(plan)}", file=out)
	print(
		f"Input  {summary.source}: {summary.invoices:,} invoices and {summary.credit_notes:,} credit notes, "
		f"{summary.input_lines:,} lines, {len(summary.partners):,} partners{dates}",
		file=out,
	)
	if plan.trigger == "payment":
		print("Note   this plan pays on payment; the simulator counts every invoice as paid", file=out)
	print(file=out)

	ranked = summary.ranked()
	shown = ranked[:top] if top > 0 else ranked
	rows: list[list[str]] = [
		[
			str(i),
			p.partner,
			p.tier,
			f"{p.invoices:,}",
			money(p.net_sales),
			money(p.commission),
			format_rate(p.effective_rate),
		]
		for i, p in enumerate(shown, start=1)
	]
	rest = ranked[len(shown) :]
	if rest:
		sales = sum((p.net_sales for p in rest), ZERO)
		paid = sum((p.commission for p in rest), ZERO)
		rows.append(
			[
				"",
				f"{len(rest)} other partners",
				"",
				f"{sum(p.invoices for p in rest):,}",
				money(sales),
				money(paid),
				format_rate(percent(paid, sales)),
			]
		)
	rows.append([])
	rows.append(
		[
			"",
			f"Total ({len(ranked)} partners)",
			"",
			f"{summary.invoices:,}",
			money(summary.net_sales),
			money(summary.commission),
			format_rate(summary.effective_rate),
		]
	)
	title = f"Top {len(shown)} partners by commission" if rest else "Partners by commission"
	print(f"{title} ({plan.currency}; effective rate = commission / net sales after returns)", file=out)
	print(
		text_table(
			["#", "Partner", "Tier", "Invoices", "Net sales", "Commission", "Eff. rate"], rows, "rllrrrr"
		),
		file=out,
	)
	print(file=out)

	def group_rows(groups: dict[str, Group]) -> list[list[str]]:
		return [
			[name, f"{g.lines:,}", money(g.base), money(g.commission), format_rate(g.rate)]
			for name, g in groups.items()
		]

	period_word = {"month": "month", "quarter": "quarter", "year": "year"}[plan.period]
	total_row = [
		"Total",
		f"{summary.commission_lines:,}",
		money(summary.base),
		money(summary.commission),
		format_rate(percent(summary.commission, summary.base)),
	]
	print(f"By {period_word} (base: commissioned amount; rate = commission / base)", file=out)
	rows = [*group_rows(summary.by_period), [], total_row]
	print(
		text_table([period_word.capitalize(), "Lines", "Base", "Commission", "Rate"], rows, "lrrrr"), file=out
	)
	print(file=out)
	print("By rule, in the order rules are tried", file=out)
	rows = [*group_rows(summary.by_rule), [], total_row]
	print(text_table(["Rule", "Lines", "Base", "Commission", "Rate"], rows, "lrrrr"), file=out)
	print(file=out)
	kinds = ", ".join(f"{k} {g.lines:,} ({money(g.commission)})" for k, g in summary.by_kind.items())
	print(f"Commission lines by kind: {kinds}", file=out)


def report_files(written: Written, out: TextIO, extra: Iterable[str] = ()) -> None:
	files = [
		f"commissions.csv ({written.commission_lines:,} lines)",
		f"partners.csv ({written.partners:,} partners)",
		"summary.json",
	]
	if written.statements:
		files.append(f"statements/ ({written.statements:,} files)")
	files.extend(extra)
	print(f"Wrote to {written.out}/: {', '.join(files)}", file=out)


# --- commands ---------------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace, progress: Progress) -> int:
	started = time.monotonic()
	stage = progress.stage("Generating demo data")
	program = demo_data.generate(size=args.size, seed=args.seed)
	stage.done(f"{program.line_count:,} lines, {len(program.invoices):,} invoices")
	result = compute(program.plan, program.invoices, progress)
	source = f"demo (seed {args.seed})"
	summary = summarise(program.plan, program.invoices, result, source)
	out = Path(args.out)
	written = write_outputs(out, summary, progress, statements=not args.no_statements)
	extra = []
	if args.write_inputs:
		inputs = write_inputs(out / "inputs", program, "csv")
		extra.append(f"inputs/ ({', '.join(p.name for p in inputs)})")
	progress.close()
	stdout = sys.stdout
	print(f"prm-sim demo: a seeded program of {len(program.partners)} partners in 3 tiers", file=stdout)
	report(summary, args.top, stdout)
	print(file=stdout)
	report_files(written, stdout, extra)
	print(f"Done in {time.monotonic() - started:.1f}s.", file=stdout)
	example = out / "inputs" if args.write_inputs else Path(DEFAULT_EXAMPLE_DIR)
	print(file=stdout)
	print("Next:", file=stdout)
	if not args.write_inputs:
		print(f"  prm-sim plan-example --out {example}    # the demo's plans and lines as files", file=stdout)
	print(f"  prm-sim run --plan {example}/plan.json --lines {example}/lines.csv --out my-run", file=stdout)
	print(
		f"  prm-sim compare --plan {example}/plan.json --plan {example}/plan-b.json --lines {example}/lines.csv",
		file=stdout,
	)
	return EXIT_OK


def write_inputs(folder: Path, program: demo_data.DemoProgram, fmt: str) -> list[Path]:
	paths = [folder / "plan.json", folder / "plan-b.json", folder / f"lines.{fmt}"]
	io.write_plan(paths[0], demo_data.DEMO_PLAN)
	io.write_plan(paths[1], demo_data.PROPOSED_PLAN)
	io.write_lines(paths[2], program.invoices)
	return paths


def cmd_run(args: argparse.Namespace, progress: Progress) -> int:
	started = time.monotonic()
	plan = io.read_plan(args.plan)
	lines = load_lines(args.lines, progress)
	lines.check_plan(plan)
	result = compute(plan, lines.invoices, progress, lines=lines)
	summary = summarise(plan, lines.invoices, result, args.lines)
	written = write_outputs(Path(args.out), summary, progress, statements=not args.no_statements)
	progress.close()
	report(summary, args.top, sys.stdout)
	print()
	report_files(written, sys.stdout)
	print(f"Done in {time.monotonic() - started:.1f}s.")
	return EXIT_OK


def cmd_compare(args: argparse.Namespace, progress: Progress) -> int:
	if len(args.plan) != 2:
		raise EngineError(
			"compare needs exactly two plans: --plan A.json --plan B.json (got {0})", len(args.plan)
		)
	plans = [io.read_plan(path) for path in args.plan]
	labels = [p.name for p in plans]
	if labels[0] == labels[1]:
		labels = list(args.plan)
	if plans[0].currency != plans[1].currency:
		progress.close()
		print(
			f"{args.plan[1]}: warning: currency {plans[1].currency} differs from {plans[0].currency} "
			f"in {args.plan[0]}; amounts are compared as they are",
			file=sys.stderr,
		)
	lines = load_lines(args.lines, progress)
	for plan, path in zip(plans, args.plan, strict=True):
		try:
			lines.check_plan(plan, label=plan.name)
		except EngineError as e:
			raise EngineError("{0} (with {1})", e.message, path)
	summaries = []
	for letter, plan in zip("AB", plans, strict=True):
		result = compute(plan, lines.invoices, progress, lines=lines, label=f"Computing plan {letter}")
		summaries.append(summarise(plan, lines.invoices, result, args.lines))
	progress.close()
	rows = comparison_rows(summaries[0], summaries[1])
	print_comparison(summaries, labels, list(args.plan), rows, args.top, sys.stdout)
	if args.out:
		out = Path(args.out)
		count = io.write_csv(
			out / "compare.csv",
			(
				"partner",
				"partner_tier",
				"net_sales",
				"commission_a",
				"effective_rate_a",
				"commission_b",
				"effective_rate_b",
				"difference",
				"change_percent",
			),
			rows,
		)
		print(f"\nWrote {out / 'compare.csv'} ({count:,} partners; A = {labels[0]}, B = {labels[1]})")
	return EXIT_OK


def comparison_rows(a: Summary, b: Summary) -> list[tuple[Any, ...]]:
	"""Per partner (by plan A's commission, largest first): net sales, each plan's commission and effective
	rate, the difference B − A and the change in percent of A."""
	rows = []
	for p in a.ranked():
		q = b.partners[p.partner]
		diff = q.commission - p.commission
		rows.append(
			(
				p.partner,
				p.tier,
				p.net_sales,
				p.commission,
				p.effective_rate,
				q.commission,
				q.effective_rate,
				diff,
				percent(diff, p.commission),
			)
		)
	return rows


def _count(n: int, one: str, many: str) -> str:
	return f"{n:,} {one if n == 1 else many}"


def _signed(text: str, value: Decimal) -> str:
	return f"+{text}" if value > 0 else text


def print_comparison(
	summaries: list[Summary],
	labels: list[str],
	paths: list[str],
	rows: list[tuple[Any, ...]],
	top: int,
	out: TextIO,
) -> None:
	a, b = summaries
	money = a.money
	print(
		f"Comparing two plans on {a.source}: {a.invoices:,} invoices and {a.credit_notes:,} credit notes, "
		f"{a.input_lines:,} lines, {len(a.partners):,} partners",
		file=out,
	)
	print(f"  A  {describe_plan(a.plan)}  [{paths[0]}]", file=out)
	print(f"  B  {describe_plan(b.plan)}  [{paths[1]}]", file=out)
	print(file=out)
	shown = rows[:top] if top > 0 else rows
	table = [
		[
			r[0],
			r[1],
			money(r[2]),
			money(r[3]),
			format_rate(r[4]),
			money(r[5]),
			format_rate(r[6]),
			_signed(money(r[7]), r[7]),
			"–" if r[8] is None else _signed(f"{r[8]:.2f}%", r[8]),
		]
		for r in shown
	]
	rest = rows[len(shown) :]
	if rest:
		sums = [sum((r[i] for r in rest), ZERO) for i in (2, 3, 5)]
		diff = sums[2] - sums[1]
		table.append(
			[
				f"{len(rest)} other partners",
				"",
				money(sums[0]),
				money(sums[1]),
				format_rate(percent(sums[1], sums[0])),
				money(sums[2]),
				format_rate(percent(sums[2], sums[0])),
				_signed(money(diff), diff),
				_signed(format_rate(percent(diff, sums[1])), diff),
			]
		)
	total_diff = b.commission - a.commission
	change = percent(total_diff, a.commission)
	table.append([])
	table.append(
		[
			f"Total ({len(rows)} partners)",
			"",
			money(a.net_sales),
			money(a.commission),
			format_rate(a.effective_rate),
			money(b.commission),
			format_rate(b.effective_rate),
			_signed(money(total_diff), total_diff),
			"–" if change is None else _signed(f"{change:.2f}%", change),
		]
	)
	print(f"Commission per partner ({a.plan.currency}; rate = commission / net sales)", file=out)
	print(
		text_table(
			["Partner", "Tier", "Net sales", "A", "A rate", "B", "B rate", "B − A", "Change"],
			table,
			"llrrrrrrr",
		),
		file=out,
	)
	gain = [r for r in rows if r[7] > 0]
	loss = [r for r in rows if r[7] < 0]
	print(file=out)
	verdict = "more" if total_diff >= 0 else "less"
	line = (
		f"B ({labels[1]}) pays {money(abs(total_diff))} {verdict} than A ({labels[0]})"
		+ (f", {_signed(f'{change:.2f}%', change)}" if change is not None else "")
		+ f"; {_count(len(gain), 'partner gains', 'partners gain')}, {_count(len(loss), 'loses', 'lose')}, "
		+ f"{_count(len(rows) - len(gain) - len(loss), 'is unchanged', 'are unchanged')}."
	)
	print(line, file=out)
	if gain:
		best = max(gain, key=lambda r: r[7])
		print(f"Largest gain: {best[0]} {_signed(money(best[7]), best[7])}", file=out)
	if loss:
		worst = min(loss, key=lambda r: r[7])
		print(f"Largest loss: {worst[0]} {money(worst[7])}", file=out)


def cmd_plan_example(args: argparse.Namespace, progress: Progress) -> int:
	stage = progress.stage("Generating demo data")
	program = demo_data.generate(size=args.size, seed=args.seed)
	stage.done(f"{program.line_count:,} lines, {len(program.invoices):,} invoices")
	folder = Path(args.out)
	paths = write_inputs(folder, program, args.format)
	progress.close()
	print(f"Wrote {paths[0]} ({describe_plan(program.plan)})")
	print(f"Wrote {paths[1]} ({describe_plan(program.proposed)})")
	print(
		f"Wrote {paths[2]} ({program.line_count:,} lines, {len(program.invoices):,} invoices, seed {args.seed})"
	)
	print()
	print("Try:")
	print(f"  prm-sim validate --plan {paths[0]} --lines {paths[2]}")
	print(f"  prm-sim run --plan {paths[0]} --lines {paths[2]} --out my-run")
	print(f"  prm-sim compare --plan {paths[0]} --plan {paths[1]} --lines {paths[2]}")
	return EXIT_OK


def cmd_validate(args: argparse.Namespace, progress: Progress) -> int:
	plans = [(path, io.read_plan(path)) for path in args.plan]
	for path, plan in plans:
		print(f"{path}: OK: {describe_plan(plan)}")
		print(
			f"  rounding: {plan.rounding_method} to {plan.money_precision} decimals; trigger: {plan.trigger}"
		)
		print("  rules in the order they are tried (the first whose conditions all hold takes the line):")
		for i, rule in enumerate(plan.rules, start=1):
			print(f"    {i}. {describe_rule(rule, plan)}")
	if args.lines:
		lines = load_lines(args.lines, progress)
		for path, plan in plans:
			try:
				lines.check_plan(plan)
			except EngineError as e:
				raise EngineError("{0} (with {1})", e.message, path)
			result = compute(
				plan, lines.invoices, progress, lines=lines, label=f"Checking with {Path(path).name}"
			)
			progress.close()
			print(
				f"{args.lines}: OK with {path}: {lines.line_count:,} lines, {len(lines.invoices):,} invoices "
				f"({lines.return_count:,} credit notes) give {len(result.lines):,} commission lines, "
				f"{format_amount(result.total(), plan.money_precision)} {plan.currency}"
			)
	return EXIT_OK


# --- argument parsing -------------------------------------------------------------------------------------


def _size(text: str) -> int:
	try:
		value = int(text.replace("_", "").replace(",", ""))
	except ValueError:
		raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
	if value < 10:
		raise argparse.ArgumentTypeError(f"must be at least 10, got {value}")
	return value


def _top(text: str) -> int:
	try:
		value = int(text)
	except ValueError:
		raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
	if value < 0:
		raise argparse.ArgumentTypeError("must be 0 (all partners) or more")
	return value


def build_parser() -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(
		prog="prm-sim",
		description="Simulate partner commission plans on invoice lines, without ERPNext.",
		epilog="Bad input gives one line on stderr naming the file, row and column, and exit code 2.",
	)
	parser.add_argument("--version", action="version", version=f"prm-sim {__version__}")
	commands = parser.add_subparsers(dest="command", metavar="COMMAND")

	def common(p: argparse.ArgumentParser, out_default: str | None = DEFAULT_OUT, top: int = 10) -> None:
		if out_default is not None:
			p.add_argument(
				"--out", default=out_default, metavar="DIR", help=f"output folder (default: {out_default})"
			)
		p.add_argument(
			"--top", type=_top, default=top, metavar="N", help=f"partners to list (default {top}; 0: all)"
		)
		p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")

	p = commands.add_parser(
		"demo",
		help="generate a seeded demo program, run its plan and write statements",
		description="Generate a seeded demo program (40 partners in Gold/Silver/Bronze, a year of invoices "
		"and credit notes), run its commission plan and write commissions.csv, partners.csv, summary.json "
		"and one statement per partner.",
	)
	common(p)
	p.add_argument(
		"--size",
		type=_size,
		default=demo_data.DEFAULT_SIZE,
		metavar="N",
		help="invoice lines (default 100000)",
	)
	p.add_argument("--seed", type=int, default=demo_data.DEFAULT_SEED, help="random seed (default 2025)")
	p.add_argument(
		"--write-inputs",
		action="store_true",
		help="also write the plans and lines to DIR/inputs/ for run/compare",
	)
	p.add_argument("--no-statements", action="store_true", help="skip the per-partner statement files")
	p.set_defaults(func=cmd_demo)

	p = commands.add_parser(
		"run",
		help="run a plan on a file of invoice lines",
		description="Run a plan (JSON) on invoice lines (CSV, or Parquet with pyarrow) and write "
		"commissions.csv, partners.csv, summary.json and statements/ to DIR.",
	)
	p.add_argument("--plan", required=True, metavar="PLAN.json")
	p.add_argument("--lines", required=True, metavar="LINES.csv", help="a .csv or .parquet file")
	common(p)
	p.add_argument("--no-statements", action="store_true", help="skip the per-partner statement files")
	p.set_defaults(func=cmd_run)

	p = commands.add_parser(
		"compare",
		help="what two plans pay each partner on the same lines",
		description="Run two plans on the same invoice lines and show, per partner, what each pays and the "
		"difference; --out writes compare.csv.",
	)
	p.add_argument(
		"--plan", required=True, action="append", metavar="PLAN.json", help="give it twice: A then B"
	)
	p.add_argument("--lines", required=True, metavar="LINES.csv")
	common(p, out_default=None, top=0)
	p.add_argument("--out", default=None, metavar="DIR", help="also write DIR/compare.csv")
	p.set_defaults(func=cmd_compare)

	p = commands.add_parser(
		"plan-example",
		help="write the demo plans and lines as files to try run and compare",
		description="Write plan.json (the demo plan), plan-b.json (a proposed plan) and the demo lines.",
	)
	p.add_argument(
		"--out", default=DEFAULT_EXAMPLE_DIR, metavar="DIR", help=f"folder (default: {DEFAULT_EXAMPLE_DIR})"
	)
	p.add_argument("--size", type=_size, default=demo_data.DEFAULT_SIZE, metavar="N", help="invoice lines")
	p.add_argument("--seed", type=int, default=demo_data.DEFAULT_SEED)
	p.add_argument(
		"--format", choices=("csv", "parquet"), default="csv", help="lines file format (default csv)"
	)
	p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
	p.set_defaults(func=cmd_plan_example)

	p = commands.add_parser(
		"validate",
		help="check plans (and lines) without writing anything",
		description="Check plan files, and with --lines check the lines against each plan by computing them.",
	)
	p.add_argument("--plan", required=True, action="append", metavar="PLAN.json")
	p.add_argument("--lines", default=None, metavar="LINES.csv")
	p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
	p.set_defaults(func=cmd_validate)
	return parser


def _one_line(text: str) -> str:
	return " ".join(part.strip() for part in text.splitlines() if part.strip())


def main(argv: Sequence[str] | None = None) -> int:
	parser = build_parser()
	args = parser.parse_args(argv)
	if not getattr(args, "func", None):
		parser.print_help(sys.stderr)
		return EXIT_BAD_INPUT
	progress = Progress(enabled=not args.quiet)
	try:
		return args.func(args, progress)
	except EngineError as e:
		progress.close()
		print(_one_line(str(e)), file=sys.stderr)
		return EXIT_BAD_INPUT
	except BrokenPipeError:  # e.g. piped into head
		devnull = os.open(os.devnull, os.O_WRONLY)
		os.dup2(devnull, sys.stdout.fileno())
		return EXIT_OK
	except OSError as e:  # cannot write an output file
		progress.close()
		where = f"{e.filename}: " if e.filename else ""
		print(_one_line(f"{where}{e.strerror or e}"), file=sys.stderr)
		return EXIT_BAD_INPUT
	except KeyboardInterrupt:
		progress.close()
		print("interrupted", file=sys.stderr)
		return 130


if __name__ == "__main__":  # pragma: no cover
	raise SystemExit(main())
