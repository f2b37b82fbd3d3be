"""The plain-language plan summary (engine.describe): what it says, and that every phrase goes through the
translation function it is given while names stay as they are."""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from pathlib import Path

from prm_app.engine import demo, plan_from_dict
from prm_app.engine.describe import PlanSummary, summarise_plan
from prm_app.engine.plans import LIST_CONDITIONS
from tests.test_plans import FULL_PLAN

DESCRIBE = Path(__file__).resolve().parent.parent / "prm_app" / "engine" / "describe.py"


def plan(**changes):
	data = {
		"name": "Plan",
		"currency": "USD",
		"rules": [{"name": "All", "rate": "5"}],
		**changes,
	}
	return plan_from_dict(data)


def test_a_simple_plan_reads_as_a_sentence_per_fact():
	summary = summarise_plan(plan())
	assert isinstance(summary, PlanSummary)
	assert summary.intro == (
		"Commission is worked out on the net amount of each invoice line that grants commission.",
		"It is earned when the invoice is submitted; a credit note takes back the commission on what it "
		"returns.",
		"Each line is paid by the first rule below whose conditions all hold.",
	)
	[rule] = summary.rules
	assert (rule.name, rule.text, rule.details) == ("All", "Pays 5% of the net amount on every line.", ())


def test_brackets_limits_tiers_and_conditions_of_the_demo_plan():
	summary = summarise_plan(demo.demo_plan())
	text = summary.as_text()
	assert (
		"Brackets count the partner's volume per quarter: each slice of the volume is paid at its own" in text
	)
	assert "A partner's tier multiplies its commission: Gold ×1.25, Silver ×1.1." in text
	software = next(r for r in summary.rules if r.name == "Software")
	assert software.text == (
		"Pays a share of the net amount set by the volume brackets below on lines where the item group is "
		"Software or Subscriptions."
	)
	assert software.details == (
		"Volume up to 150,000.00 USD: 5%",
		"Volume from 150,000.00 USD to 500,000.00 USD: 7%",
		"Volume of 500,000.00 USD and above: 9%",
	)
	hardware = next(r for r in summary.rules if r.name == "Hardware")
	assert hardware.text == "Pays 3% of the net amount on lines where the item group is Hardware."
	assert hardware.details == ("At most 20,000.00 USD per quarter in all.",)
	deal = next(r for r in summary.rules if r.name == "Registered deal")
	assert deal.text.endswith("and the sale is a registered deal.")
	assert deal.details == ("At most 2,500.00 USD per invoice.",)
	# rules in the order they are tried
	assert [r.name for r in summary.rules] == [r.name for r in demo.demo_plan().rules]


def test_gross_margin_on_payment_step_brackets_flags_and_fixed_rates():
	summary = summarise_plan(plan_from_dict(FULL_PLAN))
	assert summary.intro[0].startswith("Commission is worked out on the gross margin")
	assert summary.intro[1].startswith("It is earned as the customer pays")
	assert "once a bracket is reached, the whole volume of the month is paid at its rate" in summary.intro[3]
	by_name = {r.name: r for r in summary.rules}
	assert by_name["New logos"].text == (
		"Pays 250.000 EUR per invoice on lines where the partner's tier is Gold and the customer is new "
		"and the sale is not a registered deal."
	)
	assert by_name["Licences"].text.startswith(
		"Pays 12.500 EUR per unit sold on lines where the item is LIC-1"
	)
	assert by_name["Licences"].details == (
		"At least 25.000 EUR per invoice.",
		"At most 1,000.000 EUR per invoice.",
	)
	assert (
		by_name["Everything else"].text
		== "Pays 2.25% of the gross margin on lines where the partner type is Reseller."
	)
	assert by_name["Hardware volume"].details[-2:] == (
		"Volume of 50,000.000 EUR and above: 10%",
		"At most 5,000.000 EUR per month in all.",
	)


def test_multipliers_of_one_and_plans_without_brackets_add_no_sentence():
	summary = summarise_plan(plan(tier_multipliers={"Silver": "1", "Gold": "1.2"}))
	assert summary.intro[-1] == "A partner's tier multiplies its commission: Gold ×1.2."
	assert not any("Brackets" in s for s in summary.intro)
	assert len(summarise_plan(plan(tier_multipliers={"Silver": "1"})).intro) == 3


def test_numbers_and_amounts_go_through_the_formatters_given():
	summary = summarise_plan(
		plan(rules=[{"name": "R", "rate": "2.5", "min_per_invoice": "10"}]),
		number=lambda d: str(d).replace(".", ","),
		money=lambda d: f"€ {d:.2f}".replace(".", ","),
	)
	assert summary.rules[0].text == "Pays 2,5% of the net amount on every line."
	assert summary.rules[0].details == ("At least € 10,00 per invoice.",)


def shouting(text: str) -> str:
	"""A translator that upper-cases the template but keeps its placeholders usable."""
	return text.upper()


def test_every_phrase_goes_through_the_translator_and_names_do_not():
	rich = plan_from_dict(FULL_PLAN)
	summary = summarise_plan(rich, shouting)
	names = set()
	for rule in rich.rules:
		names.add(rule.name)
		for field in LIST_CONDITIONS:
			names.update(getattr(rule, field))
	names.update(rich.tier_multipliers)
	text = summary.as_text()
	for rule in summary.rules:
		assert rule.name in names  # untouched
	stripped = text
	for name in sorted(names, key=len, reverse=True):
		stripped = stripped.replace(name, "")
	assert re.findall(r"[a-z]", stripped) == [], stripped
	# the names are still there as written (not upper-cased)
	assert "Hardware volume" in text and "Networking" in text and "Reseller" in text
	demo_text = summarise_plan(demo.demo_plan(), shouting).as_text()
	assert "VOLUME UP TO" in demo_text and "AND ABOVE" in demo_text


def test_every_phrase_is_a_literal_template():
	"""Each translated phrase is a literal ``_("...")`` call, so the catalogue extractor finds it."""
	tree = ast.parse(DESCRIBE.read_text(encoding="utf-8"))
	calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "_"]
	assert len(calls) > 30
	for call in calls:
		assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant), ast.unparse(call)


def test_the_default_leaves_the_cli_untouched():
	"""The CLI's own one-line descriptions are unchanged by the summary."""
	from prm_app.engine.cli import describe_rule

	p = plan(rules=[{"name": "R", "rate": "5", "cap_per_period": "100"}])
	assert describe_rule(p.rules[0], p) == "R (priority 10): 5% on any line; capped at 100.00 per quarter"
	assert summarise_plan(p).rules[0].details == ("At most 100.00 USD per quarter in all.",)
