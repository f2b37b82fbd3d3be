"""Special pricing (issue 15): a granted Special Price Request becomes ERPNext Pricing Rules.

- ``sync_pricing_rules(request)``: one Pricing Rule per request line (selling, the line's item, the
  request's customer, minimum quantity, validity, the granted unit price as a Rate), created on approval,
  enabled while the request is Approved and disabled when it is withdrawn, rejected or expired.
  Idempotent: the line remembers its rule; running it again changes nothing.
- ``expire_requests``: daily, Approved requests past their validity become Expired (and their rules
  disabled) through the request's Workflow.
- ``review_reason(si, plan)``: the reason a commission must be reviewed when the plan says so and the
  invoice was priced by a special price.
- ``make_workflow``: the approval Workflow, made on install / migrate when the doctype has none.

The portal's endpoints are in ``special_pricing_portal``.

Rules (depth, price from discount, approval level) are in ``prm_app.engine.pricing``.
"""

from __future__ import annotations

import frappe
from frappe import _, _lt
from frappe.utils import flt, getdate, nowdate

DOCTYPE = "Special Price Request"
ITEM_DOCTYPE = "Special Price Request Item"
OPEN = ("Draft", "Pending Approval")
CLOSED = ("Rejected", "Withdrawn", "Expired")
WORKFLOW = "Special Price Approval"
RULE_PRIORITY = "20"  # ERPNext applies the highest priority among rules that match: a deal's price wins
REVIEW = "Flag for Review"

# the engine's messages (prm_app.engine.pricing), translated through engine_error_message
ENGINE_MESSAGES = (
	_lt("the list price must be more than zero, got {0}"),
	_lt("a discount must be between 0 and 100 %, got {0}"),
	_lt("a price cannot be negative, got {0}"),
	_lt("the price {0} is above the list price {1}"),
	_lt("give a unit price or a discount"),
	_lt("a quantity cannot be negative, got {0}"),
)


def partner_manager_limit() -> float:
	return flt(frappe.db.get_single_value("PRM Settings", "special_price_partner_manager_limit"))


def selling_price_list() -> str | None:
	return frappe.db.get_single_value("Selling Settings", "selling_price_list")


def list_price_of(item_code: str, currency: str) -> float | None:
	"""The item's price in the default selling price list, in ``currency`` (None when it has none)."""
	price_list = selling_price_list()
	if not item_code or not price_list:
		return None
	return frappe.db.get_value(
		"Item Price",
		{
			"item_code": item_code,
			"price_list": price_list,
			"currency": currency,
			"selling": 1,
			"customer": ("is", "not set"),
		},
		"price_list_rate",
		order_by="valid_from desc",
	)


# --- Pricing Rules ------------------------------------------------------------------------------------------


def pricing_rule_values(request, row) -> dict:
	return {
		"title": f"{request.name} {row.item_code}"[:140],
		"apply_on": "Item Code",
		"price_or_product_discount": "Price",
		"selling": 1,
		"buying": 0,
		"applicable_for": "Customer",
		"customer": request.customer,
		"company": request.company,
		"currency": request.currency,
		"min_qty": flt(row.min_qty),
		"valid_from": request.valid_from,
		"valid_upto": request.valid_upto,
		"rate_or_discount": "Rate",
		"rate": flt(row.granted_price),
		"has_priority": 1,
		"priority": RULE_PRIORITY,
	}


def sync_pricing_rules(request) -> list[str]:
	"""Make the request's Pricing Rules agree with it: enabled with the granted prices while Approved,
	disabled otherwise. Returns the rules it created or changed."""
	touched = []
	active = request.status == "Approved"
	for row in request.items:
		if not row.pricing_rule or not frappe.db.exists("Pricing Rule", row.pricing_rule):
			if not active:
				continue
			rule = frappe.get_doc({"doctype": "Pricing Rule", "items": [{"item_code": row.item_code}]})
		else:
			rule = frappe.get_doc("Pricing Rule", row.pricing_rule)
		wanted = {**pricing_rule_values(request, row), "disable": 0 if active else 1}
		if not rule.is_new() and all(same(rule.get(k), v) for k, v in wanted.items()):
			continue
		rule.update(wanted)
		rule.flags.ignore_permissions = True  # the request's approval or closing decided it
		rule.save()
		if row.pricing_rule != rule.name:
			row.db_set("pricing_rule", rule.name, update_modified=False)
		touched.append(rule.name)
	return touched


def same(stored, wanted) -> bool:
	if isinstance(wanted, float | int) and not isinstance(wanted, bool):
		return flt(stored) == flt(wanted)
	if wanted is None or stored is None:
		return (stored or None) == (wanted or None)
	return str(stored) == str(wanted)


def expire_requests(today=None) -> list[str]:
	"""Daily: Approved requests whose validity ended are Expired (their Pricing Rules disabled)."""
	today = getdate(today or nowdate())
	expired = []
	for name in frappe.get_all(
		DOCTYPE, filters={"status": "Approved", "valid_upto": ("<", today)}, pluck="name"
	):
		# one request that cannot be saved (a customer's Workflow change, a deleted rule) keeps the rest going
		with frappe.database.savepoint(catch=Exception):
			doc = frappe.get_doc(DOCTYPE, name)
			doc.status = "Expired"
			doc.flags.ignore_permissions = True
			doc.save()
			expired.append(name)
		if name not in expired:
			frappe.log_error(
				title=f"Special price request {name} not expired",
				reference_doctype=DOCTYPE,
				reference_name=name,
			)
	return expired


def overlapping_request(request) -> frappe._dict | None:
	"""A line of another Approved request for the same customer and one of the request's items whose
	validity overlaps the request's."""
	items = [row.item_code for row in request.items]
	if not items or not request.customer:
		return None
	req, row = frappe.qb.DocType(DOCTYPE), frappe.qb.DocType(ITEM_DOCTYPE)
	found = (
		frappe.qb.from_(row)
		.join(req)
		.on(req.name == row.parent)
		.select(row.parent, row.item_code)
		.where(
			(req.status == "Approved")
			& (req.name != (request.name or ""))
			& (req.customer == request.customer)
			& (req.company == request.company)
			& row.item_code.isin(items)
			& (req.valid_from <= request.valid_upto)
			& (req.valid_upto >= request.valid_from)
		)
		.limit(1)
		.run(as_dict=True)
	)
	return found[0] if found else None


def daily() -> None:
	expire_requests()


# --- commission on special prices ---------------------------------------------------------------------------


def special_price_rules_of(si) -> set[str]:
	"""The Pricing Rules of special price requests that priced the invoice's lines."""
	names = set()
	for item in si.get("items") or []:
		for rule in frappe.parse_json(item.get("pricing_rules") or "[]") or []:
			names.add(rule)
	if not names:
		return set()
	return set(
		frappe.get_all(ITEM_DOCTYPE, filters={"pricing_rule": ("in", list(names))}, pluck="pricing_rule")
	)


def review_reason(si, plan_name: str | None) -> str | None:
	"""When the plan flags commission on special prices for review and a special price priced one of
	the invoice's lines: the reason shown on the commission."""
	if (
		not plan_name
		or frappe.get_cached_value("Commission Plan", plan_name, "special_price_commission") != REVIEW
	):
		return None
	rules = special_price_rules_of(si)
	if not rules:
		return None
	requests = sorted(
		set(frappe.get_all(ITEM_DOCTYPE, filters={"pricing_rule": ("in", list(rules))}, pluck="parent"))
	)
	return _("Priced by special price request {0}: the commission plan asks for a review.").format(
		", ".join(requests)
	)


# --- the approval Workflow (made once on install / migrate; a customer may change it afterwards) ------------

STATES = (
	# state, style, role that may edit the form in that state
	("Draft", "", "Partner Manager"),
	("Pending Approval", "Warning", "Partner Manager"),
	("Approved", "Success", "Partner Manager"),
	("Rejected", "Danger", "Partner Manager"),
	("Withdrawn", "Inverse", "Partner Manager"),
	("Expired", "Inverse", "System Manager"),
)
# state, action, next state, role, condition
TRANSITIONS = (
	*(
		("Draft", "Submit for Approval", "Pending Approval", role, None)
		for role in ("Partner", "Partner Manager", "Sales User", "Sales Manager")
	),
	("Pending Approval", "Approve", "Approved", "Partner Manager", 'doc.approval_level == "Partner Manager"'),
	("Pending Approval", "Approve", "Approved", "Sales Manager", None),
	*(
		("Pending Approval", "Reject", "Rejected", role, None)
		for role in ("Partner Manager", "Sales Manager")
	),
	*(("Pending Approval", "Return", "Draft", role, None) for role in ("Partner Manager", "Sales Manager")),
	*(
		(state, "Withdraw", "Withdrawn", role, None)
		for state in ("Draft", "Pending Approval", "Approved")
		for role in ("Partner", "Partner Manager", "Sales Manager")
	),
	("Approved", "Expire", "Expired", "System Manager", None),
)


def make_workflow() -> str | None:
	"""The "Special Price Approval" Workflow, when the doctype has none yet (never overwritten)."""
	if frappe.db.exists("Workflow", {"document_type": DOCTYPE}):
		return None
	for state, style, _role in STATES:
		if not frappe.db.exists("Workflow State", state):
			frappe.get_doc(
				{"doctype": "Workflow State", "workflow_state_name": state, "style": style}
			).insert(ignore_permissions=True)
	for action in {t[1] for t in TRANSITIONS}:
		if not frappe.db.exists("Workflow Action Master", action):
			frappe.get_doc({"doctype": "Workflow Action Master", "workflow_action_name": action}).insert(
				ignore_permissions=True
			)
	workflow = frappe.get_doc(
		{
			"doctype": "Workflow",
			"workflow_name": WORKFLOW,
			"document_type": DOCTYPE,
			"workflow_state_field": "status",
			"is_active": 1,
			"send_email_alert": 0,
			"states": [{"state": s, "doc_status": "0", "allow_edit": role} for s, _style, role in STATES],
			"transitions": [
				{
					"state": state,
					"action": action,
					"next_state": next_state,
					"allowed": role,
					"allow_self_approval": 1,
					"condition": condition,
				}
				for state, action, next_state, role, condition in TRANSITIONS
			],
		}
	)
	workflow.insert(ignore_permissions=True)
	return workflow.name
