"""plans.py: the plan model, its JSON form and every validation error (typed, with a clear message)."""

import copy
import json
import re
from datetime import date
from decimal import Decimal

import pytest

from prm_app.engine.errors import (
	BracketError,
	CurrencyError,
	EngineError,
	PlanError,
	RateError,
	RoundingError,
)
from prm_app.engine.money import BANKERS, COMMERCIAL, LEGACY
from prm_app.engine.plans import (
	SCHEMA,
	Bracket,
	Plan,
	Rule,
	make_plan,
	period_key,
	plan_from_dict,
	plan_from_json,
	plan_to_dict,
	validate_plan,
)

D = Decimal


def base_plan(**changes):
	data = {"name": "Reseller 2026", "currency": "USD", "rules": [{"name": "Products", "rate": "10"}]}
	data.update(changes)
	return data


def with_rule(**rule):
	return base_plan(rules=[{"name": "Products", **rule}])


FULL_PLAN = {
	"schema": SCHEMA,
	"name": "Reseller 2026",
	"currency": "EUR",
	"basis": "gross_margin",
	"trigger": "payment",
	"bracket_mode": "step",
	"period": "month",
	"rounding_method": COMMERCIAL,
	"precision": 3,
	"tier_multipliers": {"Gold": "1.5", "Silver": "1.25", "Bronze": "1"},
	"rules": [
		{
			"name": "Hardware volume",
			"priority": 5,
			"rate_type": "percentage",
			"rate": "0",
			"match": {"item_group": ["Hardware", "Networking"], "territory": "EU"},
			"brackets": [
				{"from": "0", "to": "10000", "rate": "5"},
				{"from": "10000", "to": "50000", "rate": "7.5"},
				{"from": "50000", "to": None, "rate": "10"},
			],
			"cap_per_period": "5000",
		},
		{
			"name": "New logos",
			"priority": 1,
			"rate_type": "per_invoice",
			"rate": "250",
			"match": {"new_customer": True, "registered_deal": False, "partner_tier": ["Gold"]},
		},
		{
			"name": "Licences",
			"priority": 5,
			"rate_type": "per_unit",
			"rate": "12.5",
			"match": {"item_code": ["LIC-1", "LIC-2"], "brand": ["Acme"], "customer_group": ["Retail"]},
			"min_per_invoice": "25",
			"max_per_invoice": "1000",
		},
		{"name": "Everything else", "priority": 20, "rate": "2.25", "match": {"partner_type": ["Reseller"]}},
	],
}


# --- the JSON form -----------------------------------------------------------------------------------------


def test_full_plan_from_dict():
	plan = plan_from_dict(FULL_PLAN)
	assert plan.name == "Reseller 2026"
	assert plan.currency == "EUR"
	assert (plan.basis, plan.trigger, plan.bracket_mode, plan.period) == (
		"gross_margin",
		"payment",
		"step",
		"month",
	)
	assert plan.rounding_method == COMMERCIAL
	assert plan.precision == 3
	assert plan.money_precision == 3
	assert plan.tier_multipliers == {"Gold": D("1.5"), "Silver": D("1.25"), "Bronze": D("1")}
	# evaluation order: priority 1, then the two priority-5 rules in the order listed, then 20
	assert [r.name for r in plan.rules] == ["New logos", "Hardware volume", "Licences", "Everything else"]

	new_logos, hardware, licences, rest = plan.rules
	assert new_logos.rate_type == "per_invoice"
	assert new_logos.rate == D("250")
	assert new_logos.new_customer is True
	assert new_logos.registered_deal is False
	assert new_logos.partner_tier == ("Gold",)
	assert hardware.item_group == ("Hardware", "Networking")
	assert hardware.territory == ("EU",)  # a single text becomes a one-item list
	assert hardware.brackets == (
		Bracket(D(0), D(10000), D(5)),
		Bracket(D(10000), D(50000), D("7.5")),
		Bracket(D(50000), None, D(10)),
	)
	assert hardware.cap_per_period == D(5000)
	assert hardware.new_customer is None
	assert licences.item_code == ("LIC-1", "LIC-2")
	assert licences.brand == ("Acme",)
	assert licences.customer_group == ("Retail",)
	assert (licences.min_per_invoice, licences.max_per_invoice) == (D(25), D(1000))
	assert licences.cap_per_period is None
	assert rest.rate == D("2.25")
	assert rest.partner_type == ("Reseller",)
	assert rest.item_code == ()


def test_round_trip_dict_and_json():
	plan = plan_from_dict(FULL_PLAN)
	data = plan_to_dict(plan)
	assert plan_from_dict(data) == plan
	assert plan.to_dict() == data
	assert plan_from_json(plan.to_json()) == plan
	# the JSON text is plain JSON and the dict survives it unchanged
	assert json.loads(plan.to_json()) == data
	# and the round trip is stable
	assert plan_to_dict(plan_from_dict(data)) == data


def test_to_dict_writes_numbers_as_strings_and_rules_in_evaluation_order():
	data = plan_to_dict(plan_from_dict(FULL_PLAN))
	assert data["schema"] == "prm_app.plan/1"
	assert data["precision"] == 3
	assert data["tier_multipliers"] == {"Gold": "1.5", "Silver": "1.25", "Bronze": "1"}
	assert [r["name"] for r in data["rules"]] == [
		"New logos",
		"Hardware volume",
		"Licences",
		"Everything else",
	]
	hardware = data["rules"][1]
	assert hardware == {
		"name": "Hardware volume",
		"priority": 5,
		"rate_type": "percentage",
		"rate": "0",
		"match": {"item_group": ["Hardware", "Networking"], "territory": ["EU"]},
		"brackets": [
			{"from": "0", "to": "10000", "rate": "5"},
			{"from": "10000", "to": "50000", "rate": "7.5"},
			{"from": "50000", "to": None, "rate": "10"},
		],
		"cap_per_period": "5000",
	}
	assert data["rules"][0]["match"] == {
		"partner_tier": ["Gold"],
		"new_customer": True,
		"registered_deal": False,
	}
	assert data["rules"][2]["min_per_invoice"] == "25"
	assert data["rules"][2]["rate"] == "12.5"


def test_defaults():
	plan = plan_from_dict(base_plan())
	assert plan.basis == "net_amount"
	assert plan.trigger == "invoice"
	assert plan.bracket_mode == "marginal"
	assert plan.period == "quarter"
	assert plan.rounding_method == LEGACY
	assert plan.precision is None
	assert plan.money_precision == 2
	assert plan.tier_multipliers == {}
	(rule,) = plan.rules
	assert rule.priority == 10
	assert rule.rate_type == "percentage"
	assert rule.rate == D(10)
	assert rule.brackets == ()
	assert (rule.min_per_invoice, rule.max_per_invoice, rule.cap_per_period) == (None, None, None)
	assert "precision" not in plan_to_dict(plan)


def test_money_precision_follows_the_currency_unless_overridden():
	assert plan_from_dict(base_plan(currency="JPY")).money_precision == 0
	assert plan_from_dict(base_plan(currency="KWD")).money_precision == 3
	assert plan_from_dict(base_plan(currency="USD", precision=0)).money_precision == 0


def test_json_numbers_are_read_exactly():
	plan = plan_from_json(
		'{"name": "P", "currency": "USD", "rules": [{"name": "R", "rate": 12.1, "max_per_invoice": 0.3}]}'
	)
	assert plan.rules[0].rate == D("12.1")  # not 12.0999999999999996447...
	assert plan.rules[0].max_per_invoice == D("0.3")
	assert plan_from_dict(with_rule(rate=7.5)).rules[0].rate == D("7.5")


def test_empty_conditions_mean_any():
	plan = plan_from_dict(with_rule(rate=10, match={"territory": "", "item_group": [], "new_customer": None}))
	rule = plan.rules[0]
	assert rule.territory == () and rule.item_group == () and rule.new_customer is None
	assert rule.matches_invoice({"territory": "Mars", "new_customer": True})
	assert rule.matches_line("ANY", "Any group", "Any brand")
	assert plan_to_dict(plan)["rules"][0]["match"] == {}


def test_rule_ordering_by_priority_then_position():
	rules = [
		Rule("A", priority=10, rate=D(1)),
		Rule("B", priority=5, rate=D(1)),
		Rule("C", priority=10, rate=D(1)),
		Rule("D", priority=1, rate=D(1)),
		Rule("E", priority=5, rate=D(1)),
	]
	plan = make_plan("P", "USD", rules)
	assert [r.name for r in plan.rules] == ["D", "B", "E", "A", "C"]
	from_json = plan_from_dict(
		base_plan(rules=[{"name": r.name, "priority": r.priority, "rate": "1"} for r in rules])
	)
	assert [r.name for r in from_json.rules] == ["D", "B", "E", "A", "C"]


def test_make_plan_converts_tier_multipliers():
	plan = make_plan("P", "USD", [Rule("R", rate=D(5))], tier_multipliers={"Gold": "1.5", "Silver": 1})
	assert plan.tier_multipliers == {"Gold": D("1.5"), "Silver": D(1)}
	assert plan.multiplier("Gold") == D("1.5")
	assert plan.multiplier("Platinum") == D(1)  # unlisted tiers are not scaled
	assert plan.multiplier("") == D(1)
	assert plan.multiplier(None) == D(1)


# --- the model ---------------------------------------------------------------------------------------------


def test_bracket_label_and_contains():
	closed = Bracket(D(10000), D(50000), D(10))
	opened = Bracket(D(50000), None, D(12))
	assert closed.label == "10,000–50,000"
	assert opened.label == "50,000+"
	assert Bracket(D("0"), D("2500.5"), D(1)).label == "0–2,500.5"
	assert closed.contains(D(10000))  # lower bound inclusive
	assert not closed.contains(D(50000))  # upper bound exclusive
	assert closed.contains(D("49999.99"))
	assert opened.contains(D(50000)) and opened.contains(D(10) ** 9)


def test_bracket_for_volume():
	rule = Rule(
		"R",
		brackets=(
			Bracket(D(0), D(10000), D(5)),
			Bracket(D(10000), D(50000), D(8)),
			Bracket(D(50000), None, D(10)),
		),
	)
	assert rule.bracket_for(D(0)).rate == D(5)
	assert rule.bracket_for(D("9999.99")).rate == D(5)
	assert rule.bracket_for(D(10000)).rate == D(8)  # a threshold belongs to the bracket it opens
	assert rule.bracket_for(D(50000)).rate == D(10)
	assert rule.bracket_for(D(-100)).rate == D(5)  # below zero (after returns): the first bracket


def test_rule_conditions():
	rule = Rule(
		"R",
		item_group=("Hardware",),
		brand=("Acme", "Globex"),
		territory=("EU", "UK"),
		partner_tier=("Gold",),
		new_customer=True,
		registered_deal=False,
	)
	ctx = {"territory": "EU", "partner_tier": "Gold", "new_customer": True, "registered_deal": False}
	assert rule.matches_invoice(ctx)
	assert not rule.matches_invoice({**ctx, "territory": "US"})
	assert not rule.matches_invoice({**ctx, "partner_tier": "Silver"})
	assert not rule.matches_invoice({**ctx, "new_customer": False})
	assert not rule.matches_invoice({**ctx, "registered_deal": True})
	assert rule.matches_line("ANY-SKU", "Hardware", "Globex")
	assert not rule.matches_line("ANY-SKU", "Software", "Globex")
	assert not rule.matches_line("ANY-SKU", "Hardware", "Initech")


def test_plan_rule_lookup():
	plan = plan_from_dict(base_plan())
	assert plan.rule("Products").rate == D(10)
	with pytest.raises(PlanError, match="plan 'Reseller 2026' has no rule 'Services'"):
		plan.rule("Services")


@pytest.mark.parametrize(
	"period, day, key",
	[
		("month", date(2026, 3, 31), "2026-03"),
		("month", date(2026, 4, 1), "2026-04"),
		("quarter", date(2026, 1, 1), "2026-Q1"),
		("quarter", date(2026, 3, 31), "2026-Q1"),
		("quarter", date(2026, 4, 1), "2026-Q2"),
		("quarter", date(2026, 9, 30), "2026-Q3"),
		("quarter", date(2026, 12, 31), "2026-Q4"),
		("year", date(2026, 12, 31), "2026"),
		("year", date(2027, 1, 1), "2027"),
	],
)
def test_period_key(period, day, key):
	assert period_key(period, day) == key


def test_period_key_unknown_period():
	with pytest.raises(EngineError, match="period must be one of month, quarter, year, not 'week'"):
		period_key("week", date(2026, 1, 1))


# --- validation: every error typed, with a clear message ---------------------------------------------------

TWO_BRACKETS = [{"from": 0, "to": 10000, "rate": 5}, {"from": 10000, "to": None, "rate": 10}]

ERRORS = [
	# the plan
	(base_plan(rules=[]), PlanError, "plan 'Reseller 2026' has no rules: add at least one rule"),
	({"name": "Empty", "currency": "USD"}, PlanError, "plan 'Empty' has no rules: add at least one rule"),
	(base_plan(name=""), PlanError, "the plan needs a name"),
	(base_plan(currency="XYZ"), CurrencyError, "unknown currency 'XYZ'"),
	(base_plan(currency="usd"), CurrencyError, "unknown currency 'usd'"),
	({"name": "P", "rules": [{"name": "R", "rate": 1}]}, PlanError, "the plan needs a currency"),
	(
		base_plan(basis="revenue"),
		PlanError,
		"basis must be one of net_amount, gross_margin, not 'revenue'",
	),
	(base_plan(trigger="delivery"), PlanError, "trigger must be one of invoice, payment, not 'delivery'"),
	(
		base_plan(bracket_mode="tiered"),
		PlanError,
		"bracket_mode must be one of marginal, step, not 'tiered'",
	),
	(base_plan(period="week"), PlanError, "period must be one of month, quarter, year, not 'week'"),
	(base_plan(rounding_method="Round Up"), RoundingError, "unknown rounding method 'Round Up'"),
	(base_plan(precision=12), PlanError, "precision must be a whole number from 0 to 9, not 12"),
	(base_plan(precision="2"), PlanError, "precision must be a whole number from 0 to 9, not '2'"),
	(base_plan(precision=True), PlanError, "precision must be a whole number from 0 to 9, not True"),
	(base_plan(schema="prm_app.plan/2"), PlanError, "unsupported plan schema 'prm_app.plan/2'"),
	(base_plan(tier_multipliers=["Gold"]), PlanError, "tier_multipliers must be an object"),
	(
		base_plan(tier_multipliers={"Gold": "-1"}),
		RateError,
		"tier multiplier for 'Gold' must not be negative, got -1",
	),
	(base_plan(tier_multipliers={"Gold": "x"}), PlanError, "tier multiplier Gold is not a number: 'x'"),
	# unknown fields (typos)
	(base_plan(bracket_mod="step"), PlanError, "unknown field 'bracket_mod' in the plan (allowed: basis,"),
	(with_rule(rat="10"), PlanError, "unknown field 'rat' in rule 1 (allowed: brackets,"),
	(
		with_rule(rate=10, match={"item_grup": "Hardware"}),
		PlanError,
		"unknown field 'item_grup' in rule 1 match (allowed: brand,",
	),
	(
		with_rule(brackets=[{"form": 0, "rate": 5}]),
		PlanError,
		"unknown field 'form' in rule 1 bracket 1 (allowed: from, rate, to)",
	),
	# rules
	(base_plan(rules=["Products"]), PlanError, "rule 1 must be an object"),
	(base_plan(rules=[{"rate": 10}]), PlanError, "rule 1 needs a name"),
	(
		base_plan(rules=[{"name": "Products", "rate": 10}, {"name": "Products", "rate": 5}]),
		PlanError,
		"rule name 'Products' is used twice; rule names must be unique",
	),
	(
		with_rule(rate_type="percent", rate=10),
		PlanError,
		"rule 1 rate_type must be one of percentage, per_unit, per_invoice, not 'percent'",
	),
	(with_rule(priority="high", rate=10), PlanError, "rule 1 priority must be a whole number, not 'high'"),
	(with_rule(priority=True, rate=10), PlanError, "rule 1 priority must be a whole number, not True"),
	(with_rule(), RateError, "rule 1 needs a rate (or brackets)"),
	(with_rule(rate="ten"), PlanError, "rule 1 rate is not a number: 'ten'"),
	(
		with_rule(rate="150"),
		RateError,
		"rule 1 (Products) rate is a percentage and must be between 0 and 100, got 150",
	),
	(
		with_rule(rate="100.01"),
		RateError,
		"rule 1 (Products) rate is a percentage and must be between 0 and 100, got 100.01",
	),
	(with_rule(rate="-5"), RateError, "rule 1 (Products) rate must not be negative, got -5"),
	(
		with_rule(rate_type="per_unit", rate="-0.5"),
		RateError,
		"rule 1 (Products) rate must not be negative, got -0.5",
	),
	(
		with_rule(rate=10, min_per_invoice=50, max_per_invoice=20),
		RateError,
		"rule 1 (Products) min_per_invoice 50 is above max_per_invoice 20",
	),
	(
		with_rule(rate=10, cap_per_period="-1"),
		RateError,
		"rule 1 cap_per_period must not be negative, got -1",
	),
	(with_rule(rate=10, min_per_invoice="-1"), RateError, "rule 1 min_per_invoice must not be negative"),
	(with_rule(rate=10, max_per_invoice="abc"), PlanError, "rule 1 max_per_invoice is not a number: 'abc'"),
	(
		with_rule(rate=10, min_per_invoice="10.005"),
		RateError,
		"rule 1 (Products) min_per_invoice 10.005 has more decimals than the plan's money precision (2) allows",
	),
	(
		{**with_rule(rate=10, cap_per_period="100.5"), "currency": "JPY"},
		RateError,
		"rule 1 (Products) cap_per_period 100.5 has more decimals than the plan's money precision (0) allows",
	),
	(with_rule(rate=10, match=["Hardware"]), PlanError, "rule 1 match must be an object"),
	(
		with_rule(rate=10, match={"territory": 5}),
		PlanError,
		"rule 1 match territory must be a text or a list of texts, not 5",
	),
	(
		with_rule(rate=10, match={"item_code": ["A", 1]}),
		PlanError,
		"rule 1 match item_code must be a text or a list of texts",
	),
	(
		with_rule(rate=10, match={"new_customer": "yes"}),
		PlanError,
		"rule 1 match new_customer must be true, false or null, not 'yes'",
	),
	(
		with_rule(rate=10, match={"registered_deal": 1}),
		PlanError,
		"rule 1 match registered_deal must be true, false or null, not 1",
	),
	# brackets
	(
		with_rule(brackets=[{"from": 0, "to": 10000, "rate": 5}, {"from": 8000, "to": None, "rate": 10}]),
		BracketError,
		"rule 1 (Products) bracket 2 starts at 8,000, inside the previous bracket "
		"(brackets overlap or are not in order)",
	),
	(
		with_rule(brackets=[{"from": 0, "to": 50000, "rate": 5}, {"from": 10000, "to": None, "rate": 10}]),
		BracketError,
		"rule 1 (Products) bracket 2 starts at 10,000, inside the previous bracket",
	),
	(
		with_rule(brackets=[{"from": 10000, "to": None, "rate": 10}, {"from": 0, "to": 10000, "rate": 5}]),
		BracketError,
		"rule 1 (Products) bracket 1 must start at 0, not 10,000",
	),
	(
		with_rule(
			brackets=[
				{"from": 0, "to": 10000, "rate": 5},
				{"from": 50000, "to": None, "rate": 10},
				{"from": 10000, "to": 50000, "rate": 8},
			]
		),
		BracketError,
		"rule 1 (Products) bracket 2 starts at 50,000 but the previous bracket ends at 10,000 (a gap)",
	),
	(
		with_rule(brackets=[{"from": 0, "to": 10000, "rate": 5}, {"from": 12000, "to": None, "rate": 10}]),
		BracketError,
		"rule 1 (Products) bracket 2 starts at 12,000 but the previous bracket ends at 10,000 (a gap)",
	),
	(
		with_rule(brackets=[{"from": 1000, "to": None, "rate": 5}]),
		BracketError,
		"rule 1 (Products) bracket 1 must start at 0, not 1,000",
	),
	(
		with_rule(brackets=[{"from": 0, "rate": 5}, {"from": 10000, "rate": 10}]),
		BracketError,
		"rule 1 (Products) bracket 2 follows an open-ended bracket; only the last may have no end",
	),
	(
		with_rule(brackets=[{"from": 0, "to": 0, "rate": 5}]),
		BracketError,
		"rule 1 (Products) bracket 1 ends at 0, which is not above its start 0",
	),
	(
		with_rule(brackets=[{"from": 0, "to": 10000}]),
		BracketError,
		"rule 1 bracket 1 needs a rate",
	),
	(with_rule(brackets=[[0, 10000, 5]]), BracketError, "rule 1 bracket 1 must be an object"),
	(
		with_rule(brackets=[{"from": 0, "to": 10000, "rate": 5}, {"from": 10000, "rate": 120}]),
		RateError,
		"rule 1 (Products) bracket 2 rate is a percentage and must be between 0 and 100, got 120",
	),
	(
		with_rule(brackets=[{"from": 0, "to": "lots", "rate": 5}]),
		PlanError,
		"rule 1 bracket 1 to is not a number: 'lots'",
	),
	(
		with_rule(rate_type="per_unit", rate=2, brackets=TWO_BRACKETS),
		BracketError,
		"rule 1 (Products) has brackets, which need rate_type percentage, not per_unit",
	),
	(
		with_rule(rate_type="per_invoice", rate=2, brackets=TWO_BRACKETS),
		BracketError,
		"rule 1 (Products) has brackets, which need rate_type percentage, not per_invoice",
	),
]


@pytest.mark.parametrize("data, error, message", ERRORS)
def test_plan_errors(data, error, message):
	with pytest.raises(EngineError) as info:
		plan_from_dict(data)
	assert type(info.value) is error, (type(info.value).__name__, str(info.value))
	assert str(info.value).startswith(message), str(info.value)
	assert isinstance(info.value, ValueError)


def test_plan_errors_do_not_touch_the_input():
	data = with_rule(rate=10, match={"territory": ["EU"]})
	before = copy.deepcopy(data)
	plan_from_dict(data)
	assert data == before


def test_a_percentage_of_exactly_100_and_a_large_per_unit_rate_are_valid():
	assert plan_from_dict(with_rule(rate="100")).rules[0].rate == D(100)
	assert plan_from_dict(with_rule(rate_type="per_unit", rate="150")).rules[0].rate == D(150)
	assert plan_from_dict(with_rule(rate_type="per_invoice", rate="1500.50")).rules[0].rate == D("1500.50")


def test_min_equal_to_max_and_whole_amounts_are_valid():
	rule = plan_from_dict(with_rule(rate=10, min_per_invoice="20.50", max_per_invoice="20.5")).rules[0]
	assert rule.min_per_invoice == rule.max_per_invoice == D("20.5")
	kwd = plan_from_dict({**with_rule(rate=10, cap_per_period="100.125"), "currency": "KWD"})
	assert kwd.rules[0].cap_per_period == D("100.125")


def test_plan_must_be_an_object():
	with pytest.raises(PlanError, match="a plan must be a JSON object"):
		plan_from_dict(["not", "a", "plan"])
	with pytest.raises(PlanError, match="a plan must be a JSON object"):
		plan_from_json("[]")


@pytest.mark.parametrize(
	"text, message",
	[
		(
			'{"name": "P", "currency": "USD",',
			"not valid JSON: Expecting property name enclosed in double quotes",
		),
		('{"name": "P"\n "currency": "USD"}', "not valid JSON: Expecting ',' delimiter (line 2, column 2)"),
		("", "not valid JSON: Expecting value (line 1, column 1)"),
	],
)
def test_bad_json(text, message):
	with pytest.raises(PlanError) as info:
		plan_from_json(text)
	assert type(info.value) is PlanError
	assert str(info.value).startswith(message), str(info.value)


def test_make_plan_validates_rule_objects():
	with pytest.raises(BracketError, match=re.escape("rule 1 (Units) has brackets")):
		make_plan(
			"P",
			"USD",
			[Rule("Units", rate_type="per_unit", rate=D(1), brackets=(Bracket(D(0), None, D(5)),))],
		)
	with pytest.raises(RateError, match=re.escape("rule 2 (B) rate must not be negative")):
		make_plan("P", "USD", [Rule("A", rate=D(1)), Rule("B", rate=D(-1))])
	with pytest.raises(PlanError, match="rule 1 needs a name"):
		make_plan("P", "USD", [Rule("", rate=D(1))])
	with pytest.raises(PlanError, match="has no rules"):
		make_plan("P", "USD", [])


def test_validate_plan_on_a_hand_built_plan():
	plan = Plan(name="P", currency="USD", rules=(Rule("R", rate=D(5)),), precision=10)
	with pytest.raises(PlanError, match="precision must be a whole number from 0 to 9, not 10"):
		validate_plan(plan)
	good = Plan(name="P", currency="USD", rules=(Rule("R", rate=D(5)),))
	assert validate_plan(good) is good


def test_errors_carry_a_translatable_template():
	with pytest.raises(PlanError) as info:
		plan_from_dict(base_plan(period="week"))
	error = info.value
	assert error.template == "{0} must be one of {1}, not {2!r}"
	assert error.args_ == ("period", "month, quarter, year", "week")
	assert error.located("plan.json").message == (
		"plan.json: period must be one of month, quarter, year, not 'week'"
	)
	assert str(error) == error.message


def test_last_bracket_must_be_open_ended():
	plan = {
		"name": "Closed",
		"currency": "USD",
		"rules": [
			{
				"name": "R",
				"brackets": [{"from": 0, "to": 100, "rate": 5}, {"from": 100, "to": 200, "rate": 10}],
			}
		],
	}
	with pytest.raises(BracketError, match="bracket 2 must have no end, as the last one"):
		plan_from_dict(plan)
