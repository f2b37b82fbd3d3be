"""prm-sim's files: plans (JSON), invoice lines (CSV or Parquet) in, commission lines and statements out.

Reading is strict and exact. Every number is parsed from its text straight to ``Decimal`` (never through a
float; a float column of a Parquet file goes through ``repr``, as Frappe's ``flt`` does), and the first
bad cell stops the read with an ``InputError`` naming the file, the row and the column::

    lines.csv: row 17, column base_net_amount: not a number: 'abc'

Rows are counted as a spreadsheet shows them: in a CSV file the header is row 1 and the first invoice
line is row 2; in a Parquet file (which has no header row) the first record is row 1.

One row is one invoice line. The invoice-level columns (``posting_date``, ``partner``, ``customer``,
``territory`` …) repeat on every row of an invoice and are taken from its first row; rows of one invoice
that disagree on ``posting_date``, ``partner``, ``is_return`` or ``return_against`` are an error.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from prm_app.engine.commission import CommissionLine, Invoice, InvoiceLine, line_key
from prm_app.engine.errors import EngineError
from prm_app.engine.frames import OPTIONAL, REQUIRED
from prm_app.engine.money import ONE, ZERO, currency_precision, format_amount
from prm_app.engine.plans import Plan, plan_from_json, plan_to_dict

# one definition of the lines format, shared with the vectorised path
REQUIRED_COLUMNS = REQUIRED
OPTIONAL_COLUMNS = OPTIONAL
KNOWN_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
#: Columns that describe the whole invoice: read from its first row.
INVOICE_COLUMNS = (
	"posting_date",
	"partner",
	"customer",
	"territory",
	"customer_group",
	"partner_tier",
	"partner_type",
	"is_return",
	"return_against",
	"registered_deal",
	"new_customer",
	"currency",
	"conversion_rate",
)
#: Invoice-level columns on which every row of one invoice must agree.
MUST_AGREE = ("posting_date", "partner", "is_return", "return_against")
#: The column order ``write_lines`` uses.
LINE_FILE_COLUMNS = (
	"invoice",
	"posting_date",
	"partner",
	"partner_tier",
	"partner_type",
	"customer",
	"customer_group",
	"territory",
	"currency",
	"conversion_rate",
	"is_return",
	"return_against",
	"registered_deal",
	"new_customer",
	"line_id",
	"return_line_id",
	"item_code",
	"item_group",
	"brand",
	"qty",
	"base_net_amount",
	"cost",
	"grant_commission",
)
#: The columns of ``commissions.csv``.
COMMISSION_COLUMNS = (
	"invoice",
	"posting_date",
	"partner",
	"kind",
	"rule",
	"period",
	"bracket",
	"item_code",
	"item_group",
	"line_key",
	"rate_type",
	"rate",
	"qty",
	"base",
	"amount",
	"against",
	"explanation",
)

TRUE_TEXTS = ("1", "true", "yes", "y", "1.0")
FALSE_TEXTS = ("0", "false", "no", "n", "0.0")
_BOOLEANS = {**{t: True for t in TRUE_TEXTS}, **{t: False for t in FALSE_TEXTS}}
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?")


class InputError(EngineError):
	"""A file cannot be read, or a row of it is invalid."""


# --- small readers ---------------------------------------------------------------------------------------


def _display(path: str | Path) -> str:
	return str(path)


def read_text(path: str | Path) -> str:
	"""The text of a UTF-8 file (a byte-order mark is ignored), or an ``InputError`` naming the file."""
	where = _display(path)
	try:
		with open(path, encoding="utf-8-sig") as f:
			return f.read()
	except FileNotFoundError:
		raise InputError("no such file", where=where)
	except IsADirectoryError:
		raise InputError("is a folder, not a file", where=where)
	except UnicodeDecodeError as e:
		raise InputError("not UTF-8 text (byte {0}); save the file as UTF-8", e.start, where=where)
	except OSError as e:
		raise InputError("cannot read the file: {0}", e.strerror or str(e), where=where)


def read_plan(path: str | Path) -> Plan:
	"""A validated plan from its JSON file; errors are located in the file (``plan.json: rule 2 …``)."""
	text = read_text(path)
	try:
		return plan_from_json(text)
	except EngineError as e:
		raise e.located(_display(path))
	except (TypeError, AttributeError) as e:  # a field of a very unexpected type
		raise InputError("not a valid plan: {0}", str(e), where=_display(path))


def _missing(value: object) -> bool:
	if value is None:
		return True
	if isinstance(value, str):
		return not value.strip()
	return isinstance(value, float) and value != value  # NaN: pandas' empty cell


def _text(value: object) -> str:
	if _missing(value):
		return ""
	if isinstance(value, str):
		return value.strip()
	if isinstance(value, float) and value.is_integer():
		return str(int(value))
	if isinstance(value, datetime | date):
		return value.isoformat()
	return str(value)


def parse_decimal(value: object) -> Decimal | None:
	"""``None`` for an empty cell, else an exact ``Decimal``; raises ``InputError`` for anything else."""
	if _missing(value):
		return None
	if isinstance(value, Decimal):
		if not value.is_finite():
			raise InputError("not a finite number: {0!r}", str(value))
		return value
	if isinstance(value, bool):
		raise InputError("not a number: {0!r}", value)
	if isinstance(value, int):
		return Decimal(value)
	if isinstance(value, float):
		if value in (float("inf"), float("-inf")):
			raise InputError("not a finite number: {0!r}", value)
		return Decimal(repr(value))
	text = value.strip() if isinstance(value, str) else str(value)
	if not _NUMBER.fullmatch(text):
		if "," in text:
			raise InputError(
				"not a number: {0!r} (write numbers with a dot for decimals and no thousands separators)",
				text,
			)
		raise InputError("not a number: {0!r}", text)
	try:
		return Decimal(text)
	except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
		raise InputError("not a number: {0!r}", text)


def parse_date(value: object) -> date | None:
	"""``None`` for an empty cell, else a date from ``YYYY-MM-DD`` (a time after it is ignored)."""
	if _missing(value):
		return None
	if isinstance(value, datetime):
		return value.date()
	if isinstance(value, date):
		return value
	text = _text(value)
	match = _DATE.fullmatch(text)
	if not match:
		raise InputError("not a date: {0!r} (expected YYYY-MM-DD, e.g. 2025-01-31)", text)
	try:
		return date(int(match[1]), int(match[2]), int(match[3]))
	except ValueError:
		raise InputError("not a valid date: {0!r}", text)


def parse_bool(value: object) -> bool | None:
	"""``None`` for an empty cell; 1/0, true/false, yes/no (any case); raises ``InputError`` otherwise."""
	if _missing(value):
		return None
	if isinstance(value, bool):
		return value
	if isinstance(value, int | float | Decimal) and value in (0, 1):
		return bool(value)
	text = _text(value).lower()
	try:
		return _BOOLEANS[text]
	except KeyError:
		raise InputError(
			"not a yes/no value: {0!r} (use 1 or 0, true or false, yes or no, or leave it empty)",
			_text(value),
		)


# --- invoice lines ---------------------------------------------------------------------------------------


@dataclass
class _Draft:
	"""An invoice being assembled from its rows."""

	name: str
	row: int
	header: dict[str, Any]
	lines: list[InvoiceLine] = field(default_factory=list)
	rows: list[int] = field(default_factory=list)


@dataclass
class LineSet:
	"""The invoices of a lines file, in file order, and where each came from."""

	source: str
	columns: tuple[str, ...]
	invoices: list[Invoice]
	first_row: dict[str, int]  # invoice name -> row of its first line
	line_rows: dict[str, list[int]]  # invoice name -> row of each line
	warnings: list[str] = field(default_factory=list)

	@property
	def line_count(self) -> int:
		return sum(len(rows) for rows in self.line_rows.values())

	@property
	def return_count(self) -> int:
		return sum(1 for inv in self.invoices if inv.is_return)

	def where(self, invoice: str, column: str = "", line: int | None = None) -> str:
		"""``lines.csv: row 17`` (the invoice's first row, or its line's row), ``, column x`` if given."""
		rows = self.line_rows.get(invoice)
		row = rows[line] if rows and line is not None and line < len(rows) else self.first_row.get(invoice)
		text = self.source if row is None else f"{self.source}: row {row}"
		return f"{text}, column {column}" if column else text

	def check_plan(self, plan: Plan, label: str = "") -> None:
		"""What the lines must satisfy for ``plan``: every partner tier is one the plan knows (when it has
		tier multipliers), and every commissionable line has a cost when the plan pays on gross margin."""
		label = label or plan.name
		if plan.tier_multipliers:
			known = set(plan.tier_multipliers)
			for rule in plan.rules:
				known.update(rule.partner_tier)
			for invoice in self.invoices:
				tier = invoice.partner_tier
				if tier and tier not in known:
					hint = next((k for k in sorted(known) if k.lower() == tier.lower()), None)
					raise InputError(
						"unknown partner tier {0!r}{1}: plan {2!r} has tier multipliers for {3} "
						"(add {0!r} to its tier_multipliers, with 1 for no change)",
						tier,
						f" (did you mean {hint!r}?)" if hint else "",
						label,
						", ".join(sorted(plan.tier_multipliers)),
						where=self.where(invoice.name, "partner_tier"),
					)
		if plan.basis == "gross_margin":
			for invoice in self.invoices:
				for i, line in enumerate(invoice.lines):
					if line.grant_commission and line.cost is None:
						raise InputError(
							"no cost, but plan {0!r} pays on gross margin: give every commissionable "
							"line a cost",
							label,
							where=self.where(invoice.name, "cost", i),
						)


def _normalise_header(names: Sequence[object], source: str) -> tuple[tuple[str, ...], list[str]]:
	columns = tuple(_text(n).lower().replace(" ", "_") for n in names)
	seen: dict[str, int] = {}
	for i, name in enumerate(columns, start=1):
		if not name:
			continue
		if name in seen:
			raise InputError(
				"column {0!r} appears twice (columns {1} and {2})", name, seen[name], i, where=source
			)
		seen[name] = i
	missing = [c for c in REQUIRED_COLUMNS if c not in seen]
	if missing and len(columns) == 1 and (";" in columns[0] or "\t" in columns[0]):
		raise InputError(
			"the header is one column {0!r}: separate columns with commas, not semicolons or tabs",
			columns[0][:60],
			where=source,
		)
	if missing:
		raise InputError(
			"missing required column{0} {1} (required: {2})",
			"s" if len(missing) > 1 else "",
			", ".join(repr(c) for c in missing),
			", ".join(REQUIRED_COLUMNS),
			where=source,
		)
	warnings = [
		f"{source}: ignoring unknown column {name!r}"
		for name in columns
		if name and name not in KNOWN_COLUMNS
	]
	return columns, warnings


def invoices_from_rows(
	source: str,
	header: Sequence[object],
	rows: Iterable[tuple[int, Sequence[object]]],
	*,
	check_width: bool = False,
	progress: Callable[[int], None] | None = None,
) -> LineSet:
	"""Assemble invoices from rows of values (``rows`` yields ``(row number, values)`` in file order).

	Raises ``InputError`` at the first bad cell, naming ``source``, the row and the column."""
	columns, warnings = _normalise_header(header, source)
	index = {name: i for i, name in enumerate(columns) if name}
	width = len(columns)
	drafts: dict[str, _Draft] = {}
	date_cache: dict[tuple[type, object], date | None] = {}
	currency_cache: dict[str, str] = {}

	def cell(values: Sequence[object], name: str) -> object:
		i = index.get(name)
		return None if i is None else values[i]

	count = 0
	for row, values in rows:
		count += 1
		if progress and count % 2000 == 0:
			progress(2000)
		if not values or (_missing(values[0]) and all(_missing(v) for v in values)):
			continue  # a blank row
		if check_width and len(values) != width:
			raise InputError(
				"has {0} values but the header has {1} columns",
				len(values),
				width,
				where=f"{source}: row {row}",
			)
		column = ""
		try:
			column = "invoice"
			name = _text(cell(values, "invoice"))
			if not name:
				raise InputError("is empty: every row needs the invoice it belongs to")
			column = "posting_date"
			raw_date = cell(values, "posting_date")
			key = (type(raw_date), raw_date)
			if key in date_cache:
				posting_date = date_cache[key]
			else:
				posting_date = date_cache[key] = parse_date(raw_date)
			if posting_date is None:
				raise InputError("is empty")
			column = "partner"
			partner = _text(cell(values, "partner"))
			if not partner:
				raise InputError("is empty: every invoice needs a partner")
			column = "is_return"
			is_return = bool(parse_bool(cell(values, "is_return")))
			column = "return_against"
			return_against = _text(cell(values, "return_against"))
			if is_return and not return_against:
				raise InputError(
					"is empty, but the row is a credit note (is_return): name the invoice it returns"
				)
			if return_against and not is_return:
				column = "is_return"
				raise InputError(
					"is not set, but return_against names {0}: set is_return to 1 for a credit note",
					return_against,
				)
			column = "item_code"
			item_code = _text(cell(values, "item_code"))
			if not item_code:
				raise InputError("is empty")
			column = "base_net_amount"
			amount = parse_decimal(cell(values, "base_net_amount"))
			if amount is None:
				raise InputError("is empty")
			if is_return and amount > 0:
				raise InputError(
					"a credit note line must have a negative amount (in company currency), got {0}", amount
				)
			column = "qty"
			qty = parse_decimal(cell(values, "qty"))
			if qty is None:
				qty = -ONE if is_return else ONE
			elif is_return and qty > 0:
				raise InputError("a credit note line must have a negative quantity, got {0}", qty)
			elif not is_return and qty < 0:
				raise InputError(
					"negative quantity {0} on an invoice that is not a credit note "
					"(set is_return and return_against for a return)",
					qty,
				)
			column = "cost"
			cost = parse_decimal(cell(values, "cost"))
			column = "grant_commission"
			grant = parse_bool(cell(values, "grant_commission"))
			line = InvoiceLine(
				item_code=item_code,
				base_net_amount=amount,
				qty=qty,
				item_group=_text(cell(values, "item_group")),
				brand=_text(cell(values, "brand")),
				cost=cost,
				grant_commission=True if grant is None else grant,
				line_id=_text(cell(values, "line_id")),
				return_line_id=_text(cell(values, "return_line_id")),
			)
			column = "registered_deal"
			registered_deal = bool(parse_bool(cell(values, "registered_deal")))
			column = "new_customer"
			new_customer = bool(parse_bool(cell(values, "new_customer")))
			column = "currency"
			currency = _text(cell(values, "currency")).upper()
			if currency and currency not in currency_cache:
				currency_precision(currency)
				currency_cache[currency] = currency
			column = "conversion_rate"
			rate = parse_decimal(cell(values, "conversion_rate"))
			if rate is not None and rate <= 0:
				raise InputError("must be above 0, got {0}", rate)

			draft = drafts.get(name)
			if draft is None:
				drafts[name] = _Draft(
					name=name,
					row=row,
					header={
						"posting_date": posting_date,
						"partner": partner,
						"is_return": is_return,
						"return_against": return_against,
						"customer": _text(cell(values, "customer")),
						"territory": _text(cell(values, "territory")),
						"customer_group": _text(cell(values, "customer_group")),
						"partner_tier": _text(cell(values, "partner_tier")),
						"partner_type": _text(cell(values, "partner_type")),
						"registered_deal": registered_deal,
						"new_customer": new_customer,
						"currency": currency,
						"conversion_rate": ONE if rate is None else rate,
					},
					lines=[line],
					rows=[row],
				)
			else:
				mine = {
					"posting_date": posting_date,
					"partner": partner,
					"is_return": is_return,
					"return_against": return_against,
				}
				for column in MUST_AGREE:
					if mine[column] != draft.header[column]:
						raise InputError(
							"invoice {0} has {1} {2!r} here but {3!r} on row {4}; every row of an invoice "
							"must agree on {1}",
							name,
							column,
							_text(mine[column]),
							_text(draft.header[column]),
							draft.row,
						)
				draft.lines.append(line)
				draft.rows.append(row)
		except EngineError as e:
			raise e.located(f"{source}: row {row}, column {column}")
	if progress and count % 2000:
		progress(count % 2000)

	invoices = [Invoice(name=d.name, lines=tuple(d.lines), **d.header) for d in drafts.values()]
	result = LineSet(
		source=source,
		columns=columns,
		invoices=invoices,
		first_row={d.name: d.row for d in drafts.values()},
		line_rows={d.name: d.rows for d in drafts.values()},
		warnings=warnings,
	)
	if not invoices:
		raise InputError("has no invoice lines (only a header)", where=source)
	check_returns(result)
	return result


def check_returns(lines: LineSet) -> None:
	"""Every credit note returns an earlier invoice of the same file and partner, and each of its lines
	names an item (or ``return_line_id``) of that invoice."""
	by_name = {inv.name: inv for inv in lines.invoices}
	for invoice in lines.invoices:
		if not invoice.is_return:
			continue
		original = by_name.get(invoice.return_against)
		where = lines.where(invoice.name, "return_against")
		if original is None:
			raise InputError(
				"credit note {0} returns against {1}, which is not in this file (unknown invoice)",
				invoice.name,
				invoice.return_against,
				where=where,
			)
		if original.is_return:
			raise InputError(
				"credit note {0} returns against {1}, which is itself a credit note",
				invoice.name,
				original.name,
				where=where,
			)
		if original.partner != invoice.partner:
			raise InputError(
				"credit note {0} is for partner {1!r} but its invoice {2} is for partner {3!r}",
				invoice.name,
				invoice.partner,
				original.name,
				original.partner,
				where=lines.where(invoice.name, "partner"),
			)
		if (original.posting_date, original.name) > (invoice.posting_date, invoice.name):
			raise InputError(
				"credit note {0} ({1}) comes before its invoice {2} ({3}); invoices are processed in "
				"posting_date then invoice order, so a credit note must come after what it returns",
				invoice.name,
				invoice.posting_date.isoformat(),
				original.name,
				original.posting_date.isoformat(),
				where=lines.where(invoice.name, "posting_date"),
			)
		keys = {line_key(ln, i) for i, ln in enumerate(original.lines)}
		items = {ln.item_code for ln in original.lines}
		for i, line in enumerate(invoice.lines):
			if line.return_line_id and line.return_line_id not in keys:
				raise InputError(
					"credit note {0} returns line {1!r}, which is not a line of invoice {2}",
					invoice.name,
					line.return_line_id,
					original.name,
					where=lines.where(invoice.name, "return_line_id", i),
				)
			if not line.return_line_id and line.item_code not in items:
				raise InputError(
					"credit note {0} returns item {1!r}, which is not on invoice {2}",
					invoice.name,
					line.item_code,
					original.name,
					where=lines.where(invoice.name, "item_code", i),
				)


def _csv_rows(path: str | Path, source: str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
	try:
		f = open(path, newline="", encoding="utf-8-sig")  # closed by the rows generator
	except FileNotFoundError:
		raise InputError("no such file", where=source)
	except IsADirectoryError:
		raise InputError("is a folder, not a file", where=source)
	except OSError as e:
		raise InputError("cannot read the file: {0}", e.strerror or str(e), where=source)
	reader = csv.reader(f)
	row = 1
	try:
		header = next(reader, None)
	except (UnicodeDecodeError, csv.Error) as e:
		f.close()
		raise _csv_error(e, source, row)
	if not header or not any(h.strip() for h in header):
		f.close()
		raise InputError(
			"is empty: expected a header row with the columns {0}", ", ".join(REQUIRED_COLUMNS), where=source
		)

	def rows() -> Iterator[tuple[int, list[str]]]:
		nonlocal row
		try:
			for row, values in enumerate(reader, start=2):  # row is read in the error handler
				if values:
					yield row, values
		except (UnicodeDecodeError, csv.Error) as e:
			raise _csv_error(e, source, row + 1)
		finally:
			f.close()

	return header, rows()


def _csv_error(error: Exception, source: str, row: int) -> InputError:
	if isinstance(error, UnicodeDecodeError):
		return InputError("not UTF-8 text; save the file as CSV UTF-8", where=f"{source}: row {row}")
	return InputError("not valid CSV: {0}", str(error), where=f"{source}: row {row}")


def _parquet_table(path: str | Path, source: str) -> Any:
	try:
		import pyarrow.parquet as pq
	except ImportError:
		raise InputError(
			"reading Parquet needs pyarrow: pip install 'prm_app[parquet]' (or pip install pyarrow), "
			"or save the lines as CSV",
			where=source,
		)
	if not Path(path).exists():
		raise InputError("no such file", where=source)
	if Path(path).is_dir():
		raise InputError("is a folder, not a file", where=source)
	try:
		return pq.read_table(path)
	except Exception as e:  # pyarrow raises ArrowInvalid, OSError … for a damaged file
		raise InputError("not a readable Parquet file: {0}", str(e).splitlines()[0], where=source)


def read_lines(path: str | Path, *, progress: Callable[[int], None] | None = None) -> LineSet:
	"""Invoices from a CSV (``.csv``) or Parquet (``.parquet``/``.pq``) file of invoice lines."""
	source = _display(path)
	suffix = Path(path).suffix.lower()
	if suffix in (".parquet", ".pq"):
		table = _parquet_table(path, source)
		header = list(table.column_names)
		columns = [table.column(i).to_pylist() for i in range(len(header))]
		rows = ((i, values) for i, values in enumerate(zip(*columns, strict=True), start=1))
		return invoices_from_rows(source, header, rows, progress=progress)
	if suffix in (".csv", ".txt", ""):
		header, csv_rows = _csv_rows(path, source)
		return invoices_from_rows(source, header, csv_rows, check_width=True, progress=progress)
	raise InputError("unknown file type {0!r}: give a .csv or .parquet file", suffix, where=source)


# --- writing ---------------------------------------------------------------------------------------------


def decimal_text(value: Decimal | None) -> str:
	"""A plain decimal (no exponent): ``1250.5``, ``0``; empty for ``None``."""
	if value is None:
		return ""
	text = format(value, "f")
	return "0" if text in ("-0", "-0.00") and not value else text


def _flag(value: bool) -> str:
	return "1" if value else "0"


def line_records(invoices: Iterable[Invoice]) -> Iterator[dict[str, Any]]:
	"""One record per invoice line, in ``LINE_FILE_COLUMNS`` order (typed values)."""
	for inv in invoices:
		for i, line in enumerate(inv.lines):
			yield {
				"invoice": inv.name,
				"posting_date": inv.posting_date,
				"partner": inv.partner,
				"partner_tier": inv.partner_tier,
				"partner_type": inv.partner_type,
				"customer": inv.customer,
				"customer_group": inv.customer_group,
				"territory": inv.territory,
				"currency": inv.currency,
				"conversion_rate": inv.conversion_rate,
				"is_return": inv.is_return,
				"return_against": inv.return_against,
				"registered_deal": inv.registered_deal,
				"new_customer": inv.new_customer,
				"line_id": line.line_id or str(i + 1),
				"return_line_id": line.return_line_id,
				"item_code": line.item_code,
				"item_group": line.item_group,
				"brand": line.brand,
				"qty": line.qty,
				"base_net_amount": line.base_net_amount,
				"cost": line.cost,
				"grant_commission": line.grant_commission,
			}


def _text_cell(value: Any) -> str:
	if value is None:
		return ""
	if isinstance(value, bool):
		return _flag(value)
	if isinstance(value, Decimal):
		return decimal_text(value)
	if isinstance(value, date):
		return value.isoformat()
	return str(value)


def _parent(path: str | Path) -> None:
	Path(path).parent.mkdir(parents=True, exist_ok=True)


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
	"""Write a CSV file (UTF-8, ``\\n`` line ends); returns the number of data rows."""
	_parent(path)
	count = 0
	with open(path, "w", newline="", encoding="utf-8") as f:
		writer = csv.writer(f, lineterminator="\n")
		writer.writerow(header)
		for row in rows:
			writer.writerow([_text_cell(v) for v in row])
			count += 1
	return count


def write_lines(path: str | Path, invoices: Iterable[Invoice]) -> int:
	"""Write invoice lines as CSV or Parquet (by extension) in the format ``read_lines`` reads; returns
	the number of lines. Parquet numbers are exact decimals, dates are dates, flags are booleans."""
	records = line_records(invoices)
	if Path(path).suffix.lower() in (".parquet", ".pq"):
		return _write_parquet(path, list(records))
	return write_csv(path, LINE_FILE_COLUMNS, ([r[c] for c in LINE_FILE_COLUMNS] for r in records))


def _write_parquet(path: str | Path, records: list[dict[str, Any]]) -> int:
	try:
		import pyarrow as pa
		import pyarrow.parquet as pq
	except ImportError:
		raise InputError(
			"writing Parquet needs pyarrow: pip install 'prm_app[parquet]' (or pip install pyarrow)",
			where=_display(path),
		)
	arrays = {}
	for name in LINE_FILE_COLUMNS:
		values = [r[name] for r in records]
		if name in ("qty", "base_net_amount", "cost", "conversion_rate"):
			scale = max((max(-v.as_tuple().exponent, 0) for v in values if v is not None), default=0)
			arrays[name] = pa.array(values, type=pa.decimal128(38, scale))
		elif name == "posting_date":
			arrays[name] = pa.array(values, type=pa.date32())
		elif name in ("is_return", "registered_deal", "new_customer", "grant_commission"):
			arrays[name] = pa.array(values, type=pa.bool_())
		else:
			arrays[name] = pa.array(values, type=pa.string())
	_parent(path)
	pq.write_table(pa.table(arrays), path)
	return len(records)


def write_json(path: str | Path, data: Any) -> None:
	_parent(path)
	with open(path, "w", encoding="utf-8") as f:
		json.dump(data, f, indent=2, ensure_ascii=False, default=_json_default)
		f.write("\n")


def _json_default(value: Any) -> Any:
	if isinstance(value, Decimal):
		return decimal_text(value)
	if isinstance(value, date):
		return value.isoformat()
	raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_plan(path: str | Path, plan: Plan | Mapping[str, Any]) -> None:
	"""Write a plan in its JSON form (``plan_to_dict`` for a ``Plan``, a JSON-ready dict as it is)."""
	write_json(path, plan_to_dict(plan) if isinstance(plan, Plan) else plan)


def commission_rows(
	lines: Iterable[CommissionLine], posting_dates: Mapping[str, date]
) -> Iterator[tuple[Any, ...]]:
	for ln in lines:
		yield (
			ln.invoice,
			posting_dates.get(ln.invoice),
			ln.partner,
			ln.kind,
			ln.rule,
			ln.period,
			ln.bracket,
			ln.item_code,
			ln.item_group,
			ln.line_key,
			ln.rate_type,
			ln.rate,
			ln.qty,
			ln.base,
			ln.amount,
			ln.against,
			ln.explanation,
		)


def write_commissions(
	path: str | Path, lines: Iterable[CommissionLine], posting_dates: Mapping[str, date]
) -> int:
	"""``commissions.csv``: one row per commission line (``COMMISSION_COLUMNS``)."""
	return write_csv(path, COMMISSION_COLUMNS, commission_rows(lines, posting_dates))


# --- statements ------------------------------------------------------------------------------------------


def statement_filename(partner: str, taken: set[str]) -> str:
	"""A safe, unique file name for a partner's statement: ``alder-systems.txt``."""
	stem = re.sub(r"[^a-z0-9]+", "-", partner.lower()).strip("-") or "partner"
	name, n = f"{stem}.txt", 1
	while name in taken:
		n += 1
		name = f"{stem}-{n}.txt"
	taken.add(name)
	return name


def _rate(part: Decimal, whole: Decimal) -> str:
	if not whole:
		return "–"
	return f"{part / whole * 100:.2f}%"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> list[str]:
	"""Fixed-width text columns; the last column is left unpadded."""
	widths = [max([len(header[i])] + [len(r[i]) for r in rows]) for i in range(len(header))]
	out = []
	for row in [header, *rows]:
		cells = []
		for i, value in enumerate(row):
			if i == len(row) - 1 and not right[i]:
				cells.append(value)
			else:
				cells.append(value.rjust(widths[i]) if right[i] else value.ljust(widths[i]))
		out.append("  ".join(cells).rstrip())
	return out


def render_statement(
	*,
	partner: str,
	tier: str,
	partner_type: str,
	plan: Plan,
	lines: Sequence[CommissionLine],
	posting_dates: Mapping[str, date],
	invoices: int,
	credit_notes: int,
	net_sales: Decimal,
	first_date: date | None,
	last_date: date | None,
) -> str:
	"""A partner's commission statement as plain text: totals by period and by rule, then every line
	with its explanation."""
	precision = plan.money_precision

	def money(value: Decimal) -> str:
		return format_amount(value, precision)

	base_kinds = ("commission", "reversal")
	total = sum((ln.amount for ln in lines), ZERO)
	base = sum((ln.base for ln in lines if ln.kind in base_kinds), ZERO)
	about = ", ".join(x for x in (tier, partner_type) if x)
	period_words = {"month": "month", "quarter": "quarter", "year": "year"}[plan.period]
	out = [
		f"COMMISSION STATEMENT: {partner}" + (f" ({about})" if about else ""),
		"",
		f"Plan          {plan.name} ({plan.currency}; {plan.bracket_mode} brackets per {period_words}; "
		f"basis {plan.basis})",
	]
	if first_date and last_date:
		out.append(f"Dates         {first_date.isoformat()} to {last_date.isoformat()}")
	out += [
		f"Invoices      {invoices:,} ({credit_notes:,} credit notes)",
		f"Net sales     {money(net_sales)} {plan.currency}",
		f"Commission    {money(total)} {plan.currency}  (effective rate {_rate(total, net_sales)} of net sales)",
		"",
	]

	def grouped(key: Callable[[CommissionLine], str]) -> list[list[str]]:
		groups: dict[str, list[Decimal]] = {}
		for ln in lines:
			acc = groups.setdefault(key(ln), [ZERO, ZERO, ZERO])
			acc[0] += 1
			if ln.kind in base_kinds:
				acc[1] += ln.base
			acc[2] += ln.amount
		return [[k, f"{int(n):,}", money(b), money(c), _rate(c, b)] for k, (n, b, c) in groups.items()]

	periods = sorted(grouped(lambda ln: ln.period))
	periods.append(["Total", f"{len(lines):,}", money(base), money(total), _rate(total, base)])
	out += _table(["Period", "Lines", "Base", "Commission", "Rate"], periods, [False, True, True, True, True])
	out.append("")
	order = {rule.name: i for i, rule in enumerate(plan.rules)}
	out += _table(
		["Rule", "Lines", "Base", "Commission", "Rate"],
		sorted(grouped(lambda ln: ln.rule), key=lambda row: order.get(row[0], len(order))),
		[False, True, True, True, True],
	)
	out += ["", "Lines (base: the commissioned amount; rate: percent, or an amount for fixed rules)", ""]
	rows = [
		[
			_text(posting_dates.get(ln.invoice)),
			ln.invoice,
			ln.kind,
			ln.item_code,
			ln.rule,
			format(ln.rate.normalize(), "f") if ln.rate else "",
			money(ln.base) if ln.base else "",
			money(ln.amount),
			ln.explanation,
		]
		for ln in lines
	]
	rows.append(["", "", "", "", "Total", "", money(base), money(total), ""])
	out += _table(
		["Date", "Invoice", "Kind", "Item", "Rule", "Rate", "Base", "Amount", "Explanation"],
		rows,
		[False, False, False, False, False, True, True, True, False],
	)
	return "\n".join(out) + "\n"


__all__ = [
	"COMMISSION_COLUMNS",
	"INVOICE_COLUMNS",
	"KNOWN_COLUMNS",
	"LINE_FILE_COLUMNS",
	"OPTIONAL_COLUMNS",
	"REQUIRED_COLUMNS",
	"InputError",
	"LineSet",
	"check_returns",
	"decimal_text",
	"invoices_from_rows",
	"parse_bool",
	"parse_date",
	"parse_decimal",
	"read_lines",
	"read_plan",
	"read_text",
	"render_statement",
	"statement_filename",
	"write_commissions",
	"write_csv",
	"write_json",
	"write_lines",
	"write_plan",
]
