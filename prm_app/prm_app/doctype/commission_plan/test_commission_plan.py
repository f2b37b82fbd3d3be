"""Commission Plan: the engine's validation as clear errors, JSON export/import, and the simulation of a
plan on past partner invoices (what it would pay against what was accrued, with nothing posted)."""

import json
from datetime import date
from decimal import Decimal
from unittest.mock import patch

import frappe
from frappe.utils import add_months, flt, get_first_day, getdate, nowdate

from prm_app import commissions, simulation
from prm_app.api.commission_plan import get_plan_summary, simulate
from prm_app.engine import PlanError
from prm_app.engine.simulate import run_stream
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	commissions_of,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	make_user,
)

ALL_10 = [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
VOLUME = [{"rule_name": "Volume", "rate_type": "Percentage", "rate": 0}]
VOLUME_BRACKETS = [
	{"rule_name": "Volume", "from_amount": 0, "to_amount": 1000, "rate": 5},
	{"rule_name": "Volume", "from_amount": 1000, "rate": 10},
]


def ledger_counts() -> tuple[int, int, int]:
	return (
		frappe.db.count("Journal Entry"),
		frappe.db.count("GL Entry"),
		frappe.db.count("Partner Commission"),
	)


def engine_totals(plan: str, invoice_names: list[str]) -> dict[str, Decimal]:
	"""Per partner, what the engine computes for these invoices read one document at a time, as posting
	reads them: the reference the simulation's bulk reading must agree with."""
	engine_plan = frappe.get_doc("Commission Plan", plan).to_engine_plan()
	invoices = []
	for name in invoice_names:
		si = frappe.get_doc("Sales Invoice", name)
		invoices.append(commissions.engine_invoice(si, commissions.partner_for(si), engine_plan))
	result = run_stream(engine_plan, invoices)
	totals: dict[str, Decimal] = {}
	for invoice in invoices:
		totals[invoice.partner] = totals.get(invoice.partner, Decimal(0)) + result.results[invoice.name].total
	return totals


def accrued(invoice_names: list[str]) -> dict[str, float]:
	totals: dict[str, float] = {}
	for name in invoice_names:
		for pc in frappe.get_all(
			"Partner Commission", filters={"sales_invoice": name, "docstatus": 1}, fields=["partner", "total"]
		):
			totals[pc.partner] = flt(totals.get(pc.partner, 0) + flt(pc.total), 2)
	return totals


class TestCommissionPlanValidation(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def test_brackets_with_a_gap_are_refused(self):
		brackets = [
			{"rule_name": "Volume", "from_amount": 0, "to_amount": 1000, "rate": 5},
			{"rule_name": "Volume", "from_amount": 1500, "rate": 10},
		]
		with self.assertRaisesRegex(frappe.ValidationError, "starts at 1,?500 but the previous bracket ends"):
			make_plan("_PRM Gap", VOLUME, brackets)

	def test_brackets_not_starting_at_zero_are_refused(self):
		brackets = [{"rule_name": "Volume", "from_amount": 100, "rate": 5}]
		with self.assertRaisesRegex(frappe.ValidationError, "must start at 0"):
			make_plan("_PRM No Zero", VOLUME, brackets)

	def test_percentage_above_100_is_refused(self):
		rules = [{"rule_name": "All", "rate_type": "Percentage", "rate": 150}]
		with self.assertRaisesRegex(frappe.ValidationError, "between 0 and 100, got 150"):
			make_plan("_PRM Too Much", rules)

	def test_bracket_rate_above_100_is_refused(self):
		brackets = [{"rule_name": "Volume", "from_amount": 0, "rate": 120}]
		with self.assertRaisesRegex(frappe.ValidationError, "between 0 and 100, got 120"):
			make_plan("_PRM Bracket Too Much", VOLUME, brackets)

	def test_bracket_naming_a_missing_rule_is_refused(self):
		brackets = [{"rule_name": "Nope", "from_amount": 0, "rate": 5}]
		with self.assertRaisesRegex(frappe.ValidationError, "names rule .*Nope.*not in the Rules table"):
			make_plan("_PRM Missing Rule", ALL_10, brackets)

	def test_valid_to_before_valid_from_is_refused(self):
		with self.assertRaisesRegex(frappe.ValidationError, "Valid To cannot be before Valid From"):
			make_plan("_PRM Dates", ALL_10, valid_from="2026-06-01", valid_to="2026-05-31")

	def test_the_error_names_the_plan_problem_with_a_title(self):
		try:
			make_plan("_PRM Titled", [{"rule_name": "All", "rate_type": "Percentage", "rate": 101}])
		except frappe.ValidationError:
			message = frappe.message_log[-1]
		else:
			self.fail("the plan was accepted")
		message = json.loads(message) if isinstance(message, str) else message
		self.assertEqual(message.get("title"), "Invalid Commission Plan")
		self.assertIn("rule 1 (All) rate", message.get("message"))


class TestPlanJSON(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def rich_plan(self) -> str:
		return make_plan(
			"_PRM Rich",
			[
				{
					"rule_name": "Hardware",
					"priority": 1,
					"rate_type": "Percentage",
					"rate": 0,
					"item_group": "_PRM Hardware Group",
					"new_customer": "Yes",
					"cap_per_period": 5000,
				},
				{
					"rule_name": "Units",
					"priority": 5,
					"rate_type": "Per Unit",
					"rate": 2.5,
					"max_per_invoice": 100,
				},
				{
					"rule_name": "Rest",
					"priority": 10,
					"rate_type": "Percentage",
					"rate": 7.125,
					"min_per_invoice": 10,
				},
			],
			[
				{"rule_name": "Hardware", "from_amount": 0, "to_amount": 10000, "rate": 4},
				{"rule_name": "Hardware", "from_amount": 10000, "rate": 6.5},
			],
			bracket_mode="Step",
			period="Month",
			basis="Net Amount",
		)

	def test_export_then_import_gives_the_same_plan(self):
		source = frappe.get_doc("Commission Plan", self.rich_plan())
		text = source.export_plan()
		data = json.loads(text)
		self.assertEqual(data["schema"], "prm_app.plan/1")
		self.assertEqual(data["bracket_mode"], "step")
		self.assertNotIn("tier_multipliers", data)  # site facts stay out of the exported plan

		target = frappe.get_doc("Commission Plan", make_plan("_PRM Target", ALL_10))
		target.import_plan(text)
		target = frappe.get_doc("Commission Plan", target.name)  # what was saved
		self.assertEqual((target.bracket_mode, target.period), ("Step", "Month"))
		self.assertEqual(len(target.rules), 3)
		self.assertEqual(len(target.brackets), 2)

		exported, imported = source.to_plan_dict(), target.to_plan_dict()
		imported["name"] = exported["name"]
		self.assertEqual(imported, exported)
		# and the import's own export is the same text, but for the name
		self.assertEqual(json.loads(target.export_plan()) | {"name": data["name"]}, data)

	def test_import_of_an_invalid_plan_changes_nothing(self):
		target = frappe.get_doc("Commission Plan", make_plan("_PRM Target", ALL_10))
		bad = json.loads(target.export_plan())
		bad["rules"][0]["rate"] = "250"
		with self.assertRaisesRegex(frappe.ValidationError, "The plan JSON is not valid"):
			target.import_plan(json.dumps(bad))
		with self.assertRaisesRegex(frappe.ValidationError, "The plan JSON is not valid"):
			target.import_plan("{not json")
		self.assertEqual(
			flt(frappe.db.get_value("Commission Plan Rule", {"parent": target.name}, "rate")), 10
		)


class TestPlanSimulation(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.accrual_plan = make_plan("_PRM Flat 10", ALL_10)
		self.volume_plan = make_plan("_PRM Volume", VOLUME, VOLUME_BRACKETS, period="Month")
		self.alpha = make_partner("_PRM Sim Alpha", plan=self.accrual_plan)
		self.beta = make_partner("_PRM Sim Beta", plan=self.accrual_plan)

	def tearDown(self):
		frappe.db.rollback()

	def new_simulation(self, plan, months=1, **values):
		from_date, to_date = simulation.simulation_window(months)
		return frappe.get_doc(
			{
				"doctype": simulation.SIMULATION,
				"commission_plan": plan,
				"months": months,
				"from_date": values.pop("from_date", from_date),
				"to_date": values.pop("to_date", to_date),
			}
		).insert()

	def test_window_is_the_last_calendar_months(self):
		self.assertEqual(
			simulation.simulation_window(12, "2026-11-27"), (date(2025, 12, 1), date(2026, 11, 27))
		)
		self.assertEqual(simulation.simulation_window(1, "2026-03-31"), (date(2026, 3, 1), date(2026, 3, 31)))
		self.assertEqual(simulation.period_start("quarter", date(2026, 11, 27)), date(2026, 10, 1))
		self.assertRaises(frappe.ValidationError, simulation.validate_months, 0)

	def test_job_compares_would_pay_with_accrued_and_posts_nothing(self):
		alpha_1 = make_invoice(self.alpha, [("_PRM Hardware", 1, 800), ("_PRM Software", 2, 100)])
		alpha_2 = make_invoice(self.alpha, [("_PRM Hardware", 1, 700)])
		beta_1 = make_invoice(self.beta, [("_PRM Software", 3, 250)])
		credit = make_return(alpha_2, {"_PRM Hardware": 1})
		make_invoice(None, [("_PRM Hardware", 1, 5000)])  # no partner: not simulated
		names = [alpha_1.name, alpha_2.name, beta_1.name, credit.name]
		self.assertEqual(len(commissions_of(credit.name)), 1)  # the clawback was accrued

		sim = self.new_simulation(self.volume_plan)
		before = ledger_counts()
		simulation.run_simulation(sim.name)
		self.assertEqual(ledger_counts(), before)  # no Journal Entry, GL Entry or commission

		sim.reload()
		self.assertEqual(sim.status, "Completed", sim.error)
		rows = {row.partner: row for row in sim.partners}
		self.assertLessEqual({self.alpha.name, self.beta.name}, set(rows))
		expected = engine_totals(self.volume_plan, names)
		was = accrued(names)
		for partner in (self.alpha.name, self.beta.name):
			row = rows[partner]
			self.assertEqual(flt(row.would_pay, 2), flt(expected[partner], 2), partner)
			self.assertEqual(flt(row.was_accrued, 2), was[partner], partner)
			self.assertEqual(flt(row.difference, 2), flt(row.would_pay - row.was_accrued, 2))
		# by hand: alpha 1,000 @5% then 700 @10%, the credit note takes the 700 back; beta 750 @5%
		self.assertEqual(flt(rows[self.alpha.name].would_pay), 50.0)
		self.assertEqual(flt(rows[self.alpha.name].was_accrued), 100.0)  # 10% of 1,000 (+70 -70)
		self.assertEqual(flt(rows[self.beta.name].would_pay), 37.5)
		self.assertEqual(flt(rows[self.beta.name].was_accrued), 75.0)
		self.assertEqual((rows[self.alpha.name].invoices, rows[self.beta.name].invoices), (3, 1))
		self.assertEqual(flt(rows[self.alpha.name].base), 1000.0)
		self.assertEqual(sim.currency, "USD")
		# totals are over every partner of the company (only these two on a clean site)
		self.assertGreaterEqual(sim.total_invoices, 4)
		for total, column in (("total_would_pay", "would_pay"), ("total_was_accrued", "was_accrued")):
			self.assertEqual(flt(sim.get(total), 2), flt(sum(flt(r.get(column)) for r in sim.partners), 2))
		self.assertEqual(flt(sim.total_difference, 2), flt(sim.total_would_pay - sim.total_was_accrued, 2))

	def test_brackets_start_from_the_volume_of_the_whole_period(self):
		year = getdate(nowdate()).year - 1
		quarter_plan = make_plan("_PRM Volume Q", VOLUME, VOLUME_BRACKETS, period="Quarter")
		warm_up = make_invoice(self.alpha, [("_PRM Hardware", 1, 800)], posting_date=f"{year}-04-10")
		counted = make_invoice(self.alpha, [("_PRM Hardware", 1, 800)], posting_date=f"{year}-05-10")
		old = make_invoice(self.beta, [("_PRM Hardware", 1, 400)], posting_date=f"{year}-03-10")
		old_return = make_return(old, {"_PRM Hardware": 1})
		old_return.db_set("posting_date", f"{year}-05-12")  # a credit note in the window, its invoice before

		outcome = simulation.simulate_plan(quarter_plan, date(year, 5, 1), date(year, 6, 30))
		self.assertEqual(outcome.invoices, 1)
		self.assertEqual(outcome.warm_up_invoices, 1)
		self.assertEqual(outcome.skipped_returns, 1)
		row = outcome.partners[self.alpha.name]
		self.assertEqual(row.invoices, 1)
		# the April 800 fills the 5% bracket to 800: May's 800 is 200 @5% + 600 @10%
		self.assertEqual(row.would_pay, Decimal("70.00"))
		self.assertEqual(row.was_accrued, Decimal("80"))
		self.assertEqual(
			row.would_pay, engine_totals(quarter_plan, [warm_up.name, counted.name])[self.alpha.name] - 40
		)
		self.assertNotIn(self.beta.name, outcome.partners)

	def test_many_invoices_take_the_vectorised_path_with_the_same_result(self):
		if simulation.vectorised_engine() is None:
			self.skipTest("the engine has no vectorised path")
		alpha_1 = make_invoice(self.alpha, [("_PRM Hardware", 1, 800), ("_PRM Software", 3, 133.33)])
		alpha_2 = make_invoice(self.alpha, [("_PRM Hardware", 2, 450.5)])
		beta_1 = make_invoice(self.beta, [("_PRM Software", 7, 212.25)])
		make_return(alpha_2, {"_PRM Hardware": 1})
		window = simulation.simulation_window(1)
		reference = simulation.simulate_plan(self.volume_plan, *window)
		with (
			patch.object(simulation, "VECTORISED_FROM", 0),
			patch.object(
				simulation, "run_stream", side_effect=AssertionError("the reference path was taken")
			),
		):
			vectorised = simulation.simulate_plan(self.volume_plan, *window)
		for partner in (self.alpha.name, self.beta.name):
			self.assertEqual(vectorised.partners[partner], reference.partners[partner])
		expected = engine_totals(self.volume_plan, [alpha_1.name, alpha_2.name, beta_1.name])
		self.assertEqual(vectorised.partners[self.beta.name].would_pay, expected[self.beta.name])

	def test_progress_is_reported(self):
		make_invoice(self.alpha)
		calls = []
		simulation.simulate_plan(
			self.volume_plan, *simulation.simulation_window(1), progress=lambda *a: calls.append(a)
		)
		done, total, stage = calls[-1]
		self.assertEqual(done, total)
		self.assertGreaterEqual(total, 2)
		self.assertTrue(stage)

	def test_a_failure_is_stored_on_the_simulation(self):
		sim = self.new_simulation(self.volume_plan)
		with patch.object(simulation, "simulate_plan", side_effect=PlanError("plan {0!r} broke", "x")):
			simulation.run_simulation(sim.name)
		sim.reload()
		self.assertEqual(sim.status, "Failed")
		self.assertEqual(sim.error, "plan 'x' broke")
		self.assertTrue(
			frappe.db.exists(
				"Error Log", {"reference_doctype": simulation.SIMULATION, "reference_name": sim.name}
			)
		)

	def test_endpoint_queues_one_long_job(self):
		with patch("frappe.enqueue") as enqueue:
			result = simulate(self.volume_plan, 3)
		self.assertTrue(result["queued"])
		sim = frappe.get_doc(simulation.SIMULATION, result["simulation"])
		self.assertEqual((sim.status, sim.months, sim.commission_plan), ("Queued", 3, self.volume_plan))
		self.assertEqual(getdate(sim.from_date), getdate(get_first_day(add_months(nowdate(), -2))))
		self.assertEqual(getdate(sim.to_date), getdate(nowdate()))
		enqueue.assert_called_once()
		args, kwargs = enqueue.call_args
		self.assertEqual(args, ("prm_app.simulation.run_simulation",))
		self.assertEqual(kwargs["queue"], "long")
		self.assertTrue(kwargs["deduplicate"])
		self.assertEqual(kwargs["job_id"], simulation.job_id(self.volume_plan))
		self.assertEqual(kwargs["simulation"], sim.name)
		self.assertRaises(frappe.ValidationError, simulate, self.volume_plan, 0)

	def test_endpoint_checks_permissions(self):
		outsider = make_user("prm-outsider@example.com", ["Sales User"])
		reader = make_user("prm-reader@example.com", ["Accounts User"])  # reads plans, can't simulate
		manager = make_user("prm-manager@example.com", ["Partner Manager"])
		with patch("frappe.enqueue"):
			for user in (outsider, reader):
				with self.set_user(user):
					self.assertRaises(frappe.PermissionError, simulate, self.volume_plan, 12)
			with self.set_user(manager):
				self.assertTrue(simulate(self.volume_plan, 12)["simulation"])
		self.assertTrue(frappe.has_permission(simulation.SIMULATION, "read", user=manager))
		self.assertFalse(frappe.has_permission(simulation.SIMULATION, "read", user=reader))

	def test_endpoint_only_accepts_post(self):
		from frappe import is_whitelisted

		is_whitelisted(simulate)
		self.assertEqual(frappe.allowed_http_methods_for_whitelisted_func[simulate], ["POST"])


HOSTILE = "<img src=x onerror=alert(1)>"


class TestPlanSummary(PRMTestCase):
	"""The form's plain-language summary: on load (after save) and from the endpoint the form calls as
	rows change, in the user's language, with names shown as text."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.lang = frappe.local.lang

	def tearDown(self):
		frappe.local.lang = self.lang
		frappe.db.rollback()

	def plan(self, name: str = "_PRM Summary", rule: str = "Volume") -> str:
		return make_plan(
			name,
			[
				{"rule_name": rule, "priority": 1, "rate_type": "Percentage", "rate": 0},
				{
					"rule_name": "Units",
					"priority": 5,
					"rate_type": "Per Unit",
					"rate": 2.5,
					"new_customer": "Yes",
				},
				{
					"rule_name": "Rest",
					"priority": 10,
					"rate_type": "Percentage",
					"rate": 7.5,
					"min_per_invoice": 10,
				},
			],
			[
				{"rule_name": rule, "from_amount": 0, "to_amount": 1000, "rate": 5},
				{"rule_name": rule, "from_amount": 1000, "rate": 10},
			],
			special_price_commission="Flag for Review",
		)

	def summary(self, name: str) -> str:
		doc = frappe.get_doc("Commission Plan", name)
		return get_plan_summary(doc.as_json())

	def test_summary_in_english_on_load_and_from_the_endpoint(self):
		frappe.local.lang = "en"
		name = self.plan()
		html = self.summary(name)
		self.assertIn("Commission is worked out on the net amount of each invoice line", html)
		self.assertIn(
			"<strong>Volume</strong>: Pays a share of the net amount set by the volume brackets", html
		)
		self.assertIn("Volume up to $ 1,000.00: 5%", html)
		self.assertIn("Volume of $ 1,000.00 and above: 10%", html)  # the open bracket
		self.assertIn(
			"<strong>Units</strong>: Pays $ 2.50 per unit sold on lines where the customer is new.", html
		)
		self.assertIn("<strong>Rest</strong>: Pays 7.5% of the net amount on every line.", html)
		self.assertIn("At least $ 10.00 per invoice.", html)
		self.assertIn("held until a Partner Manager approves it", html)
		self.assertNotIn("It applies to invoices dated", html)
		frappe.db.set_value("Commission Plan", name, {"valid_from": "2026-01-01", "valid_to": "2026-12-31"})
		self.assertIn(
			f"It applies to invoices dated from {frappe.utils.formatdate('2026-01-01')} to "
			f"{frappe.utils.formatdate('2026-12-31')}.",
			self.summary(name),
		)
		# the form gets the same on load, so it is there right after a save
		doc = frappe.get_doc("Commission Plan", name)
		doc.run_method("onload")
		self.assertEqual(doc.get_onload().plan_summary, self.summary(name))
		self.assertIn("It applies to invoices dated", doc.get_onload().plan_summary)

	def test_summary_follows_unsaved_rows(self):
		doc = frappe.get_doc("Commission Plan", self.plan())
		doc.rules[2].rate = 3
		doc.append(
			"rules", {"rule_name": "Deals", "rate_type": "Per Invoice", "rate": 20, "registered_deal": "No"}
		)
		html = get_plan_summary(doc.as_dict())
		self.assertIn("Pays 3% of the net amount on every line.", html)
		self.assertIn(
			"<strong>Deals</strong>: Pays $ 20.00 per invoice on lines where the sale is not a registered deal.",
			html,
		)
		self.assertEqual(
			frappe.db.get_value("Commission Plan Rule", {"parent": doc.name, "idx": 3}, "rate"), 7.5
		)
		doc.rules = []  # a plan the engine cannot read yet says why
		self.assertIn("The summary appears when the plan is valid", get_plan_summary(doc.as_dict()))

	def test_summary_in_german(self):
		frappe.local.lang = "de"
		html = self.summary(self.plan())
		self.assertIn(
			"Die Provision wird auf den Nettobetrag jeder provisionsberechtigten Rechnungszeile", html
		)
		# numbers in the site's number format, phrases in the user's language
		self.assertIn("<strong>Rest</strong>: Zahlt 7.5 % des Nettobetrags auf jede Zeile.", html)
		self.assertIn("und darüber: 10 %", html)
		self.assertIn("Mindestens", html)
		self.assertNotIn("Pays", html)

	def test_names_are_shown_as_text(self):
		# Frappe strips markup from a saved rule name, but the form sends its unsaved rows as typed
		doc = frappe.get_doc("Commission Plan", self.plan())
		doc.rules[0].rule_name = HOSTILE
		for bracket in doc.brackets:
			bracket.rule_name = HOSTILE
		doc.rules[2].brand = '"><svg onload=alert(2)>'
		html = get_plan_summary(doc.as_dict())
		self.assertNotIn("<img", html)
		self.assertNotIn("<svg", html)
		self.assertIn("<strong>&lt;img src=x onerror=alert(1)&gt;</strong>", html)
		self.assertIn("the brand is &quot;&gt;&lt;svg onload=alert(2)&gt;", html)
		# a saved name that is text with markup characters
		name = self.plan(name="_PRM Summary 2", rule="R&D <3")
		self.assertIn("<strong>R&amp;D &lt;3</strong>", self.summary(name))

	def test_endpoint_needs_read_permission_on_the_plan(self):
		name = self.plan()
		doc = frappe.get_doc("Commission Plan", name).as_json()
		outsider = make_user("prm-outsider@example.com", ["Sales User"])
		with self.set_user(outsider):
			self.assertRaises(frappe.PermissionError, get_plan_summary, doc)
		reader = make_user("prm-reader@example.com", ["Accounts User"])
		with self.set_user(reader):
			self.assertIn("<strong>Rest</strong>", get_plan_summary(doc))
