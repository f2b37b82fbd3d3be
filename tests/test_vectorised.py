"""vectorised.py must give exactly the lines of the per-invoice reference (simulate.run_stream).

The property test draws random plans (every rate type, conditions, brackets in both modes, all periods,
minimum / maximum / cap, tier multipliers, the three rounding methods at precisions 0, 2 and 3) and random
streams of invoices and credit notes (several partners, dates across period boundaries, half-cent
amounts, partial and full returns, several credit notes against one invoice), runs both paths on one
DataFrame and compares every field of every line, explanations included, in order.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from prm_app.engine import vectorised
from prm_app.engine.errors import EngineError, InvoiceError, StateError, UnknownInvoiceError
from prm_app.engine.frames import frame_to_invoices, number_column
from prm_app.engine.money import BANKERS, COMMERCIAL, LEGACY, ROUNDING_METHODS, round_magnitude
from prm_app.engine.plans import plan_from_dict
from prm_app.engine.simulate import LINE_COLUMNS, run_stream
from prm_app.engine.vectorised import _round_units, compute_frame, frame_to_lines, lines_to_frame

D = Decimal
VOCAB = {
	"item_code": ["I1", "I2", "I3", "I4"],
	"item_group": ["G1", "G2", "G3"],
	"brand": ["B1", "B2"],
	"territory": ["T1", "T2"],
	"customer_group": ["C1", "C2"],
	"partner_tier": ["Gold", "Silver"],
	"partner_type": ["Reseller", "Referral"],
}
START = date(2025, 11, 20)


# --- helpers ---------------------------------------------------------------------------------------------


NEGATIVE_ZERO = re.compile(r"-(0(\.0+)?)(?![\d.])")


def records(lines, explain: bool = True) -> list[tuple]:
	"""Lines as comparable tuples. Decimals compare by value, so the reference's negative zeros (a
	zero-rate line on a negative base is ``Decimal('-0.00')``) equal our zeros; in explanations the
	reference prints them as "-0.00", which we write "0.00"."""
	return [
		tuple(
			NEGATIVE_ZERO.sub(r"\1", getattr(ln, c)) if c == "explanation" else getattr(ln, c)
			for c in LINE_COLUMNS
			if explain or c != "explanation"
		)
		for ln in lines
	]


def assert_same(plan, frame: pd.DataFrame, explain: bool = True) -> pd.DataFrame:
	"""Both paths on one frame: the same lines (or the same error)."""
	try:
		expected = run_stream(plan, frame_to_invoices(frame)).lines
	except EngineError as error:
		with pytest.raises(type(error)) as caught:
			compute_frame(plan, frame, explain=explain)
		assert str(caught.value) == str(error)
		return None
	got = compute_frame(plan, frame, explain=explain)
	assert list(got.columns) == list(LINE_COLUMNS)
	want, have = records(expected, explain), records(frame_to_lines(got), explain)
	if want != have:
		for i, (a, b) in enumerate(zip(want, have, strict=False)):
			assert a == b, f"line {i}:\n reference  {a}\n vectorised {b}"
		assert len(want) == len(have)
	return got


def dec(low: int, high: int, places: int):
	scale = 10**places
	return st.integers(low * scale, high * scale).map(lambda i: D(i).scaleb(-places))


# --- strategies ------------------------------------------------------------------------------------------


@st.composite
def rules(draw, index: int, precision: int):
	rate_type = draw(st.sampled_from(["percentage", "percentage", "per_unit", "per_invoice"]))
	places = draw(st.integers(0, 3))
	rate = draw(dec(0, 100 if rate_type == "percentage" else 40, places))
	rule = {
		"name": f"R{index}",
		"rate_type": rate_type,
		"rate": str(rate),
		"priority": draw(st.integers(1, 3)),
	}
	match = {}
	for name, values in VOCAB.items():
		if name != "item_code" and draw(st.integers(0, 5)) == 0:
			match[name] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True))
	if draw(st.integers(0, 2)) == 0:
		match["item_code"] = draw(
			st.lists(st.sampled_from(VOCAB["item_code"]), min_size=1, max_size=3, unique=True)
		)
	for flag in ("new_customer", "registered_deal"):
		value = draw(st.sampled_from([None, None, None, True, False]))
		if value is not None:
			match[flag] = value
	rule["match"] = match
	if rate_type == "percentage" and draw(st.integers(0, 2)) > 0:
		count = draw(st.integers(1, 4))
		cuts = sorted(
			draw(st.lists(dec(1, 3000, draw(st.integers(0, 2))), min_size=count, max_size=count, unique=True))
		)
		lowers = [D(0), *cuts]
		brackets = []
		for i, lower in enumerate(lowers):
			upper = lowers[i + 1] if i + 1 < len(lowers) else None  # the last bracket is open-ended
			brackets.append(
				{
					"from": str(lower),
					"to": None if upper is None else str(upper),
					"rate": str(draw(dec(0, 30, draw(st.integers(0, 2))))),
				}
			)
		rule["brackets"] = brackets
	amounts = st.one_of(dec(0, 60, precision), dec(0, 500, 0))
	low = draw(st.one_of(st.none(), amounts))
	high = draw(st.one_of(st.none(), amounts))
	if low is not None and high is not None and low > high:
		low, high = high, low
	if low is not None:
		rule["min_per_invoice"] = str(low)
	if high is not None:
		rule["max_per_invoice"] = str(high)
	cap = draw(st.one_of(st.none(), st.none(), dec(0, 300, precision)))
	if cap is not None:
		rule["cap_per_period"] = str(cap)
	return rule


@st.composite
def plans(draw):
	currency, precision = draw(
		st.sampled_from([("USD", None), ("JPY", None), ("KWD", None), ("EUR", 0), ("USD", 3), ("EUR", 2)])
	)
	effective = {"USD": 2, "JPY": 0, "KWD": 3, "EUR": 2}[currency] if precision is None else precision
	count = draw(st.integers(1, 5))
	data = {
		"name": "Plan",
		"currency": currency,
		"basis": draw(st.sampled_from(["net_amount", "net_amount", "gross_margin"])),
		"bracket_mode": draw(st.sampled_from(["marginal", "step"])),
		"period": draw(st.sampled_from(["month", "quarter", "year"])),
		"rounding_method": draw(st.sampled_from(ROUNDING_METHODS)),
		"tier_multipliers": draw(
			st.dictionaries(st.sampled_from(VOCAB["partner_tier"]), dec(0, 3, 3).map(str), max_size=2)
		),
		"rules": [draw(rules(i, effective)) for i in range(count)],
	}
	if precision is not None:
		data["precision"] = precision
	if draw(st.integers(0, 4)) > 1:
		data["rules"].append({"name": "rest", "rate": str(draw(dec(0, 20, 2))), "priority": 9})
	return plan_from_dict(data)


@st.composite
def streams(draw, gross: bool, invoices: int = 10, notes: int = 5):
	"""Rows of a lines frame: sales, then credit notes against some of them."""
	rows = []
	sales = []
	count = draw(st.integers(1, invoices))
	dates = [START + timedelta(days=draw(st.integers(0, 250))) for _ in range(count)]
	amount_places = st.sampled_from([0, 2, 2, 3, 4])
	for n in range(count):
		name = f"S{draw(st.integers(0, 99)):02d}-{n}"
		attrs = {
			"invoice": name,
			"posting_date": dates[n],
			"partner": draw(st.sampled_from(["P1", "P2", "P3"])),
			"customer": "CUST",
			"territory": draw(st.sampled_from(VOCAB["territory"])),
			"customer_group": draw(st.sampled_from(VOCAB["customer_group"])),
			"partner_tier": draw(st.sampled_from([*VOCAB["partner_tier"], ""])),
			"partner_type": draw(st.sampled_from(VOCAB["partner_type"])),
			"new_customer": draw(st.booleans()),
			"registered_deal": draw(st.booleans()),
			"is_return": False,
			"return_against": "",
		}
		use_ids = draw(st.booleans())
		lines = []
		for i in range(draw(st.integers(1, 4))):
			amount = draw(dec(0, 1500, draw(amount_places)))
			if draw(st.integers(0, 15)) == 0:
				amount = -draw(dec(0, 100, 2))  # a discount line
			qty = draw(st.sampled_from([D(1), D(1), D(2), D(3), D(5), D("0.5"), D("2.5"), D(0)]))
			line = {
				"item_code": draw(st.sampled_from(VOCAB["item_code"])),
				"item_group": draw(st.sampled_from(VOCAB["item_group"])),
				"brand": draw(st.sampled_from([*VOCAB["brand"], ""])),
				"base_net_amount": amount,
				"qty": qty,
				"cost": draw(dec(0, 1200, 2)) if gross else None,
				"grant_commission": draw(st.integers(0, 9)) > 0,
				"line_id": f"L{i}" if use_ids else "",
				"return_line_id": "",
			}
			lines.append(line)
			rows.append({**attrs, **line})
		sales.append((attrs, lines, {i: ln["qty"] for i, ln in enumerate(lines)}))
	for n in range(draw(st.integers(0, notes))):
		attrs, lines, left = sales[draw(st.integers(0, len(sales) - 1))]
		returnable = [i for i, q in left.items() if q > 0]
		if not returnable:
			continue
		note = {
			**attrs,
			"invoice": f"X{n}",
			"posting_date": attrs["posting_date"] + timedelta(days=draw(st.integers(1, 120))),
			"partner_tier": draw(st.sampled_from([attrs["partner_tier"], "Gold", ""])),
			"is_return": True,
			"return_against": attrs["invoice"],
		}
		chosen = draw(
			st.lists(st.sampled_from(returnable), min_size=1, max_size=len(returnable), unique=True)
		)
		for i in chosen:
			line = lines[i]
			full = draw(st.booleans())
			qty = left[i] if full else min(left[i], draw(st.sampled_from([D(1), D("0.5"), D(2)])))
			left[i] -= qty
			share = qty / line["qty"]
			amount = (line["base_net_amount"] * share).quantize(D("0.01"))
			if draw(st.integers(0, 4)) == 0:
				amount = draw(dec(0, 800, 3))
			rows.append(
				{
					**note,
					**line,
					"base_net_amount": -amount,
					"qty": -qty,
					"cost": None if line["cost"] is None else -(line["cost"] * share).quantize(D("0.01")),
					"line_id": "",
					"return_line_id": line["line_id"] if line["line_id"] and draw(st.integers(0, 3)) else "",
				}
			)
	return rows


def to_frame(rows: list[dict], number_type: str) -> pd.DataFrame:
	frame = pd.DataFrame(rows)
	for column in ("base_net_amount", "qty", "cost"):
		if number_type == "str":
			frame[column] = [None if v is None else str(v) for v in frame[column]]
		elif number_type == "float":
			frame[column] = [np.nan if v is None else float(v) for v in frame[column]]
		else:
			frame[column] = pd.Series(list(frame[column]), dtype=object)
	return frame


# --- the property ----------------------------------------------------------------------------------------


@settings(
	max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.data())
def test_vectorised_equals_reference(data):
	plan = data.draw(plans())
	rows = data.draw(streams(plan.basis == "gross_margin"))
	number_type = data.draw(st.sampled_from(["str", "float", "decimal"]))
	frame = to_frame(rows, number_type)
	if data.draw(st.booleans()):
		frame = frame.sample(frac=1, random_state=data.draw(st.integers(0, 1000)))  # row order is irrelevant
	assert_same(plan, frame)


@settings(
	max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(st.data())
def test_python_int_path_equals_reference(data):
	"""The object-array (Python int) path, used when int64 could overflow, on the same random data."""
	plan = data.draw(plans())
	rows = data.draw(streams(plan.basis == "gross_margin"))
	with pytest.MonkeyPatch.context() as patch:
		patch.setattr(vectorised, "FORCE_WIDE", True)
		assert_same(plan, to_frame(rows, "str"))


# --- exact rounding and parsing --------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
	st.integers(-(10**18), 10**18),
	st.integers(0, 18),
	st.sampled_from([0, 1, 2, 3, 4]),
	st.sampled_from(ROUNDING_METHODS),
)
def test_integer_rounding_matches_round_magnitude(n, exponent, precision, method):
	value = D(n).scaleb(-exponent)
	# the engine's domain: the reference's quantize needs |value| * 10**(precision + 12) below 10**28
	assume(abs(value).scaleb(precision + 12) < D(10) ** 27)
	want = round_magnitude(value, precision, method)
	arrays = [np.array([n], dtype=object)]
	if abs(n) * 10 ** max(0, precision - exponent) < 2**62:
		arrays.append(np.array([n], dtype=np.int64))
	for values in arrays:
		got = _round_units(values, exponent, precision, method)
		assert D(int(got[0])).scaleb(-precision) == want


@pytest.mark.parametrize(
	"n, exponent, precision, method, expected",
	[
		(2345, 3, 2, LEGACY, "2.35"),
		(2345, 3, 2, BANKERS, "2.34"),
		(2355, 3, 2, BANKERS, "2.36"),
		(2345, 3, 2, COMMERCIAL, "2.35"),
		(-2345, 3, 2, LEGACY, "-2.35"),  # on the magnitude
		(25, 1, 0, LEGACY, "2"),  # legacy at precision 0: ties to even
		(2344999999995, 12, 2, LEGACY, "2.35"),  # pre-rounded to 8 decimals of the scaled value: a tie
		(2344999999995, 12, 2, COMMERCIAL, "2.34"),
	],
)
def test_integer_rounding_cases(n, exponent, precision, method, expected):
	got = _round_units(np.array([n], dtype=np.int64), exponent, precision, method)
	assert D(int(got[0])).scaleb(-precision) == D(expected)


@settings(max_examples=300, deadline=None)
@given(
	st.lists(
		st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
		min_size=1,
		max_size=20,
	)
)
def test_floats_are_read_through_repr(values):
	frame = pd.DataFrame({"x": values})
	numbers = number_column(frame, "x", np.arange(len(values)), optional=False)
	for i, value in enumerate(values):
		assert numbers.decimal(i) == D(repr(value))


def test_strings_decimals_and_odd_text_are_read_exactly():
	cells = ["12.50", "-0.005", "1,234.5", " 7 ", "1e3", "0.1", "00012.340"]
	want = [D("12.50"), D("-0.005"), D("1234.5"), D(7), D(1000), D("0.1"), D("12.34")]
	for column in (
		pd.Series(cells, dtype=object),
		pd.Series(cells, dtype="str"),
		pd.Series(want, dtype=object),
	):
		numbers = number_column(pd.DataFrame({"x": column}), "x", np.arange(len(cells)), optional=False)
		assert [numbers.decimal(i) for i in range(len(cells))] == want
	with pytest.raises(EngineError, match="not a number"):
		number_column(pd.DataFrame({"x": ["12", "abc"]}), "x", np.arange(2), optional=False)
	with pytest.raises(EngineError, match="empty"):
		number_column(pd.DataFrame({"x": [1.5, np.nan]}), "x", np.arange(2), optional=False)


# --- deterministic cases ---------------------------------------------------------------------------------

PLAN = {
	"name": "Channel",
	"currency": "USD",
	"period": "quarter",
	"bracket_mode": "step",
	"tier_multipliers": {"Gold": "1.5"},
	"rules": [
		{
			"name": "hardware",
			"match": {"item_group": ["HW"]},
			"brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 8}],
			"min_per_invoice": "3",
		},
		{
			"name": "software",
			"rate_type": "per_unit",
			"rate": "2.5",
			"match": {"item_group": ["SW"]},
			"cap_per_period": "20",
		},
		{"name": "fee", "rate_type": "per_invoice", "rate": "7", "max_per_invoice": "5"},
	],
}


def line(invoice, day, item, group, amount, qty=1, **extra):
	return {
		"invoice": invoice,
		"posting_date": day,
		"partner": extra.pop("partner", "P1"),
		"item_code": item,
		"item_group": group,
		"base_net_amount": amount,
		"qty": qty,
		**extra,
	}


ROWS = [
	line("A", "2026-01-05", "X", "HW", 600.005, 2, partner_tier="Gold"),
	line("A", "2026-01-05", "Y", "SW", "100", 3, partner_tier="Gold"),
	line("A", "2026-01-05", "Z", "OT", "10", 1, partner_tier="Gold"),
	line("B", "2026-02-05", "X", "HW", 700, 1),
	line("B", "2026-02-05", "Y", "SW", 50, 5),
	line("C", "2026-04-05", "X", "HW", -300.0025, -1, is_return=1, return_against="A"),
	line("C", "2026-04-05", "Y", "SW", -50, -2, is_return=1, return_against="A"),
	line("C", "2026-04-05", "Z", "OT", -5, -1, is_return=1, return_against="A"),
]


@pytest.mark.parametrize("mode", ["step", "marginal"])
@pytest.mark.parametrize("method", ROUNDING_METHODS)
def test_worked_stream(mode, method):
	plan = plan_from_dict({**PLAN, "bracket_mode": mode, "rounding_method": method})
	got = assert_same(plan, pd.DataFrame(ROWS))
	kinds = set(got["kind"].astype(str))
	assert {"commission", "cap", "reversal", "maximum"} <= kinds
	assert sum(got["amount"].tolist(), D(0)) == got["amount"].sum()


def test_frame_format():
	plan = plan_from_dict(PLAN)
	got = compute_frame(plan, pd.DataFrame(ROWS))
	assert list(got.columns) == list(LINE_COLUMNS)
	assert all(isinstance(v, Decimal) for v in got["amount"])
	assert set(got["explanation"].astype(str)) == {""}
	explained = compute_frame(plan, pd.DataFrame(ROWS), explain=True)
	assert records(frame_to_lines(got), False) == records(frame_to_lines(explained), False)
	# the reference's lines in the same format
	reference = lines_to_frame(run_stream(plan, frame_to_invoices(pd.DataFrame(ROWS))).lines)
	assert records(frame_to_lines(reference)) == records(frame_to_lines(explained))


def test_empty_frame():
	got = compute_frame(plan_from_dict(PLAN), pd.DataFrame({c: [] for c in ROWS[0]}))
	assert len(got) == 0 and list(got.columns) == list(LINE_COLUMNS)


def test_missing_column_is_named():
	with pytest.raises(EngineError, match="base_net_amount"):
		compute_frame(plan_from_dict(PLAN), pd.DataFrame(ROWS).drop(columns="base_net_amount"))


@pytest.mark.parametrize(
	"rows, error",
	[
		(
			[line("R", "2026-01-05", "X", "HW", -5, -1, is_return=1, return_against="NOPE")],
			UnknownInvoiceError,
		),
		(
			[*ROWS[:3], line("R", "2026-01-09", "Q", "HW", -5, -1, is_return=1, return_against="A")],
			UnknownInvoiceError,
		),
		(
			[*ROWS[:3], line("R", "2026-01-09", "X", "HW", -5, -3, is_return=1, return_against="A")],
			StateError,
		),
		(
			[
				*ROWS[:3],
				line("R", "2026-01-09", "X", "HW", -5, -1, is_return=1, return_against="A", partner="P2"),
			],
			InvoiceError,
		),
		([line("A", "2026-01-05", "X", "HW", 5, -1)], InvoiceError),
		([line("A", "2026-01-05", "X", "HW", 5, 1, currency="XXX")], EngineError),
		([line("A", "2026-01-05", "X", "HW", 5, 1, partner="")], InvoiceError),
	],
)
def test_errors_are_the_references(rows, error):
	frame = pd.DataFrame(rows)
	with pytest.raises(error):
		run_stream(plan_from_dict(PLAN), frame_to_invoices(frame))
	assert_same(plan_from_dict(PLAN), frame)


def test_first_error_in_processing_order():
	rows = [
		*ROWS[:3],
		line("B", "2026-03-01", "X", "HW", 5, -1),  # a later bad sale ...
		line(
			"R", "2026-02-01", "X", "HW", -5, -9, is_return=1, return_against="A"
		),  # ... after this over-return
	]
	assert_same(plan_from_dict(PLAN), pd.DataFrame(rows))


@pytest.mark.parametrize(
	"amount, rate, expected_path",
	[
		("1234567890123.4567", "12.345", "wide"),  # products above int64: Python ints
		("99999999999.123456789012", "12.3456", "reference"),  # 29 digits: Decimal itself rounds
	],
)
def test_large_numbers(amount, rate, expected_path, monkeypatch):
	rows = [
		line("A", "2026-01-05", "X", "OT", amount, 3, partner_tier="Gold"),
		line(
			"B",
			"2026-01-06",
			"X",
			"OT",
			"-" + amount,
			-1,
			is_return=1,
			return_against="A",
			partner_tier="Gold",
		),
	]
	plan = plan_from_dict(
		{**PLAN, "tier_multipliers": {"Gold": "1.125"}, "rules": [{"name": "all", "rate": rate}]}
	)
	calls = []
	real = vectorised.run_stream
	monkeypatch.setattr(vectorised, "run_stream", lambda *a, **k: calls.append(1) or real(*a, **k))
	assert_same(plan, pd.DataFrame(rows))
	assert bool(calls) == (expected_path == "reference")


def test_same_date_invoices_go_by_name_and_lines_keep_frame_order():
	plan = plan_from_dict(
		{
			**PLAN,
			"bracket_mode": "marginal",
			"rules": [
				{"name": "b", "brackets": [{"from": 0, "to": 100, "rate": 1}, {"from": 100, "rate": 10}]}
			],
		}
	)
	rows = [
		line("B", "2026-01-05", "X", "HW", 80, 1),
		line("A", "2026-01-05", "Y", "HW", 60, 1),
		line("B", "2026-01-05", "Z", "HW", 70, 1),
		line("A", "2026-01-05", "W", "HW", 30, 1),
	]
	got = assert_same(plan, pd.DataFrame(rows))
	assert list(got["invoice"].astype(str))[:2] == ["A", "A"]


def test_full_returns_net_to_zero_with_several_credit_notes():
	plan = plan_from_dict(
		{
			**PLAN,
			"bracket_mode": "marginal",
			"rules": [
				{
					"name": "b",
					"match": {"item_group": ["HW"]},
					"brackets": [{"from": 0, "to": 100, "rate": 3}, {"from": 100, "rate": 7.5}],
				},
				{"name": "p", "rate": "12.5", "min_per_invoice": "4"},
			],
		}
	)
	rows = [
		line("A", "2026-01-05", "X", "HW", "99.99", 3),
		line("A", "2026-01-05", "Y", "OT", "10.01", 3),
		line("A", "2026-01-05", "X", "HW", "33.33", 1),
		line("R1", "2026-01-06", "X", "HW", "-33.33", -1, is_return=1, return_against="A"),
		line("R1", "2026-01-06", "Y", "OT", "-3.34", -1, is_return=1, return_against="A"),
		line("R2", "2026-05-06", "X", "HW", "-66.66", -2, is_return=1, return_against="A"),
		line("R2", "2026-05-06", "Y", "OT", "-6.67", -2, is_return=1, return_against="A"),
		line("R3", "2026-06-06", "X", "HW", "-33.33", -1, is_return=1, return_against="A"),
	]
	got = assert_same(plan, pd.DataFrame(rows))
	assert got["amount"].sum() == 0


@pytest.mark.parametrize(
	"column, values",
	[
		("base_net_amount", ["10", "1O.5", "abc", "7"]),  # the first bad cell (frame order) is named
		("base_net_amount", [10.0, np.nan, 3.0, 4.0]),
		("qty", ["1", "2", "x", "1"]),
		("is_return", [0, "maybe", 0, 0]),  # invoice-level: read on the first row of A1
		("posting_date", ["2026-01-05", "2026-13-01", "2026-01-05", "2026-01-05"]),
	],
)
def test_bad_cells_are_reported_like_the_reference_path(column, values):
	rows = [line(f"A{i % 2}", "2026-01-05", "X", "HW", 10 + i, 1) for i in range(4)]
	frame = pd.DataFrame(rows)
	frame[column] = pd.Series(values, dtype=object)
	with pytest.raises(EngineError) as reference:
		run_stream(plan_from_dict(PLAN), frame_to_invoices(frame))
	with pytest.raises(EngineError) as vectorised_error:
		compute_frame(plan_from_dict(PLAN), frame)
	assert str(vectorised_error.value) == str(reference.value)
	assert column in str(reference.value)
