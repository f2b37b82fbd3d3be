"""Desk endpoints of the Commission Plan form."""

import frappe
from frappe import _

from prm_app.plan_summary import plan_summary_html
from prm_app.simulation import SIMULATION, start_simulation


@frappe.whitelist(methods=["POST"])
def simulate(commission_plan: str, months: int = 12) -> dict:
	"""Queue a simulation of the plan on the partner invoices of the last ``months`` months; returns
	``{"simulation": name, "queued": bool}`` (``queued`` is false when one is already running)."""
	frappe.has_permission("Commission Plan", "read", commission_plan, throw=True)
	frappe.has_permission(SIMULATION, "create", throw=True)
	return start_simulation(commission_plan, months)


@frappe.whitelist()
def get_plan_summary(doc: str | dict) -> str:
	"""The plain-language summary (escaped HTML) of the plan as it is on the form, saved or not: the form
	sends its unsaved rows; nothing is written."""
	values = frappe.parse_json(doc)
	if not isinstance(values, dict):
		frappe.throw(_("Send the Commission Plan as an object."))
	values["doctype"] = "Commission Plan"
	frappe.has_permission("Commission Plan", "read", throw=True)
	if values.get("name") and frappe.db.exists("Commission Plan", values["name"]):
		frappe.has_permission("Commission Plan", "read", values["name"], throw=True)
	return plan_summary_html(frappe.get_doc(values))
