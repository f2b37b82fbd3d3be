"""Partner Scorecard: revenue by month and growth, commission and effective rate, distance to the next tier,
filters and user permissions."""

import frappe
from frappe.utils import add_days, add_months, flt, getdate, nowdate

from prm_app.prm_app.report.partner_scorecard.partner_scorecard import execute, month_field
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_tier,
	make_user,
	only_these_tiers,
)


class TestPartnerScorecard(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		plan = make_plan("_PRM Score 5", [{"rule_name": "All", "rate_type": "Percentage", "rate": 5}])
		self.silver = make_tier("_PRM Score Silver", 9201, plan=plan)
		self.gold = make_tier("_PRM Score Gold", 9202, plan=plan)
		only_these_tiers(self.silver, self.gold)
		frappe.db.set_value("Partner Tier", self.gold, {"min_revenue": 5000, "evaluation_window_months": 12})
		territories = frappe.get_all("Territory", filters={"is_group": 0}, pluck="name", limit=2)
		if len(territories) < 2:
			territories.append(
				frappe.get_doc(
					{
						"doctype": "Territory",
						"territory_name": "_PRM Territory",
						"parent_territory": "All Territories",
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		self.territory, self.other_territory = territories[:2]
		self.a = make_partner("_PRM Score A", tier=self.silver, territory=self.territory)
		self.b = make_partner("_PRM Score B", tier=self.silver, territory=self.other_territory)
		self.to_date = getdate(nowdate())
		self.from_date = getdate(add_days(add_months(self.to_date, -1), 1))
		make_invoice(self.a, [("_PRM Hardware", 2, 1000)])
		make_invoice(self.a, [("_PRM Hardware", 1, 500)], posting_date=add_days(self.from_date, -10))
		make_invoice(self.b, [("_PRM Software", 1, 300)])

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def run_report(self, **filters):
		columns, data, _message, chart, summary = execute(
			frappe._dict(company=COMPANY, from_date=self.from_date, to_date=self.to_date, **filters)
		)
		return (
			columns,
			{row["partner"]: row for row in data if row["partner"].startswith("_PRM Score")},
			chart,
			summary,
		)

	def test_scorecard_row(self):
		columns, rows, chart, summary = self.run_report()
		a = rows[self.a.name]
		self.assertEqual((a["revenue"], a["previous_revenue"]), (2000.0, 500.0))
		self.assertEqual(a["growth"], 300.0)
		self.assertEqual(flt(a["commission"], 2), 100.0)
		self.assertEqual(flt(a["effective_rate"], 2), 5.0)
		self.assertEqual((a["tier"], a["next_tier"]), (self.silver, self.gold))
		self.assertTrue(a["distance_to_next_tier"].startswith("Revenue"), a["distance_to_next_tier"])
		self.assertEqual(a[month_field(self.to_date.strftime("%Y-%m"))], 2000.0)
		self.assertIsNone(a["win_rate"])  # no registrations
		self.assertIn(month_field(self.from_date.strftime("%Y-%m")), [c["fieldname"] for c in columns])
		self.assertEqual(chart["type"], "line")
		self.assertTrue(chart["data"]["labels"])
		self.assertEqual((chart["animate"], chart["disableEntryAnimation"]), (0, 1))  # see get_chart
		self.assertEqual(summary[0]["label"], "Partners")

	def test_won_and_lost_registrations(self):
		for status, field in (("Won", "won_on"), ("Lost", "lost_on"), ("Lost", "lost_on")):
			# the registration's workflow is not under test: write the rows as they end up
			frappe.get_doc(
				{"doctype": "Deal Registration", "partner": self.a.name, "status": status, field: nowdate()}
			).db_insert()
		_columns, rows, _chart, _summary = self.run_report()
		a = rows[self.a.name]
		self.assertEqual((a["won_deals"], a["lost_deals"]), (1, 2))
		self.assertEqual(flt(a["win_rate"], 2), 33.33)

	def test_filters(self):
		_columns, rows, _chart, _summary = self.run_report(territory=self.other_territory)
		self.assertEqual(list(rows), [self.b.name])
		_columns, rows, _chart, _summary = self.run_report(tier=self.gold)
		self.assertEqual(rows, {})
		_columns, rows, _chart, _summary = self.run_report(partner=self.a.name)
		self.assertEqual(list(rows), [self.a.name])
		self.assertRaises(
			frappe.ValidationError,
			execute,
			frappe._dict(company=COMPANY, from_date=self.to_date, to_date=self.from_date),
		)

	def test_user_permissions_restrict_partners(self):
		from frappe.permissions import add_user_permission

		user = make_user("prm.score.accounts@example.com", ["Accounts User"])
		add_user_permission("Partner", self.b.name, user)
		frappe.set_user(user)
		_columns, rows, _chart, _summary = self.run_report()
		self.assertEqual(list(rows), [self.b.name])
		self.assertEqual(rows[self.b.name]["revenue"], 300.0)
