"""Desk endpoints of the Commission Plan form."""

import frappe

from prm_app.simulation import SIMULATION, start_simulation


@frappe.whitelist(methods=["POST"])
def simulate(commission_plan: str, months: int = 12) -> dict:
	"""Queue a simulation of the plan on the partner invoices of the last ``months`` months; returns
	``{"simulation": name, "queued": bool}`` (``queued`` is false when one is already running)."""
	frappe.has_permission("Commission Plan", "read", commission_plan, throw=True)
	frappe.has_permission(SIMULATION, "create", throw=True)
	return start_simulation(commission_plan, months)
