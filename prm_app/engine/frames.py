"""Invoice lines as a pandas DataFrame: the contract shared by the vectorised path, the CLI and the tests.

One row per invoice line. Columns (``REQUIRED`` must be present, ``OPTIONAL`` may be):

- line level: ``item_code``, ``item_group``, ``base_net_amount`` (company currency), ``qty`` (default 1),
  ``brand``, ``cost`` (gross-margin plans), ``grant_commission`` (default true), ``line_id``,
  ``return_line_id``;
- invoice level, repeated on every row of the invoice (the invoice's **first row** in the frame is the one
  read): ``invoice``, ``posting_date``, ``partner``, ``customer``, ``territory``, ``customer_group``,
  ``partner_tier``, ``partner_type``, ``new_customer``, ``registered_deal``, ``is_return``,
  ``return_against``, ``currency``, ``conversion_rate`` (default 1).

Values are read the same way by both paths: numbers exactly (``Decimal`` from a string, an int, a
``Decimal``; a float through its ``repr``, as ``money.to_decimal`` does); empty cells (None, NaN, "") are
the default of an optional column; flags accept booleans, 0/1 and yes/no/true/false; dates accept dates,
timestamps and ISO strings. Invoices are ordered as ``simulate.run_stream`` processes them (posting date,
then name) and an invoice's lines keep their order in the frame.

``frame_to_invoices`` turns a frame into the engine's ``Invoice`` objects (what ``run_stream`` takes);
``read_lines`` turns it into integer arrays for ``vectorised.compute_frame``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from prm_app.engine.commission import Invoice, InvoiceLine
from prm_app.engine.errors import EngineError
from prm_app.engine.money import ONE, to_decimal

REQUIRED = ("invoice", "posting_date", "partner", "item_code", "item_group", "base_net_amount")
OPTIONAL = (
	"qty",
	"customer",
	"territory",
	"customer_group",
	"brand",
	"cost",
	"is_return",
	"return_against",
	"registered_deal",
	"new_customer",
	"partner_tier",
	"partner_type",
	"grant_commission",
	"line_id",
	"return_line_id",
	"currency",
	"conversion_rate",
)
COLUMNS = REQUIRED + OPTIONAL
INVOICE_TEXT = (
	"partner",
	"customer",
	"currency",
	"return_against",
	"territory",
	"customer_group",
	"partner_tier",
	"partner_type",
)
INVOICE_FLAGS = {"is_return": False, "new_customer": False, "registered_deal": False}
LINE_TEXT = ("item_code", "item_group", "brand", "line_id", "return_line_id")

# Integers above this are kept as Python ints (object arrays) instead of int64.
INT64_LIMIT = 2**62

_TRUE = {"1", "true", "yes", "y", "t", "on"}
_FALSE = {"0", "false", "no", "n", "f", "off", ""}
_PLAIN_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_PLAIN_NUMBER_RE = re.compile(_PLAIN_NUMBER)


# --- cells -----------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
	"""None, NaN, NaT, pd.NA or a blank string."""
	if value is None or value is pd.NA or value is pd.NaT:
		return True
	if isinstance(value, float | np.floating):
		return value != value
	if isinstance(value, str):
		return not value.strip()
	return False


def _plain(value: Any) -> Any:
	"""A numpy scalar as the Python scalar it holds (``repr(np.float64(0.1))`` is not ``'0.1'``)."""
	return value.item() if isinstance(value, np.generic) else value


def cell_decimal(value: Any, what: str, *, optional: bool) -> Decimal | None:
	"""The exact ``Decimal`` of one cell (None for an empty cell of an optional column)."""
	value = _plain(value)
	if is_missing(value):
		if optional:
			return None
		raise EngineError("{0} is empty", what)
	return to_decimal(value, what)


def cell_text(value: Any) -> str:
	value = _plain(value)
	if is_missing(value):
		return ""
	if isinstance(value, float) and value.is_integer():
		return str(int(value))  # a code read as a number from a column with gaps: 1001.0 -> "1001"
	return str(value)


def cell_flag(value: Any, what: str, default: bool) -> bool:
	value = _plain(value)
	if value is None or value is pd.NA or (isinstance(value, float) and value != value):
		return default
	if isinstance(value, bool):
		return value
	if isinstance(value, int | float | Decimal):
		return value != 0
	if isinstance(value, str):
		text = value.strip().lower()
		if not text:
			return default
		if text in _TRUE:
			return True
		if text in _FALSE:
			return False
	raise EngineError("{0} must be true or false (1/0, yes/no), not {1!r}", what, value)


def _where(df: pd.DataFrame, position: int, column: str) -> str:
	return f"row {df.index[position]!r}, column {column}"


# --- columns ---------------------------------------------------------------------------------------------


def _at(df: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
	"""The column at ``rows`` (no copy when ``rows`` is every row in order)."""
	column = df[name]
	n = len(column)
	if len(rows) == n and (
		n == 0 or (rows[0] == 0 and rows[-1] == n - 1 and bool(np.all(rows[1:] > rows[:-1])))
	):
		return column
	return column.iloc[rows]


def check_columns(df: pd.DataFrame) -> None:
	if not isinstance(df, pd.DataFrame):
		raise EngineError("invoice lines must be a pandas DataFrame, not {0}", type(df).__name__)
	missing = [c for c in REQUIRED if c not in df.columns]
	if missing:
		raise EngineError(
			"invoice lines have no column {0!r} (required columns: {1})", missing[0], ", ".join(REQUIRED)
		)


def text_codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
	"""(codes, texts): ``texts[codes]`` is the column as text, empty cells as ""; ``texts`` are unique and
	in order of first appearance."""
	codes, uniques = pd.factorize(values, use_na_sentinel=True)
	codes = np.asarray(codes, dtype=np.int64)
	texts = np.asarray(uniques, dtype=object)
	strings = pd.api.types.infer_dtype(texts, skipna=False) in ("string", "empty")
	if strings and not (pd.Series(texts, dtype=object).str.strip() == "").any():
		# plain text (the usual case): nothing to convert, only empty cells to map to ""
		missing = codes < 0
		if missing.any():
			texts = np.append(texts, "")
			codes[missing] = len(texts) - 1
		return codes, texts
	raw = [cell_text(u) for u in texts] + [""]
	codes[codes < 0] = len(raw) - 1
	remap, texts = pd.factorize(pd.Index(raw, dtype=object))
	return np.asarray(remap, dtype=np.int64)[codes], np.asarray(texts, dtype=object)


def text_column(df: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
	"""The column's text at ``rows`` ("" everywhere when the column is absent)."""
	if name not in df.columns:
		return np.full(len(rows), "", dtype=object)
	codes, texts = text_codes(_at(df, name, rows))
	return texts[codes]


def flag_column(df: pd.DataFrame, name: str, rows: np.ndarray, default: bool) -> np.ndarray:
	if name not in df.columns:
		return np.full(len(rows), default, dtype=bool)
	values = _at(df, name, rows)
	if values.dtype == bool:
		return values.to_numpy(dtype=bool)
	codes, uniques = pd.factorize(values, use_na_sentinel=True)
	flags = []
	for u in uniques:
		try:
			flags.append(cell_flag(u, name, default))
		except EngineError as e:
			position = rows[int(np.flatnonzero(codes == len(flags))[0])]
			raise e.located(_where(df, position, name))
	table = np.array([*flags, default], dtype=bool)
	codes = np.asarray(codes, dtype=np.int64)
	codes[codes < 0] = len(flags)
	return table[codes]


def date_column(df: pd.DataFrame, name: str, rows: np.ndarray) -> np.ndarray:
	"""``datetime64[D]`` of the column at ``rows``; an empty or unreadable cell is an error."""
	values = _at(df, name, rows).reset_index(drop=True)
	try:
		if pd.api.types.is_datetime64_any_dtype(values.dtype):
			parsed = values
		else:
			parsed = pd.to_datetime(values, format="ISO8601")
	except (ValueError, TypeError):
		parsed = pd.to_datetime(values, errors="coerce", format="mixed")
		bad = int(np.flatnonzero(parsed.isna().to_numpy() & values.notna().to_numpy())[0])
		raise EngineError("{0} is not a date: {1!r}", name, values.iloc[bad]).located(
			_where(df, int(rows[bad]), name)
		)
	if getattr(parsed.dt, "tz", None) is not None:
		parsed = parsed.dt.tz_localize(None)
	missing = parsed.isna().to_numpy()
	if missing.any():
		position = int(rows[int(np.flatnonzero(missing)[0])])
		raise EngineError("{0} is empty", name).located(_where(df, position, name))
	return parsed.to_numpy().astype("datetime64[D]")


# --- exact numbers as integers ---------------------------------------------------------------------------


@dataclass
class Numbers:
	"""An exact numeric column: ``values[i] / 10**scale`` (int64, or Python ints in an object array when
	a value does not fit); ``missing`` marks empty cells (their value is 0)."""

	values: np.ndarray
	scale: int
	missing: np.ndarray

	def decimal(self, i: int) -> Decimal | None:
		if self.missing[i]:
			return None
		return Decimal(int(self.values[i])).scaleb(-self.scale)


def decimal_to_int(value: Decimal, scale: int) -> int:
	"""``value * 10**scale`` as an exact int (the value must have at most ``scale`` decimals)."""
	sign, digits, exponent = value.as_tuple()
	coefficient = int("".join(map(str, digits))) if digits else 0
	shift = exponent + scale
	result = coefficient * 10**shift if shift >= 0 else coefficient // 10 ** (-shift)
	return -result if sign else result


def decimals_of(value: Decimal) -> int:
	exponent = value.as_tuple().exponent
	return max(0, -exponent) if isinstance(exponent, int) else 0


def fit_ints(values: list[int] | np.ndarray) -> np.ndarray:
	"""int64 when every value fits comfortably, else an object array of Python ints."""
	array = np.asarray(values, dtype=object) if isinstance(values, list) else values
	if len(array) == 0:
		return np.zeros(0, dtype=np.int64)
	if array.dtype == object:
		return array.astype(np.int64) if max_abs(array) < INT64_LIMIT else array
	array = array.astype(np.int64, copy=False)
	return array if max_abs(array) < INT64_LIMIT else array.astype(object)


def max_abs(values: np.ndarray) -> int:
	if len(values) == 0:
		return 0
	if values.dtype == object:
		return max(abs(int(v)) for v in values)
	return int(max(abs(int(values.min())), abs(int(values.max()))))


def rescale(values: np.ndarray, scale: int, new_scale: int) -> np.ndarray:
	"""The same numbers at a larger scale (exact; object ints when int64 would overflow)."""
	if new_scale == scale:
		return values
	factor = 10 ** (new_scale - scale)
	if values.dtype != object and (factor >= INT64_LIMIT or max_abs(values) * factor >= INT64_LIMIT):
		values = values.astype(object)
	return values * factor


def _reduce_scale(values: np.ndarray, scale: int) -> tuple[np.ndarray, int]:
	"""Drop trailing decimal zeros common to the whole column (smaller integers, same numbers)."""
	for target in range(scale):
		factor = 10 ** (scale - target)
		if not np.any(values % factor):
			return values // factor, target
	return values, scale


def _numbers_from_decimals(values: list[Decimal | None]) -> Numbers:
	scale = max((decimals_of(v) for v in values if v is not None), default=0)
	ints = [0 if v is None else decimal_to_int(v, scale) for v in values]
	missing = np.array([v is None for v in values], dtype=bool)
	return Numbers(fit_ints(ints), scale, missing)


def _python_numbers(df: pd.DataFrame, name: str, rows: np.ndarray, optional: bool) -> Numbers:
	values = _at(df, name, rows).tolist()
	out: list[Decimal | None] = []
	for i, value in enumerate(values):
		try:
			out.append(cell_decimal(value, name, optional=optional))
		except EngineError as e:
			raise e.located(_where(df, int(rows[i]), name))
	return _numbers_from_decimals(out)


def _merge(
	fast: np.ndarray, scale: int, missing: np.ndarray, slow_at: np.ndarray, slow: list[Decimal | None]
) -> Numbers:
	"""Fast-parsed integers with a few cells parsed one by one."""
	slow_scale = max((decimals_of(v) for v in slow if v is not None), default=0)
	if slow_scale > scale:
		fast = rescale(fast, scale, slow_scale)
		scale = slow_scale
	ints = [0 if v is None else decimal_to_int(v, scale) for v in slow]
	fitted = fit_ints(ints)
	if fitted.dtype == object and fast.dtype != object:
		fast = fast.astype(object)
	fast = fast.copy()
	fast[slow_at] = fitted if fast.dtype != object else np.asarray(ints, dtype=object)
	missing = missing.copy()
	missing[slow_at] = [v is None for v in slow]
	return Numbers(fast, scale, missing)


def _decimal_numbers(df: pd.DataFrame, name: str, rows: np.ndarray, optional: bool) -> Numbers:
	"""A column of ``Decimal`` objects (and empty cells): exact integers at the largest scale."""
	values = _at(df, name, rows).tolist()
	missing = np.zeros(len(values), dtype=bool)
	scale, long = 0, False
	for i, value in enumerate(values):
		if isinstance(value, Decimal) and value.is_finite():
			_, digits, exponent = value.as_tuple()
			scale = max(scale, -exponent)
			long = long or len(digits) > 20
		elif is_missing(value) and optional:
			missing[i] = True
			values[i] = Decimal(0)
		else:
			return _python_numbers(df, name, rows, optional)  # the one-by-one path names the bad cell
	if long:
		ints = [decimal_to_int(v, scale) for v in values]
	else:
		ints = [int(v.scaleb(scale)) for v in values]
	return Numbers(fit_ints(ints), scale, missing)


def _float_numbers(df: pd.DataFrame, name: str, rows: np.ndarray, optional: bool) -> Numbers:
	"""Floats exactly as ``Decimal(repr(x))``: a float with at most 9 decimals below 2**22 is the unique
	9-decimal number that rounds to it, which ``repr`` prints; every other float goes through ``repr``."""
	x = _at(df, name, rows).to_numpy(dtype=np.float64)
	missing = np.isnan(x)
	if missing.any() and not optional:
		position = int(rows[int(np.flatnonzero(missing)[0])])
		raise EngineError("{0} is empty", name).located(_where(df, position, name))
	safe = ~missing & (np.abs(np.where(missing, 0.0, x)) < 2.0**22)
	scaled = np.rint(np.where(safe, x, 0.0) * 1e9)
	exact = safe & (scaled / 1e9 == x)
	ints = np.where(exact, scaled, 0.0).astype(np.int64)
	values, scale = _reduce_scale(ints, 9)
	slow_at = np.flatnonzero(~exact & ~missing)
	if len(slow_at) == 0:
		return Numbers(values, scale, missing)
	slow = []
	for i in slow_at:
		try:
			slow.append(cell_decimal(float(x[i]), name, optional=optional))
		except EngineError as e:
			raise e.located(_where(df, int(rows[i]), name))
	return _merge(values, scale, missing, slow_at, slow)


def _string_numbers(df: pd.DataFrame, name: str, rows: np.ndarray, optional: bool) -> Numbers:
	"""Plain decimal strings (``-12.50``) through Arrow's exact decimal parser; others one by one."""
	import pyarrow as pa
	import pyarrow.compute as pc

	series = _at(df, name, rows)
	try:
		array = pa.array(series, from_pandas=True)  # zero-copy for Arrow-backed text
		if isinstance(array, pa.ChunkedArray):
			array = array.combine_chunks()
		if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
			return _python_numbers(df, name, rows, optional)
	except (pa.ArrowInvalid, pa.ArrowTypeError):
		return _python_numbers(df, name, rows, optional)
	plain = pc.fill_null(pc.match_substring_regex(array, _PLAIN_NUMBER), False).to_numpy(zero_copy_only=False)
	if not plain.any():
		return _python_numbers(df, name, rows, optional)
	dot = pc.find_substring(array, ".").to_numpy(zero_copy_only=False)
	length = pc.utf8_length(array).to_numpy(zero_copy_only=False)
	digits = np.where(plain & (dot >= 0), length - dot - 1, 0)
	scale = int(digits.max())
	filled = pc.if_else(pa.array(plain), array, pa.scalar("0"))
	try:
		parsed = pc.cast(filled, pa.decimal128(38, scale))
	except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
		return _python_numbers(df, name, rows, optional)
	words = np.frombuffer(parsed.buffers()[1], dtype=np.int64, count=2 * len(parsed), offset=0)
	words = words.reshape(-1, 2)
	low, high = words[:, 0], words[:, 1]
	if np.any(high != (low >> 63)) or max_abs(low) >= INT64_LIMIT:
		return _python_numbers(df, name, rows, optional)
	values, scale = _reduce_scale(low.copy(), scale)
	missing = np.zeros(len(rows), dtype=bool)
	slow_at = np.flatnonzero(~plain)
	if len(slow_at) == 0:
		return Numbers(values, scale, missing)
	cells = series.to_numpy(dtype=object)
	slow = []
	for i in slow_at:
		try:
			slow.append(cell_decimal(cells[i], name, optional=optional))
		except EngineError as e:
			raise e.located(_where(df, int(rows[i]), name))
	return _merge(values, scale, missing, slow_at, slow)


def number_column(
	df: pd.DataFrame, name: str, rows: np.ndarray, *, default: Decimal | None = None, optional: bool = True
) -> Numbers:
	"""The exact numbers of a column at ``rows`` (``default`` for the empty cells of an optional column;
	a column that is absent is all ``default``)."""
	n = len(rows)
	if name not in df.columns:
		if default is None:
			return Numbers(np.zeros(n, dtype=np.int64), 0, np.ones(n, dtype=bool))
		scale = decimals_of(default)
		return Numbers(np.full(n, decimal_to_int(default, scale), dtype=np.int64), scale, np.zeros(n, bool))
	dtype = df[name].dtype
	if pd.api.types.is_bool_dtype(dtype):
		raise EngineError("{0} must be a number, not a true/false column", name)
	column = _at(df, name, rows)
	inferred = pd.api.types.infer_dtype(column, skipna=True) if pd.api.types.is_object_dtype(dtype) else ""
	if pd.api.types.is_integer_dtype(dtype) and not column.isna().any():
		values = column.to_numpy()
		if values.dtype == np.uint64 and len(values) and values.max() >= INT64_LIMIT:
			values = values.astype(object)
		numbers = Numbers(fit_ints(values), 0, np.zeros(n, dtype=bool))
	elif (
		pd.api.types.is_float_dtype(dtype) and not isinstance(dtype, pd.ArrowDtype)
	) or inferred == "floating":
		numbers = _float_numbers(df, name, rows, optional)
	elif inferred == "decimal":
		numbers = _decimal_numbers(df, name, rows, optional)
	elif (pd.api.types.is_string_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)) or inferred in (
		"string",
		"empty",
	):
		numbers = _string_numbers(df, name, rows, optional)
	else:
		numbers = _python_numbers(df, name, rows, optional)
	if default is not None and numbers.missing.any():
		scale = max(numbers.scale, decimals_of(default))
		values = rescale(numbers.values, numbers.scale, scale)
		fill = decimal_to_int(default, scale)
		values = np.where(numbers.missing, fill, values)
		if values.dtype != object:
			values = values.astype(np.int64)
		numbers = Numbers(values, scale, np.zeros(n, dtype=bool))
	return numbers


# --- the layout: invoices in stream order ----------------------------------------------------------------


def first_positions(codes: np.ndarray, count: int, *, appearance_order: bool = False) -> np.ndarray:
	"""Where each code 0..count-1 first occurs in ``codes`` (-1: nowhere). ``appearance_order``: the codes
	are numbered in order of first appearance (``pd.factorize``), which allows a linear scan."""
	first = np.full(count, -1, dtype=np.int64)
	if len(codes) == 0:
		return first
	if appearance_order:
		new = np.r_[True, codes[1:] > np.maximum.accumulate(codes)[:-1]]
		at = np.flatnonzero(new)
		first[codes[at]] = at
		return first
	seen, at = np.unique(codes, return_index=True)
	first[seen] = at
	return first


@dataclass
class Layout:
	"""Where every line goes: ``order`` lists frame row positions in processing order (invoices by posting
	date then name, each invoice's lines in frame order); ``doc[i]`` is line i's invoice (0-based, in
	processing order), ``pos[i]`` its 0-based place in the invoice, ``starts`` each invoice's first line."""

	order: np.ndarray
	doc: np.ndarray
	pos: np.ndarray
	starts: np.ndarray
	first_rows: np.ndarray  # frame row position of each invoice's first row
	name: np.ndarray  # object array of str, per invoice
	date: np.ndarray  # datetime64[D], per invoice

	@property
	def docs(self) -> int:
		return len(self.name)


def layout(df: pd.DataFrame) -> Layout:
	check_columns(df)
	n = len(df)
	codes, names = text_codes(df["invoice"])
	count = len(names)
	# without empty names, text_codes numbers the names in order of appearance
	first = first_positions(codes, count, appearance_order=not (names == "").any())
	used = first >= 0  # every code is used, except possibly the "" added for empty cells
	dates = np.zeros(count, dtype="datetime64[D]")
	if used.any():
		dates[used] = date_column(df, "posting_date", first[used])
	# Invoices by (posting date, name): rank the names, then sort dates with names as tie-breaker.
	name_rank = np.empty(count, dtype=np.int64)
	name_rank[np.argsort(names.astype(object), kind="stable")] = np.arange(count)
	rank_order = np.lexsort((name_rank, dates.astype(np.int64)))
	rank_order = rank_order[used[rank_order]]
	rank = np.full(count, -1, dtype=np.int64)
	rank[rank_order] = np.arange(len(rank_order))
	line_doc = rank[codes]
	order = np.argsort(line_doc, kind="stable")
	doc = line_doc[order]
	starts = np.searchsorted(doc, np.arange(len(rank_order) + 1), side="left")
	pos = np.arange(n, dtype=np.int64) - starts[doc] if n else np.zeros(0, dtype=np.int64)
	return Layout(
		order=order,
		doc=doc,
		pos=pos,
		starts=starts,
		first_rows=first[rank_order],
		name=names[rank_order],
		date=dates[rank_order],
	)


@dataclass
class LineTable:
	"""The frame as arrays in processing order (what ``vectorised`` computes on). Per invoice: the
	``Layout`` fields and the invoice-level columns; per line: text as codes into unique texts, flags,
	and exact numbers as integers."""

	layout: Layout
	invoice_text: dict[str, np.ndarray]  # INVOICE_TEXT -> object array per invoice
	invoice_flags: dict[str, np.ndarray]  # INVOICE_FLAGS -> bool array per invoice
	conversion_rate: Numbers  # per invoice
	line_codes: dict[str, tuple[np.ndarray, np.ndarray]]  # LINE_TEXT -> (codes per line, texts)
	grant_commission: np.ndarray
	base_net_amount: Numbers
	qty: Numbers
	cost: Numbers


def read_lines(df: pd.DataFrame) -> LineTable:
	"""Check and read the frame into arrays, in processing order."""
	lay = layout(df)
	order, first = lay.order, lay.first_rows
	invoice_text = {name: text_column(df, name, first) for name in INVOICE_TEXT}
	invoice_flags = {name: flag_column(df, name, first, default) for name, default in INVOICE_FLAGS.items()}
	line_codes = {}
	for name in LINE_TEXT:
		if name in df.columns:
			codes, texts = text_codes(df[name])  # in frame order; only the codes are reordered
			line_codes[name] = (codes[order], texts)
		else:
			line_codes[name] = (np.zeros(len(order), dtype=np.int64), np.array([""], dtype=object))
	every = np.arange(len(df))  # line columns are read in frame order, then put in processing order

	def ordered(numbers: Numbers) -> Numbers:
		return Numbers(numbers.values[order], numbers.scale, numbers.missing[order])

	# (read in the order frame_to_invoices reads them, so that both report the same bad cell first)
	grant = flag_column(df, "grant_commission", every, True)[order]
	base = ordered(number_column(df, "base_net_amount", every, optional=False))
	qty = ordered(number_column(df, "qty", every, default=ONE))
	cost = ordered(number_column(df, "cost", every))
	return LineTable(
		layout=lay,
		invoice_text=invoice_text,
		invoice_flags=invoice_flags,
		conversion_rate=number_column(df, "conversion_rate", first, default=ONE),
		line_codes=line_codes,
		grant_commission=grant,
		base_net_amount=base,
		qty=qty,
		cost=cost,
	)


def frame_to_invoices(df: pd.DataFrame) -> list[Invoice]:
	"""The frame as the engine's ``Invoice`` objects, in processing order (numbers parsed cell by cell
	with ``money.to_decimal``, so this is also an independent check of ``read_lines``)."""
	lay = layout(df)
	order, first = lay.order, lay.first_rows
	text = {name: text_column(df, name, first) for name in INVOICE_TEXT}
	flags = {name: flag_column(df, name, first, default) for name, default in INVOICE_FLAGS.items()}
	line_text = {name: text_column(df, name, order) for name in LINE_TEXT}
	every = np.arange(len(df))  # cells are read in frame order (the first bad one is reported)
	grant = flag_column(df, "grant_commission", every, True)[order]

	def numbers(name: str, rows: np.ndarray, optional: bool, default: Decimal | None) -> list:
		if name not in df.columns:
			return [default] * len(rows)
		out = []
		for position, value in zip(rows.tolist(), _at(df, name, rows).tolist(), strict=True):
			try:
				number = cell_decimal(value, name, optional=optional)
			except EngineError as e:
				raise e.located(_where(df, position, name))
			out.append(default if number is None else number)
		return out

	positions = order.tolist()
	base, qty, cost = (
		[values[i] for i in positions]
		for values in (
			numbers("base_net_amount", every, False, None),
			numbers("qty", every, True, ONE),
			numbers("cost", every, True, None),
		)
	)
	rate = numbers("conversion_rate", first, True, ONE)
	dates = lay.date.astype(object)
	invoices = []
	for d in range(lay.docs):
		lines = tuple(
			InvoiceLine(
				item_code=line_text["item_code"][i],
				base_net_amount=base[i],
				qty=qty[i],
				item_group=line_text["item_group"][i],
				brand=line_text["brand"][i],
				cost=cost[i],
				grant_commission=bool(grant[i]),
				line_id=line_text["line_id"][i],
				return_line_id=line_text["return_line_id"][i],
			)
			for i in range(int(lay.starts[d]), int(lay.starts[d + 1]))
		)
		invoices.append(
			Invoice(
				name=lay.name[d],
				posting_date=dates[d],
				partner=text["partner"][d],
				lines=lines,
				customer=text["customer"][d],
				currency=text["currency"][d],
				conversion_rate=rate[d],
				is_return=bool(flags["is_return"][d]),
				return_against=text["return_against"][d],
				territory=text["territory"][d],
				customer_group=text["customer_group"][d],
				partner_tier=text["partner_tier"][d],
				partner_type=text["partner_type"][d],
				new_customer=bool(flags["new_customer"][d]),
				registered_deal=bool(flags["registered_deal"][d]),
			)
		)
	return invoices


__all__ = [
	"COLUMNS",
	"OPTIONAL",
	"REQUIRED",
	"Layout",
	"LineTable",
	"Numbers",
	"frame_to_invoices",
	"layout",
	"number_column",
	"read_lines",
]
