"""deal_lines.py: the product lines a partner posts with a deal registration (codes and quantities)."""

from decimal import Decimal

import pytest

from prm_app.engine.deal_lines import (
	MAX_ENTRIES,
	MAX_LINES,
	MAX_QTY,
	NO_ITEM,
	NOT_A_NUMBER,
	NOT_POSITIVE,
	TOO_LARGE,
	TOO_MANY,
	Line,
	Problem,
	parse_lines,
	parse_qty,
)


def test_lines_with_quantities_keep_their_order():
	lines, problems = parse_lines([{"item_code": "B", "qty": "3"}, {"item_code": "A", "qty": 2.5}])
	assert problems == []
	assert lines == [Line("B", Decimal("3")), Line("A", Decimal("2.5"))]


def test_plain_codes_of_older_clients_mean_quantity_one():
	lines, problems = parse_lines(["A", " B "])
	assert problems == []
	assert lines == [Line("A", Decimal(1)), Line("B", Decimal(1))]


def test_a_product_posted_twice_is_one_line_with_the_quantities_added():
	lines, problems = parse_lines([{"item_code": "A", "qty": 2}, "B", {"item_code": "A", "qty": "3"}])
	assert problems == []
	assert lines == [Line("A", Decimal(5)), Line("B", Decimal(1))]


@pytest.mark.parametrize("qty", ["", "abc", "1,5", None, True, "nan", "inf", "-inf", [1], {"a": 1}])
def test_a_quantity_that_is_no_number_is_refused(qty):
	lines, problems = parse_lines([{"item_code": "A", "qty": qty}])
	assert lines == []
	assert problems == [Problem(NOT_A_NUMBER, ("A",))]


@pytest.mark.parametrize("qty", [0, "0", -1, "-0.5", 0.0])
def test_zero_or_negative_is_refused(qty):
	lines, problems = parse_lines([{"item_code": "A", "qty": qty}])
	assert lines == []
	assert problems == [Problem(NOT_POSITIVE, ("A",))]


def test_a_huge_quantity_is_refused_also_when_reached_by_adding_up():
	assert parse_lines([{"item_code": "A", "qty": "1e12"}])[1] == [Problem(TOO_LARGE, ("A", MAX_QTY))]
	lines, problems = parse_lines([{"item_code": "A", "qty": MAX_QTY}, {"item_code": "A", "qty": 1}])
	assert (lines, problems) == ([], [Problem(TOO_LARGE, ("A", MAX_QTY))])
	assert parse_lines([{"item_code": "A", "qty": MAX_QTY}])[0] == [Line("A", MAX_QTY)]


def test_every_problem_is_reported_at_once():
	lines, problems = parse_lines(
		[{"item_code": "", "qty": 1}, {"item_code": "A", "qty": 0}, {"item_code": "B", "qty": "x"}, "C"]
	)
	assert lines == [Line("C", Decimal(1))]
	assert problems == [Problem(NO_ITEM), Problem(NOT_POSITIVE, ("A",)), Problem(NOT_A_NUMBER, ("B",))]


def test_a_line_without_a_usable_code_is_refused():
	for entry in ({"qty": 1}, {"item_code": 5, "qty": 1}, "  ", None):
		assert parse_lines([entry]) == ([], [Problem(NO_ITEM)])


def test_at_most_fifty_products():
	assert parse_lines([f"I{i}" for i in range(MAX_LINES)])[1] == []
	assert parse_lines([f"I{i}" for i in range(MAX_LINES + 1)])[1] == [Problem(TOO_MANY)]
	# the same product fifty-one times is one line
	assert parse_lines(["A"] * (MAX_LINES + 1)) == ([Line("A", Decimal(MAX_LINES + 1))], [])


def test_a_flood_of_entries_is_refused_unread():
	assert parse_lines(["A"] * MAX_ENTRIES)[1] == []
	assert parse_lines([{"item_code": f"I{i}", "qty": "x"} for i in range(MAX_ENTRIES + 1)]) == (
		[],
		[Problem(TOO_MANY)],
	)


def test_parse_qty():
	assert parse_qty(" 4 ") == Decimal(4)
	assert parse_qty(1.25) == Decimal("1.25")
	assert parse_qty(False) is None
