"""The Partners workspace, its number cards and chart are synced from the module folders on migrate, and
their queries run."""

import json

import frappe
from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as get_chart
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.utils import flt

from prm_app.tests import PRMTestCase
from prm_app.tests.utils import COMPANY, make_company, make_invoice, make_partner, make_plan

CARDS = (
	"Applications to Review",
	"Deals to Review",
	"Active Partners",
	"Commission Accrued This Month",
	"Commission Payable",
)
CHART = "Partner Commission by Month"


def card_filters(card) -> list:
	"""The card's filters with the dynamic ones resolved for the test company (what the desk sends)."""
	filters = json.loads(card.filters_json or "[]")
	for doctype, field, operator, _value in json.loads(card.dynamic_filters_json or "[]"):
		filters.append([doctype, field, operator, COMPANY])
	return filters


class TestPartnersWorkspace(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def test_workspace_is_public_and_shows_cards_chart_and_shortcuts(self):
		ws = frappe.get_doc("Workspace", "Partners")
		self.assertEqual((ws.module, ws.public, ws.is_hidden), ("PRM App", 1, 0))
		self.assertEqual([c.number_card_name for c in ws.number_cards], list(CARDS))
		self.assertEqual([c.chart_name for c in ws.charts], [CHART])
		self.assertEqual(
			[s.link_to for s in ws.shortcuts],
			[
				"Partner",
				"Partner Tier",
				"Commission Plan",
				"Partner Commission",
				"PRM Settings",
				"Channel Overview",
			],
		)
		blocks = json.loads(ws.content)
		self.assertEqual(
			[b["data"]["number_card_name"] for b in blocks if b["type"] == "number_card"], list(CARDS)
		)
		for link in ws.links:
			if link.type == "Link" and link.link_type == "DocType":
				self.assertTrue(frappe.db.exists("DocType", link.link_to), link.link_to)
			elif link.type == "Link":
				self.assertTrue(frappe.db.exists("Report", link.link_to), link.link_to)
		self.assertEqual(
			frappe.get_hooks("add_to_apps_screen", app_name="prm_app")[0]["route"], "/app/partners"
		)

	def test_cards_and_chart_are_standard(self):
		for name in CARDS:
			card = frappe.get_doc("Number Card", name)
			self.assertEqual((card.is_standard, card.module, card.is_public), (1, "PRM App", 1), name)
		chart = frappe.get_doc("Dashboard Chart", CHART)
		self.assertEqual((chart.is_standard, chart.module, chart.timeseries), (1, "PRM App", 1))
		self.assertEqual(
			(chart.chart_type, chart.value_based_on, chart.based_on), ("Sum", "total", "posting_date")
		)
		self.assertEqual(chart.time_interval, "Monthly")

	def test_card_numbers(self):
		plan = make_plan("_PRM Card Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		partner = make_partner("_PRM Card Partner", plan=plan)
		make_partner("_PRM Card Suspended", status="Suspended")

		def number(name):
			card = frappe.get_doc("Number Card", name)
			return flt(get_result(card.as_json(), json.dumps(card_filters(card))), 2)

		active = number("Active Partners")
		accrued = number("Commission Accrued This Month")
		payable = number("Commission Payable")
		self.assertEqual(active, frappe.db.count("Partner", {"status": "Active"}))
		make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		self.assertEqual(number("Commission Accrued This Month"), flt(accrued + 100, 2))
		self.assertEqual(number("Commission Payable"), flt(payable + 100, 2))

	def test_chart_sums_commission_by_month(self):
		plan = make_plan("_PRM Chart Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		partner = make_partner("_PRM Chart Partner", plan=plan)
		chart = frappe.get_doc("Dashboard Chart", CHART)
		before = get_chart(chart_name=CHART, filters=json.dumps(card_filters(chart)), refresh=1)
		make_invoice(partner, [("_PRM Hardware", 1, 500)])
		after = get_chart(chart_name=CHART, filters=json.dumps(card_filters(chart)), refresh=1)
		self.assertEqual(len(after["labels"]), len(before["labels"]))
		self.assertEqual(
			flt(after["datasets"][0]["values"][-1], 2), flt(before["datasets"][0]["values"][-1] + 50, 2)
		)

	def test_review_counters_count_what_waits_for_a_manager(self):
		def number(name):
			card = frappe.get_doc("Number Card", name)
			return flt(get_result(card.as_json(), json.dumps(card_filters(card))))

		applications, deals = number("Applications to Review"), number("Deals to Review")
		self.assertEqual(applications, frappe.db.count("Partner", {"status": "Applicant"}))
		self.assertEqual(
			deals, frappe.db.count("Deal Registration", {"status": ("in", ("Submitted", "Under Review"))})
		)
		make_partner("_PRM Card Applicant", status="Applicant")
		self.assertEqual(number("Applications to Review"), applications + 1)
