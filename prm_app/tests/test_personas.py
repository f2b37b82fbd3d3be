"""Each persona with only its own roles (issue 12, item 3): users made as a customer makes them (a User
with the persona's Role Profile, or the Partner Manager role alone) log in over real HTTP and call what
prm_app shows them — reports, link searches, forms, the Channel Overview's cards and charts, the payout
and its statement — and get 200 with data."""

import json

import frappe
from frappe.utils import add_days, nowdate
from frappe.utils.password import update_password

from prm_app import personas
from prm_app.tests.http import HTTPTestCase
from prm_app.tests.utils import (
	COMPANY,
	CUSTOMER,
	account,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_registration,
	make_tier,
)

PASSWORD = "Persona-Day-7q!"
CHANNEL_MANAGER = "prm.persona.channel@example.com"  # Role Profile "Channel Manager"
MANAGER_ROLE_ONLY = "prm.persona.pm-only@example.com"  # the Partner Manager role, nothing else
ACCOUNTANT = "prm.persona.accountant@example.com"  # Role Profile "Partner Accountant"
PARTNER = "_PRM Persona Partner"
TIER = "_PRM Persona Tier"
PLAN = "_PRM Persona Plan"


def desk_user(email: str, role_profile: str | None = None, roles=()) -> str:
	"""A System User as the User form makes one: a Role Profile fills its roles."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0],
				"send_welcome_email": 0,
				"role_profile_name": role_profile,
				"roles": [{"role": r} for r in roles],
			}
		).insert(ignore_permissions=True)
	update_password(email, PASSWORD)
	return email


def ensure(doctype: str, name: str, values: dict) -> str:
	if not frappe.db.exists(doctype, name):
		frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)
	return name


class TestPersonas(HTTPTestCase):
	password = PASSWORD

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		personas.setup()  # what install and migrate do
		ensure("Sales Partner Type", "_PRM Persona Reseller", {"sales_partner_type": "_PRM Persona Reseller"})
		ensure("Brand", "_PRM Persona Brand", {"brand": "_PRM Persona Brand"})
		plan = frappe.db.exists("Commission Plan", {"plan_name": PLAN}) or make_plan(
			PLAN, [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		tier = make_tier(TIER, 9401, plan=plan)
		# out of other tests' tier evaluations: no partner qualifies for it, its partner keeps it
		frappe.db.set_value("Partner Tier", tier, "min_won_deals", 10**6)
		if not frappe.db.exists("Partner", PARTNER):
			partner = make_partner(PARTNER, tier=tier, tier_locked=1, partner_type="_PRM Persona Reseller")
			make_invoice(partner, [("_PRM Software", 1, 2000)])
		if not frappe.db.exists("Deal Registration", {"partner": PARTNER}):
			make_registration(
				frappe.get_doc("Partner", PARTNER),
				prospect_name="Persona Prospect Ltd",
				website="persona.example",
				contact_email="ceo@persona.example",  # nothing like other tests' prospects
				submit=True,
			).approve()  # the approval makes its Opportunity
		cls.partner = frappe.get_doc("Partner", PARTNER)
		cls.registration = frappe.db.get_value("Deal Registration", {"partner": PARTNER})
		cls.commission = frappe.db.get_value("Partner Commission", {"partner": PARTNER, "docstatus": 1})
		# payable today (holding period over, approved), so the accountant's payout takes it
		frappe.db.set_value("Partner Commission", cls.commission, {"payable_on": nowdate(), "approved": 1})
		cls.opportunity = frappe.db.get_value("Deal Registration", cls.registration, "opportunity")
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		desk_user(CHANNEL_MANAGER, "Channel Manager")
		desk_user(MANAGER_ROLE_ONLY, roles=["Partner Manager"])
		desk_user(ACCOUNTANT, "Partner Accountant")
		for user in (CHANNEL_MANAGER, MANAGER_ROLE_ONLY, ACCOUNTANT):
			frappe.defaults.set_user_default("Company", COMPANY, user)
		frappe.db.commit()  # nosemgrep: the HTTP server has its own connection
		cls.serve()

	def session(self, user: str):
		return self.login(user)[0]

	def call(self, http, method: str, **params):
		response = http.post(f"{self.url}/api/method/{method}", data=params)
		self.assertEqual(response.status_code, 200, f"{method} {params}: {response.text[:400]}")
		return response.json().get("message")

	def report(self, http, name: str, **filters) -> list:
		result = self.call(
			http, "frappe.desk.query_report.run", report_name=name, filters=json.dumps(filters)
		)
		return [row for row in result["result"] if isinstance(row, dict) and row.get("partner") == PARTNER]

	def search(self, http, doctype: str, txt: str = "") -> list[str]:
		results = self.call(http, "frappe.desk.search.search_link", doctype=doctype, txt=txt, page_length=50)
		return [r["value"] for r in results]

	def getdoc(self, http, doctype: str, name: str) -> dict:
		response = http.get(
			f"{self.url}/api/method/frappe.desk.form.load.getdoc", params={"doctype": doctype, "name": name}
		)
		self.assertEqual(response.status_code, 200, f"{doctype} {name}: {response.text[:400]}")
		return response.json()["docs"][0]

	def channel_manager_day(self, user: str):
		http = self.session(user)
		period = {"company": COMPANY, "from_date": add_days(nowdate(), -90), "to_date": nowdate()}
		with self.subTest(user=user, step="Partner Scorecard"):
			rows = self.report(http, "Partner Scorecard", **period)
			self.assertEqual([r["tier"] for r in rows], [TIER])
		with self.subTest(user=user, step="Partner Commission Register"):
			self.assertTrue(self.report(http, "Partner Commission Register", **period))
		with self.subTest(user=user, step="Channel Conflicts"):
			self.call(http, "frappe.desk.query_report.run", report_name="Channel Conflicts", filters="{}")
		for doctype, name in (
			("Partner Tier", TIER),
			("Sales Partner Type", "_PRM Persona Reseller"),
			("Territory", "All Territories"),
			("Brand", "_PRM Persona Brand"),
			("Customer Group", "All Customer Groups"),
			("Item Group", "_PRM Software Group"),
			("Sales Partner", self.partner.sales_partner),
			("Opportunity", self.opportunity),
			("Customer", CUSTOMER),
			("Company", COMPANY),
			("Currency", "USD"),
			(
				"Commission Plan",
				self.partner.commission_plan or frappe.db.get_value("Partner Tier", TIER, "commission_plan"),
			),
			("Partner", PARTNER),
			("Supplier", self.partner.supplier),
			("Supplier Group", frappe.db.get_value("PRM Settings", None, "supplier_group")),
		):
			with self.subTest(user=user, step=f"link search {doctype}"):
				self.assertIn(name, self.search(http, doctype, name))
		for doctype, name in (
			("Partner", PARTNER),
			("Partner Tier", TIER),
			("Commission Plan", frappe.db.get_value("Partner Tier", TIER, "commission_plan")),
			("Deal Registration", self.registration),
			("Partner Commission", self.commission),
			("Sales Partner", self.partner.sales_partner),
			("Opportunity", self.opportunity),
			("Sales Invoice", frappe.db.get_value("Partner Commission", self.commission, "sales_invoice")),
			("PRM Settings", "PRM Settings"),
		):
			with self.subTest(user=user, step=f"form {doctype}"):
				self.assertEqual(self.getdoc(http, doctype, name)["name"], name)
		self.channel_overview(http, user)

	def channel_overview(self, http, user: str):
		dashboard = frappe.get_doc("Dashboard", "Channel Overview")
		charts = self.call(
			http,
			"frappe.desk.doctype.dashboard.dashboard.get_permitted_charts",
			dashboard_name="Channel Overview",
		)
		cards = self.call(
			http,
			"frappe.desk.doctype.dashboard.dashboard.get_permitted_cards",
			dashboard_name="Channel Overview",
		)
		self.assertEqual([c["chart"] for c in charts], [c.chart for c in dashboard.charts], user)
		self.assertEqual([c["card"] for c in cards], [c.card for c in dashboard.cards], user)
		workspace = frappe.get_doc("Workspace", "Partners")
		for name in [c.card for c in dashboard.cards] + [c.number_card_name for c in workspace.number_cards]:
			with self.subTest(user=user, card=name):
				card = self.getdoc(http, "Number Card", name)
				filters = json.loads(card.get("filters_json") or "[]")
				for doctype, field, operator, _value in json.loads(card.get("dynamic_filters_json") or "[]"):
					filters.append([doctype, field, operator, COMPANY])
				self.call(
					http,
					"frappe.desk.doctype.number_card.number_card.get_result",
					doc=json.dumps(card),
					filters=json.dumps(filters),
				)
		revenue = 0.0
		for name in [c.chart for c in dashboard.charts] + [c.chart_name for c in workspace.charts]:
			with self.subTest(user=user, chart=name):
				chart = self.getdoc(http, "Dashboard Chart", name)
				if chart["chart_type"] == "Custom":
					source = frappe.scrub(chart["source"])
					method = f"prm_app.prm_app.dashboard_chart_source.{source}.{source}.get"
					data = self.call(http, method, chart_name=name, filters=json.dumps({"company": COMPANY}))
				else:
					data = self.call(
						http,
						"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
						chart_name=name,
						refresh=1,
					)
				self.assertTrue(data["labels"], name)
				if name == "Channel Revenue by Month":
					revenue = sum(data["datasets"][0]["values"])
		self.assertGreaterEqual(revenue, 2000.0)  # the partner's invoice, through partners

	def test_channel_manager_role_profile(self):
		self.assertEqual(frappe.get_roles(CHANNEL_MANAGER).count("Partner Manager"), 1)
		self.channel_manager_day(CHANNEL_MANAGER)

	def test_partner_manager_role_alone(self):
		self.channel_manager_day(MANAGER_ROLE_ONLY)

	def test_partner_accountant_pays_reconciles_and_prints_the_statement(self):
		self.assertIn("Accounts User", frappe.get_roles(ACCOUNTANT))
		http = self.session(ACCOUNTANT)
		period = {"company": COMPANY, "from_date": add_days(nowdate(), -90), "to_date": nowdate()}
		self.assertTrue(self.report(http, "Commission Reconciliation", **period))
		self.assertTrue(self.report(http, "Partner Commission Register", **period))
		self.assertTrue(self.report(http, "Partner Scorecard", **period))
		for doctype, name in (
			("Sales Partner", self.partner.sales_partner),
			("Sales Partner Type", "_PRM Persona Reseller"),
			("Partner", PARTNER),
			("Supplier", self.partner.supplier),
			("Account", account("Cash")),
			("Company", COMPANY),
		):
			with self.subTest(step=f"link search {doctype}"):
				self.assertIn(name, self.search(http, doctype, name))
		for doctype, name in (
			("Partner", PARTNER),
			("Partner Commission", self.commission),
			("Sales Partner", self.partner.sales_partner),
		):
			with self.subTest(step=f"form {doctype}"):
				self.getdoc(http, doctype, name)
		payout = frappe.get_all("Partner Payout", {"partner": PARTNER, "docstatus": 1}, pluck="name")
		if not payout:
			doc = self.call(
				http,
				"frappe.client.insert",
				doc=json.dumps(
					{
						"doctype": "Partner Payout",
						"partner": PARTNER,
						"company": COMPANY,
						"from_date": add_days(nowdate(), -90),
						"to_date": nowdate(),
						"posting_date": nowdate(),
					}
				),
			)
			self.assertTrue(doc["commissions"], doc)
			self.call(http, "frappe.client.submit", doc=json.dumps(doc))
			payout = [doc["name"]]
		self.getdoc(http, "Partner Payout", payout[0])
		page = http.get(
			f"{self.url}/printview",
			params={"doctype": "Partner Payout", "name": payout[0], "format": "Partner Statement"},
		)
		self.assertEqual(page.status_code, 200, page.text[:300])
		self.assertIn(PARTNER, page.text)

	def test_grants_are_made_once_and_the_customers_changes_are_kept(self):
		row = frappe.db.get_value("Custom DocPerm", {"parent": "Brand", "role": "Partner Manager"})
		self.assertTrue(row)
		# Brand's standard rows were copied along (Frappe reads custom rows only, once there are any)
		self.assertTrue(
			frappe.db.exists("Custom DocPerm", {"parent": "Brand", "role": "Sales User", "read": 1})
		)
		frappe.db.set_value("Custom DocPerm", row, "write", 1)  # the customer widens it
		personas.setup()
		self.assertEqual(frappe.db.get_value("Custom DocPerm", row, "write"), 1)
		frappe.delete_doc("Custom DocPerm", row, ignore_permissions=True, force=True)  # and then removes it
		personas.setup()
		self.assertFalse(frappe.db.exists("Custom DocPerm", {"parent": "Brand", "role": "Partner Manager"}))
		profile = frappe.get_doc("Role Profile", "Partner Accountant")
		profile.append("roles", {"role": "Auditor"})
		profile.save(ignore_permissions=True)
		personas.setup()
		self.assertIn("Auditor", [r.role for r in frappe.get_doc("Role Profile", "Partner Accountant").roles])
		frappe.db.rollback()
		frappe.clear_cache(doctype="Brand")  # the permissions cached while the row was gone
