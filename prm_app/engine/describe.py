"""A plain-language summary of a plan: what it pays, on what, and when (the Commission Plan form shows it).

Every phrase goes through the translation function ``_`` the caller passes (the Frappe layer passes
``frappe._``; the default leaves English as it is), and numbers and amounts through ``number`` and
``money``, so the summary reads in the user's language and number format. Names (plans, rules, items,
tiers) are data: they are put into the translated phrases as they are, never translated, never marked up.
The result is text in a structure (``PlanSummary``); whoever shows it as HTML escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from prm_app.engine.money import ONE, format_amount, format_number
from prm_app.engine.plans import Plan, Rule

Translate = Callable[[str], str]
Format = Callable[[Decimal], str]


def identity(text: str) -> str:
	return text


@dataclass(frozen=True, slots=True)
class RuleSummary:
	name: str
	text: str  # what the rule pays and on what, e.g. "5% of the net amount on every line."
	details: tuple[str, ...] = ()  # brackets, minimum, maximum, cap


@dataclass(frozen=True, slots=True)
class PlanSummary:
	intro: tuple[str, ...]
	rules: tuple[RuleSummary, ...]

	def as_text(self) -> str:
		lines = list(self.intro)
		for i, rule in enumerate(self.rules, start=1):
			lines.append(f"{i}. {rule.name}: {rule.text}")
			lines.extend(f"   - {detail}" for detail in rule.details)
		return "\n".join(lines)


class _Describer:
	def __init__(self, plan: Plan, _: Translate, number: Format, money: Format) -> None:
		self.plan = plan
		self._ = _
		self.number = number
		self.money = money

	def percent(self, rate: Decimal) -> str:
		_ = self._
		return _("{0}%").format(self.number(rate))

	def period(self) -> str:
		_ = self._
		return {"month": _("month"), "quarter": _("quarter"), "year": _("year")}[self.plan.period]

	def joined(self, parts: Iterable[str], template: str) -> str:
		"""``a or b or c`` / ``a and b and c`` through the translated ``{0} or {1}`` template."""
		parts = list(parts)
		text = parts[0]
		for part in parts[1:]:
			text = template.format(text, part)
		return text

	# --- the plan -------------------------------------------------------------------------------------

	def intro(self) -> tuple[str, ...]:
		_ = self._
		plan = self.plan
		sentences = [
			_("Commission is worked out on the net amount of each invoice line that grants commission.")
			if plan.basis == "net_amount"
			else _(
				"Commission is worked out on the gross margin of each invoice line that grants commission "
				"(its net amount less its cost)."
			),
			_(
				"It is earned when the invoice is submitted; a credit note takes back the commission on "
				"what it returns."
			)
			if plan.trigger == "invoice"
			else _(
				"It is earned as the customer pays: each payment earns its share of the invoice's "
				"commission; a credit note takes back the commission on what it returns."
			),
			_("Each line is paid by the first rule below whose conditions all hold."),
		]
		if any(rule.brackets for rule in plan.rules):
			sentences.append(
				_(
					"Brackets count the partner's volume per {0}: each slice of the volume is paid at its "
					"own bracket's rate."
				).format(self.period())
				if plan.bracket_mode == "marginal"
				else _(
					"Brackets count the partner's volume per {0}: once a bracket is reached, the whole "
					"volume of the {0} is paid at its rate (earlier sales are topped up)."
				).format(self.period())
			)
		multipliers = {tier: m for tier, m in sorted(plan.tier_multipliers.items()) if m != ONE}
		if multipliers:
			tiers = ", ".join(
				_("{0} ×{1}").format(tier, self.number(multiplier))
				for tier, multiplier in multipliers.items()
			)
			sentences.append(_("A partner's tier multiplies its commission: {0}.").format(tiers))
		return tuple(sentences)

	# --- one rule -------------------------------------------------------------------------------------

	def what(self, rule: Rule) -> str:
		_ = self._
		if rule.brackets:
			return (
				_("a share of the net amount set by the volume brackets below")
				if self.plan.basis == "net_amount"
				else _("a share of the gross margin set by the volume brackets below")
			)
		if rule.rate_type == "percentage":
			template = (
				_("{0} of the net amount")
				if self.plan.basis == "net_amount"
				else _("{0} of the gross margin")
			)
			return template.format(self.percent(rule.rate))
		if rule.rate_type == "per_unit":
			return _("{0} per unit sold").format(self.money(rule.rate))
		return _("{0} per invoice").format(self.money(rule.rate))

	def conditions(self, rule: Rule) -> list[str]:
		_ = self._
		either = _("{0} or {1}")
		templates = {
			"item_code": _("the item is {0}"),
			"item_group": _("the item group is {0}"),
			"brand": _("the brand is {0}"),
			"territory": _("the territory is {0}"),
			"customer_group": _("the customer group is {0}"),
			"partner_tier": _("the partner's tier is {0}"),
			"partner_type": _("the partner type is {0}"),
		}
		found = [
			template.format(self.joined(getattr(rule, name), either))
			for name, template in templates.items()
			if getattr(rule, name)
		]
		if rule.new_customer is not None:
			found.append(_("the customer is new") if rule.new_customer else _("the customer is not new"))
		if rule.registered_deal is not None:
			found.append(
				_("the sale is a registered deal")
				if rule.registered_deal
				else _("the sale is not a registered deal")
			)
		return found

	def details(self, rule: Rule) -> tuple[str, ...]:
		_ = self._
		found = []
		for bracket in rule.brackets:
			if bracket.upper is None:
				found.append(
					_("Volume of {0} and above: {1}").format(
						self.money(bracket.lower), self.percent(bracket.rate)
					)
				)
			elif not bracket.lower:
				found.append(
					_("Volume up to {0}: {1}").format(self.money(bracket.upper), self.percent(bracket.rate))
				)
			else:
				found.append(
					_("Volume from {0} to {1}: {2}").format(
						self.money(bracket.lower), self.money(bracket.upper), self.percent(bracket.rate)
					)
				)
		if rule.min_per_invoice is not None:
			found.append(_("At least {0} per invoice.").format(self.money(rule.min_per_invoice)))
		if rule.max_per_invoice is not None:
			found.append(_("At most {0} per invoice.").format(self.money(rule.max_per_invoice)))
		if rule.cap_per_period is not None:
			found.append(
				_("At most {0} per {1} in all.").format(self.money(rule.cap_per_period), self.period())
			)
		return tuple(found)

	def rule(self, rule: Rule) -> RuleSummary:
		_ = self._
		conditions = self.conditions(rule)
		where = (
			_("on lines where {0}").format(self.joined(conditions, _("{0} and {1}")))
			if conditions
			else _("on every line")
		)
		text = _("Pays {0} {1}.").format(self.what(rule), where)
		return RuleSummary(name=rule.name, text=text, details=self.details(rule))


def summarise_plan(
	plan: Plan,
	_: Translate = identity,
	number: Format | None = None,
	money: Format | None = None,
) -> PlanSummary:
	"""What ``plan`` pays, in plain language: a few sentences on the whole plan, then each rule in the
	order rules are tried, with its brackets (the last one "and above") and limits.

	``_`` translates each phrase (a template with ``{0}`` placeholders, filled after translation);
	``number`` formats rates and multipliers, ``money`` amounts in the plan's currency."""
	if number is None:
		number = format_number
	if money is None:

		def money(value: Decimal) -> str:
			return f"{format_amount(value, plan.money_precision)} {plan.currency}"

	describer = _Describer(plan, _, number, money)
	return PlanSummary(intro=describer.intro(), rules=tuple(describer.rule(rule) for rule in plan.rules))
