"""Commission plans: the model, its validation and its JSON form (the Commission Plan doctype's export).

How a line finds its rule
-------------------------
Rules are tried in ascending ``priority`` (1 before 2), rules of equal priority in the order they are
listed; the **first rule whose every condition holds** commissions the line, and no other rule does. An
empty condition means "any". List conditions (``item_code``, ``item_group``, ``brand``, ``territory``,
``customer_group``, ``partner_tier``, ``partner_type``) hold when the value is one of those listed;
``new_customer`` / ``registered_deal`` hold when the invoice's flag equals the given true/false.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from prm_app.engine.errors import BracketError, EngineError, PlanError, RateError
from prm_app.engine.money import (
	DEFAULT_ROUNDING,
	HUNDRED,
	ONE,
	ZERO,
	check_rounding_method,
	currency_precision,
	format_number,
	to_decimal,
)

SCHEMA = "prm_app.plan/1"

BASES = ("net_amount", "gross_margin")
TRIGGERS = ("invoice", "payment")
BRACKET_MODES = ("marginal", "step")
PERIODS = ("month", "quarter", "year")
RATE_TYPES = ("percentage", "per_unit", "per_invoice")
LIST_CONDITIONS = (
	"item_code",
	"item_group",
	"brand",
	"territory",
	"customer_group",
	"partner_tier",
	"partner_type",
)
FLAG_CONDITIONS = ("new_customer", "registered_deal")
LINE_CONDITIONS = ("item_code", "item_group", "brand")
INVOICE_CONDITIONS = tuple(c for c in LIST_CONDITIONS if c not in LINE_CONDITIONS)


@dataclass(frozen=True, slots=True)
class Bracket:
	"""Volume from ``lower`` (inclusive) to ``upper`` (exclusive; ``None`` = no upper bound) at ``rate`` %."""

	lower: Decimal
	upper: Decimal | None
	rate: Decimal

	@property
	def label(self) -> str:
		if self.upper is None:
			return f"{format_number(self.lower)}+"
		return f"{format_number(self.lower)}–{format_number(self.upper)}"

	def contains(self, volume: Decimal) -> bool:
		return volume >= self.lower and (self.upper is None or volume < self.upper)


@dataclass(frozen=True, slots=True)
class Rule:
	name: str
	rate_type: str = "percentage"
	rate: Decimal = ZERO
	priority: int = 10
	item_code: tuple[str, ...] = ()
	item_group: tuple[str, ...] = ()
	brand: tuple[str, ...] = ()
	territory: tuple[str, ...] = ()
	customer_group: tuple[str, ...] = ()
	partner_tier: tuple[str, ...] = ()
	partner_type: tuple[str, ...] = ()
	new_customer: bool | None = None
	registered_deal: bool | None = None
	brackets: tuple[Bracket, ...] = ()
	min_per_invoice: Decimal | None = None
	max_per_invoice: Decimal | None = None
	cap_per_period: Decimal | None = None

	def matches_invoice(self, ctx: Mapping[str, Any]) -> bool:
		"""The invoice-level conditions (territory, customer group, partner tier/type, flags)."""
		for name in INVOICE_CONDITIONS:
			allowed = getattr(self, name)
			if allowed and ctx.get(name) not in allowed:
				return False
		for name in FLAG_CONDITIONS:
			wanted = getattr(self, name)
			if wanted is not None and bool(ctx.get(name)) != wanted:
				return False
		return True

	def matches_line(self, item_code: str, item_group: str, brand: str) -> bool:
		"""The line-level conditions (item code, item group, brand)."""
		if self.item_code and item_code not in self.item_code:
			return False
		if self.item_group and item_group not in self.item_group:
			return False
		if self.brand and brand not in self.brand:
			return False
		return True

	def bracket_for(self, volume: Decimal) -> Bracket:
		"""The bracket a period volume falls in (a threshold belongs to the bracket it opens)."""
		if volume < 0:
			return self.brackets[0]
		for bracket in self.brackets:
			if bracket.contains(volume):
				return bracket
		return self.brackets[-1]


@dataclass(frozen=True, slots=True)
class Plan:
	name: str
	currency: str
	rules: tuple[Rule, ...]
	basis: str = "net_amount"
	trigger: str = "invoice"
	bracket_mode: str = "marginal"
	period: str = "quarter"
	tier_multipliers: Mapping[str, Decimal] = field(default_factory=dict)
	precision: int | None = None
	rounding_method: str = DEFAULT_ROUNDING

	@property
	def money_precision(self) -> int:
		return currency_precision(self.currency) if self.precision is None else self.precision

	def multiplier(self, tier: str | None) -> Decimal:
		return self.tier_multipliers.get(tier or "", ONE)

	def rules_for_invoice(self, ctx: Mapping[str, Any]) -> tuple[Rule, ...]:
		"""Rules whose invoice-level conditions hold, in evaluation order."""
		return tuple(rule for rule in self.rules if rule.matches_invoice(ctx))

	def rule(self, name: str) -> Rule:
		for rule in self.rules:
			if rule.name == name:
				return rule
		raise PlanError("plan {0!r} has no rule {1!r}", self.name, name)

	def to_dict(self) -> dict[str, Any]:
		return plan_to_dict(self)

	def to_json(self) -> str:
		return json.dumps(plan_to_dict(self), indent=2, ensure_ascii=False)


# --- construction and validation -------------------------------------------------------------------------

_PLAN_KEYS = {
	"schema",
	"name",
	"currency",
	"basis",
	"trigger",
	"bracket_mode",
	"period",
	"tier_multipliers",
	"precision",
	"rounding_method",
	"rules",
}
_RULE_KEYS = {
	"name",
	"priority",
	"rate_type",
	"rate",
	"match",
	"brackets",
	"min_per_invoice",
	"max_per_invoice",
	"cap_per_period",
}
_MATCH_KEYS = set(LIST_CONDITIONS) | set(FLAG_CONDITIONS)
_BRACKET_KEYS = {"from", "to", "rate"}


def _choice(value: Any, choices: tuple[str, ...], what: str) -> str:
	if value not in choices:
		raise PlanError("{0} must be one of {1}, not {2!r}", what, ", ".join(choices), value)
	return value


def _unknown_keys(data: Mapping[str, Any], allowed: set[str], what: str) -> None:
	unknown = sorted(set(data) - allowed)
	if unknown:
		raise PlanError(
			"unknown field {0!r} in {1} (allowed: {2})", unknown[0], what, ", ".join(sorted(allowed))
		)


def _number(value: Any, what: str) -> Decimal:
	"""``to_decimal`` for a number in a plan: text that is not a number makes the plan invalid."""
	try:
		return to_decimal(value, what)
	except EngineError as e:
		raise PlanError(e.template, *e.args_, where=e.where)


def _optional_amount(value: Any, what: str) -> Decimal | None:
	if value is None or value == "":
		return None
	amount = _number(value, what)
	if amount < 0:
		raise RateError("{0} must not be negative, got {1}", what, format_number(amount))
	return amount


def _strings(value: Any, what: str) -> tuple[str, ...]:
	if value is None or value == "":
		return ()
	if isinstance(value, str):
		return (value,)
	if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
		return tuple(v for v in value if v)
	raise PlanError("{0} must be a text or a list of texts, not {1!r}", what, value)


def _flag(value: Any, what: str) -> bool | None:
	if value is None or value == "":
		return None
	if isinstance(value, bool):
		return value
	raise PlanError("{0} must be true, false or null, not {1!r}", what, value)


def check_rate(rate: Decimal, rate_type: str, what: str) -> Decimal:
	if rate < 0:
		raise RateError("{0} must not be negative, got {1}", what, format_number(rate))
	if rate_type == "percentage" and rate > HUNDRED:
		raise RateError(
			"{0} is a percentage and must be between 0 and 100, got {1}", what, format_number(rate)
		)
	return rate


def validate_brackets(brackets: Iterable[Bracket], what: str) -> tuple[Bracket, ...]:
	"""Brackets must start at 0, be in ascending order, touch without gaps or overlaps, and only the
	last may be open-ended."""
	result = tuple(brackets)
	for i, bracket in enumerate(result):
		where = f"{what} bracket {i + 1}"
		check_rate(bracket.rate, "percentage", f"{where} rate")
		if i == 0 and bracket.lower != 0:
			raise BracketError("{0} must start at 0, not {1}", where, format_number(bracket.lower))
		if bracket.upper is not None and bracket.upper <= bracket.lower:
			raise BracketError(
				"{0} ends at {1}, which is not above its start {2}",
				where,
				format_number(bracket.upper),
				format_number(bracket.lower),
			)
		if i > 0:
			previous = result[i - 1]
			if previous.upper is None:
				raise BracketError("{0} follows an open-ended bracket; only the last may have no end", where)
			if bracket.lower < previous.upper:
				raise BracketError(
					"{0} starts at {1}, inside the previous bracket (brackets overlap or are not in order)",
					where,
					format_number(bracket.lower),
				)
			if bracket.lower > previous.upper:
				raise BracketError(
					"{0} starts at {1} but the previous bracket ends at {2} (a gap)",
					where,
					format_number(bracket.lower),
					format_number(previous.upper),
				)
	if result and result[-1].upper is not None:
		raise BracketError(
			"{0} bracket {1} must have no end, as the last one (volume above {2} needs a rate)",
			what,
			len(result),
			format_number(result[-1].upper),
		)
	return result


def validate_rule(rule: Rule, what: str) -> Rule:
	if not rule.name or not isinstance(rule.name, str):
		raise PlanError("{0} needs a name", what)
	what = f"{what} ({rule.name})"
	_choice(rule.rate_type, RATE_TYPES, f"{what} rate_type")
	check_rate(rule.rate, rule.rate_type, f"{what} rate")
	if rule.brackets:
		if rule.rate_type != "percentage":
			raise BracketError(
				"{0} has brackets, which need rate_type percentage, not {1}", what, rule.rate_type
			)
		validate_brackets(rule.brackets, what)
	if (
		rule.min_per_invoice is not None
		and rule.max_per_invoice is not None
		and rule.min_per_invoice > rule.max_per_invoice
	):
		raise RateError(
			"{0} min_per_invoice {1} is above max_per_invoice {2}",
			what,
			format_number(rule.min_per_invoice),
			format_number(rule.max_per_invoice),
		)
	for name in ("min_per_invoice", "max_per_invoice", "cap_per_period"):
		value = getattr(rule, name)
		if value is not None and value < 0:
			raise RateError("{0} {1} must not be negative", what, name)
	return rule


def _check_whole_amounts(rule: Rule, what: str, precision: int) -> None:
	"""Minimum, maximum and cap become commission lines as they are, so they must be rounded amounts."""
	quantum = ONE.scaleb(-precision)
	for name in ("min_per_invoice", "max_per_invoice", "cap_per_period"):
		value = getattr(rule, name)
		if value is not None and value != value.quantize(quantum):
			raise RateError(
				"{0} {1} {2} has more decimals than the plan's money precision ({3}) allows",
				what,
				name,
				format_number(value),
				precision,
			)


def validate_plan(plan: Plan) -> Plan:
	"""Raise a typed ``PlanError`` naming the first problem; return the plan when it is valid."""
	if not plan.name or not isinstance(plan.name, str):
		raise PlanError("the plan needs a name")
	currency_precision(plan.currency)
	_choice(plan.basis, BASES, "basis")
	_choice(plan.trigger, TRIGGERS, "trigger")
	_choice(plan.bracket_mode, BRACKET_MODES, "bracket_mode")
	_choice(plan.period, PERIODS, "period")
	check_rounding_method(plan.rounding_method)
	if plan.precision is not None and not (isinstance(plan.precision, int) and 0 <= plan.precision <= 9):
		raise PlanError("precision must be a whole number from 0 to 9, not {0!r}", plan.precision)
	if not plan.rules:
		raise PlanError("plan {0!r} has no rules: add at least one rule", plan.name)
	seen: set[str] = set()
	for i, rule in enumerate(plan.rules):
		validate_rule(rule, f"rule {i + 1}")
		_check_whole_amounts(rule, f"rule {i + 1} ({rule.name})", plan.money_precision)
		if rule.name in seen:
			raise PlanError("rule name {0!r} is used twice; rule names must be unique", rule.name)
		seen.add(rule.name)
	for tier, multiplier in plan.tier_multipliers.items():
		if multiplier < 0:
			raise RateError(
				"tier multiplier for {0!r} must not be negative, got {1}", tier, format_number(multiplier)
			)
	return plan


def make_plan(
	name: str,
	currency: str,
	rules: Iterable[Rule],
	**options: Any,
) -> Plan:
	"""A validated plan, rules sorted into evaluation order (priority, then position)."""
	ordered = tuple(r for _, _, r in sorted((r.priority, i, r) for i, r in enumerate(rules)))
	multipliers = {
		str(k): _number(v, f"tier multiplier {k}")
		for k, v in (options.pop("tier_multipliers", None) or {}).items()
	}
	return validate_plan(
		Plan(name=name, currency=currency, rules=ordered, tier_multipliers=multipliers, **options)
	)


def _rule_from_dict(data: Mapping[str, Any], index: int) -> Rule:
	what = f"rule {index}"
	if not isinstance(data, Mapping):
		raise PlanError("{0} must be an object", what)
	_unknown_keys(data, _RULE_KEYS, what)
	match = data.get("match")
	if match is None:
		match = {}
	if not isinstance(match, Mapping):
		raise PlanError("{0} match must be an object", what)
	_unknown_keys(match, _MATCH_KEYS, f"{what} match")
	rate_type = _choice(data.get("rate_type", "percentage"), RATE_TYPES, f"{what} rate_type")
	brackets = []
	raw_brackets = data.get("brackets")
	if raw_brackets in (None, ""):
		raw_brackets = []
	if not isinstance(raw_brackets, list):
		raise BracketError("{0} brackets must be a list of objects with from, to and rate", what)
	for j, b in enumerate(raw_brackets, start=1):
		if not isinstance(b, Mapping):
			raise BracketError("{0} bracket {1} must be an object", what, j)
		_unknown_keys(b, _BRACKET_KEYS, f"{what} bracket {j}")
		if "rate" not in b:
			raise BracketError("{0} bracket {1} needs a rate", what, j)
		brackets.append(
			Bracket(
				lower=_number(b.get("from", 0), f"{what} bracket {j} from"),
				upper=None if b.get("to") in (None, "") else _number(b["to"], f"{what} bracket {j} to"),
				rate=_number(b["rate"], f"{what} bracket {j} rate"),
			)
		)
	if "rate" not in data and not brackets:
		raise RateError("{0} needs a rate (or brackets)", what)
	priority = data.get("priority", 10)
	if not isinstance(priority, int) or isinstance(priority, bool):
		raise PlanError("{0} priority must be a whole number, not {1!r}", what, priority)
	return Rule(
		name=data.get("name") or "",
		priority=priority,
		rate_type=rate_type,
		rate=_number(data.get("rate", 0), f"{what} rate"),
		brackets=tuple(brackets),
		min_per_invoice=_optional_amount(data.get("min_per_invoice"), f"{what} min_per_invoice"),
		max_per_invoice=_optional_amount(data.get("max_per_invoice"), f"{what} max_per_invoice"),
		cap_per_period=_optional_amount(data.get("cap_per_period"), f"{what} cap_per_period"),
		**{c: _strings(match.get(c), f"{what} match {c}") for c in LIST_CONDITIONS},
		**{c: _flag(match.get(c), f"{what} match {c}") for c in FLAG_CONDITIONS},
	)


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
	"""Build and validate a plan from its JSON form; raises ``PlanError`` naming the bad field."""
	if not isinstance(data, Mapping):
		raise PlanError("a plan must be a JSON object")
	_unknown_keys(data, _PLAN_KEYS, "the plan")
	schema = data.get("schema", SCHEMA)
	if schema != SCHEMA:
		raise PlanError("unsupported plan schema {0!r} (expected {1!r})", schema, SCHEMA)
	rules_data = data.get("rules")
	if not isinstance(rules_data, list):
		raise PlanError("plan {0!r} has no rules: add at least one rule", data.get("name") or "")
	rules = [_rule_from_dict(r, i) for i, r in enumerate(rules_data, start=1)]
	multipliers = data.get("tier_multipliers") or {}
	if not isinstance(multipliers, Mapping):
		raise PlanError("tier_multipliers must be an object of tier name to multiplier")
	precision = data.get("precision")
	if precision is not None and (not isinstance(precision, int) or isinstance(precision, bool)):
		raise PlanError("precision must be a whole number from 0 to 9, not {0!r}", precision)
	if not isinstance(data.get("currency"), str):
		raise PlanError("the plan needs a currency (an ISO 4217 code such as USD)")
	return make_plan(
		name=data.get("name") or "",
		currency=data["currency"],
		rules=rules,
		basis=data.get("basis", "net_amount"),
		trigger=data.get("trigger", "invoice"),
		bracket_mode=data.get("bracket_mode", "marginal"),
		period=data.get("period", "quarter"),
		tier_multipliers=multipliers,
		precision=precision,
		rounding_method=data.get("rounding_method", DEFAULT_ROUNDING),
	)


def plan_from_json(text: str) -> Plan:
	try:
		data = json.loads(text, parse_float=Decimal)
	except json.JSONDecodeError as e:
		raise PlanError("not valid JSON: {0} (line {1}, column {2})", e.msg, e.lineno, e.colno)
	return plan_from_dict(data)


def _num(value: Decimal) -> str:
	return format(value.normalize(), "f") if value != value.to_integral_value() else str(int(value))


def plan_to_dict(plan: Plan) -> dict[str, Any]:
	"""The JSON form; numbers are written as strings so no precision is lost."""
	rules = []
	for rule in plan.rules:
		match: dict[str, Any] = {c: list(getattr(rule, c)) for c in LIST_CONDITIONS if getattr(rule, c)}
		match.update({c: getattr(rule, c) for c in FLAG_CONDITIONS if getattr(rule, c) is not None})
		item: dict[str, Any] = {
			"name": rule.name,
			"priority": rule.priority,
			"rate_type": rule.rate_type,
			"rate": _num(rule.rate),
			"match": match,
		}
		if rule.brackets:
			item["brackets"] = [
				{
					"from": _num(b.lower),
					"to": None if b.upper is None else _num(b.upper),
					"rate": _num(b.rate),
				}
				for b in rule.brackets
			]
		for name in ("min_per_invoice", "max_per_invoice", "cap_per_period"):
			if getattr(rule, name) is not None:
				item[name] = _num(getattr(rule, name))
		rules.append(item)
	data: dict[str, Any] = {
		"schema": SCHEMA,
		"name": plan.name,
		"currency": plan.currency,
		"basis": plan.basis,
		"trigger": plan.trigger,
		"bracket_mode": plan.bracket_mode,
		"period": plan.period,
		"rounding_method": plan.rounding_method,
		"tier_multipliers": {k: _num(v) for k, v in plan.tier_multipliers.items()},
		"rules": rules,
	}
	if plan.precision is not None:
		data["precision"] = plan.precision
	return data


def period_key(period: str, posting_date: Any) -> str:
	"""``2026-03`` (month), ``2026-Q1`` (quarter) or ``2026`` (year) of a date."""
	if period == "month":
		return f"{posting_date.year:04d}-{posting_date.month:02d}"
	if period == "quarter":
		return f"{posting_date.year:04d}-Q{(posting_date.month - 1) // 3 + 1}"
	if period == "year":
		return f"{posting_date.year:04d}"
	raise EngineError("period must be one of {0}, not {1!r}", ", ".join(PERIODS), period)
