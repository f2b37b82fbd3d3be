"""Empty states of the Partners workspace's charts: while a chart has nothing to show, the Custom HTML
Block "PRM Chart Empty States" (just above the charts) says what makes data appear there and links to it.

Frappe's chart widget shows "No Data" only when a chart has no labels at all; a monthly chart of a new
site draws twelve empty months instead, with no hint (v15 and v16 alike). So the block asks the server
which of the workspace's charts have no record behind them, for this user (permission-aware reads), and
hides itself once every chart has data."""

from __future__ import annotations

import json

import frappe
from frappe import _
from frappe.utils import get_url_to_form, get_url_to_list

from prm_app.api.setup import sync_custom_block

WORKSPACE = "Partners"
EMPTY_STATE_BLOCK = "PRM Chart Empty States"
EMPTY_STATE_ROLES = ("Partner Manager", "Accounts Manager", "Accounts User", "System Manager")
PARTNER_SALES = [["Sales Invoice", "docstatus", "=", 1], ["Sales Invoice", "sales_partner", "is", "set"]]


def _new_invoice() -> dict:
	return {"label": _("New Sales Invoice"), "url": get_url_to_form("Sales Invoice", "new")}


def _partners() -> dict:
	return {"label": _("Partners"), "url": get_url_to_list("Partner")}


def _commissions_message() -> str:
	return _(
		"No commissions yet. They appear here when a Sales Invoice that names a partner's Sales Partner is "
		"submitted, and the partner is active with a commission plan."
	)


def _partner_sales_message() -> str:
	return _(
		"No partner sales yet. They appear here when a Sales Invoice that names a Sales Partner is submitted."
	)


def empty_states() -> dict[str, dict]:
	"""Per chart: where its data comes from (doctype and filters, or None for the chart's own) and what to
	tell the channel manager while there is none."""
	return {
		"Partner Commission by Month": {
			"source": None,
			"message": _commissions_message(),
			"links": [_new_invoice(), _partners()],
		},
		"Partner Revenue by Month": {
			"source": None,
			"message": _partner_sales_message(),
			"links": [_new_invoice()],
		},
		"Channel Revenue by Month": {
			"source": ("Sales Invoice", PARTNER_SALES),
			"message": _partner_sales_message(),
			"links": [_new_invoice()],
		},
		"Partner Revenue by Tier": {
			"source": ("Sales Invoice", PARTNER_SALES),
			"message": _partner_sales_message(),
			"links": [_new_invoice()],
		},
		"Partners by Tier": {
			"source": None,
			"message": _(
				"No active partners yet. Approve a partner application or add a Partner, then place it in a "
				"tier."
			),
			"links": [_partners(), {"label": _("Partner Tier"), "url": get_url_to_list("Partner Tier")}],
		},
	}


def chart_has_data(chart, source: tuple[str, list] | None) -> bool:
	"""Whether the chart's records exist for this user (permission-aware, at most one row read)."""
	doctype, filters = source or (chart.document_type, json.loads(chart.filters_json or "[]"))
	filters = [f[:4] for f in filters] if isinstance(filters, list) else filters
	return bool(frappe.get_list(doctype, filters=filters, fields=["name"], limit=1))


@frappe.whitelist()
def get_chart_empty_states() -> list[dict]:
	"""The workspace's charts that have nothing to show to this user, each ``{chart, label, message,
	links: [{label, url}]}``, in the workspace's order (none: the block hides itself)."""
	known = empty_states()
	found = []
	for row in frappe.get_doc("Workspace", WORKSPACE).charts:
		state = known.get(row.chart_name)
		if not state or not frappe.has_permission("Dashboard Chart", doc=row.chart_name):
			continue
		chart = frappe.get_cached_doc("Dashboard Chart", row.chart_name)
		try:
			if chart_has_data(chart, state["source"]):
				continue
		except frappe.PermissionError:
			continue  # the chart's records are not this user's to read: nothing to say
		found.append(
			{
				"chart": row.chart_name,
				"label": _(row.label or row.chart_name),
				"message": state["message"],
				"links": state["links"],
			}
		)
	return found


# The block's HTML and style; its script (run by Frappe in the block's shadow root) is public/js.
BLOCK_HTML = '<div class="prm-chart-empty-states"></div>'
BLOCK_STYLE = """
.prm-chart-empty-states .prm-empty-state { padding: var(--padding-md); margin-bottom: var(--margin-sm);
	border: 1px dashed var(--border-color); border-radius: var(--border-radius-md); }
.prm-chart-empty-states .prm-empty-state p { margin-bottom: var(--margin-xs); }
"""


def make_empty_state_block() -> None:
	"""The workspace's chart empty-state block, kept in step with the app's code on every migrate."""
	sync_custom_block(
		EMPTY_STATE_BLOCK, BLOCK_HTML, BLOCK_STYLE, "chart_empty_states_block.js", EMPTY_STATE_ROLES
	)
