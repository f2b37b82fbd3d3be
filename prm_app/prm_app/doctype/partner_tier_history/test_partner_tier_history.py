"""Automatic tiers in ERPNext: the evaluation job writes history, changes the tier (or proposes it), and
the partner's next invoice is commissioned with the new tier's plan — asserted on GL rows."""

import json

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, add_months, flt, getdate, nowdate

from prm_app import tiers
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	account,
	commissions_of,
	gl_rows,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	make_tier,
	make_user,
	only_these_tiers,
)

EXPENSE = account("Commission on Sales")
PAYABLE = account("Creditors")
USER = "prm.tier.partner@example.com"


def set_criteria(tier: str, **values) -> None:
	frappe.db.set_value("Partner Tier", tier, values)


def make_outgoing_email_account() -> None:
	"""Tier changes are emailed; the queue needs a default outgoing account (never sent in tests)."""
	if frappe.db.exists("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "_PRM Outgoing",
			"email_id": "prm.outgoing@example.com",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "localhost",
			"no_smtp_authentication": 1,
		}
	).insert(ignore_permissions=True)


class TestTierEvaluation(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.silver_plan = make_plan(
			"_PRM Tier Silver 5", [{"rule_name": "All", "rate_type": "Percentage", "rate": 5}]
		)
		self.gold_plan = make_plan(
			"_PRM Tier Gold 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.silver = make_tier("_PRM Silver", 9101, plan=self.silver_plan)
		self.gold = make_tier("_PRM Gold", 9102, plan=self.gold_plan)
		only_these_tiers(self.silver, self.gold)
		set_criteria(self.gold, min_revenue=1500, evaluation_window_months=12, grace_count=1)
		make_user(USER, ["Partner"])
		# an established partner (a new one keeps its tier for its first window: test_new_partner_...)
		self.partner = make_partner(
			"_PRM Tier Partner", tier=self.silver, users=[{"user": USER}], partnership_start_date="2020-01-01"
		)
		make_outgoing_email_account()
		# changes are applied unless a test asks for proposals (the site's default is to propose)
		frappe.db.set_single_value("PRM Settings", "propose_tier_changes_only", 0)

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_document_cache("PRM Settings", "PRM Settings")

	def history(self, **filters):
		return frappe.get_all(
			"Partner Tier History",
			filters={"partner": self.partner.name, **filters},
			fields=["*"],
			order_by="evaluated_on, creation",
		)

	def tier(self):
		return frappe.db.get_value("Partner", self.partner.name, "tier")

	def test_job_promotes_and_the_next_invoice_uses_the_new_tiers_plan(self):
		before = make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		[pc] = commissions_of(before.name)
		self.assertEqual(flt(pc.total), 100.0)  # Silver: 5% of 2,000

		tiers.evaluate_now()  # the long-queue job runs inline in tests

		[row] = self.history()
		self.assertEqual(
			(row.from_tier, row.to_tier, row.change, row.status),
			(self.silver, self.gold, "Promotion", "Applied"),
		)
		self.assertEqual(getdate(row.evaluated_on), getdate(nowdate()))
		metrics = json.loads(row.metrics)
		self.assertEqual(metrics["criteria"][self.gold]["revenue"]["value"], 2000.0)
		self.assertTrue(metrics["passed"]["revenue"])
		self.assertEqual(self.tier(), self.gold)
		self.assertEqual(frappe.db.get_single_value("PRM Settings", "last_tier_evaluation"), getdate())
		self.assertTrue(
			frappe.db.exists(
				"Email Queue", {"reference_doctype": "Partner", "reference_name": self.partner.name}
			)
		)

		after = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		[pc] = commissions_of(after.name)
		commission = frappe.get_doc("Partner Commission", pc.name)
		self.assertEqual(commission.commission_plan, self.gold_plan)
		self.assertEqual(commission.partner_tier, self.gold)
		self.assertEqual(flt(commission.total), 100.0)  # Gold: 10% of 1,000
		self.assertEqual(
			gl_rows(commission.journal_entry),
			sorted([(EXPENSE, 100.0, 0.0, None), (PAYABLE, 0.0, 100.0, self.partner.supplier)]),
		)

	def test_returns_count_against_revenue(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		make_return(si, {"_PRM Hardware": 1})
		tiers.run_evaluation()
		[row] = self.history()
		self.assertEqual(row.status, "Unchanged")
		self.assertEqual(json.loads(row.metrics)["metrics"]["revenue"]["12"], 1000.0)
		self.assertEqual(self.tier(), self.silver)

	@change_settings("PRM Settings", {"propose_tier_changes_only": 1})
	def test_propose_only_waits_for_bulk_approval(self):
		make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		tiers.run_evaluation()
		[row] = self.history()
		self.assertEqual((row.status, row.to_tier), ("Proposed", self.gold))
		self.assertEqual(self.tier(), self.silver)

		self.assertEqual(tiers.approve_proposals(json.dumps([row.name])), 1)
		self.assertEqual(self.tier(), self.gold)
		row = frappe.get_doc("Partner Tier History", row.name)
		self.assertEqual((row.status, row.reviewed_by), ("Applied", "Administrator"))
		self.assertEqual(tiers.approve_proposals([row.name]), 0)  # already applied

	@change_settings("PRM Settings", {"propose_tier_changes_only": 1})
	def test_rejected_and_outdated_proposals(self):
		make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		tiers.run_evaluation()
		[row] = self.history()
		self.assertEqual(tiers.reject_proposals([row.name]), 1)
		self.assertEqual(frappe.db.get_value("Partner Tier History", row.name, "status"), "Rejected")
		self.assertEqual(self.tier(), self.silver)

		tiers.run_evaluation(as_of=add_days(nowdate(), 1))
		tiers.run_evaluation(as_of=add_days(nowdate(), 1))  # again: the first proposal is superseded
		statuses = [r.status for r in self.history()]
		self.assertEqual(statuses, ["Rejected", "Superseded", "Proposed"])
		latest = self.history(status="Proposed")[-1]
		frappe.db.set_value("Partner", self.partner.name, "tier", None)
		self.assertEqual(tiers.approve_proposals([latest.name]), 0)  # outdated: skipped
		self.assertEqual(frappe.db.get_value("Partner Tier History", latest.name, "status"), "Proposed")
		self.assertIsNone(self.tier())

	def test_demotion_after_the_grace_count(self):
		frappe.db.set_value("Partner", self.partner.name, "tier", self.gold)
		first, second = add_months(nowdate(), -1), nowdate()
		tiers.run_evaluation(as_of=first)
		self.assertEqual(self.tier(), self.gold)  # grace 1: the first failure is tolerated
		tiers.run_evaluation(as_of=second)
		self.assertEqual(self.tier(), self.silver)
		rows = self.history()
		self.assertEqual(
			[(r.status, r.failed_current_tier, r.consecutive_failures) for r in rows],
			[
				("Unchanged", 1, 1),
				("Applied", 1, 2),
			],
		)
		self.assertEqual(rows[1].change, "Demotion")

	def test_new_partner_placed_by_hand_keeps_its_tier_for_its_first_window(self):
		# made today in the desk with Gold and no start date: the first evaluations do not demote it
		newcomer = make_partner("_PRM Tier Newcomer", tier=self.gold)
		tiers.run_evaluation()
		tiers.run_evaluation(as_of=add_days(nowdate(), 1))
		self.assertEqual(frappe.db.get_value("Partner", newcomer.name, "tier"), self.gold)
		rows = frappe.get_all(
			"Partner Tier History", {"partner": newcomer.name}, ["status", "consecutive_failures", "reason"]
		)
		self.assertEqual([(r.status, r.consecutive_failures) for r in rows], [("Unchanged", 0)] * 2)
		self.assertIn("new partner", rows[0].reason)

	def test_tier_changes_are_proposed_by_default_on_a_new_site(self):
		meta = frappe.get_meta("PRM Settings")
		self.assertEqual(meta.get_field("propose_tier_changes_only").default, "1")

	def test_locked_partner_is_reported_not_changed(self):
		frappe.db.set_value("Partner", self.partner.name, "tier_locked", 1)
		make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		tiers.run_evaluation()
		[row] = self.history()
		self.assertEqual((row.status, row.to_tier), ("Locked", self.silver))
		self.assertIn("qualifies for _PRM Gold", row.reason)
		self.assertEqual(self.tier(), self.silver)

	def test_certifications_and_progress_to_the_next_tier(self):
		set_criteria(self.gold, min_certified_users=1)
		make_invoice(self.partner, [("_PRM Hardware", 1, 600)])
		cert = frappe.get_doc(
			{
				"doctype": "Partner Certification",
				"partner": self.partner.name,
				"user": "Administrator",
				"certification_name": "Sales Expert",
				"issued_on": nowdate(),
			}
		)
		self.assertRaises(frappe.ValidationError, cert.insert)  # not a partner user
		cert.user = USER
		cert.valid_until = add_days(nowdate(), -1)
		self.assertRaises(frappe.ValidationError, cert.insert)  # expires before it was issued
		cert.valid_until = add_days(nowdate(), 365)
		cert.insert()

		progress = tiers.get_tier_progress(self.partner.name)
		self.assertEqual((progress["current_tier"], progress["next_tier"]), (self.silver, self.gold))
		by_key = {c["criterion"]: c for c in progress["criteria"]}
		self.assertEqual(by_key["revenue"]["value"], 600.0)
		self.assertEqual(by_key["revenue"]["percent"], 40.0)
		self.assertFalse(by_key["revenue"]["passed"])
		self.assertEqual((by_key["certified_users"]["value"], by_key["certified_users"]["passed"]), (1, True))

	@change_settings("PRM Settings", {"tier_evaluation_frequency": "Monthly", "last_tier_evaluation": None})
	def test_scheduler_runs_once_on_the_first_of_the_month(self):
		make_invoice(self.partner, [("_PRM Hardware", 2, 1000)], posting_date="2026-10-15")
		with self.freeze_time("2026-10-31 08:00"):
			tiers.scheduled_evaluation()
		self.assertEqual(self.history(), [])  # not the first of a month
		with self.freeze_time("2026-11-01 08:00"):
			tiers.scheduled_evaluation()
			tiers.scheduled_evaluation()  # the same day again: nothing new
		[row] = self.history()
		self.assertEqual((getdate(row.evaluated_on), row.to_tier), (getdate("2026-10-31"), self.gold))
		self.assertEqual(self.tier(), self.gold)

	def test_won_deal_registrations_count(self):
		set_criteria(self.gold, min_revenue=0, min_won_deals=2)
		for status, won_on in (("Won", nowdate()), ("Won", add_months(nowdate(), -13)), ("Lost", nowdate())):
			# the registration's own workflow is not under test: write the row as it ends up
			frappe.get_doc(
				{
					"doctype": "Deal Registration",
					"partner": self.partner.name,
					"status": status,
					"won_on": won_on if status == "Won" else None,
				}
			).db_insert()
		tiers.run_evaluation()
		[row] = self.history()
		self.assertEqual(row.status, "Unchanged")  # one won in the window, one too old
		self.assertEqual(json.loads(row.metrics)["metrics"]["won_deals"]["12"], 1)
		frappe.get_doc(
			{
				"doctype": "Deal Registration",
				"partner": self.partner.name,
				"status": "Won",
				"won_on": nowdate(),
			}
		).db_insert()
		tiers.run_evaluation(as_of=add_days(nowdate(), 1))
		self.assertEqual(self.tier(), self.gold)

	def test_schedule(self):
		monday_first = getdate("2026-06-01")
		self.assertTrue(tiers.is_due("Monthly", monday_first))
		self.assertTrue(tiers.is_due("Weekly", monday_first))
		self.assertFalse(tiers.is_due("Quarterly", monday_first))
		self.assertTrue(tiers.is_due("Quarterly", getdate("2026-07-01")))
		self.assertFalse(tiers.is_due("Never", monday_first))
		self.assertFalse(tiers.is_due("Monthly", getdate("2026-06-02")))

	def test_only_managers_may_evaluate(self):
		make_user("prm.tier.accounts@example.com", ["Accounts User"])
		frappe.set_user("prm.tier.accounts@example.com")
		try:
			self.assertRaises(frappe.PermissionError, tiers.evaluate_now)
			self.assertRaises(frappe.PermissionError, tiers.approve_proposals, [])
		finally:
			frappe.set_user("Administrator")
