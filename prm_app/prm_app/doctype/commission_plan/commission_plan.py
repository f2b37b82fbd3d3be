"""Commission Plan: the engine's plan in doctype form. Validation and JSON import/export go through the
engine, so the desk, the simulator and postings agree on what a plan means."""

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from prm_app.engine import EngineError, Plan, plan_from_dict, plan_to_dict
from prm_app.engine.plans import LIST_CONDITIONS
from prm_app.plan_summary import plan_summary_html
from prm_app.utils import company_currency_precision, engine_error_message, rounding_method

RATE_TYPES = {"Percentage": "percentage", "Per Unit": "per_unit", "Per Invoice": "per_invoice"}
BASES = {"Net Amount": "net_amount", "Gross Margin": "gross_margin"}
TRIGGERS = {"On Invoice": "invoice", "On Payment": "payment"}
MODES = {"Marginal": "marginal", "Step": "step"}
PERIODS = {"Month": "month", "Quarter": "quarter", "Year": "year"}
FLAGS = {"Yes": True, "No": False}
MATCH_FIELDS = LIST_CONDITIONS  # the rule fields that match an invoice line


def _invert(mapping: dict) -> dict:
	return {v: k for k, v in mapping.items()}


class CommissionPlan(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from prm_app.prm_app.doctype.commission_plan_bracket.commission_plan_bracket import (
			CommissionPlanBracket,
		)
		from prm_app.prm_app.doctype.commission_plan_rule.commission_plan_rule import CommissionPlanRule

		basis: DF.Literal["Net Amount", "Gross Margin"]
		bracket_mode: DF.Literal["Marginal", "Step"]
		brackets: DF.Table[CommissionPlanBracket]
		company: DF.Link
		currency: DF.Link | None
		description: DF.SmallText | None
		enabled: DF.Check
		period: DF.Literal["Month", "Quarter", "Year"]
		plan_name: DF.Data
		rules: DF.Table[CommissionPlanRule]
		trigger: DF.Literal["On Invoice", "On Payment"]
		valid_from: DF.Date | None
		valid_to: DF.Date | None
	# end: auto-generated types

	def onload(self):
		# the form's Simulate button (simulations are created by that button only, so the desk's
		# can_create leaves the doctype out)
		self.set_onload("can_simulate", bool(frappe.has_permission("Commission Plan Simulation", "create")))
		self.set_onload("plan_summary", plan_summary_html(self))

	def validate(self):
		self.set_currency()
		self.validate_dates()
		self.validate_bracket_rules()
		self.to_engine_plan()  # the engine's validator is the one that decides

	def set_currency(self):
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")

	def validate_dates(self):
		if self.valid_from and self.valid_to and getdate(self.valid_to) < getdate(self.valid_from):
			frappe.throw(_("Valid To cannot be before Valid From."), title=_("Invalid Commission Plan"))

	def validate_bracket_rules(self):
		rules = {r.rule_name for r in self.rules}
		for bracket in self.brackets:
			if bracket.rule_name not in rules:
				frappe.throw(
					_("Bracket row {0} names rule {1}, which is not in the Rules table.").format(
						bracket.idx, frappe.bold(bracket.rule_name)
					),
					title=_("Invalid Commission Plan"),
				)

	def is_valid_on(self, date) -> bool:
		date = getdate(date)
		return (not self.valid_from or getdate(self.valid_from) <= date) and (
			not self.valid_to or date <= getdate(self.valid_to)
		)

	def to_plan_dict(self, tiers: list[str] | None = None, expand_trees: bool = True) -> dict:
		"""The plan in the engine's JSON form (schema prm_app.plan/1), with the multipliers of the given
		tiers (all tiers when None)."""
		brackets: dict[str, list] = {}
		for b in self.brackets:
			brackets.setdefault(b.rule_name, []).append(
				{
					"from": str(b.from_amount or 0),
					"to": str(b.to_amount) if b.to_amount else None,
					"rate": str(b.rate or 0),
				}
			)
		rules = []
		for r in self.rules:
			match = {f: tree_values(f, r.get(f), expand_trees) for f in MATCH_FIELDS if r.get(f)}
			match = {f: values for f, values in match.items() if values}
			for flag in ("new_customer", "registered_deal"):
				if r.get(flag):
					match[flag] = FLAGS[r.get(flag)]
			rule = {
				"name": r.rule_name,
				"priority": int(r.priority or 0),
				"rate_type": RATE_TYPES.get(r.rate_type, r.rate_type),
				"rate": str(r.rate or 0),
				"match": match,
			}
			if r.rule_name in brackets:
				rule["brackets"] = brackets[r.rule_name]
			for limit in ("min_per_invoice", "max_per_invoice", "cap_per_period"):
				if r.get(limit):
					rule[limit] = str(r.get(limit))
			rules.append(rule)
		return {
			"schema": "prm_app.plan/1",
			"name": self.plan_name or self.name,
			"currency": self.currency or frappe.get_cached_value("Company", self.company, "default_currency"),
			"basis": BASES.get(self.basis, self.basis),
			"trigger": TRIGGERS.get(self.trigger, self.trigger),
			"bracket_mode": MODES.get(self.bracket_mode, self.bracket_mode),
			"period": PERIODS.get(self.period, self.period),
			"rounding_method": rounding_method(),
			"precision": company_currency_precision(self.company),
			"tier_multipliers": tier_multipliers(tiers),
			"rules": rules,
		}

	def to_engine_plan(self, tiers: list[str] | None = None) -> Plan:
		try:
			return plan_from_dict(self.to_plan_dict(tiers))
		except EngineError as e:
			frappe.throw(engine_error_message(e), title=_("Invalid Commission Plan"))

	@frappe.whitelist()
	def export_plan(self) -> str:
		"""The plan as the engine's JSON (what ``prm-sim`` reads)."""
		self.check_permission("read")
		data = self.to_plan_dict(expand_trees=False)
		for key in ("precision", "tier_multipliers"):  # site facts, not part of the plan itself
			data.pop(key, None)
		return json.dumps(data, indent=2, ensure_ascii=False)

	@frappe.whitelist()
	def import_plan(self, plan_json: str) -> None:
		"""Replace basis, trigger, brackets and rules with those of a plan JSON (validated by the engine)."""
		self.check_permission("write")
		try:
			data = json.loads(plan_json)
			plan = plan_from_dict(data)
		except (ValueError, EngineError) as e:
			message = engine_error_message(e) if isinstance(e, EngineError) else str(e)
			frappe.throw(_("The plan JSON is not valid: {0}").format(message), title=_("Import Failed"))
		self.apply_plan(plan)
		self.save()

	def apply_plan(self, plan: Plan) -> None:
		data = plan_to_dict(plan)
		self.basis = _invert(BASES)[plan.basis]
		self.trigger = _invert(TRIGGERS)[plan.trigger]
		self.bracket_mode = _invert(MODES)[plan.bracket_mode]
		self.period = _invert(PERIODS)[plan.period]
		self.rules = []
		self.brackets = []
		for rule in data["rules"]:
			row = {
				"rule_name": rule["name"],
				"priority": rule["priority"],
				"rate_type": _invert(RATE_TYPES)[rule["rate_type"]],
				"rate": rule["rate"],
			}
			for field, values in rule["match"].items():
				if field in MATCH_FIELDS:
					if len(values) > 1:
						frappe.throw(
							_("Rule {0}: a plan row matches one {1}; split the rule per value.").format(
								rule["name"], field
							)
						)
					row[field] = values[0]
				else:
					row[field] = "Yes" if values else "No"
			for limit in ("min_per_invoice", "max_per_invoice", "cap_per_period"):
				if rule.get(limit) is not None:
					row[limit] = rule[limit]
			self.append("rules", row)
			for b in rule.get("brackets", []):
				self.append(
					"brackets",
					{
						"rule_name": rule["name"],
						"from_amount": b["from"],
						"to_amount": b["to"],
						"rate": b["rate"],
					},
				)


TREES = {"item_group": "Item Group", "territory": "Territory", "customer_group": "Customer Group"}


def tree_values(field: str, value: str, expand: bool = True) -> list[str]:
	"""What a rule's condition matches: the value itself, or for a tree (item group, territory, customer
	group) the node and every node below it; a root ("All Territories") matches anything (empty list).
	Without ``expand`` the node alone (a root still means any), as the plan JSON is written."""
	doctype = TREES.get(field)
	if not doctype:
		return [value]
	parent_field = "parent_" + frappe.scrub(doctype)
	node = frappe.get_cached_value(doctype, value, ["lft", "rgt", parent_field], as_dict=True)
	if not node or node.lft is None:
		return [value]
	if not node.get(parent_field):
		return []
	if not expand:
		return [value]
	# the subtree, cached under the node's bounds: editing the tree moves them, so a stale entry is
	# never read again
	key = f"prm_app:subtree:{doctype}:{value}:{node.lft}:{node.rgt}"
	names = frappe.cache().get_value(key)
	if names is None:
		names = frappe.get_all(
			doctype, filters={"lft": (">=", node.lft), "rgt": ("<=", node.rgt)}, pluck="name", order_by="lft"
		)
		frappe.cache().set_value(key, names, expires_in_sec=3600)
	return names


def tier_multipliers(tiers: list[str] | None = None) -> dict[str, str]:
	if tiers is not None:
		values = {t: frappe.get_cached_value("Partner Tier", t, "commission_multiplier") for t in tiers}
		return {t: str(v) for t, v in values.items() if v is not None}
	return {
		t.name: str(t.commission_multiplier)
		for t in frappe.get_all("Partner Tier", fields=["name", "commission_multiplier"])
		if t.commission_multiplier is not None
	}
