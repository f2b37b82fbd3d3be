"""journal.py: commission lines -> the rows of a balanced journal entry."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from prm_app.engine.commission import COMMISSION, REVERSAL, CommissionLine, compute_commission, make_invoice
from prm_app.engine.errors import EngineError
from prm_app.engine.journal import JournalRow, journal_draft
from prm_app.engine.plans import plan_from_dict

D = Decimal
EXPENSE = "Commission Expense - PC"
PAYABLE = "Commission Payable - PC"
PARTY = "SUP-ACME"
MAIN = "Main - PC"


def line(amount, line_key="", invoice="INV-1", kind=COMMISSION):
	return CommissionLine(
		invoice=invoice,
		partner="P-ACME",
		kind=kind,
		rule="Products",
		period="2026-Q1",
		rate_type="percentage",
		rate=D(10),
		base=D(0),
		qty=D(0),
		amount=D(amount),
		explanation="",
		line_key=line_key,
	)


def draft(lines, **options):
	values = {
		"expense_account": EXPENSE,
		"payable_account": PAYABLE,
		"party": PARTY,
		"precision": 2,
		"default_cost_center": MAIN,
	}
	values.update(options)
	return journal_draft(lines, **values)


def balanced(rows):
	return sum((r.debit for r in rows), D(0)) == sum((r.credit for r in rows), D(0))


def test_accrual_debits_expense_and_credits_the_partner_payable():
	rows = draft([line("125.00", "1"), line("9.99", "2"), line("25.00")])
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("159.99"), credit=D(0), cost_center=MAIN),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("159.99"), party=PARTY),
	)
	assert balanced(rows)


def test_clawback_is_the_mirror_image():
	rows = draft([line("-125.00", "1", kind=REVERSAL), line("-9.99", "2", kind=REVERSAL)])
	assert rows == (
		JournalRow(account=EXPENSE, debit=D(0), credit=D("134.99"), cost_center=MAIN),
		JournalRow(account=PAYABLE, debit=D("134.99"), credit=D(0), party=PARTY),
	)


def test_several_cost_centers():
	cost_centers = {"1": "Sales East - PC", "2": "Sales West - PC"}
	rows = draft(
		[line("100.00", "1"), line("50.50", "2"), line("25.00"), line("-20.00", "1")],
		cost_centers=cost_centers,
	)
	# East 100 - 20 = 80.00, West 50.50, the invoice-level line on the default cost center: 25.00
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("25.00"), credit=D(0), cost_center=MAIN),
		JournalRow(account=EXPENSE, debit=D("80.00"), credit=D(0), cost_center="Sales East - PC"),
		JournalRow(account=EXPENSE, debit=D("50.50"), credit=D(0), cost_center="Sales West - PC"),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("155.50"), party=PARTY),
	)
	assert balanced(rows)


def test_a_negative_cost_center_moves_to_the_credit_side():
	rows = draft([line("100.00", "1"), line("-40.00", "2")], cost_centers={"1": "East", "2": "West"})
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("100.00"), credit=D(0), cost_center="East"),
		JournalRow(account=EXPENSE, debit=D(0), credit=D("40.00"), cost_center="West"),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("60.00"), party=PARTY),
	)
	assert all(r.debit >= 0 and r.credit >= 0 for r in rows)


def test_cost_centers_that_cancel_out_post_no_payable_row():
	rows = draft([line("50.00", "1"), line("-50.00", "2")], cost_centers={"1": "East", "2": "West"})
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("50.00"), credit=D(0), cost_center="East"),
		JournalRow(account=EXPENSE, debit=D(0), credit=D("50.00"), cost_center="West"),
	)
	assert balanced(rows)


def test_lines_that_net_to_nothing_give_no_rows():
	assert draft([line("10.00", "1"), line("-10.00", "1", kind=REVERSAL), line("0.00")]) == ()
	assert draft([]) == ()


def test_without_a_default_cost_center():
	rows = journal_draft(
		[line("10.00")], expense_account=EXPENSE, payable_account=PAYABLE, party=PARTY, precision=2
	)
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("10.00"), credit=D(0)),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("10.00"), party=PARTY),
	)


@pytest.mark.parametrize("amount, precision", [("10.005", 2), ("0.001", 2), ("10.50", 0), ("1.2345", 3)])
def test_unrounded_amounts_are_rejected(amount, precision):
	with pytest.raises(
		EngineError, match=f"commission line {amount} of INV-7 is not rounded to {precision} decimals"
	):
		draft([line("1"), line(amount, invoice="INV-7")], precision=precision)


@pytest.mark.parametrize("amount, precision", [("10.5", 2), ("10", 0), ("1.234", 3), ("7.000", 0)])
def test_amounts_with_fewer_or_zero_extra_decimals_are_accepted(amount, precision):
	rows = draft([line(amount)], precision=precision)
	assert rows[0].debit == D(amount)
	assert balanced(rows)


@pytest.mark.parametrize(
	"options, message",
	[
		({"expense_account": ""}, "a commission journal needs both an expense and a payable account"),
		({"payable_account": ""}, "a commission journal needs both an expense and a payable account"),
		({"party": ""}, "a commission journal needs the partner's party"),
	],
)
def test_missing_accounts_or_party(options, message):
	with pytest.raises(EngineError, match=message):
		draft([line("10.00")], **options)


def test_journal_of_computed_commission():
	plan = plan_from_dict(
		{
			"name": "P",
			"currency": "USD",
			"rules": [{"name": "Products", "rate": "10", "min_per_invoice": "25"}],
		}
	)
	invoice = make_invoice(
		name="INV-1",
		posting_date="2026-01-10",
		partner="P-ACME",
		lines=[
			{"item_code": "A", "base_net_amount": "23.45"},
			{"item_code": "B", "base_net_amount": "100.05"},
		],
	)
	result = compute_commission(plan, invoice)
	# 2.345 -> 2.35 and 10.005 -> 10.01 (legacy), raised by 12.64 to the minimum of 25.00
	rows = draft(result.lines, cost_centers={"1": "East", "2": "West"})
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("2.35"), credit=D(0), cost_center="East"),
		JournalRow(account=EXPENSE, debit=D("12.64"), credit=D(0), cost_center=MAIN),
		JournalRow(account=EXPENSE, debit=D("10.01"), credit=D(0), cost_center="West"),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("25.00"), party=PARTY),
	)


@given(
	st.lists(
		st.tuples(
			st.integers(min_value=-(10**9), max_value=10**9),
			st.sampled_from(["", "1", "2", "3", "4"]),
		),
		max_size=30,
	)
)
def test_journal_always_balances_to_the_cent(items):
	lines = [line(D(cents).scaleb(-2), key) for cents, key in items]
	rows = draft(lines, cost_centers={"1": "A", "2": "B", "3": "A"})
	assert balanced(rows)
	assert all(r.debit >= 0 and r.credit >= 0 and (r.debit == 0) != (r.credit == 0) for r in rows)
	net = sum((ln.amount for ln in lines), D(0))
	payable = [r for r in rows if r.account == PAYABLE]
	if net:
		assert len(payable) == 1 and payable[0].party == PARTY
		assert payable[0].credit - payable[0].debit == net
	else:
		assert payable == []
	expense = sum((r.debit - r.credit for r in rows if r.account == EXPENSE), D(0))
	assert expense == net


def test_expense_rows_follow_the_accounting_dimensions_of_the_lines():
	apollo = (("project", "PROJ-APOLLO"),)
	north = (("branch", "North"), ("project", "PROJ-APOLLO"))
	rows = draft(
		[line("100.00", "1"), line("20.00", "2"), line("-5.00", "3", kind=REVERSAL), line("7.00", "4")],
		cost_centers={"1": MAIN, "2": MAIN, "3": MAIN},
		dimensions={"1": apollo, "2": north, "3": apollo},
	)
	# lines 1 and 3 share cost center and project: one row of 95.00; line 2 adds a branch; line 4 has none
	assert rows == (
		JournalRow(account=EXPENSE, debit=D("7.00"), credit=D(0), cost_center=MAIN),
		JournalRow(account=EXPENSE, debit=D("20.00"), credit=D(0), cost_center=MAIN, dimensions=north),
		JournalRow(account=EXPENSE, debit=D("95.00"), credit=D(0), cost_center=MAIN, dimensions=apollo),
		JournalRow(account=PAYABLE, debit=D(0), credit=D("122.00"), party=PARTY),
	)
