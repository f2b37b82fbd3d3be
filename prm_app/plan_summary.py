"""The Commission Plan form's plain-language summary: the engine's describer (``engine.describe``) in the
user's language and number format, as escaped HTML (names are data, never markup)."""

from __future__ import annotations

from decimal import Decimal

import frappe
from frappe import _
from frappe.utils import escape_html, fmt_money, formatdate

from prm_app.engine import EngineError, Plan, plan_from_dict
from prm_app.engine.describe import PlanSummary, summarise_plan
from prm_app.utils import engine_error_message


def _places(value: Decimal) -> int:
	return max(0, -value.normalize().as_tuple().exponent)


def plan_summary(plan: Plan) -> PlanSummary:
	"""The engine's summary with ``frappe._`` and the site's number format."""
	return summarise_plan(
		plan,
		_,
		number=lambda value: fmt_money(value, precision=_places(value)),
		money=lambda value: fmt_money(value, precision=plan.money_precision, currency=plan.currency),
	)


def validity(doc) -> list[str]:
	"""When the plan applies (by the invoice's posting date), if it is limited."""
	start, end = doc.get("valid_from"), doc.get("valid_to")
	if start and end:
		return [_("It applies to invoices dated from {0} to {1}.").format(formatdate(start), formatdate(end))]
	if start:
		return [_("It applies to invoices dated from {0}.").format(formatdate(start))]
	if end:
		return [_("It applies to invoices dated up to {0}.").format(formatdate(end))]
	return []


def plan_summary_html(doc) -> str:
	"""The summary of a Commission Plan document (saved or not) as HTML; a plan the engine cannot read yet
	says why instead."""
	try:
		plan = plan_from_dict(doc.to_plan_dict(expand_trees=False))
	except EngineError as e:
		return '<p class="text-muted">{}</p>'.format(
			escape_html(_("The summary appears when the plan is valid: {0}").format(engine_error_message(e)))
		)
	summary = plan_summary(plan)
	intro = list(summary.intro)
	if doc.get("special_price_commission") == "Flag for Review":
		intro.append(
			_(
				"Commission on an invoice priced by a special price request is held until a Partner "
				"Manager approves it."
			)
		)
	if not doc.get("enabled"):
		intro.append(_("This plan is disabled: no invoice earns commission under it."))
	intro.extend(validity(doc))
	rules = []
	for rule in summary.rules:
		details = "".join(f"<li>{escape_html(detail)}</li>" for detail in rule.details)
		rules.append(
			f"<li><strong>{escape_html(rule.name)}</strong>: {escape_html(rule.text)}"
			+ (f'<ul class="text-muted">{details}</ul>' if details else "")
			+ "</li>"
		)
	sentences = " ".join(escape_html(sentence) for sentence in intro)
	return f'<div class="prm-plan-summary"><p>{sentences}</p><ol>{"".join(rules)}</ol></div>'
