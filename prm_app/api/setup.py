"""The setup checklist on the Partners workspace: what still stops commission from being posted, shown
until everything is done (the Custom HTML Block "PRM Setup Checklist" calls ``get_setup_checklist``)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_url_to_form, get_url_to_list

CHECKLIST_BLOCK = "PRM Setup Checklist"
# who sees the block (those who can finish the setup); the customer may change it
CHECKLIST_ROLES = ("Partner Manager", "Accounts Manager", "System Manager")
ACCOUNT_FIELDS = ("prm_commission_expense_account", "prm_commission_payable_account")


@frappe.whitelist()
def get_setup_checklist() -> dict:
	"""Steps, each ``{key, label, done, detail, links: [{label, url}]}``, and whether all are done."""
	frappe.has_permission("Partner", "read", throw=True)
	companies = companies_with_partners()
	steps = [accounts_step(companies), plan_step(companies), tier_step(), supplier_step()]
	return {"complete": all(step["done"] for step in steps), "steps": steps}


def companies_with_partners() -> list[str]:
	"""Companies that have partners (every company when there is no partner yet: setup comes first)."""
	with_partners = frappe.get_all(
		"Partner", distinct=True, pluck="company", filters={"company": ("is", "set")}
	)
	return sorted(with_partners or frappe.get_all("Company", pluck="name"))


def accounts_step(companies: list[str]) -> dict:
	missing = [
		company
		for company in companies
		if not all(frappe.db.get_value("Company", company, list(ACCOUNT_FIELDS)))
	]
	return {
		"key": "commission_accounts",
		"label": _("Commission accounts on each company"),
		"done": not missing,
		"detail": _(
			"Set the commission expense and payable accounts (Company > Partner Commission) of: {0}"
		).format(", ".join(missing))
		if missing
		else "",
		"links": [{"label": company, "url": get_url_to_form("Company", company)} for company in missing],
	}


def plan_step(companies: list[str]) -> dict:
	with_plan = set(frappe.get_all("Commission Plan", filters={"enabled": 1}, pluck="company", distinct=True))
	missing = [company for company in companies if company not in with_plan]
	return {
		"key": "commission_plan",
		"label": _("A commission plan for each company"),
		"done": not missing,
		"detail": _("No enabled commission plan for: {0}").format(", ".join(missing)) if missing else "",
		"links": [{"label": _("New Commission Plan"), "url": get_url_to_form("Commission Plan", "new")}]
		if missing
		else [],
	}


def tier_step() -> dict:
	done = bool(frappe.get_all("Partner Tier", limit=1))
	return {
		"key": "partner_tiers",
		"label": _("Partner tiers"),
		"done": done,
		"detail": "" if done else _("Create the tiers partners are placed in (Gold, Silver, Bronze…)."),
		"links": [] if done else [{"label": _("Partner Tier"), "url": get_url_to_list("Partner Tier")}],
	}


def supplier_step() -> dict:
	"""Partners sharing a supplier (possible before it was refused): each one's balance and payouts would
	carry the other's, so the portal leaves that supplier out of both until it is one partner's."""
	from prm_app.reconciliation import shared_suppliers

	shared = shared_suppliers()
	return {
		"key": "own_suppliers",
		"label": _("A supplier of its own for each partner"),
		"done": not shared,
		"detail": "; ".join(
			_("Supplier {0} is used by partners {1}").format(supplier, ", ".join(partners))
			for supplier, partners in shared.items()
		),
		"links": [
			{"label": partner, "url": get_url_to_form("Partner", partner)}
			for partners in shared.values()
			for partner in partners
		],
	}


# The block's HTML and style; its script (run by Frappe in the block's shadow root) is public/js.
BLOCK_HTML = '<div class="prm-setup-checklist"></div>'
BLOCK_STYLE = """
.prm-setup-checklist { padding: var(--padding-md); border: 1px solid var(--border-color);
	border-radius: var(--border-radius-md); }
.prm-setup-checklist ul { list-style: none; padding-left: 0; margin-bottom: 0; }
.prm-setup-checklist li { margin: var(--margin-xs) 0; }
.prm-setup-checklist .done { color: var(--text-muted); text-decoration: line-through; }
"""


def make_checklist_block() -> None:
	"""The workspace's checklist block: its HTML, style and script kept in step with the app's code on
	every migrate, its roles set once."""
	sync_custom_block(CHECKLIST_BLOCK, BLOCK_HTML, BLOCK_STYLE, "setup_checklist_block.js", CHECKLIST_ROLES)


def sync_custom_block(name: str, html: str, style: str, script_file: str, roles: tuple[str, ...]) -> None:
	"""A workspace's Custom HTML Block made from the app's code (script in public/js): HTML, style and
	script brought in step on every migrate; roles set when the block is made (the customer may change
	them)."""
	with open(frappe.get_app_path("prm_app", "public", "js", script_file)) as f:
		script = f.read()
	values = {"html": html, "style": style, "script": script, "private": 0}
	if not frappe.db.exists("Custom HTML Block", name):
		block = frappe.get_doc(
			{"doctype": "Custom HTML Block", "roles": [{"role": role} for role in roles], **values}
		)
		block.name = name  # the name is prompted for in the desk
		block.insert(ignore_permissions=True)
		return
	block = frappe.get_doc("Custom HTML Block", name)
	if any(block.get(field) != value for field, value in values.items()):
		block.update(values)
		block.flags.ignore_permissions = True
		block.save()
