"""money.py: Frappe's three rounding methods on Decimal, currency precisions, number parsing and formatting.

Every expected value below is worked out by hand from the rules in money.py's docstring (and Frappe's
``frappe.utils.data.rounded``), never by calling the engine.
"""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prm_app.engine.errors import CurrencyError, EngineError, RoundingError
from prm_app.engine.money import (
	BANKERS,
	COMMERCIAL,
	DEFAULT_ROUNDING,
	LEGACY,
	ROUNDING_METHODS,
	check_currency,
	check_rounding_method,
	currency_precision,
	format_amount,
	format_number,
	round_magnitude,
	round_money,
	to_decimal,
)

D = Decimal
BINARY_1_005 = Decimal.from_float(1.005)  # 1.00499999999999989341858963598497211933135986328125


def test_method_names_are_frappes():
	assert LEGACY == "Banker's Rounding (legacy)"
	assert BANKERS == "Banker's Rounding"
	assert COMMERCIAL == "Commercial Rounding"
	assert ROUNDING_METHODS == (LEGACY, BANKERS, COMMERCIAL)
	assert DEFAULT_ROUNDING == LEGACY  # Frappe's default


# value, precision, legacy, banker's, commercial
ROUNDING_CASES = [
	# precision 2, ties
	("2.345", 2, "2.35", "2.34", "2.35"),
	("-2.345", 2, "-2.34", "-2.34", "-2.35"),
	("2.355", 2, "2.36", "2.36", "2.36"),
	("-2.355", 2, "-2.35", "-2.36", "-2.36"),
	("0.125", 2, "0.13", "0.12", "0.13"),
	("-0.125", 2, "-0.12", "-0.12", "-0.13"),
	("0.135", 2, "0.14", "0.14", "0.14"),
	("0.005", 2, "0.01", "0.00", "0.01"),
	("123.455", 2, "123.46", "123.46", "123.46"),
	("123.465", 2, "123.47", "123.46", "123.47"),
	# precision 2, no ties
	("2.344", 2, "2.34", "2.34", "2.34"),
	("2.346", 2, "2.35", "2.35", "2.35"),
	("-2.346", 2, "-2.35", "-2.35", "-2.35"),
	("9.999", 2, "10.00", "10.00", "10.00"),
	("100", 2, "100.00", "100.00", "100.00"),
	("0", 2, "0.00", "0.00", "0.00"),
	# precision 0: the legacy method breaks ties to even here
	("2.5", 0, "2", "2", "3"),
	("3.5", 0, "4", "4", "4"),
	("-2.5", 0, "-2", "-2", "-3"),
	("-3.5", 0, "-4", "-4", "-4"),
	("0.5", 0, "0", "0", "1"),
	("1234.5", 0, "1234", "1234", "1235"),
	("1235.5", 0, "1236", "1236", "1236"),
	("2.4", 0, "2", "2", "2"),
	("2.6", 0, "3", "3", "3"),
	# precision 3
	("1.2345", 3, "1.235", "1.234", "1.235"),
	("-1.2345", 3, "-1.234", "-1.234", "-1.235"),
	("1.2355", 3, "1.236", "1.236", "1.236"),
	("1.2344", 3, "1.234", "1.234", "1.234"),
]


@pytest.mark.parametrize("value, precision, legacy, bankers, commercial", ROUNDING_CASES)
def test_round_money_three_methods(value, precision, legacy, bankers, commercial):
	for method, expected in ((LEGACY, legacy), (BANKERS, bankers), (COMMERCIAL, commercial)):
		result = round_money(D(value), precision, method)
		assert result == D(expected), (method, value, precision)
		# the result carries exactly ``precision`` decimals
		assert result.as_tuple().exponent == -precision, (method, value, precision)


def test_round_money_default_method_is_legacy():
	assert round_money(D("2.345"), 2) == D("2.35")
	assert round_money(D("-2.345"), 2) == D("-2.34")
	assert round_money(D("2.5"), 0) == D("2")


def test_float_like_inputs_round_like_frappe_floats():
	# 1.005 and 2.675 are not exact binary floats; Frappe's flt(1.005, 2) is 1.01 and flt(2.675, 2) is 2.68
	# (Python's round(2.675, 2) would give 2.67).
	assert to_decimal(1.005) == D("1.005")
	assert round_money(to_decimal(1.005), 2, LEGACY) == D("1.01")
	assert round_money(to_decimal(2.675), 2, LEGACY) == D("2.68")
	assert round_money(to_decimal(1.005), 2, BANKERS) == D("1.00")
	assert round_money(to_decimal(1.005), 2, COMMERCIAL) == D("1.01")


def test_legacy_pre_rounds_to_8_decimals_of_the_scaled_value():
	assert BINARY_1_005 < D("1.005")
	# Decimal(1.005) is the exact binary value 1.00499999999999989...; scaled by 100 it pre-rounds
	# (8 decimals) to 100.50000000, a tie, which the legacy method takes upwards.
	assert round_money(BINARY_1_005, 2, LEGACY) == D("1.01")
	assert round_money(D("2.34499999999"), 2, LEGACY) == D("2.35")  # 234.499999999 -> 234.50000000
	assert round_money(D("2.344999"), 2, LEGACY) == D("2.34")  # 234.4999 stays below the tie
	assert round_money(D("2.49999999999"), 0, LEGACY) == D("2")  # 2.50000000 -> tie -> even


def test_bankers_pre_rounds_to_12_decimals_of_the_scaled_value():
	assert round_money(D("2.3450000000000001"), 2, BANKERS) == D("2.34")  # 234.500000000000 -> even
	assert round_money(D("2.34500000000001"), 2, BANKERS) == D("2.35")  # 234.500000000001 -> above
	# the exact binary value of 1.005 pre-rounds to the tie 100.5 -> even 100
	assert round_money(BINARY_1_005, 2, BANKERS) == D("1.00")


def test_commercial_rounds_the_exact_decimal():
	assert round_money(D("2.3449999999"), 2, COMMERCIAL) == D("2.34")
	assert round_money(D("-0.005"), 2, COMMERCIAL) == D("-0.01")


def test_more_decimals_kept_at_higher_precision():
	assert round_money(D("2.345"), 3, LEGACY) == D("2.345")
	assert round_money(D("2.3456789"), 4, BANKERS) == D("2.3457")


@pytest.mark.parametrize("method", ROUNDING_METHODS)
@pytest.mark.parametrize("precision", [-1, 10, "2", None])
def test_bad_precision(method, precision):
	with pytest.raises(RoundingError, match="precision must be a whole number from 0 to 9"):
		round_money(D("1.5"), precision, method)


def test_unknown_rounding_method():
	with pytest.raises(RoundingError, match="unknown rounding method 'Round Half Up'"):
		round_money(D("1.5"), 2, "Round Half Up")
	with pytest.raises(RoundingError, match="expected one of: Banker's Rounding \\(legacy\\)"):
		check_rounding_method("bankers")
	assert check_rounding_method(COMMERCIAL) == COMMERCIAL


# --- round_magnitude ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"value, precision, method, expected",
	[
		("-2.345", 2, LEGACY, "-2.35"),  # round_money would give -2.34
		("-0.125", 2, LEGACY, "-0.13"),
		("-2.345", 2, BANKERS, "-2.34"),
		("-2.355", 2, BANKERS, "-2.36"),
		("-2.345", 2, COMMERCIAL, "-2.35"),
		("-2.5", 0, LEGACY, "-2"),
		("-3.5", 0, LEGACY, "-4"),
		("-2.5", 0, COMMERCIAL, "-3"),
		("-1.2345", 3, LEGACY, "-1.235"),
		("2.345", 2, LEGACY, "2.35"),
		("0", 2, LEGACY, "0.00"),
	],
)
def test_round_magnitude(value, precision, method, expected):
	assert round_magnitude(D(value), precision, method) == D(expected)


def test_round_magnitude_differs_from_round_money_only_on_negative_legacy_ties():
	assert round_money(D("-2.345"), 2, LEGACY) == D("-2.34")
	assert round_magnitude(D("-2.345"), 2, LEGACY) == D("-2.35")
	assert round_money(D("-2.345"), 2, COMMERCIAL) == round_magnitude(D("-2.345"), 2, COMMERCIAL)
	assert round_money(D("-2.345"), 2, BANKERS) == round_magnitude(D("-2.345"), 2, BANKERS)


@given(
	value=st.decimals(min_value=-(10**9), max_value=10**9, places=5, allow_nan=False, allow_infinity=False),
	precision=st.integers(min_value=0, max_value=4),
	method=st.sampled_from(ROUNDING_METHODS),
)
def test_round_magnitude_is_sign_symmetric(value, precision, method):
	assert round_magnitude(-value, precision, method) == -round_magnitude(value, precision, method)
	# on positive values it is round_money
	assert round_magnitude(abs(value), precision, method) == round_money(abs(value), precision, method)
	# and it never moves a value by more than half a unit of the last place
	assert abs(round_magnitude(value, precision, method) - value) <= D(1).scaleb(-precision) / 2


@given(
	value=st.decimals(min_value=0, max_value=10**9, places=14, allow_nan=False, allow_infinity=False),
	precision=st.integers(min_value=0, max_value=9),
)
def test_round_magnitude_legacy_shortcut_is_round_money(value, precision):
	"""round_magnitude's two-step legacy rounding equals round_money, pre-rounding included (values with
	more decimals than the pre-rounding keeps)."""
	assert round_magnitude(value, precision, LEGACY) == round_money(value, precision, LEGACY)
	tie = D(5).scaleb(-(precision + 1)) + D(1).scaleb(-(precision + 10))  # a tie once pre-rounded
	assert round_magnitude(value + tie, precision, LEGACY) == round_money(value + tie, precision, LEGACY)


# --- currencies --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"code, decimals",
	[("USD", 2), ("EUR", 2), ("INR", 2), ("JPY", 0), ("KRW", 0), ("KWD", 3), ("BHD", 3), ("CLF", 4)],
)
def test_currency_precision(code, decimals):
	assert currency_precision(code) == decimals
	assert check_currency(code) == code


@pytest.mark.parametrize("code", ["XYZ", "usd", "", None, "US Dollar"])
def test_unknown_currency(code):
	with pytest.raises(CurrencyError, match="unknown currency"):
		currency_precision(code)
	with pytest.raises(CurrencyError):
		check_currency(code)


def test_unknown_currency_message():
	with pytest.raises(CurrencyError) as info:
		currency_precision("XYZ")
	assert str(info.value) == "unknown currency 'XYZ' (expected an ISO 4217 code such as USD or EUR)"
	assert isinstance(info.value, ValueError)


# --- to_decimal --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"value, expected",
	[
		(D("12.50"), D("12.50")),
		(5, D(5)),
		(0, D(0)),
		(-3, D(-3)),
		(0.1, D("0.1")),  # through repr: exactly one tenth, not the binary value
		(1250.5, D("1250.5")),
		("1,250.50", D("1250.50")),
		("  -7.25 ", D("-7.25")),
		("1e3", D("1000")),
	],
)
def test_to_decimal(value, expected):
	result = to_decimal(value)
	assert isinstance(result, Decimal)
	assert result == expected


def test_to_decimal_keeps_decimal_exactly():
	value = D("0.1000")
	assert to_decimal(value) is value


@pytest.mark.parametrize(
	"value, message",
	[
		(True, "rate must be a number, not True"),
		(None, "rate must be a number, not None"),
		([1], "rate must be a number, not [1]"),
		("", "rate is empty"),
		("   ", "rate is empty"),
		("ten", "rate is not a number: 'ten'"),
		("1.2.3", "rate is not a number: '1.2.3'"),
		(float("nan"), "rate must be a finite number, not nan"),
		(float("inf"), "rate must be a finite number, not inf"),
		("NaN", "rate must be a finite number, not 'NaN'"),
		(D("Infinity"), "rate must be a finite number"),
	],
)
def test_to_decimal_errors(value, message):
	with pytest.raises(EngineError) as info:
		to_decimal(value, "rate")
	assert str(info.value).startswith(message)


# --- formatting --------------------------------------------------------------------------------------------


def test_format_amount():
	assert format_amount(D("1250"), 2) == "1,250.00"
	assert format_amount(D("1250.5"), 2) == "1,250.50"
	assert format_amount(D("-2567.95"), 2) == "-2,567.95"
	assert format_amount(D("12345"), 0) == "12,345"
	assert format_amount(D("1.2345"), 3) == "1.234"  # formatting only; amounts are rounded before
	assert format_amount(D("0"), 2) == "0.00"


def test_format_number():
	assert format_number(D("10")) == "10"
	assert format_number(D("10.00")) == "10"
	assert format_number(D("12.50")) == "12.5"
	assert format_number(D("10000")) == "10,000"
	assert format_number(D("1E+4")) == "10,000"
	assert format_number(D("0.125")) == "0.125"
	assert format_number(D("1234.5")) == "1,234.5"
	assert format_number(D("-5")) == "-5"


def test_numpy_floats_are_read_like_floats():
	import numpy as np

	assert to_decimal(np.float64(0.1)) == Decimal("0.1")
