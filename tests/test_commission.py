"""commission.py (and the stream runner): one invoice or credit note in, commission lines out.

Every amount is worked out by hand in the comments next to it; none is computed by calling the engine.
Brackets used most below: 0–10,000 at 5 %, 10,000–50,000 at 10 %, 50,000+ at 12 % (marginal) and
0–10,000 at 5 %, 10,000–50,000 at 8 %, 50,000+ at 10 % (step).
"""

import copy
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from prm_app.engine.commission import (
	CAP,
	COMMISSION,
	MAXIMUM,
	MINIMUM,
	REVERSAL,
	TRUE_UP,
	CommissionLine,
	Invoice,
	InvoiceLine,
	OriginalInvoice,
	PartnerState,
	compute_commission,
	line_base,
	make_invoice,
	state_from_lines,
)
from prm_app.engine.errors import CurrencyError, InvoiceError, StateError, UnknownInvoiceError
from prm_app.engine.money import BANKERS, COMMERCIAL, LEGACY
from prm_app.engine.plans import plan_from_dict
from prm_app.engine.simulate import run_stream

D = Decimal
PARTNER = "P-ACME"

MARGINAL3 = [
	{"from": 0, "to": 10000, "rate": 5},
	{"from": 10000, "to": 50000, "rate": 10},
	{"from": 50000, "rate": 12},
]
STEP3 = [
	{"from": 0, "to": 10000, "rate": 5},
	{"from": 10000, "to": 50000, "rate": 8},
	{"from": 50000, "rate": 10},
]
TWO = [{"from": 0, "to": 10000, "rate": 5}, {"from": 10000, "rate": 10}]


def plan_of(*rules, currency="USD", **options):
	return plan_from_dict({"name": "Test plan", "currency": currency, "rules": list(rules), **options})


def item(code, amount, qty=1, **values):
	return {"item_code": code, "base_net_amount": amount, "qty": qty, **values}


def sale(name, day, *lines, **values):
	values.setdefault("partner", PARTNER)
	return make_invoice(name=name, posting_date=day, lines=list(lines), **values)


def credit(name, day, against, *lines, **values):
	return sale(name, day, *lines, is_return=True, return_against=against, **values)


def check(result, *expected):
	"""The (kind, amount) of each line, in order, against hand-computed amounts."""
	assert [(ln.kind, ln.amount) for ln in result.lines] == [(kind, D(amount)) for kind, amount in expected]
	assert result.total == sum((D(amount) for _, amount in expected), D(0))


class Book:
	"""One partner's documents posted one after another, as the Frappe layer posts them."""

	def __init__(self, plan, state=None):
		self.plan = plan
		self.state = state or PartnerState()
		self.results = {}
		self.sales = {}
		self.returns = {}
		self.lines = []

	def post(self, invoice):
		original = None
		if invoice.is_return:
			source = self.sales[invoice.return_against]
			original = OriginalInvoice(
				source, self.results[source.name].lines, tuple(self.returns.get(source.name, ()))
			)
		result = compute_commission(self.plan, invoice, self.state, original)
		self.state = result.state
		self.results[invoice.name] = result
		self.lines.extend(result.lines)
		if invoice.is_return:
			self.returns.setdefault(invoice.return_against, []).append(invoice)
		else:
			self.sales[invoice.name] = invoice
		return result

	def total(self):
		return sum((ln.amount for ln in self.lines), D(0))


# --- rate types --------------------------------------------------------------------------------------------


def test_percentage_one_line_per_invoice_line():
	plan = plan_of({"name": "Products", "rate": "10"})
	invoice = sale(
		"INV-1",
		"2026-01-15",
		item("A", "1250.00", qty=5, item_group="Hardware"),
		item("B", "99.99", line_id="SII-0002"),
	)
	result = compute_commission(plan, invoice)
	check(result, (COMMISSION, "125.00"), (COMMISSION, "10.00"))  # 10% of 99.99 = 9.999 -> 10.00
	assert result.invoice == "INV-1"
	assert result.partner == PARTNER
	assert result.period == "2026-Q1"
	assert not result.is_clawback
	assert result.lines[0] == CommissionLine(
		invoice="INV-1",
		partner=PARTNER,
		kind=COMMISSION,
		rule="Products",
		period="2026-Q1",
		rate_type="percentage",
		rate=D(10),
		base=D("1250.00"),
		qty=D(5),
		amount=D("125.00"),
		explanation="10% of 1,250.00 (rule Products)",
		item_code="A",
		item_group="Hardware",
		line_key="1",
	)
	assert result.lines[1].line_key == "SII-0002"
	assert result.lines[1].explanation == "10% of 99.99 (rule Products)"


def test_per_unit():
	plan = plan_of({"name": "Units", "rate_type": "per_unit", "rate": "2.50"})
	result = compute_commission(
		plan,
		sale(
			"INV-1",
			"2026-01-15",
			item("A", "1000", qty=4),  # 4 x 2.50 = 10.00
			item("B", "30", qty=3),  # 3 x 2.50 = 7.50
			item("C", "10", qty="2.5"),  # 2.5 x 2.50 = 6.25
		),
	)
	check(result, (COMMISSION, "10.00"), (COMMISSION, "7.50"), (COMMISSION, "6.25"))
	first = result.lines[0]
	assert first.explanation == "2.50 per unit × 4 (rule Units)"
	assert (first.rate_type, first.rate, first.base, first.qty) == ("per_unit", D("2.50"), D(1000), D(4))
	assert result.lines[2].explanation == "2.50 per unit × 2.5 (rule Units)"


def test_per_unit_rate_with_more_decimals_is_rounded_per_line():
	plan = plan_of({"name": "Units", "rate_type": "per_unit", "rate": "1.255"})
	result = compute_commission(plan, sale("INV-1", "2026-01-15", item("A", "90", qty=3)))
	check(result, (COMMISSION, "3.77"))  # 3 x 1.255 = 3.765, a tie: legacy rounds it up
	assert result.lines[0].explanation == "1.255 per unit × 3 (rule Units)"


def test_per_invoice_one_line_per_invoice():
	plan = plan_of({"name": "Flat", "rate_type": "per_invoice", "rate": "25"})
	result = compute_commission(
		plan,
		sale("INV-1", "2026-01-15", item("A", "100"), item("B", "200", qty=2), item("C", "300", qty=3)),
	)
	check(result, (COMMISSION, "25.00"))
	(line,) = result.lines
	assert line.explanation == "25.00 per invoice (rule Flat)"
	assert (line.base, line.qty, line.rate) == (D(600), D(6), D(25))
	assert (line.line_key, line.item_code) == ("", "")


def test_per_invoice_rule_without_matching_lines_pays_nothing():
	plan = plan_of(
		{"name": "Flat", "rate_type": "per_invoice", "rate": "25", "match": {"item_group": "Services"}}
	)
	result = compute_commission(plan, sale("INV-1", "2026-01-15", item("A", "100", item_group="Hardware")))
	check(result)
	assert result.state == PartnerState()


# --- matching ----------------------------------------------------------------------------------------------

LINE_FIELDS = ("item_code", "item_group", "brand")

CONDITIONS = [
	("item_code", ["SKU-1", "SKU-2"], {"item_code": "SKU-2"}, {"item_code": "SKU-3"}),
	("item_group", ["Hardware"], {"item_group": "Hardware"}, {"item_group": "Software"}),
	("brand", ["Acme", "Globex"], {"brand": "Acme"}, {"brand": "Initech"}),
	("territory", ["EU", "UK"], {"territory": "UK"}, {"territory": "US"}),
	("customer_group", ["Retail"], {"customer_group": "Retail"}, {"customer_group": "Government"}),
	("partner_tier", ["Gold"], {"partner_tier": "Gold"}, {"partner_tier": "Silver"}),
	("partner_type", ["Reseller"], {"partner_type": "Reseller"}, {"partner_type": "Referral"}),
	("new_customer", True, {"new_customer": True}, {"new_customer": False}),
	("new_customer", False, {"new_customer": False}, {"new_customer": True}),
	("registered_deal", True, {"registered_deal": True}, {"registered_deal": False}),
	("registered_deal", False, {"registered_deal": False}, {"registered_deal": True}),
]


def _invoice_with(values):
	line = item("SKU-9", "1000.00", item_group="Other", brand="Other")
	line.update({k: v for k, v in values.items() if k in LINE_FIELDS})
	return sale("INV-1", "2026-02-01", line, **{k: v for k, v in values.items() if k not in LINE_FIELDS})


@pytest.mark.parametrize("condition, allowed, matching, other", CONDITIONS)
def test_every_match_condition(condition, allowed, matching, other):
	plan = plan_of(
		{"name": "Special", "priority": 1, "rate": "20", "match": {condition: allowed}},
		{"name": "Base", "priority": 2, "rate": "5"},
	)
	hit = compute_commission(plan, _invoice_with(matching))
	assert [(ln.rule, ln.amount) for ln in hit.lines] == [("Special", D("200.00"))]  # 20% of 1,000
	miss = compute_commission(plan, _invoice_with(other))
	assert [(ln.rule, ln.amount) for ln in miss.lines] == [("Base", D("50.00"))]  # 5% of 1,000


def test_empty_conditions_match_anything():
	plan = plan_of({"name": "Any", "rate": "10", "match": {"territory": [], "item_group": "", "brand": None}})
	invoice = sale(
		"INV-1",
		"2026-02-01",
		item("X", "100", item_group="Whatever", brand="Whoever"),
		territory="Mars",
		customer_group="Aliens",
		partner_tier="Unobtainium",
		new_customer=True,
		registered_deal=True,
	)
	check(compute_commission(plan, invoice), (COMMISSION, "10.00"))


def test_all_conditions_of_a_rule_must_hold():
	plan = plan_of(
		{
			"name": "EU hardware",
			"priority": 1,
			"rate": "20",
			"match": {"item_group": "Hardware", "territory": "EU"},
		},
		{"name": "Base", "priority": 2, "rate": "5"},
	)
	in_eu = compute_commission(
		plan, sale("INV-1", "2026-02-01", item("A", "100", item_group="Hardware"), territory="EU")
	)
	in_us = compute_commission(
		plan, sale("INV-2", "2026-02-01", item("A", "100", item_group="Hardware"), territory="US")
	)
	assert [ln.rule for ln in in_eu.lines] == ["EU hardware"]
	assert [ln.rule for ln in in_us.lines] == ["Base"]


def test_first_match_wins_by_priority_then_position():
	plan = plan_of(
		{"name": "General", "priority": 20, "rate": "5"},
		{"name": "Hardware", "priority": 10, "rate": "12", "match": {"item_group": "Hardware"}},
		{"name": "Promo", "priority": 10, "rate": "15", "match": {"item_code": "SKU-1"}},
		{"name": "Initech", "priority": 1, "rate": "20", "match": {"brand": "Initech"}},
	)
	invoice = sale(
		"INV-1",
		"2026-02-01",
		item("SKU-1", "1000", item_group="Hardware", brand="Acme"),  # Hardware (listed before Promo)
		item("SKU-1", "1000", item_group="Software", brand="Acme"),  # Promo
		item("SKU-9", "1000", item_group="Software", brand="Acme"),  # General
		item("SKU-1", "1000", item_group="Hardware", brand="Initech"),  # Initech (priority 1)
	)
	result = compute_commission(plan, invoice)
	# lines come in rule evaluation order; every invoice line is commissioned exactly once
	assert [(ln.rule, ln.line_key, ln.amount) for ln in result.lines] == [
		("Initech", "4", D("200.00")),
		("Hardware", "1", D("120.00")),
		("Promo", "2", D("150.00")),
		("General", "3", D("50.00")),
	]
	assert result.total == D("520.00")


def test_no_matching_rule_pays_nothing_and_keeps_the_state():
	plan = plan_of({"name": "Hardware", "rate": "10", "match": {"item_group": "Hardware"}})
	state = PartnerState(volume={("X", "2026-Q1"): D(5)})
	result = compute_commission(
		plan, sale("INV-1", "2026-02-01", item("A", "100", item_group="Software")), state
	)
	check(result)
	assert result.state is state


def test_lines_without_grant_commission_are_excluded():
	plan = plan_of({"name": "Products", "rate": "10"})
	result = compute_commission(
		plan,
		sale("INV-1", "2026-02-01", item("A", "1000"), item("FREIGHT", "5000", grant_commission=False)),
	)
	check(result, (COMMISSION, "100.00"))
	assert result.lines[0].item_code == "A"


def test_lines_without_grant_commission_do_not_count_towards_bracket_volume():
	plan = plan_of({"name": "Products", "brackets": TWO})
	book = Book(plan)
	first = book.post(
		sale("INV-1", "2026-02-01", item("A", "9000"), item("FREIGHT", "5000", grant_commission=False))
	)
	check(first, (COMMISSION, "450.00"))  # 5% of 9,000 only
	assert book.state.volume == {("Products", "2026-Q1"): D(9000)}
	second = book.post(sale("INV-2", "2026-02-02", item("A", "2000")))
	check(second, (COMMISSION, "50.00"), (COMMISSION, "100.00"))  # 1,000 at 5% + 1,000 at 10%


# --- gross margin ------------------------------------------------------------------------------------------


def test_gross_margin_basis():
	plan = plan_of({"name": "Products", "rate": "10"}, basis="gross_margin")
	result = compute_commission(
		plan,
		sale(
			"INV-1",
			"2026-02-01",
			item("A", "1000", cost="600"),  # margin 400 -> 40.00
			item("B", "500", cost="650"),  # sold below cost: margin never below zero -> 0.00
			item("C", "300", grant_commission=False),  # no cost needed when not commissioned
		),
	)
	check(result, (COMMISSION, "40.00"), (COMMISSION, "0.00"))
	assert result.lines[0].base == D(400)
	assert result.lines[0].explanation == "10% of 400.00 (rule Products)"
	assert result.lines[1].base == D(0)


def test_gross_margin_needs_a_cost():
	plan = plan_of({"name": "Products", "rate": "10"}, basis="gross_margin")
	with pytest.raises(InvoiceError) as info:
		compute_commission(plan, sale("INV-1", "2026-02-01", item("A", "1000", cost="1"), item("B", "500")))
	assert (
		str(info.value) == "invoice INV-1 line 2 (B) has no cost, but plan 'Test plan' pays on gross margin"
	)
	# a net-amount plan does not need one
	net = plan_of({"name": "Products", "rate": "10"})
	check(compute_commission(net, sale("INV-1", "2026-02-01", item("B", "500"))), (COMMISSION, "50.00"))


def test_line_base():
	margin = plan_of({"name": "R", "rate": "1"}, basis="gross_margin")
	net = plan_of({"name": "R", "rate": "1"})
	line = InvoiceLine("A", D("1000"), cost=D("600"))
	assert line_base(net, line) == D(1000)
	assert line_base(margin, line) == D(400)
	assert line_base(margin, InvoiceLine("A", D("500"), cost=D("650"))) == D(0)
	# on a credit note (amount, qty and cost negative) the margin is never above zero
	assert line_base(margin, InvoiceLine("A", D("-500"), qty=D(-1), cost=D("-300"))) == D(-200)
	assert line_base(margin, InvoiceLine("A", D("-500"), qty=D(-1), cost=D("-650"))) == D(0)


def test_gross_margin_return():
	plan = plan_of({"name": "Products", "rate": "10"}, basis="gross_margin")
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-02-01", item("A", "1000", qty=2, cost="600"))), (COMMISSION, "40.00"))
	cn = book.post(credit("CN-1", "2026-02-05", "INV-1", item("A", "-500", qty=-1, cost="-300")))
	check(cn, (REVERSAL, "-20.00"))  # margin 200 of 400 returned: half of 40.00
	assert cn.lines[0].explanation == "Return of 50% of the 40.00 commission on INV-1 (rule Products)"
	assert cn.lines[0].base == D(-200)


# --- tier multipliers --------------------------------------------------------------------------------------

TIER_RULES = (
	{"name": "Percent", "rate": "10", "match": {"item_group": "Hardware"}},
	{"name": "Units", "rate_type": "per_unit", "rate": "2.50", "match": {"item_group": "Licences"}},
	{"name": "Flat", "rate_type": "per_invoice", "rate": "25", "match": {"item_group": "Services"}},
)
TIER_LINES = (
	item("HW", "1000", item_group="Hardware"),
	item("LIC", "200", qty=2, item_group="Licences"),
	item("SRV", "400", item_group="Services"),
)


def test_tier_multiplier_scales_every_rate_type():
	plan = plan_of(*TIER_RULES, tier_multipliers={"Gold": "1.5", "Silver": "1.25"})
	gold = compute_commission(plan, sale("INV-1", "2026-02-01", *TIER_LINES, partner_tier="Gold"))
	# 10% of 1,000 x 1.5 = 150; 2 x 2.50 x 1.5 = 7.50; 25 x 1.5 = 37.50
	check(gold, (COMMISSION, "150.00"), (COMMISSION, "7.50"), (COMMISSION, "37.50"))
	assert [ln.explanation for ln in gold.lines] == [
		"10% of 1,000.00 × 1.5 (tier Gold) (rule Percent)",
		"2.50 per unit × 2 × 1.5 (tier Gold) (rule Units)",
		"25.00 per invoice × 1.5 (tier Gold) (rule Flat)",
	]
	# a tier the plan does not list is paid at 1
	platinum = compute_commission(plan, sale("INV-2", "2026-02-01", *TIER_LINES, partner_tier="Platinum"))
	check(platinum, (COMMISSION, "100.00"), (COMMISSION, "5.00"), (COMMISSION, "25.00"))
	assert platinum.lines[0].explanation == "10% of 1,000.00 (rule Percent)"


def test_tier_multiplier_is_applied_before_the_one_rounding():
	# 10% of 18.76 x 1.25 = 2.345 -> banker's 2.34 (rounding 1.876 first would give 1.88 x 1.25 = 2.35)
	plan = plan_of({"name": "P", "rate": "10"}, tier_multipliers={"Silver": "1.25"}, rounding_method=BANKERS)
	result = compute_commission(plan, sale("INV-1", "2026-02-01", item("A", "18.76"), partner_tier="Silver"))
	check(result, (COMMISSION, "2.34"))


def test_tier_multiplier_on_brackets():
	plan = plan_of({"name": "Products", "brackets": TWO}, tier_multipliers={"Gold": "1.5"})
	result = compute_commission(plan, sale("INV-1", "2026-02-01", item("A", "12000"), partner_tier="Gold"))
	# 10,000 x 5% x 1.5 = 750; 2,000 x 10% x 1.5 = 300
	check(result, (COMMISSION, "750.00"), (COMMISSION, "300.00"))
	assert result.lines[1].explanation == "10% of 2,000.00 × 1.5 (tier Gold) (rule Products, bracket 10,000+)"


# --- marginal brackets -------------------------------------------------------------------------------------


def test_marginal_brackets_split_the_invoice_that_crosses_a_threshold():
	plan = plan_of({"name": "Products", "brackets": MARGINAL3}, bracket_mode="marginal")
	book = Book(plan)

	first = book.post(sale("INV-1", "2026-01-15", item("A", "8000.00", qty=8)))
	check(first, (COMMISSION, "400.00"))  # 5% of 8,000
	assert first.lines[0].explanation == "5% of 8,000.00 (rule Products, bracket 0–10,000)"
	assert (first.lines[0].bracket, first.lines[0].base, first.lines[0].qty) == ("0–10,000", D(8000), D(8))

	# 8,000 -> 11,250: 2,000 at 5% = 100.00 and 1,250 at 10% = 125.00
	second = book.post(sale("INV-2", "2026-02-10", item("B", "3250.00", qty=2)))
	check(second, (COMMISSION, "100.00"), (COMMISSION, "125.00"))
	low, high = second.lines
	assert low.explanation == "5% of 2,000.00 (rule Products, bracket 0–10,000)"
	assert high.explanation == "10% of 1,250.00 (rule Products, bracket 10,000–50,000)"
	assert (low.base, low.rate, low.qty) == (D(2000), D(5), D(2))
	assert (high.base, high.rate, high.qty) == (D(1250), D(10), D(0))  # the quantity is counted once
	assert low.line_key == high.line_key == "1"
	assert low.item_code == high.item_code == "B"

	# 11,250 -> 51,250: 38,750 at 10% = 3,875.00 and 1,250 at 12% = 150.00
	third = book.post(sale("INV-3", "2026-03-05", item("C", "40000")))
	check(third, (COMMISSION, "3875.00"), (COMMISSION, "150.00"))
	assert third.lines[1].explanation == "12% of 1,250.00 (rule Products, bracket 50,000+)"

	assert book.state.volume == {("Products", "2026-Q1"): D(51250)}
	assert book.total() == D("4650.00")  # 500 + 4,000 + 150: the marginal commission of 51,250


def test_marginal_line_crossing_two_thresholds():
	plan = plan_of({"name": "Products", "brackets": MARGINAL3})
	result = compute_commission(plan, sale("INV-1", "2026-01-15", item("A", "60000")))
	# 10,000 at 5% + 40,000 at 10% + 10,000 at 12%
	check(result, (COMMISSION, "500.00"), (COMMISSION, "4000.00"), (COMMISSION, "1200.00"))
	assert [ln.bracket for ln in result.lines] == ["0–10,000", "10,000–50,000", "50,000+"]


def test_marginal_lines_of_one_invoice_move_the_volume_in_order():
	plan = plan_of({"name": "Products", "brackets": MARGINAL3})
	state = PartnerState(volume={("Products", "2026-Q1"): D(9000)})
	result = compute_commission(plan, sale("INV-1", "2026-01-15", item("A", "500"), item("B", "1000")), state)
	# A: 9,000 -> 9,500 at 5% = 25.00; B: 9,500 -> 10,500: 500 at 5% = 25.00, 500 at 10% = 50.00
	check(result, (COMMISSION, "25.00"), (COMMISSION, "25.00"), (COMMISSION, "50.00"))
	assert [ln.line_key for ln in result.lines] == ["1", "2", "2"]
	assert result.state.volume == {("Products", "2026-Q1"): D(10500)}


# --- step brackets -----------------------------------------------------------------------------------------


def test_step_brackets_true_up_over_three_invoices():
	plan = plan_of({"name": "Products", "brackets": STEP3}, bracket_mode="step")
	book = Book(plan)

	first = book.post(sale("INV-1", "2026-01-10", item("A", "6000")))
	check(first, (COMMISSION, "300.00"))  # 6,000 at 5%
	assert first.lines[0].explanation == "5% of 6,000.00 (rule Products, bracket 0–10,000)"

	# volume 13,000 reaches 8%: 7,000 at 8% = 560.00, and the 6,000 already paid at 5% gets 3% more = 180.00
	second = book.post(sale("INV-2", "2026-02-10", item("B", "7000")))
	check(second, (COMMISSION, "560.00"), (TRUE_UP, "180.00"))
	line, true_up = second.lines
	assert line.explanation == "8% of 7,000.00 (rule Products, bracket 10,000–50,000)"
	assert true_up.explanation == (
		"True-up: 6,000.00 already in the 2026-Q1 volume moves from 5% to 8% "
		"(rule Products, bracket 10,000–50,000)"
	)
	assert (true_up.rate, true_up.base, true_up.qty) == (D(3), D(6000), D(0))
	assert (true_up.line_key, true_up.item_code, true_up.bracket) == ("", "", "10,000–50,000")

	# volume 53,000 reaches 10%: 40,000 at 10% = 4,000.00; the 13,000 before gets 2% more = 260.00
	third = book.post(sale("INV-3", "2026-03-10", item("C", "40000")))
	check(third, (COMMISSION, "4000.00"), (TRUE_UP, "260.00"))
	assert third.lines[1].explanation == (
		"True-up: 13,000.00 already in the 2026-Q1 volume moves from 8% to 10% (rule Products, bracket 50,000+)"
	)
	assert book.total() == D("5300.00")  # 53,000 at 10%

	# staying in the bracket: no true-up
	fourth = book.post(sale("INV-4", "2026-03-20", item("D", "1000")))
	check(fourth, (COMMISSION, "100.00"))
	assert book.state.volume == {("Products", "2026-Q1"): D(54000)}

	# a new quarter starts again at 5%, without a true-up
	fifth = book.post(sale("INV-5", "2026-04-01", item("E", "1000")))
	check(fifth, (COMMISSION, "50.00"))
	assert fifth.period == "2026-Q2"


def test_step_threshold_belongs_to_the_bracket_it_opens():
	plan = plan_of({"name": "Products", "brackets": STEP3}, bracket_mode="step")
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-10", item("A", "6000")))
	# 6,000 -> exactly 10,000: 4,000 at 8% = 320.00, true-up 6,000 x 3% = 180.00
	check(
		book.post(sale("INV-2", "2026-01-11", item("B", "4000"))), (COMMISSION, "320.00"), (TRUE_UP, "180.00")
	)


def test_step_maximum_per_invoice_does_not_count_the_true_up():
	plan = plan_of({"name": "Products", "brackets": STEP3, "max_per_invoice": "500"}, bracket_mode="step")
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-10", item("A", "6000")))
	second = book.post(sale("INV-2", "2026-02-10", item("B", "7000")))
	# the line is 560.00 (above 500: lowered by 60.00); the true-up of 180.00 is left alone
	check(second, (COMMISSION, "560.00"), (TRUE_UP, "180.00"), (MAXIMUM, "-60.00"))


# --- periods -----------------------------------------------------------------------------------------------

PERIOD_DATES = ("2026-01-31", "2026-02-01", "2026-04-01", "2027-01-04")


@pytest.mark.parametrize(
	"period, expected",
	[
		# 800 each; brackets 0–1,000 at 5%, 1,000+ at 10%
		("month", [("2026-01", "40"), ("2026-02", "40"), ("2026-04", "40"), ("2027-01", "40")]),
		# 800 -> 1,600 in the same quarter: 200 at 5% + 600 at 10% = 70
		("quarter", [("2026-Q1", "40"), ("2026-Q1", "70"), ("2026-Q2", "40"), ("2027-Q1", "40")]),
		# 1,600 -> 2,400 in the same year: 800 at 10% = 80
		("year", [("2026", "40"), ("2026", "70"), ("2026", "80"), ("2027", "40")]),
	],
)
def test_volume_resets_at_the_period_boundary(period, expected):
	plan = plan_of(
		{"name": "Products", "brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 10}]},
		period=period,
	)
	book = Book(plan)
	got = []
	for i, day in enumerate(PERIOD_DATES, start=1):
		result = book.post(sale(f"INV-{i}", day, item("A", "800")))
		got.append((result.period, result.total))
		assert {ln.period for ln in result.lines} == {result.period}
	assert got == [(key, D(total)) for key, total in expected]
	assert set(book.state.volume) == {("Products", key) for key, _ in expected}


# --- minimum and maximum per invoice ------------------------------------------------------------------------


def test_minimum_and_maximum_per_invoice():
	plan = plan_of({"name": "Products", "rate": "10", "min_per_invoice": "25", "max_per_invoice": "100"})
	low = compute_commission(plan, sale("INV-1", "2026-01-10", item("A", "100")))
	check(low, (COMMISSION, "10.00"), (MINIMUM, "15.00"))
	assert low.lines[1].explanation == "Raised from 10.00 to the minimum of 25.00 per invoice (rule Products)"
	assert (low.lines[1].line_key, low.lines[1].base, low.lines[1].rate) == ("", D(0), D(0))

	high = compute_commission(plan, sale("INV-2", "2026-01-10", item("A", "2000")))
	check(high, (COMMISSION, "200.00"), (MAXIMUM, "-100.00"))
	assert (
		high.lines[1].explanation
		== "Lowered from 200.00 to the maximum of 100.00 per invoice (rule Products)"
	)

	check(compute_commission(plan, sale("INV-3", "2026-01-10", item("A", "500"))), (COMMISSION, "50.00"))
	# exactly the minimum or the maximum: no adjustment
	check(compute_commission(plan, sale("INV-4", "2026-01-10", item("A", "250"))), (COMMISSION, "25.00"))
	check(compute_commission(plan, sale("INV-5", "2026-01-10", item("A", "1000"))), (COMMISSION, "100.00"))


def test_minimum_counts_all_lines_of_the_rule_on_the_invoice_after_the_multiplier():
	plan = plan_of(
		{"name": "Products", "rate": "10", "min_per_invoice": "25", "match": {"item_group": "Hardware"}},
		{"name": "Other", "rate": "1"},
		tier_multipliers={"Gold": "1.5"},
	)
	result = compute_commission(
		plan,
		sale(
			"INV-1",
			"2026-01-10",
			item("A", "100", item_group="Hardware"),  # 10 x 1.5 = 15.00
			item("B", "50", item_group="Hardware"),  # 5 x 1.5 = 7.50
			item("C", "100", item_group="Software"),  # Other: 1 x 1.5 = 1.50, no minimum
			partner_tier="Gold",
		),
	)
	check(result, (COMMISSION, "15.00"), (COMMISSION, "7.50"), (MINIMUM, "2.50"), (COMMISSION, "1.50"))


def test_minimum_applies_per_invoice():
	plan = plan_of({"name": "Products", "rate": "10", "min_per_invoice": "25"})
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-01-10", item("A", "100"))), (COMMISSION, "10.00"), (MINIMUM, "15.00"))
	check(book.post(sale("INV-2", "2026-01-11", item("A", "200"))), (COMMISSION, "20.00"), (MINIMUM, "5.00"))


# --- cap per period ----------------------------------------------------------------------------------------


def test_cap_per_period_and_a_return_after_the_cap_was_hit():
	plan = plan_of({"name": "Products", "rate": "10", "cap_per_period": "100"})
	book = Book(plan)
	check(book.post(sale("INV-A", "2026-01-10", item("A", "800"))), (COMMISSION, "80.00"))
	# earned 80 + 50 = 130: held to 100
	b = book.post(sale("INV-B", "2026-02-10", item("B", "500")))
	check(b, (COMMISSION, "50.00"), (CAP, "-30.00"))
	assert b.lines[1].explanation == (
		"Cap of 100.00 per quarter (2026-Q1): earned 100.00 of 130.00 (rule Products)"
	)
	# earned 160: the whole 30 is held back
	check(book.post(sale("INV-C", "2026-03-01", item("C", "300"))), (COMMISSION, "30.00"), (CAP, "-30.00"))
	assert book.state.earned == {("Products", "2026-Q1"): D(160)}

	# returning A: earned falls to 80, under the cap, so 60 of what was held back is paid now
	cn = book.post(credit("CN-A", "2026-03-20", "INV-A", item("A", "-800", qty=-1)))
	check(cn, (REVERSAL, "-80.00"), (CAP, "60.00"))
	assert (
		cn.lines[1].explanation
		== "Cap of 100.00 per quarter (2026-Q1): earned 80.00 of 80.00 (rule Products)"
	)
	assert book.state.earned == {("Products", "2026-Q1"): D(80)}
	assert book.total() == D("80.00")  # 10% of B and C


def test_a_return_that_stays_above_the_cap_claws_nothing_back():
	plan = plan_of({"name": "Products", "rate": "10", "cap_per_period": "100"})
	book = Book(plan)
	book.post(sale("INV-A", "2026-01-10", item("A", "800")))
	book.post(sale("INV-B", "2026-02-10", item("B", "500", qty=2)))
	book.post(sale("INV-C", "2026-03-01", item("C", "300")))
	# earned 160 -> 135: still above the cap of 100
	cn = book.post(credit("CN-B", "2026-03-20", "INV-B", item("B", "-250", qty=-1)))
	check(cn, (REVERSAL, "-25.00"), (CAP, "25.00"))
	assert book.state.earned == {("Products", "2026-Q1"): D(135)}
	assert book.total() == D("100.00")


def test_cap_resets_each_period():
	plan = plan_of({"name": "Products", "rate": "10", "cap_per_period": "100"})
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-03-31", item("A", "1500"))), (COMMISSION, "150.00"), (CAP, "-50.00"))
	check(book.post(sale("INV-2", "2026-04-01", item("A", "500"))), (COMMISSION, "50.00"))


def test_cap_counts_minimum_and_true_up():
	plan = plan_of(
		{"name": "Products", "brackets": TWO, "cap_per_period": "700", "min_per_invoice": "20"},
		bracket_mode="step",
	)
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-01-10", item("A", "100"))), (COMMISSION, "5.00"), (MINIMUM, "15.00"))
	# 100 -> 10,100 at 10%: 1,000.00 + true-up 100 x 5% = 5.00; earned 20 + 1,005 = 1,025, cap 700: -325
	check(
		book.post(sale("INV-2", "2026-01-11", item("B", "10000"))),
		(COMMISSION, "1000.00"),
		(TRUE_UP, "5.00"),
		(CAP, "-325.00"),
	)


# --- returns: full returns net to zero ---------------------------------------------------------------------

FULL_RETURN_CASES = {
	# 10% of 1,234.55 = 123.455 -> 123.46; of 0.05 = 0.005 -> 0.01; of 99.99 = 9.999 -> 10.00
	"percentage": (
		{"name": "R", "rate": "10"},
		{},
		[("A", "1234.55", 1), ("B", "0.05", 1), ("C", "99.99", 3)],
		"133.47",
	),
	# 1.255 -> 1.26 (tie, up), 1.26, 3 x 1.255 = 3.765 -> 3.77
	"per_unit": (
		{"name": "R", "rate_type": "per_unit", "rate": "1.255"},
		{},
		[("A", "10", 1), ("B", "10", 1), ("C", "30", 3)],
		"6.29",
	),
	"per_invoice": (
		{"name": "R", "rate_type": "per_invoice", "rate": "25"},
		{},
		[("A", "100", 1), ("B", "200", 2)],
		"25.00",
	),
	# x 1.5: 185.1825 -> 185.18; 0.0075 -> 0.01; 14.9985 -> 15.00
	"percentage, Gold tier": (
		{"name": "R", "rate": "10"},
		{"tier_multipliers": {"Gold": "1.5"}},
		[("A", "1234.55", 1), ("B", "0.05", 1), ("C", "99.99", 3)],
		"200.19",
	),
	# 10% of 2,000 = 200 lowered to 100 by the maximum
	"percentage with maximum": (
		{"name": "R", "rate": "10", "max_per_invoice": "100"},
		{},
		[("A", "1500", 1), ("B", "500", 1)],
		"100.00",
	),
	# 10% of 90 = 9 raised to 25 by the minimum
	"percentage with minimum": (
		{"name": "R", "rate": "10", "min_per_invoice": "25"},
		{},
		[("A", "60", 2), ("B", "30", 1)],
		"25.00",
	),
	# A 0.05 at 5% = 0.0025 -> 0.00; B 0.05 -> 1,000.04: 999.95 at 5% = 49.9975 -> 50.00 and 0.04 at 10%
	# = 0.004 -> 0.00; C 1,000.04 -> 2,234.59 at 10% = 123.455 -> 123.46
	"marginal brackets": (
		{"name": "R", "brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 10}]},
		{"bracket_mode": "marginal"},
		[("A", "0.05", 1), ("B", "999.99", 1), ("C", "1234.55", 1)],
		"173.46",
	),
	# A 0.0025 -> 0.00; B reaches 10%: 99.999 -> 100.00, true-up 0.05 x 5% -> 0.00; C 123.455 -> 123.46
	"step brackets": (
		{"name": "R", "brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 10}]},
		{"bracket_mode": "step"},
		[("A", "0.05", 1), ("B", "999.99", 1), ("C", "1234.55", 1)],
		"223.46",
	),
}


@pytest.mark.parametrize("method", [LEGACY, BANKERS, COMMERCIAL])
@pytest.mark.parametrize("case", list(FULL_RETURN_CASES))
def test_a_full_return_nets_to_exactly_zero(case, method):
	rule, options, lines, total = FULL_RETURN_CASES[case]
	plan = plan_of(rule, rounding_method=method, **options)
	book = Book(plan)
	original = book.post(
		sale("INV-1", "2026-01-10", *(item(c, a, q) for c, a, q in lines), partner_tier="Gold")
	)
	if method == LEGACY:
		assert original.total == D(total)
	# the credit note lists the lines in the original's order, as ERPNext makes it
	cn = book.post(credit("CN-1", "2026-01-20", "INV-1", *(item(c, f"-{a}", -q) for c, a, q in lines)))
	assert cn.total == -original.total
	assert cn.is_clawback or original.total == 0
	assert book.total() == 0
	assert all(ln.period == "2026-Q1" and ln.against == "INV-1" for ln in cn.lines)
	assert all(v == 0 for v in book.state.volume.values())
	if "brackets" in rule:
		# the credit note mirrors the original's slices and true-ups, each to the cent
		assert sorted(-ln.amount for ln in cn.lines) == sorted(ln.amount for ln in original.lines)


def test_full_return_of_a_multi_line_bracket_invoice_mirrors_its_slices():
	plan = plan_of({"name": "Products", "brackets": TWO}, bracket_mode="marginal")
	book = Book(plan)
	lines = [("X", "8000.05"), ("Y", "3333.33"), ("Z", "1234.57")]
	original = book.post(sale("INV-1", "2026-01-10", *(item(c, a) for c, a in lines)))
	# X 0 -> 8,000.05 at 5% = 400.0025 -> 400.00
	# Y 8,000.05 -> 11,333.38: 1,999.95 at 5% = 99.9975 -> 100.00; 1,333.38 at 10% = 133.338 -> 133.34
	# Z 11,333.38 -> 12,567.95 at 10% = 123.457 -> 123.46
	check(
		original,
		(COMMISSION, "400.00"),
		(COMMISSION, "100.00"),
		(COMMISSION, "133.34"),
		(COMMISSION, "123.46"),
	)
	cn = book.post(credit("CN-1", "2026-01-20", "INV-1", *(item(c, f"-{a}", -1) for c, a in lines)))
	# undone last in, first out: Z, then Y's two slices from the top, then X
	check(
		cn, (COMMISSION, "-123.46"), (COMMISSION, "-133.34"), (COMMISSION, "-100.00"), (COMMISSION, "-400.00")
	)
	assert [ln.item_code for ln in cn.lines] == ["Z", "Y", "Y", "X"]
	assert cn.lines[1].explanation == "10% of -1,333.38 (rule Products, bracket 10,000+)"
	assert (cn.lines[1].base, cn.lines[1].qty, cn.lines[2].qty) == (D("-1333.38"), D(-1), D(0))
	assert book.state.volume == {("Products", "2026-Q1"): D(0)}


def test_full_return_of_a_multi_line_step_invoice_mirrors_its_true_up():
	plan = plan_of({"name": "Products", "brackets": TWO}, bracket_mode="step")
	book = Book(plan)
	lines = [("X", "8000.05"), ("Y", "3333.33"), ("Z", "1234.57")]
	original = book.post(sale("INV-1", "2026-01-10", *(item(c, a) for c, a in lines)))
	# rounded on the running total: X 0 -> 8,000.05 at 5% = 400.0025 -> 400.00; Y at 10%: 1,133.338 -> 1,133.34
	# less 800.005 -> 800.01 = 333.33; its true-up 800.01 - 400.00 = 400.01 (8,000.05 x 5% alone would
	# round to 400.00); Z 1,256.795 -> 1,256.80 less 1,133.34 = 123.46. The invoice earns 1,256.80, the
	# rounded 10% of its 12,567.95
	check(
		original,
		(COMMISSION, "400.00"),
		(COMMISSION, "333.33"),
		(TRUE_UP, "400.01"),
		(COMMISSION, "123.46"),
	)
	assert original.total == D("1256.80")
	assert original.lines[2].explanation == (
		"True-up: 8,000.05 already in the 2026-Q1 volume moves from 5% to 10% (rule Products, "
		"bracket 10,000+) (rounded on the period's running total)"
	)
	cn = book.post(credit("CN-1", "2026-01-20", "INV-1", *(item(c, f"-{a}", -1) for c, a in lines)))
	check(cn, (COMMISSION, "-123.46"), (COMMISSION, "-333.33"), (TRUE_UP, "-400.01"), (COMMISSION, "-400.00"))
	assert cn.lines[2].explanation == (
		"True-up: 8,000.05 already in the 2026-Q1 volume moves from 10% to 5% (rule Products, "
		"bracket 0–10,000) (rounded on the period's running total)"
	)
	assert cn.lines[2].rate == D(-5)


# --- returns: partial and several credit notes -------------------------------------------------------------


def test_partial_return_is_proportional_per_item():
	plan = plan_of(
		{"name": "Hardware", "rate": "10", "match": {"item_group": "Hardware"}},
		{"name": "Licences", "rate_type": "per_unit", "rate": "2.50", "match": {"item_group": "Licences"}},
	)
	book = Book(plan)
	original = book.post(
		sale(
			"INV-1",
			"2026-01-10",
			item("A", "1000", qty=4, item_group="Hardware"),  # 100.00
			item("B", "300", qty=2, item_group="Hardware"),  # 30.00
			item("L", "400", qty=4, item_group="Licences"),  # 10.00
		)
	)
	check(original, (COMMISSION, "100.00"), (COMMISSION, "30.00"), (COMMISSION, "10.00"))
	cn = book.post(
		credit(
			"CN-1",
			"2026-02-01",
			"INV-1",
			item("A", "-250", qty=-1, item_group="Hardware"),
			item("L", "-100", qty=-1, item_group="Licences"),
		)
	)
	check(cn, (REVERSAL, "-25.00"), (REVERSAL, "-2.50"))  # a quarter of A's 100.00 and of L's 10.00
	a, lic = cn.lines
	assert a.explanation == "Return of 25% of the 100.00 commission on INV-1 (rule Hardware)"
	assert lic.explanation == "Return of 25% of the 10.00 commission on INV-1 (rule Licences)"
	assert (a.rule, a.line_key, a.item_code, a.base, a.qty, a.rate, a.against) == (
		"Hardware",
		"1",
		"A",
		D(-250),
		D(-1),
		D(10),
		"INV-1",
	)
	assert (lic.rule, lic.line_key, lic.rate_type, lic.base, lic.qty) == (
		"Licences",
		"3",
		"per_unit",
		D(-100),
		D(-1),
	)
	assert cn.period == "2026-Q1"


def _thirds(plan, original_lines, credit_lines, tier=""):
	book = Book(plan)
	original = book.post(sale("INV-1", "2026-01-10", *original_lines, partner_tier=tier))
	notes = [
		book.post(credit(f"CN-{i}", f"2026-02-0{i}", "INV-1", *lines))
		for i, lines in enumerate(credit_lines, 1)
	]
	return book, original, notes


def test_three_partial_returns_of_a_percentage_line_net_to_exactly_zero():
	plan = plan_of({"name": "Products", "rate": "10"})
	thirds = [[item("A", "-33.33", qty=-1)], [item("A", "-33.33", qty=-1)], [item("A", "-33.34", qty=-1)]]
	book, original, notes = _thirds(plan, [item("A", "100.00", qty=3)], thirds)
	check(original, (COMMISSION, "10.00"))
	# cumulative shares of 10.00: 3.333 -> 3.33, 6.666 -> 6.67, 10.00
	check(notes[0], (REVERSAL, "-3.33"))
	check(notes[1], (REVERSAL, "-3.34"))
	check(notes[2], (REVERSAL, "-3.33"))
	assert (
		notes[0].lines[0].explanation == "Return of 33.33% of the 10.00 commission on INV-1 (rule Products)"
	)
	assert (
		notes[2].lines[0].explanation == "Return of 33.34% of the 10.00 commission on INV-1 (rule Products)"
	)
	assert book.total() == 0


def test_three_partial_returns_of_a_per_unit_line_with_a_tier_net_to_exactly_zero():
	plan = plan_of(
		{"name": "Units", "rate_type": "per_unit", "rate": "3.35"}, tier_multipliers={"Gold": "1.1"}
	)
	thirds = [[item("A", "-100", qty=-1)]] * 3
	book, original, notes = _thirds(plan, [item("A", "300", qty=3)], thirds, tier="Gold")
	check(original, (COMMISSION, "11.06"))  # 3 x 3.35 x 1.1 = 11.055 -> 11.06
	# shares of 11.06 by quantity: 3.6867 -> 3.69, 7.3733 -> 7.37, 11.06
	check(notes[0], (REVERSAL, "-3.69"))
	check(notes[1], (REVERSAL, "-3.68"))
	check(notes[2], (REVERSAL, "-3.69"))
	assert book.total() == 0


def test_three_partial_returns_of_a_per_invoice_commission_net_to_exactly_zero():
	plan = plan_of({"name": "Flat", "rate_type": "per_invoice", "rate": "25"})
	lines = [item("A", "100"), item("B", "100"), item("C", "100")]
	thirds = [[item("A", "-100", qty=-1)], [item("B", "-100", qty=-1)], [item("C", "-100", qty=-1)]]
	book, original, notes = _thirds(plan, lines, thirds)
	check(original, (COMMISSION, "25.00"))
	# shares of 25.00 by the rule's base: 8.333 -> 8.33, 16.667 -> 16.67, 25.00
	check(notes[0], (REVERSAL, "-8.33"))
	check(notes[1], (REVERSAL, "-8.34"))
	check(notes[2], (REVERSAL, "-8.33"))
	assert notes[0].lines[0].explanation == "Return of 33.33% of the 25.00 commission on INV-1 (rule Flat)"
	assert notes[0].lines[0].line_key == ""
	assert book.total() == 0


def test_three_partial_returns_reverse_the_minimum_in_proportion():
	plan = plan_of({"name": "Products", "rate": "10", "min_per_invoice": "25"})
	thirds = [[item("A", "-30", qty=-1)]] * 3
	book, original, notes = _thirds(plan, [item("A", "90", qty=3)], thirds)
	check(original, (COMMISSION, "9.00"), (MINIMUM, "16.00"))
	# commission 9.00 in thirds of 3.00; minimum 16.00: 5.333 -> 5.33, 10.667 -> 10.67, 16.00
	check(notes[0], (REVERSAL, "-3.00"), (REVERSAL, "-5.33"))
	check(notes[1], (REVERSAL, "-3.00"), (REVERSAL, "-5.34"))
	check(notes[2], (REVERSAL, "-3.00"), (REVERSAL, "-5.33"))
	assert notes[0].lines[1].explanation == (
		"Return of 33.33% of the 16.00 minimum-per-invoice adjustment on INV-1 (rule Products)"
	)
	assert book.total() == 0


def test_three_partial_returns_with_brackets_net_to_exactly_zero():
	plan = plan_of({"name": "Products", "brackets": [{"from": 0, "rate": 10}]})
	thirds = [[item("A", "-33.33", qty=-1)], [item("A", "-33.33", qty=-1)], [item("A", "-33.34", qty=-1)]]
	book, original, notes = _thirds(plan, [item("A", "100.00", qty=3)], thirds)
	check(original, (COMMISSION, "10.00"))
	# on the running total: 10.00 -> 6.67 -> 3.33 -> 0.00 (each third alone would give 3.33 three times)
	check(notes[0], (COMMISSION, "-3.33"))
	check(notes[1], (COMMISSION, "-3.34"))
	check(notes[2], (COMMISSION, "-3.33"))
	assert notes[0].lines[0].explanation == "10% of -33.33 (rule Products, bracket 0+)"
	assert notes[1].lines[0].explanation == (
		"10% of -33.33 (rule Products, bracket 0+) (rounded on the period's running total)"
	)
	assert book.total() == 0


def test_return_lines_pair_with_original_lines_by_id_or_by_item():
	plan = plan_of({"name": "Products", "rate": "10"})
	book = Book(plan)
	book.post(
		sale("INV-1", "2026-01-10", item("A", "100", line_id="row-1"), item("A", "300", line_id="row-2"))
	)
	by_id = book.post(
		credit("CN-1", "2026-01-11", "INV-1", item("A", "-300", qty=-1, return_line_id="row-2"))
	)
	check(by_id, (REVERSAL, "-30.00"))
	assert by_id.lines[0].line_key == "row-2"
	# without an id: the first line of the item that is not yet fully returned
	by_item = book.post(credit("CN-2", "2026-01-12", "INV-1", item("A", "-100", qty=-1)))
	check(by_item, (REVERSAL, "-10.00"))
	assert by_item.lines[0].line_key == "row-1"
	assert book.total() == 0


def test_return_of_a_line_without_commission_pays_nothing():
	plan = plan_of({"name": "Products", "rate": "10"})
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-10", item("A", "100"), item("FREIGHT", "50", grant_commission=False)))
	check(book.post(credit("CN-1", "2026-01-11", "INV-1", item("FREIGHT", "-50", qty=-1))))


# --- returns: periods, tiers and attributes of the original ------------------------------------------------


def test_return_in_a_later_period_belongs_to_the_original_period():
	plan = plan_of({"name": "Products", "brackets": TWO}, period="quarter")
	book = Book(plan)
	check(book.post(sale("INV-A", "2026-01-20", item("A", "8000", qty=8))), (COMMISSION, "400.00"))
	# 8,000 -> 12,000: 2,000 at 5% + 2,000 at 10%
	check(
		book.post(sale("INV-B", "2026-03-10", item("B", "4000", qty=4))),
		(COMMISSION, "100.00"),
		(COMMISSION, "200.00"),
	)
	check(book.post(sale("INV-C", "2026-04-15", item("C", "3000", qty=3))), (COMMISSION, "150.00"))

	# in May, one unit of B comes back: the Q1 volume falls 12,000 -> 11,000, at 10%
	cn = book.post(credit("CN-B", "2026-05-05", "INV-B", item("B", "-1000", qty=-1)))
	check(cn, (COMMISSION, "-100.00"))
	assert cn.period == "2026-Q1"
	assert cn.lines[0].period == "2026-Q1"
	assert cn.lines[0].against == "INV-B"
	assert cn.lines[0].explanation == "10% of -1,000.00 (rule Products, bracket 10,000+)"
	assert book.state.volume == {("Products", "2026-Q1"): D(11000), ("Products", "2026-Q2"): D(3000)}

	# Q2 was untouched: 3,000 -> 11,000 is 7,000 at 5% + 1,000 at 10%
	check(
		book.post(sale("INV-D", "2026-06-01", item("D", "8000"))),
		(COMMISSION, "350.00"),
		(COMMISSION, "100.00"),
	)

	# returning all of A in June: Q1 11,000 -> 3,000: 1,000 at 10% and 7,000 at 5%
	cn_a = book.post(credit("CN-A", "2026-06-15", "INV-A", item("A", "-8000", qty=-8)))
	check(cn_a, (COMMISSION, "-100.00"), (COMMISSION, "-350.00"))
	assert book.state.volume == {("Products", "2026-Q1"): D(3000), ("Products", "2026-Q2"): D(11000)}
	q1 = sum((ln.amount for ln in book.lines if ln.period == "2026-Q1"), D(0))
	assert q1 == D("150.00")  # 3,000 at 5%


def test_return_without_brackets_in_a_later_period_belongs_to_the_original_period():
	plan = plan_of({"name": "Products", "rate": "10"}, period="month")
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-31", item("A", "100", qty=2)))
	cn = book.post(credit("CN-1", "2026-03-02", "INV-1", item("A", "-50", qty=-1)))
	check(cn, (REVERSAL, "-5.00"))
	assert cn.period == cn.lines[0].period == "2026-01"


def test_return_uses_the_original_tier_multiplier_with_brackets():
	plan = plan_of(
		{"name": "Products", "brackets": [{"from": 0, "rate": 10}]},
		tier_multipliers={"Gold": "1.5", "Silver": "1.25"},
	)
	book = Book(plan)
	original = book.post(sale("INV-1", "2026-01-10", item("A", "1000", qty=2), partner_tier="Gold"))
	check(original, (COMMISSION, "150.00"))
	assert original.lines[0].explanation == "10% of 1,000.00 × 1.5 (tier Gold) (rule Products, bracket 0+)"
	# the partner is Silver by now; the return is still scaled by Gold's 1.5: 500 x 10% x 1.5
	cn = book.post(credit("CN-1", "2026-03-10", "INV-1", item("A", "-500", qty=-1), partner_tier="Silver"))
	check(cn, (COMMISSION, "-75.00"))
	assert cn.lines[0].explanation == "10% of -500.00 × 1.5 (tier Gold) (rule Products, bracket 0+)"


def test_return_uses_the_original_tier_multiplier_without_brackets():
	plan = plan_of({"name": "Products", "rate": "10"}, tier_multipliers={"Gold": "1.5", "Silver": "1.25"})
	book = Book(plan)
	check(
		book.post(sale("INV-1", "2026-01-10", item("A", "1000", qty=2), partner_tier="Gold")),
		(COMMISSION, "150.00"),
	)
	cn = book.post(credit("CN-1", "2026-03-10", "INV-1", item("A", "-500", qty=-1), partner_tier="Silver"))
	check(cn, (REVERSAL, "-75.00"))


def test_return_is_matched_to_rules_by_the_original_attributes():
	plan = plan_of(
		{"name": "EU", "priority": 1, "rate": "20", "match": {"territory": "EU", "new_customer": True}},
		{"name": "Base", "priority": 2, "rate": "5"},
	)
	book = Book(plan)
	check(
		book.post(sale("INV-1", "2026-01-10", item("A", "1000"), territory="EU", new_customer=True)),
		(COMMISSION, "200.00"),
	)
	cn = book.post(credit("CN-1", "2026-01-20", "INV-1", item("A", "-1000", qty=-1), territory="US"))
	check(cn, (REVERSAL, "-200.00"))
	assert cn.lines[0].rule == "EU"


# --- returns: errors ---------------------------------------------------------------------------------------


def _one_sale(plan=None):
	plan = plan or plan_of({"name": "Products", "rate": "10"})
	invoice = sale("INV-1", "2026-01-10", item("A", "200", qty=2))
	return plan, invoice, compute_commission(plan, invoice)


def test_return_against_an_unknown_invoice():
	plan, invoice, result = _one_sale()
	cn = credit("CN-1", "2026-01-20", "INV-404", item("A", "-100", qty=-1))
	with pytest.raises(UnknownInvoiceError) as info:
		compute_commission(plan, cn, result.state)
	assert str(info.value) == (
		"credit note CN-1 returns against INV-404, which the engine was not given (unknown invoice)"
	)
	with pytest.raises(UnknownInvoiceError):
		compute_commission(plan, cn, result.state, OriginalInvoice(invoice, result.lines))


def test_return_of_an_item_or_line_not_on_the_original():
	plan, invoice, result = _one_sale()
	original = OriginalInvoice(invoice, result.lines)
	with pytest.raises(
		UnknownInvoiceError, match="credit note CN-1 line 1 returns item 'Z', which is not on invoice INV-1"
	):
		compute_commission(
			plan, credit("CN-1", "2026-01-20", "INV-1", item("Z", "-1", qty=-1)), None, original
		)
	with pytest.raises(UnknownInvoiceError, match="returns line 'row-9', which is not on invoice INV-1"):
		compute_commission(
			plan,
			credit("CN-1", "2026-01-20", "INV-1", item("A", "-1", qty=-1, return_line_id="row-9")),
			None,
			original,
		)


def test_over_return_is_a_state_error():
	plan, invoice, result = _one_sale()
	with pytest.raises(StateError) as info:
		compute_commission(
			plan,
			credit("CN-1", "2026-01-20", "INV-1", item("A", "-300", qty=-3)),
			result.state,
			OriginalInvoice(invoice, result.lines),
		)
	assert str(info.value) == (
		"credit note CN-1 returns 3 of A on invoice INV-1, but only 2 were invoiced and 0 already returned"
	)
	# over several credit notes
	first = credit("CN-1", "2026-01-20", "INV-1", item("A", "-100", qty=-1))
	after_first = compute_commission(plan, first, result.state, OriginalInvoice(invoice, result.lines))
	with pytest.raises(
		StateError, match="returns 2 of A on invoice INV-1, but only 2 were invoiced and 1 already returned"
	):
		compute_commission(
			plan,
			credit("CN-2", "2026-01-21", "INV-1", item("A", "-200", qty=-2)),
			after_first.state,
			OriginalInvoice(invoice, result.lines, (first,)),
		)


def test_return_for_another_partner_is_an_invoice_error():
	plan, invoice, result = _one_sale()
	cn = credit("CN-1", "2026-01-20", "INV-1", item("A", "-100", qty=-1), partner="P-OTHER")
	with pytest.raises(InvoiceError) as info:
		compute_commission(plan, cn, result.state, OriginalInvoice(invoice, result.lines))
	assert (
		str(info.value)
		== "credit note CN-1 names partner 'P-OTHER' but invoice INV-1 was for partner 'P-ACME'"
	)


# --- invoice validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"values, error, message",
	[
		(
			{"lines": [item("A", "-100", qty=-1)]},
			InvoiceError,
			"invoice INV-1 line 1 (A): negative quantity -1 on an invoice that is not a return",
		),
		(
			{
				"lines": [item("A", "-100", qty=-1), item("B", "-5", qty=2)],
				"is_return": True,
				"return_against": "INV-0",
			},
			InvoiceError,
			"invoice INV-1 line 2 (B): a return must have a negative quantity, got 2",
		),
		(
			{"is_return": True},
			InvoiceError,
			"invoice INV-1 is a return but names no invoice in return_against",
		),
		(
			{"return_against": "INV-0"},
			InvoiceError,
			"invoice INV-1 names return_against INV-0 but is not a return",
		),
		(
			{"currency": "XYZ"},
			CurrencyError,
			"invoice INV-1: unknown currency 'XYZ' (expected an ISO 4217 code such as USD or EUR)",
		),
		({"conversion_rate": "0"}, InvoiceError, "invoice INV-1 conversion_rate must be above 0, got 0"),
		({"partner": ""}, InvoiceError, "invoice INV-1 has no partner"),
		({"name": ""}, InvoiceError, "an invoice needs a name"),
	],
)
def test_invalid_invoices(values, error, message):
	plan = plan_of({"name": "Products", "rate": "10"})
	data = {"name": "INV-1", "posting_date": "2026-01-10", "partner": PARTNER, "lines": [item("A", "100")]}
	data.update(values)
	with pytest.raises(error) as info:
		compute_commission(plan, make_invoice(**data))
	assert type(info.value) is error
	assert str(info.value) == message


def test_posting_date_must_be_a_date():
	plan = plan_of({"name": "Products", "rate": "10"})
	invoice = Invoice("INV-1", "2026-01-10", PARTNER, (InvoiceLine("A", D(100)),))
	with pytest.raises(InvoiceError, match="invoice INV-1 posting_date must be a date, not '2026-01-10'"):
		compute_commission(plan, invoice)


def test_invoice_in_another_transaction_currency_is_fine():
	plan = plan_of({"name": "Products", "rate": "10"})
	result = compute_commission(
		plan, sale("INV-1", "2026-01-10", item("A", "1000"), currency="EUR", conversion_rate="1.08")
	)
	check(result, (COMMISSION, "100.00"))  # line amounts are already in company currency


def test_make_invoice():
	invoice = make_invoice(
		name="INV-1",
		posting_date="2026-01-10",
		partner=PARTNER,
		conversion_rate=1.08,
		lines=[
			{"item_code": "A", "base_net_amount": "1,250.50", "qty": 2.5, "cost": 100},
			InvoiceLine("B", D(5)),
		],
	)
	assert invoice.posting_date == date(2026, 1, 10)
	assert invoice.conversion_rate == D("1.08")
	assert invoice.lines[0] == InvoiceLine("A", D("1250.50"), qty=D("2.5"), cost=D(100))
	assert invoice.lines[1] == InvoiceLine("B", D(5))


# --- rounding ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
	"method, expected, total",
	[
		# 10% of 23.45, 23.55, 0.05, 12.35 = 2.345, 2.355, 0.005, 1.235 (exact sum 5.94)
		(LEGACY, ["2.35", "2.36", "0.01", "1.24"], "5.96"),
		(BANKERS, ["2.34", "2.36", "0.00", "1.24"], "5.94"),
		(COMMERCIAL, ["2.35", "2.36", "0.01", "1.24"], "5.96"),
	],
)
def test_each_line_is_rounded_once_with_the_plan_method(method, expected, total):
	plan = plan_of({"name": "Products", "rate": "10"}, rounding_method=method)
	result = compute_commission(
		plan,
		sale(
			"INV-1",
			"2026-01-10",
			item("A", "23.45"),
			item("B", "23.55"),
			item("C", "0.05"),
			item("D", "12.35"),
		),
	)
	assert [ln.amount for ln in result.lines] == [D(a) for a in expected]
	assert result.total == D(total)


@pytest.mark.parametrize(
	"method, expected",
	[(LEGACY, ["1234", "1236"]), (BANKERS, ["1234", "1236"]), (COMMERCIAL, ["1235", "1236"])],
)
def test_rounding_in_a_currency_without_decimals(method, expected):
	plan = plan_of({"name": "Products", "rate": "10"}, currency="JPY", rounding_method=method)
	result = compute_commission(plan, sale("INV-1", "2026-01-10", item("A", "12345"), item("B", "12355")))
	assert [ln.amount for ln in result.lines] == [D(a) for a in expected]  # 1,234.5 and 1,235.5
	assert result.lines[0].explanation == "10% of 12,345 (rule Products)"


@pytest.mark.parametrize(
	"method, expected",
	[(LEGACY, ["1.235", "1.236"]), (BANKERS, ["1.234", "1.236"]), (COMMERCIAL, ["1.235", "1.236"])],
)
def test_rounding_in_a_currency_with_three_decimals(method, expected):
	plan = plan_of({"name": "Products", "rate": "10"}, currency="KWD", rounding_method=method)
	result = compute_commission(plan, sale("INV-1", "2026-01-10", item("A", "12.345"), item("B", "12.355")))
	assert [ln.amount for ln in result.lines] == [D(a) for a in expected]  # 1.2345 and 1.2355
	assert result.lines[0].explanation == "10% of 12.345 (rule Products)"


def test_plan_precision_overrides_the_currency():
	plan = plan_of({"name": "Products", "rate": "10"}, precision=3)
	check(compute_commission(plan, sale("INV-1", "2026-01-10", item("A", "23.45"))), (COMMISSION, "2.345"))


@pytest.mark.parametrize(
	"method, sale_amount, return_amount",
	[
		# 10% of 23.45 = 2.345; the return of -2.345 is rounded on its magnitude: legacy -2.35, not -2.34
		(LEGACY, "2.35", "-2.35"),
		(BANKERS, "2.34", "-2.34"),
		(COMMERCIAL, "2.35", "-2.35"),
	],
)
def test_return_lines_round_sign_symmetrically(method, sale_amount, return_amount):
	plan = plan_of({"name": "Products", "brackets": [{"from": 0, "rate": 10}]}, rounding_method=method)
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-01-10", item("A", "23.45"))), (COMMISSION, sale_amount))
	check(
		book.post(credit("CN-1", "2026-01-11", "INV-1", item("A", "-23.45", qty=-1))),
		(COMMISSION, return_amount),
	)


@pytest.mark.parametrize(
	"method, first, second",
	[
		# 10% of 46.90 = 4.69; half of it is 2.345, a tie
		(LEGACY, "-2.35", "-2.34"),
		(BANKERS, "-2.34", "-2.35"),
		(COMMERCIAL, "-2.35", "-2.34"),
	],
)
def test_partial_return_share_rounds_with_the_plan_method(method, first, second):
	plan = plan_of({"name": "Products", "rate": "10"}, rounding_method=method)
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-01-10", item("A", "46.90", qty=2))), (COMMISSION, "4.69"))
	check(book.post(credit("CN-1", "2026-01-11", "INV-1", item("A", "-23.45", qty=-1))), (REVERSAL, first))
	check(book.post(credit("CN-2", "2026-01-12", "INV-1", item("A", "-23.45", qty=-1))), (REVERSAL, second))
	assert book.total() == 0


# --- state, purity -----------------------------------------------------------------------------------------


def _mixed_book():
	plan = plan_of(
		{"name": "Hardware", "brackets": TWO, "match": {"item_group": "Hardware"}},
		{"name": "Services", "rate": "10", "cap_per_period": "100", "match": {"item_group": "Services"}},
	)
	book = Book(plan)
	book.post(
		sale(
			"INV-1",
			"2026-01-10",
			item("H1", "8000", qty=8, item_group="Hardware"),
			item("S1", "600", item_group="Services"),
		)
	)
	book.post(
		sale(
			"INV-2",
			"2026-02-10",
			item("H2", "4000", qty=4, item_group="Hardware"),
			item("S2", "700", item_group="Services"),
		)
	)
	book.post(sale("INV-3", "2026-04-10", item("H3", "1000", item_group="Hardware")))
	book.post(
		credit(
			"CN-1",
			"2026-05-10",
			"INV-2",
			item("H2", "-2000", qty=-2, item_group="Hardware"),
			item("S2", "-700", qty=-1, item_group="Services"),
		)
	)
	return plan, book


def test_mixed_book_amounts():
	_, book = _mixed_book()
	check(book.results["INV-1"], (COMMISSION, "400.00"), (COMMISSION, "60.00"))
	# Hardware 8,000 -> 12,000: 100.00 + 200.00; Services 70.00, earned 130 > 100: -30.00
	check(
		book.results["INV-2"],
		(COMMISSION, "100.00"),
		(COMMISSION, "200.00"),
		(COMMISSION, "70.00"),
		(CAP, "-30.00"),
	)
	check(book.results["INV-3"], (COMMISSION, "50.00"))
	# Hardware 12,000 -> 10,000 at 10%; Services -70.00, earned 60: +30.00 back
	check(book.results["CN-1"], (COMMISSION, "-200.00"), (REVERSAL, "-70.00"), (CAP, "30.00"))
	assert book.state == PartnerState(
		volume={("Hardware", "2026-Q1"): D(10000), ("Hardware", "2026-Q2"): D(1000)},
		earned={("Services", "2026-Q1"): D(60)},
	)


def test_state_from_lines_rebuilds_the_chain_state():
	plan, book = _mixed_book()
	assert state_from_lines(plan, book.lines) == book.state
	# and after every document
	seen = []
	for name, result in book.results.items():
		seen.extend(result.lines)
		assert state_from_lines(plan, seen) == result.state, name


def test_state_from_lines_leaves_out_true_ups():
	plan = plan_of({"name": "Products", "brackets": STEP3}, bracket_mode="step")
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-10", item("A", "6000")))
	book.post(sale("INV-2", "2026-01-11", item("B", "7000")))
	assert any(ln.kind == TRUE_UP for ln in book.lines)
	assert (
		state_from_lines(plan, book.lines)
		== book.state
		== PartnerState(volume={("Products", "2026-Q1"): D(13000)})
	)


def test_compute_is_pure():
	plan, book = _mixed_book()
	state = book.results["INV-2"].state
	invoice = book.sales["INV-2"]
	original = OriginalInvoice(invoice, book.results["INV-2"].lines, ())
	note = credit("CN-9", "2026-05-11", "INV-2", item("H2", "-1000", qty=-1, item_group="Hardware"))
	before = (copy.deepcopy(dict(state.volume)), copy.deepcopy(dict(state.earned)))
	first = compute_commission(plan, note, state, original)
	second = compute_commission(plan, note, state, original)
	assert first == second
	assert (dict(state.volume), dict(state.earned)) == before  # the given state is not mutated
	assert first.state is not state
	assert first.state.volume[("Hardware", "2026-Q1")] == D(11000)
	assert state.volume[("Hardware", "2026-Q1")] == D(12000)
	# the same for a sale
	sale_ = sale("INV-9", "2026-02-11", item("H9", "500", item_group="Hardware"))
	assert compute_commission(plan, sale_, state) == compute_commission(plan, sale_, state)
	assert (dict(state.volume), dict(state.earned)) == before
	# a result does not depend on the results computed before it
	fresh = Book(plan)
	fresh.post(
		sale(
			"INV-1",
			"2026-01-10",
			item("H1", "8000", qty=8, item_group="Hardware"),
			item("S1", "600", item_group="Services"),
		)
	)
	assert fresh.results["INV-1"] == book.results["INV-1"]


def test_results_are_immutable():
	_, book = _mixed_book()
	result = book.results["INV-1"]
	with pytest.raises(AttributeError):
		result.lines[0].amount = D(0)
	assert replace(result.lines[0], amount=D(1)).amount == D(1)


# --- the stream runner -------------------------------------------------------------------------------------


def test_run_stream_orders_by_posting_date_then_name():
	plan = plan_of(
		{"name": "Products", "brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 10}]}
	)
	invoices = [
		sale("INV-003", "2026-02-01", item("C", "500")),
		sale("INV-002", "2026-01-10", item("B", "600")),
		sale("INV-001", "2026-01-10", item("A", "600")),
	]
	calls = []
	out = run_stream(plan, invoices, progress=calls.append)
	assert list(out.results) == ["INV-001", "INV-002", "INV-003"]
	# INV-001 600 at 5% = 30; INV-002 600 -> 1,200: 400 at 5% + 200 at 10% = 40; INV-003 at 10% = 50
	assert [out.results[n].total for n in out.results] == [D(30), D(40), D(50)]
	assert [ln.invoice for ln in out.lines] == ["INV-001", "INV-002", "INV-002", "INV-003"]
	assert out.total() == D(120)
	assert calls == [1, 1, 1]


def test_run_stream_carries_state_per_partner():
	plan = plan_of(
		{"name": "Products", "brackets": [{"from": 0, "to": 1000, "rate": 5}, {"from": 1000, "rate": 10}]}
	)
	out = run_stream(
		plan,
		[
			sale("INV-1", "2026-01-10", item("A", "600"), partner="P-A"),
			sale("INV-2", "2026-01-11", item("A", "600"), partner="P-B"),
			sale("INV-3", "2026-01-12", item("A", "600"), partner="P-A"),
		],
	)
	assert out.results["INV-2"].total == D(30)  # P-B starts from zero
	assert out.results["INV-3"].total == D(40)  # P-A: 600 -> 1,200
	assert out.states == {
		"P-A": PartnerState(volume={("Products", "2026-Q1"): D(1200)}),
		"P-B": PartnerState(volume={("Products", "2026-Q1"): D(600)}),
	}


def test_run_stream_returns_with_prior_credit_notes():
	plan = plan_of({"name": "Products", "rate": "10"})
	out = run_stream(
		plan,
		[
			credit("CN-3", "2026-02-03", "INV-1", item("A", "-33.34", qty=-1)),
			credit("CN-1", "2026-02-01", "INV-1", item("A", "-33.33", qty=-1)),
			sale("INV-1", "2026-01-10", item("A", "100.00", qty=3)),
			credit("CN-2", "2026-02-02", "INV-1", item("A", "-33.33", qty=-1)),
		],
	)
	assert [out.results[n].total for n in ("INV-1", "CN-1", "CN-2", "CN-3")] == [
		D("10.00"),
		D("-3.33"),
		D("-3.34"),
		D("-3.33"),
	]
	assert out.total() == 0


@pytest.mark.parametrize(
	"cn_name, cn_date",
	[("CN-1", "2026-01-09"), ("CN-1", "2026-01-10")],  # the day before; the same day, sorting before INV-1
)
def test_run_stream_return_before_its_original(cn_name, cn_date):
	plan = plan_of({"name": "Products", "rate": "10"})
	with pytest.raises(
		UnknownInvoiceError, match="credit note CN-1 returns against INV-1, which is not an earlier invoice"
	):
		run_stream(
			plan,
			[
				sale("INV-1", "2026-01-10", item("A", "100")),
				credit(cn_name, cn_date, "INV-1", item("A", "-100", qty=-1)),
			],
		)


def test_return_without_line_id_goes_to_the_line_with_room_for_it():
	# X is on the invoice twice, 5 and 10 units; returning 10 units takes the 10-unit line
	plan = plan_from_dict({"name": "P", "currency": "USD", "rules": [{"name": "All", "rate": "10"}]})
	original = make_invoice(
		name="INV",
		posting_date="2026-03-01",
		partner="P1",
		lines=[
			{"item_code": "X", "base_net_amount": "50", "qty": "5"},
			{"item_code": "X", "base_net_amount": "120", "qty": "10"},
		],
	)
	sold = compute_commission(plan, original)
	credit = make_invoice(
		name="CN",
		posting_date="2026-03-05",
		partner="P1",
		is_return=True,
		return_against="INV",
		lines=[{"item_code": "X", "base_net_amount": "-120", "qty": "-10"}],
	)
	result = compute_commission(plan, credit, sold.state, OriginalInvoice(original, sold.lines))
	assert [(ln.line_key, ln.amount) for ln in result.lines] == [("2", Decimal("-12.00"))]


# --- brackets: rounding on the running total ---------------------------------------------------------------


def _bracket_plan(data, mode):
	from hypothesis import strategies as st

	cuts = sorted(data.draw(st.sets(st.integers(1, 400), min_size=0, max_size=3)))
	lowers = [0, *cuts]
	brackets = [
		{
			"from": lower,
			"to": lowers[i + 1] if i + 1 < len(lowers) else None,
			"rate": str(D(data.draw(st.integers(0, 3000))) / 100),
		}
		for i, lower in enumerate(lowers)
	]
	method = data.draw(st.sampled_from([LEGACY, BANKERS, COMMERCIAL]))
	multiplier = str(D(data.draw(st.integers(50, 200))) / 100)
	return (
		plan_of(
			{"name": "B", "brackets": brackets},
			bracket_mode=mode,
			rounding_method=method,
			tier_multipliers={"Gold": multiplier},
		),
		brackets,
	)


def _rounded_whole(plan, brackets, volume, mode):
	"""The commission on a period's whole volume, computed directly from the brackets: marginal, each
	bracket's slice rounded (a line each); step, the whole volume at the reached bracket's rate, rounded."""
	from prm_app.engine.money import round_magnitude

	def rounded(exact):
		return round_magnitude(
			exact / 100 * plan.multiplier("Gold"), plan.money_precision, plan.rounding_method
		)

	if mode == "marginal":
		return sum(
			(
				rounded(
					(min(volume, D(b["to"]) if b["to"] is not None else volume) - D(b["from"])) * D(b["rate"])
				)
				for b in brackets
				if volume > D(b["from"])
			),
			D(0),
		)
	rate = next(D(b["rate"]) for b in reversed(brackets) if volume >= D(b["from"]))
	return rounded(volume * rate)


@pytest.mark.parametrize("mode", ["marginal", "step"])
def test_bracket_documents_add_up_to_the_rounded_whole_and_returns_to_zero(mode):
	"""Sales of one period and several partial credit notes each, in any order: after every document the
	period's commission is the rounded commission on its volume, and once everything is returned it is
	exactly 0.00."""
	from hypothesis import given, settings
	from hypothesis import strategies as st

	@settings(max_examples=150, deadline=None)
	@given(st.data())
	def run(data):
		plan, brackets = _bracket_plan(data, mode)
		book = Book(plan)
		pending = []  # (invoice name, item code, cents still to return, units)
		for n in range(data.draw(st.integers(1, 4))):
			cents = data.draw(st.integers(1, 40000))
			name = f"INV-{n}"
			book.post(sale(name, "2026-01-10", item("A", str(D(cents) / 100), qty=3), partner_tier="Gold"))
			pending.append([name, cents, 3])
		count = 0
		while pending:
			k = data.draw(st.integers(0, len(pending) - 1))
			name, cents, units = pending[k]
			part = cents if units == 1 else data.draw(st.integers(0, cents))
			count += 1
			book.post(
				credit(
					f"CN-{count}",
					"2026-01-20",
					name,
					item("A", str(-D(part) / 100), qty=-1),
					partner_tier="Gold",
				)
			)
			pending[k] = [name, cents - part, units - 1]
			if units == 1:
				pending.pop(k)
			volume = book.state.volume[("B", "2026-Q1")]
			assert book.total() == _rounded_whole(plan, brackets, volume, mode)
		assert book.total() == 0

	run()


# --- returns whose base exceeds the original's -------------------------------------------------------------


def test_a_return_worth_more_than_the_sale_reverses_all_of_it_and_no_more():
	"""A credit note can exceed the original line's base in data given to the engine (ERPNext's own return
	checks prevent it): the line's commission is reversed in full, never beyond it."""
	plan = plan_of({"name": "Products", "rate": "10"})
	book = Book(plan)
	check(book.post(sale("INV-1", "2026-01-10", item("A", "1100", qty=2))), (COMMISSION, "110.00"))
	# 600 of 1,100 returned: 60.00
	check(book.post(credit("CN-1", "2026-01-20", "INV-1", item("A", "-600", qty=-1))), (REVERSAL, "-60.00"))
	# another 600: the running return is 1,200 of 1,100, capped at 1,100: the remaining 50.00
	cn = book.post(credit("CN-2", "2026-01-21", "INV-1", item("A", "-600", qty=-1)))
	check(cn, (REVERSAL, "-50.00"))
	assert cn.lines[0].explanation == "Return of 45.45% of the 110.00 commission on INV-1 (rule Products)"
	assert book.total() == 0


def test_a_single_return_worth_more_than_the_sale_nets_to_zero():
	plan = plan_of({"name": "Flat", "rate_type": "per_invoice", "rate": "25"})
	book = Book(plan)
	book.post(sale("INV-1", "2026-01-10", item("A", "1000", qty=1)))
	cn = book.post(credit("CN-1", "2026-01-20", "INV-1", item("A", "-1090.91", qty=-1)))
	assert [ln.explanation for ln in cn.lines] == [
		"Return of 100% of the 25.00 commission on INV-1 (rule Flat)",
	]
	assert book.total() == 0
