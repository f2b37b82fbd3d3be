"""The Channel Overview dashboard: revenue through partners against direct revenue, partner revenue by tier,
month by month; its charts and number cards are synced and their queries run."""

import json

import frappe
from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as get_chart
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.utils import flt, formatdate, getdate, nowdate

from prm_app import analytics
from prm_app.prm_app.dashboard_chart_source.channel_revenue.channel_revenue import get as channel_source
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import COMPANY, make_company, make_invoice, make_partner, make_plan, make_tier

CHARTS = (
	"Channel Revenue by Month",
	"Partner Revenue by Tier",
	"Partner Revenue by Month",
	"Partners by Tier",
)
CARDS = ("Revenue Through Partners This Month", "Direct Revenue This Month", "Tier Changes Awaiting Approval")


def last(chart: dict, name: str) -> float:
	for dataset in chart["datasets"]:
		if dataset["name"] == name:
			return dataset["values"][-1]
	return 0.0


def card_number(name: str) -> float:
	card = frappe.get_doc("Number Card", name)
	filters = json.loads(card.filters_json or "[]")
	for doctype, field, operator, _value in json.loads(card.dynamic_filters_json or "[]"):
		filters.append([doctype, field, operator, COMPANY])
	return flt(get_result(card.as_json(), json.dumps(filters)), 2)


class TestChannelOverview(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def test_dashboard_is_standard_and_complete(self):
		dashboard = frappe.get_doc("Dashboard", "Channel Overview")
		self.assertEqual((dashboard.is_standard, dashboard.module), (1, "PRM App"))
		self.assertEqual([c.chart for c in dashboard.charts], list(CHARTS))
		self.assertIn("Revenue Through Partners This Month", [c.card for c in dashboard.cards])
		for name in CHARTS:
			self.assertEqual(frappe.db.get_value("Dashboard Chart", name, "is_standard"), 1, name)
		for name in CARDS:
			self.assertEqual(frappe.db.get_value("Number Card", name, "is_standard"), 1, name)

	def test_partner_and_direct_revenue_by_month_and_tier(self):
		plan = make_plan("_PRM Channel 5", [{"rule_name": "All", "rate_type": "Percentage", "rate": 5}])
		tier = make_tier("_PRM Channel Tier", 9301, plan=plan)
		partner = make_partner("_PRM Channel Partner", tier=tier)

		through = analytics.channel_revenue(COMPANY)
		by_tier = analytics.revenue_by_tier(COMPANY)
		cards = {name: card_number(name) for name in CARDS[:2]}
		make_invoice(partner, [("_PRM Hardware", 1, 1000)])
		make_invoice(None, [("_PRM Software", 1, 400)])

		after = analytics.channel_revenue(COMPANY)
		self.assertEqual(after["labels"][-1], formatdate(getdate(nowdate()), "MMM YYYY"))
		self.assertEqual(len(after["labels"]), 12)
		self.assertEqual(last(after, "Through Partners") - last(through, "Through Partners"), 1000.0)
		self.assertEqual(last(after, "Direct") - last(through, "Direct"), 400.0)
		self.assertEqual(last(analytics.revenue_by_tier(COMPANY), tier) - last(by_tier, tier), 1000.0)
		self.assertEqual(card_number(CARDS[0]) - cards[CARDS[0]], 1000.0)
		self.assertEqual(card_number(CARDS[1]) - cards[CARDS[1]], 400.0)

		# through the Dashboard Chart Source, as the desk calls it
		chart = channel_source(
			chart_name="Channel Revenue by Month", filters=json.dumps({"company": COMPANY}), refresh=1
		)
		self.assertEqual(last(chart, "Through Partners"), last(after, "Through Partners"))

		# the document-based charts run too
		monthly = get_chart(
			chart_name="Partner Revenue by Month",
			filters=json.dumps([["Sales Invoice", "company", "=", COMPANY]]),
			refresh=1,
		)
		self.assertGreaterEqual(monthly["datasets"][0]["values"][-1], 1000.0)
		donut = get_chart(chart_name="Partners by Tier", refresh=1)
		self.assertIn(tier, donut["labels"])
