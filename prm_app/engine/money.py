"""Money: ``Decimal`` amounts, ISO 4217 precisions and Frappe's three rounding methods, reproduced exactly.

Frappe rounds floats; the engine rounds ``Decimal``. To give the same cent as Frappe's ``flt``/``rounded``
(``frappe/utils/data.py``), each method first pre-rounds the scaled value the way Frappe does (8 decimals
for the legacy method, 12 for banker's) and then breaks ties as Frappe does:

- ``Banker's Rounding (legacy)`` (Frappe's default): at precision > 0 a tie goes towards +infinity
  (2.345 -> 2.35, -2.345 -> -2.34); at precision 0 a tie goes to the even neighbour (2.5 -> 2).
- ``Banker's Rounding``: a tie goes to the even neighbour (2.345 -> 2.34, 2.355 -> 2.36).
- ``Commercial Rounding``: a tie goes away from zero (2.345 -> 2.35, -2.345 -> -2.35).
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from prm_app.engine.errors import CurrencyError, EngineError, RoundingError

LEGACY = "Banker's Rounding (legacy)"
BANKERS = "Banker's Rounding"
COMMERCIAL = "Commercial Rounding"
ROUNDING_METHODS = (LEGACY, BANKERS, COMMERCIAL)
DEFAULT_ROUNDING = LEGACY

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# ISO 4217 active codes and their minor units (decimals). Codes not listed have 2 decimals.
_DECIMALS_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_DECIMALS_3 = "BHD IQD JOD KWD LYD OMR TND"
_DECIMALS_4 = "CLF UYW"
_DECIMALS_2 = (
	"AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
	"CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL "
	"GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD "
	"LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN "
	"PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL "
	"THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL"
)
CURRENCY_DECIMALS: dict[str, int] = {
	**{code: 2 for code in _DECIMALS_2.split()},
	**{code: 0 for code in _DECIMALS_0.split()},
	**{code: 3 for code in _DECIMALS_3.split()},
	**{code: 4 for code in _DECIMALS_4.split()},
}

_EXPONENTS = {p: Decimal(1).scaleb(-p) for p in range(0, 10)}
_PRE_LEGACY = Decimal("1e-8")
_PRE_BANKERS = Decimal("1e-12")


def currency_precision(code: str) -> int:
	"""Minor units of an ISO 4217 currency; raises ``CurrencyError`` for an unknown code."""
	try:
		return CURRENCY_DECIMALS[code]
	except (KeyError, TypeError):
		raise CurrencyError("unknown currency {0!r} (expected an ISO 4217 code such as USD or EUR)", code)


def check_currency(code: str) -> str:
	currency_precision(code)
	return code


def check_rounding_method(method: str) -> str:
	if method not in ROUNDING_METHODS:
		raise RoundingError(
			"unknown rounding method {0!r} (expected one of: {1})", method, ", ".join(ROUNDING_METHODS)
		)
	return method


def to_decimal(value: object, what: str = "amount") -> Decimal:
	"""A finite ``Decimal`` from a Decimal, int, str or float (floats go through ``repr``, like Frappe)."""
	if isinstance(value, Decimal):
		result = value
	elif isinstance(value, bool):
		raise EngineError("{0} must be a number, not {1!r}", what, value)
	elif isinstance(value, int):
		return Decimal(value)
	elif isinstance(value, float):
		result = Decimal(repr(float(value)))  # float(): numpy scalars print as np.float64(…)
	elif isinstance(value, str):
		text = value.strip().replace(",", "")
		if not text:
			raise EngineError("{0} is empty", what)
		try:
			result = Decimal(text)
		except InvalidOperation:
			raise EngineError("{0} is not a number: {1!r}", what, value)
	else:
		raise EngineError("{0} must be a number, not {1!r}", what, value)
	if not result.is_finite():
		raise EngineError("{0} must be a finite number, not {1!r}", what, value)
	return result


# precision -> (Frappe's legacy pre-rounding quantum, the result's quantum), for precision > 0
_LEGACY_FAST = {p: (Decimal(1).scaleb(-(p + 8)), Decimal(1).scaleb(-p)) for p in range(1, 10)}


def round_money(value: Decimal, precision: int, method: str = DEFAULT_ROUNDING) -> Decimal:
	"""Round ``value`` to ``precision`` decimals exactly as Frappe's ``rounded`` does with ``method``."""
	try:
		exponent = _EXPONENTS[precision]
	except KeyError:
		raise RoundingError("precision must be a whole number from 0 to 9, not {0!r}", precision)
	if method == LEGACY:
		if precision == 0:
			scaled = value.quantize(_PRE_LEGACY, ROUND_HALF_EVEN)
			return scaled.quantize(ONE, ROUND_HALF_EVEN)
		scaled = value.scaleb(precision).quantize(_PRE_LEGACY, ROUND_HALF_EVEN)
		floor = scaled.to_integral_value(ROUND_FLOOR)
		if scaled - floor == Decimal("0.5"):
			return (floor + 1).scaleb(-precision).quantize(exponent)
		return scaled.quantize(ONE, ROUND_HALF_EVEN).scaleb(-precision).quantize(exponent)
	if method == BANKERS:
		scaled = value.scaleb(precision).quantize(_PRE_BANKERS, ROUND_HALF_EVEN)
		return scaled.quantize(ONE, ROUND_HALF_EVEN).scaleb(-precision).quantize(exponent)
	if method == COMMERCIAL:
		return value.quantize(exponent, ROUND_HALF_UP)
	check_rounding_method(method)
	raise AssertionError("unreachable")


def round_magnitude(value: Decimal, precision: int, method: str = DEFAULT_ROUNDING) -> Decimal:
	"""Round the magnitude and keep the sign, so that a reversal mirrors its accrual to the cent.

	Commission lines are rounded this way: with the legacy method, ``round_money(-2.345)`` is -2.34 but an
	accrual of 2.345 is 2.35, so a credit note rounded with ``round_money`` would leave a cent behind.
	"""
	if value < 0:
		return -round_money(-value, precision, method)
	if method == LEGACY and precision in _LEGACY_FAST:
		# the same for a value >= 0, in two steps: Frappe's pre-rounding, then a tie goes up
		pre, exponent = _LEGACY_FAST[precision]
		return value.quantize(pre, ROUND_HALF_EVEN).quantize(exponent, ROUND_HALF_UP)
	return round_money(value, precision, method)


def format_amount(value: Decimal, precision: int) -> str:
	"""``1,250.00`` — thousands separators, fixed decimals."""
	return f"{value:,.{precision}f}"


@lru_cache(maxsize=4096)
def format_number(value: Decimal) -> str:
	"""A rate or threshold without trailing zeros: ``10``, ``12.5``, ``10,000``."""
	if value == value.to_integral_value():
		return f"{int(value):,}"
	return f"{value.normalize():,f}"


__all__ = [
	"BANKERS",
	"COMMERCIAL",
	"CURRENCY_DECIMALS",
	"DEFAULT_ROUNDING",
	"HUNDRED",
	"LEGACY",
	"ONE",
	"ROUNDING_METHODS",
	"ZERO",
	"check_currency",
	"check_rounding_method",
	"currency_precision",
	"format_amount",
	"format_number",
	"round_magnitude",
	"round_money",
	"to_decimal",
]
