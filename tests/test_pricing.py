"""Special pricing rules (engine.pricing): depth, price from discount, margin given away, approval level."""

from __future__ import annotations

from decimal import Decimal

import pytest

from prm_app.engine.money import BANKERS, COMMERCIAL
from prm_app.engine.pricing import (
	PARTNER_MANAGER,
	SALES_MANAGER,
	PricingError,
	approval_level,
	discount_depth,
	margin_given_away,
	may_approve,
	price_from_discount,
	price_line,
	request_depth,
)

D = Decimal


def test_discount_depth():
	assert discount_depth(1000, 850) == D("15")
	assert discount_depth("1000.00", "1000.00") == D("0")
	assert discount_depth(1000, 0) == D("100")
	assert discount_depth(3, 2) == D("33.333333")
	assert discount_depth(100, 120) == D("-20")  # above the list: a negative depth (price_line refuses it)


def test_depth_needs_a_list_price():
	with pytest.raises(PricingError, match="more than zero"):
		discount_depth(0, 10)
	with pytest.raises(PricingError, match="more than zero"):
		price_line(-5, price=1)


def test_price_from_discount_rounds_like_frappe():
	assert price_from_discount(1000, 15) == D("850.00")
	assert price_from_discount(999.99, "12.5") == D("874.99")  # 874.99125
	assert price_from_discount(10, D("33.35")) == D("6.67")  # 6.665: legacy rounds the tie up
	assert price_from_discount(10, D("33.35"), method=BANKERS) == D("6.66")
	assert price_from_discount(10, D("33.35"), method=COMMERCIAL) == D("6.67")
	assert price_from_discount(1000, 15, precision=0) == D("850")
	assert price_from_discount(1000, 100) == D("0.00")


def test_discount_out_of_range():
	for bad in (-1, "100.01", 150):
		with pytest.raises(PricingError, match="between 0 and 100"):
			price_from_discount(100, bad)
	with pytest.raises(PricingError, match="not a number"):
		price_from_discount(100, "abc")


def test_price_line_from_price_or_discount():
	line = price_line(1200, price="1000")
	assert (line.price, line.discount) == (D("1000.00"), D("16.666667"))
	line = price_line(1200, discount=25)
	assert (line.price, line.discount) == (D("900.00"), D("25"))
	# a price wins over a discount sent with it
	assert price_line(1200, price=600, discount=5).discount == D("50")
	# a derived discount gives back the price to the cent
	line = price_line("12345.67", price="9999.99")
	assert price_from_discount(line.list_price, line.discount) == D("9999.99")


def test_price_line_refusals():
	with pytest.raises(PricingError, match="above the list price"):
		price_line(100, price="100.01")
	with pytest.raises(PricingError, match="negative"):
		price_line(100, price=-1)
	with pytest.raises(PricingError, match="unit price or a discount"):
		price_line(100)
	with pytest.raises(PricingError, match="unit price or a discount"):
		price_line(100, price="", discount="")


def test_request_depth_is_the_deepest_line():
	assert request_depth([D("5"), D("22.5"), D("10")]) == D("22.5")
	assert request_depth([]) == D("0")


def test_approval_level_by_depth():
	assert approval_level(15, 15) == PARTNER_MANAGER  # up to and including the limit
	assert approval_level("15.000001", 15) == SALES_MANAGER
	assert approval_level(0, 0) == PARTNER_MANAGER
	assert approval_level(100, 100) == PARTNER_MANAGER
	with pytest.raises(PricingError):
		approval_level(10, 120)


def test_may_approve():
	assert may_approve(["Partner Manager"], 10, 15)
	assert not may_approve(["Partner Manager"], 20, 15)
	assert may_approve(["Partner Manager", "Sales Manager"], 20, 15)
	assert may_approve(["Sales Manager"], 99, 15)
	assert not may_approve(["Sales User", "Partner"], 1, 15)


def test_margin_given_away():
	assert margin_given_away(1000, 850, 3) == D("450")
	assert margin_given_away("99.99", "89.99", "2.5") == D("25.000")
	assert margin_given_away(100, 120, 1) == D("0")  # never below zero
	with pytest.raises(PricingError, match="negative"):
		margin_given_away(100, 90, -1)
