"""Special pricing: the pure rules of a special price request (issue 15).

A request line has a list price and asks for either a unit price or a discount (percent of the list
price); the other is derived. The request's depth is its deepest line discount; the depth decides who
may approve it (a Partner Manager up to the limit set in PRM Settings, a Sales Manager above). The
margin given away is what the granted prices leave off the list prices for the requested quantities.

Amounts are ``Decimal``; prices are rounded to the currency's precision with the caller's rounding
method (Frappe's), discounts are kept at ``DISCOUNT_PLACES`` decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from prm_app.engine.errors import EngineError
from prm_app.engine.money import DEFAULT_ROUNDING, HUNDRED, ZERO, round_money, to_decimal

PARTNER_MANAGER = "Partner Manager"
SALES_MANAGER = "Sales Manager"
DISCOUNT_PLACES = 6  # a discount derived from a price keeps the price exact to well below a cent


class PricingError(EngineError):
	"""A special price request line that cannot be priced (no list price, a price above it …)."""


@dataclass(frozen=True)
class PricedLine:
	list_price: Decimal
	price: Decimal
	discount: Decimal  # percent of the list price, 0..100


def _dec(value, what: str) -> Decimal:
	try:
		return to_decimal(value)
	except EngineError:
		raise PricingError("{0} is not a number: {1!r}", what, value)


def discount_depth(list_price, price) -> Decimal:
	"""The discount (percent of ``list_price``) that ``price`` gives, at DISCOUNT_PLACES decimals."""
	list_price, price = _dec(list_price, "list price"), _dec(price, "price")
	if list_price <= ZERO:
		raise PricingError("the list price must be more than zero, got {0}", list_price)
	return ((list_price - price) * HUNDRED / list_price).quantize(Decimal(1).scaleb(-DISCOUNT_PLACES))


def price_from_discount(list_price, discount, precision: int = 2, method: str = DEFAULT_ROUNDING) -> Decimal:
	"""The unit price ``discount`` percent below ``list_price``, rounded to the currency."""
	list_price, discount = _dec(list_price, "list price"), _dec(discount, "discount")
	if list_price <= ZERO:
		raise PricingError("the list price must be more than zero, got {0}", list_price)
	check_discount(discount)
	return round_money(list_price * (HUNDRED - discount) / HUNDRED, precision, method)


def check_discount(discount: Decimal) -> None:
	if discount < ZERO or discount > HUNDRED:
		raise PricingError("a discount must be between 0 and 100 %, got {0}", discount)


def price_line(
	list_price, price=None, discount=None, precision: int = 2, method: str = DEFAULT_ROUNDING
) -> PricedLine:
	"""A line priced from a unit price or, when no price is given, from a discount. A price wins over a
	discount (the discount is then the one the price gives). A price above the list price is no special
	price; a price of zero is a discount of 100 %."""
	list_price = _dec(list_price, "list price")
	if list_price <= ZERO:
		raise PricingError("the list price must be more than zero, got {0}", list_price)
	if price not in (None, ""):
		price = round_money(_dec(price, "price"), precision, method)
		if price < ZERO:
			raise PricingError("a price cannot be negative, got {0}", price)
		if price > list_price:
			raise PricingError("the price {0} is above the list price {1}", price, list_price)
		return PricedLine(list_price, price, discount_depth(list_price, price))
	if discount in (None, ""):
		raise PricingError("give a unit price or a discount")
	discount = _dec(discount, "discount")
	check_discount(discount)
	return PricedLine(list_price, price_from_discount(list_price, discount, precision, method), discount)


def request_depth(discounts) -> Decimal:
	"""A request's depth: its deepest line discount (0 for no lines)."""
	return max((_dec(d, "discount") for d in discounts), default=ZERO)


def approval_level(depth, partner_manager_limit) -> str:
	"""Who approves a request of this depth: a Partner Manager up to and including the limit (percent),
	a Sales Manager above it."""
	depth, limit = _dec(depth, "discount"), _dec(partner_manager_limit, "limit")
	check_discount(limit)
	return PARTNER_MANAGER if depth <= limit else SALES_MANAGER


def may_approve(roles, depth, partner_manager_limit) -> bool:
	"""Can a user with ``roles`` approve a request of ``depth``? A Sales Manager always; a Partner
	Manager up to the limit."""
	roles = set(roles)
	if SALES_MANAGER in roles:
		return True
	return PARTNER_MANAGER in roles and approval_level(depth, partner_manager_limit) == PARTNER_MANAGER


def margin_given_away(list_price, price, qty) -> Decimal:
	"""What the price leaves off the list price for ``qty`` units (never below zero)."""
	list_price, price, qty = _dec(list_price, "list price"), _dec(price, "price"), _dec(qty, "quantity")
	if qty < ZERO:
		raise PricingError("a quantity cannot be negative, got {0}", qty)
	return max(list_price - price, ZERO) * qty
