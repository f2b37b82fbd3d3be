"""The Partners workspace's chart empty states (issue 12): while a chart has nothing to show, the block
above it says what makes data appear there (translated), and says nothing once there is data; the block is
on the workspace for the channel manager and is kept in step with the app's script on migrate."""

import json

import frappe
from frappe.desk.desktop import get_desktop_page

from prm_app.api.workspace import (
	EMPTY_STATE_BLOCK,
	WORKSPACE,
	get_chart_empty_states,
	make_empty_state_block,
)
from prm_app.tests import CompanyTestCase
from prm_app.tests.utils import make_invoice, make_partner, make_plan, make_user

MANAGER = "prm.emptystates.manager@example.com"
OUTSIDER = "prm.emptystates.outsider@example.com"
CHART = "Partner Commission by Month"


def states() -> dict[str, dict]:
	return {state["chart"]: state for state in get_chart_empty_states()}


class TestChartEmptyStates(CompanyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER, ["Partner Manager"])
		make_user(OUTSIDER, ["Sales User"])
		make_empty_state_block()  # what install and migrate do
		frappe.db.commit()  # nosemgrep: shared fixtures

	def setUp(self):
		self.lang = frappe.local.lang

	def tearDown(self):
		frappe.local.lang = self.lang
		super().tearDown()
		frappe.db.rollback()

	def no_commissions(self):
		"""A new site's state, in this transaction only."""
		for doctype in ("Partner Commission Line", "Partner Commission"):
			frappe.db.delete(doctype)

	def test_an_empty_chart_says_what_to_do_and_stops_once_there_is_data(self):
		self.no_commissions()
		frappe.set_user(MANAGER)
		state = states()[CHART]
		self.assertEqual(state["label"], CHART)
		self.assertIn("No commissions yet", state["message"])
		self.assertIn("Sales Invoice", state["message"])
		self.assertEqual(
			[link["url"] for link in state["links"]],
			[frappe.utils.get_url_to_form("Sales Invoice", "new"), frappe.utils.get_url_to_list("Partner")],
		)
		frappe.set_user("Administrator")
		plan = make_plan(
			"_PRM Empty State Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		make_invoice(make_partner("_PRM Empty State Partner", plan=plan), [("_PRM Hardware", 1, 100)])
		self.assertTrue(frappe.db.count("Partner Commission", {"docstatus": 1}))
		frappe.set_user(MANAGER)
		self.assertNotIn(CHART, states())
		self.assertEqual(get_chart_empty_states(), [])  # the block hides itself

	def test_the_empty_state_is_in_the_users_language(self):
		self.no_commissions()
		frappe.set_user(MANAGER)
		frappe.local.lang = "de"
		state = states()[CHART]
		self.assertIn("Noch keine Provisionen", state["message"])
		self.assertEqual(state["links"][0]["label"], "Neue Ausgangsrechnung")

	def test_a_user_who_cannot_read_the_chart_gets_nothing(self):
		self.no_commissions()
		frappe.set_user(OUTSIDER)
		self.assertEqual(get_chart_empty_states(), [])

	def test_the_block_sits_above_the_chart_and_calls_the_endpoint(self):
		ws = frappe.get_doc("Workspace", WORKSPACE)
		blocks = json.loads(ws.content)
		kinds = [
			(b["type"], b["data"].get("custom_block_name") or b["data"].get("chart_name")) for b in blocks
		]
		self.assertEqual(kinds[kinds.index(("chart", CHART)) - 1], ("custom_block", EMPTY_STATE_BLOCK))
		self.assertIn(EMPTY_STATE_BLOCK, [b.custom_block_name for b in ws.custom_blocks])
		# the desk finds a block's row by its label (workspace/blocks/block.js, v15 and v16): a label that is
		# not the block's name leaves the block out of the page
		for row in ws.custom_blocks:
			self.assertEqual(row.label, row.custom_block_name)
		block = frappe.get_doc("Custom HTML Block", EMPTY_STATE_BLOCK)
		self.assertIn("prm_app.api.workspace.get_chart_empty_states", block.script)
		self.assertIn("escape_html", block.script)
		frappe.set_user(MANAGER)
		page = get_desktop_page(json.dumps({"name": WORKSPACE, "title": WORKSPACE, "public": 1}))
		self.assertIn(EMPTY_STATE_BLOCK, [b.custom_block_name for b in page["custom_blocks"]["items"]])

	def test_migrate_brings_the_block_script_back_in_step(self):
		frappe.db.set_value("Custom HTML Block", EMPTY_STATE_BLOCK, "script", "// edited")
		make_empty_state_block()
		self.assertIn(
			"get_chart_empty_states", frappe.db.get_value("Custom HTML Block", EMPTY_STATE_BLOCK, "script")
		)

	def test_every_known_chart_exists_and_its_data_check_runs(self):
		"""The other PRM charts (Channel Overview's) get the same empty state when a customer puts them on
		the workspace: each is a real chart and its check reads what the chart reads."""
		from prm_app.api.workspace import chart_has_data, empty_states

		partner_sales = bool(
			frappe.get_all("Sales Invoice", {"docstatus": 1, "sales_partner": ("is", "set")}, limit=1)
		)
		expected = {
			"Partner Commission by Month": bool(
				frappe.get_all("Partner Commission", {"docstatus": 1}, limit=1)
			),
			"Partner Revenue by Month": partner_sales,
			"Channel Revenue by Month": partner_sales,
			"Partner Revenue by Tier": partner_sales,
			"Partners by Tier": bool(frappe.get_all("Partner", {"status": "Active"}, limit=1)),
		}
		known = empty_states()
		self.assertEqual(set(known), set(expected))
		for name, state in known.items():
			chart = frappe.get_doc("Dashboard Chart", name)
			self.assertEqual(chart_has_data(chart, state["source"]), expected[name], name)
			self.assertTrue(state["message"] and state["links"], name)
