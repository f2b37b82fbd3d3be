"""Posting to the ledger from Sales Invoices: submit, cancel (before / after payment), credit notes,
amend, multi-currency, idempotency, step brackets, bad input and the retry queue — asserted on GL rows."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app import commissions
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	gl_rows,
	make_company,
	make_invoice,
	make_item,
	make_partner,
	make_plan,
	make_return,
	make_tier,
	make_user,
	pay_journal,
	supplier_payable,
)

# ERPNext builds its test records by walking Link fields, and prm_app's custom fields on its transactions
# lead into this doctype: the walk stops here (see prm_app/tests/test_erpnext_test_records.py)
test_ignore = [
	"Commission Plan",
	"Company",
	"Cost Center",
	"Currency",
	"DocType",
	"Item",
	"Item Group",
	"Journal Entry",
	"Partner",
	"Partner Payout",
	"Partner Tier",
	"Project",
	"Sales Invoice",
	"Supplier",
	"User",
]
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads


EXPENSE = account("Commission on Sales")
PAYABLE = account("Creditors")


class TestCommissionPosting(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.plan = make_plan(
			"_PRM Flat 10",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 10}],
		)
		self.partner = make_partner("_PRM Partner A", plan=self.plan)

	def tearDown(self):
		frappe.db.rollback()

	def accrual_rows(self, amount):
		return sorted([(EXPENSE, amount, 0.0, None), (PAYABLE, 0.0, amount, self.partner.supplier)])

	def clawback_rows(self, amount):
		return sorted([(EXPENSE, 0.0, amount, None), (PAYABLE, amount, 0.0, self.partner.supplier)])

	def test_partner_gets_its_sales_partner_and_supplier(self):
		self.assertTrue(frappe.db.exists("Sales Partner", self.partner.sales_partner))
		self.assertTrue(frappe.db.exists("Supplier", self.partner.supplier))
		other = frappe.get_doc(
			{
				"doctype": "Partner",
				"partner_name": "_PRM Partner Copy",
				"company": COMPANY,
				"sales_partner": self.partner.sales_partner,
			}
		)
		self.assertRaises(frappe.ValidationError, other.insert)

	def test_submit_posts_an_open_payable_of_the_partner(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 2, 600), ("_PRM Software", 1, 234.55)])
		[pc] = commissions_of(si.name)
		self.assertEqual(flt(pc.total), 143.46)  # 10% of 1,434.55
		self.assertEqual(pc.status, "Accrued")
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(143.46))
		self.assertEqual(
			frappe.db.get_value("Journal Entry", pc.journal_entry, "prm_partner_commission"), pc.name
		)
		si.reload()
		self.assertEqual(flt(si.total_commission), 143.46)
		self.assertEqual(si.prm_partner_commission, pc.name)
		self.assertEqual(si.prm_partner, self.partner.name)
		self.assertEqual(supplier_payable(self.partner.supplier), 143.46)
		lines = frappe.get_all("Partner Commission Line", filters={"parent": pc.name}, pluck="explanation")
		self.assertIn("10% of 1,200.00 (rule All)", lines)

	def test_an_accounts_user_submitting_the_invoice_posts_the_commission(self):
		"""The person who submits invoices is not a Partner Manager: the posting does not depend on it."""
		si = make_invoice(self.partner, submit=False)
		user = make_user("prm.posting.accounts@example.com", ["Accounts User", "Sales User"])
		frappe.set_user(user)
		try:
			si = frappe.get_doc("Sales Invoice", si.name)
			si.submit()
			[pc] = commissions_of(si.name)
			self.assertTrue(frappe.has_permission("Partner Commission", "read", pc.name))
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(100.0))
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "owner"), user)

	def test_a_commission_cannot_be_made_or_amended_by_hand(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		si.cancel()  # unpaid: its commission is cancelled with its journal
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "docstatus"), 2)
		journals = frappe.db.count("Journal Entry", {"prm_partner_commission": ("is", "set")})
		amended = frappe.copy_doc(frappe.get_doc("Partner Commission", pc.name))
		amended.amended_from = pc.name
		amended.docstatus = 0
		self.assertRaises(frappe.ValidationError, amended.insert)
		by_hand = frappe.get_doc(
			{
				"doctype": "Partner Commission",
				"partner": self.partner.name,
				"company": COMPANY,
				"posting_date": nowdate(),
				"supplier": self.partner.supplier,
				"lines": [{"kind": "Commission", "rule": "All", "amount": 500}],
			}
		)
		self.assertRaises(frappe.ValidationError, by_hand.insert)
		self.assertEqual(
			frappe.db.count("Journal Entry", {"prm_partner_commission": ("is", "set")}), journals
		)
		for role in ("Accounts User", "Accounts Manager"):
			user = make_user(f"prm.{frappe.scrub(role)}@example.com", [role])
			self.assertFalse(frappe.has_permission("Partner Commission", "create", user=user))

	def test_general_ledger_shows_the_against_account(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		cn = make_return(si)
		[clawback] = commissions_of(cn.name)
		for journal in (pc.journal_entry, clawback.journal_entry):
			against = dict(
				frappe.get_all(
					"GL Entry",
					filters={"voucher_no": journal, "is_cancelled": 0},
					fields=["account", "against"],
					as_list=True,
				)
			)
			# as a journal entered in the desk: the expense is against the supplier, the payable against
			# the expense account
			self.assertEqual(against, {EXPENSE: self.partner.supplier, PAYABLE: EXPENSE})

	def test_patch_fills_the_against_account_of_earlier_journals(self):
		from prm_app.patches.v0_1 import journal_against_accounts

		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		# as journals posted before the fix were stored
		frappe.db.sql("update `tabGL Entry` set against = null where voucher_no = %s", pc.journal_entry)
		frappe.db.sql(
			"update `tabJournal Entry Account` set against_account = null where parent = %s", pc.journal_entry
		)
		journal_against_accounts.execute()
		against = dict(
			frappe.get_all(
				"GL Entry",
				filters={"voucher_no": pc.journal_entry},
				fields=["account", "against"],
				as_list=True,
			)
		)
		self.assertEqual(against, {EXPENSE: self.partner.supplier, PAYABLE: EXPENSE})
		rows = frappe.get_all(
			"Journal Entry Account", filters={"parent": pc.journal_entry}, pluck="against_account"
		)
		self.assertEqual(sorted(rows), sorted([self.partner.supplier, EXPENSE]))

	def test_commission_expense_goes_to_the_invoice_lines_projects(self):
		projects = []
		for name in ("_PRM Apollo", "_PRM Gemini"):
			if not frappe.db.exists("Project", {"project_name": name}):
				frappe.get_doc({"doctype": "Project", "project_name": name, "company": COMPANY}).insert()
			projects.append(frappe.db.get_value("Project", {"project_name": name}))
		apollo, gemini = projects
		si = make_invoice(
			self.partner,
			[("_PRM Hardware", 1, 1000), ("_PRM Software", 1, 500)],
			submit=False,
			project=apollo,
		)
		si.items[1].project = gemini  # the second line is for another project than the invoice
		si.save()
		si.submit()
		[pc] = commissions_of(si.name)
		lines = frappe.get_doc("Partner Commission", pc.name).lines
		self.assertEqual([row.project for row in lines], [apollo, gemini])
		self.assertEqual(
			gl_rows_with(pc.journal_entry, "project"),
			# the payable takes the invoice's project, as ERPNext's own receivable row does
			sorted(
				[(EXPENSE, 100.0, 0.0, apollo), (EXPENSE, 50.0, 0.0, gemini), (PAYABLE, 0.0, 150.0, apollo)]
			),
		)
		# a credit note of the second line takes the expense back from its project
		cn = make_return(si, {"_PRM Software": 1})
		[clawback] = commissions_of(cn.name)
		expense = frappe.get_all(
			"GL Entry",
			filters={"voucher_no": clawback.journal_entry, "account": EXPENSE},
			fields=["credit", "project"],
		)
		self.assertEqual([(flt(r.credit), r.project) for r in expense], [(50.0, gemini)])

	def test_accounts_payable_report_shows_the_commission(self):
		from erpnext.accounts.report.accounts_payable.accounts_payable import execute

		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		_columns, data, *_ = execute(
			frappe._dict(
				company=COMPANY,
				report_date=nowdate(),
				party_type="Supplier",
				party=[self.partner.supplier],
				range="30, 60, 90, 120",
			)
		)
		rows = [r for r in data if r.get("voucher_no") == pc.journal_entry]
		self.assertEqual(len(rows), 1)
		self.assertEqual(flt(rows[0]["outstanding"]), 100.0)

	def test_payment_entry_sees_the_commission_due_when_the_holding_period_ends(self):
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_outstanding_reference_documents

		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		payable_on = getdate(frappe.db.get_value("Partner Commission", pc.name, "payable_on"))
		holding = frappe.db.get_single_value("PRM Settings", "holding_days")
		self.assertTrue(holding)
		self.assertEqual(payable_on, getdate(add_days(si.posting_date, holding)))

		def due_by(day):
			documents = get_outstanding_reference_documents(
				{
					"posting_date": nowdate(),
					"company": COMPANY,
					"party_type": "Supplier",
					"party": self.partner.supplier,
					"party_account": PAYABLE,
					"to_due_date": day,
				}
			)
			return [(d.voucher_no, getdate(d.due_date)) for d in documents]

		# "Get Outstanding Invoices" with a due date: not due on the day of the sale, due after the holding
		self.assertEqual(due_by(add_days(payable_on, -1)), [])
		self.assertEqual(due_by(payable_on), [(pc.journal_entry, payable_on)])

	def test_erpnext_sales_partner_report_agrees_with_prm(self):
		from erpnext.selling.report.sales_partner_commission_summary.sales_partner_commission_summary import (
			execute,
		)

		si = make_invoice(self.partner, [("_PRM Hardware", 3, 333.35)])
		cn = make_return(si, {"_PRM Hardware": 1})
		_columns, data = execute(
			frappe._dict(doctype="Sales Invoice", company=COMPANY, sales_partner=self.partner.sales_partner)
		)
		report = {row.name: flt(row.total_commission) for row in data}
		prm = {name: flt(sum(c.total for c in commissions_of(name))) for name in (si.name, cn.name)}
		self.assertEqual(report, prm)
		self.assertEqual(prm[cn.name], -flt(flt(100.005, 2) / 3, 2))  # a third of the accrual

	def test_running_the_handler_twice_posts_once(self):
		si = make_invoice(self.partner)
		first = commissions.accrue_for_invoice(si)
		second = commissions.accrue_for_invoice(si)
		self.assertEqual(first, second)
		self.assertEqual(len(commissions_of(si.name)), 1)
		self.assertEqual(
			frappe.db.count("Journal Entry", {"prm_partner_commission": first, "docstatus": 1}), 1
		)

	def test_cancel_before_payment_cancels_commission_and_journal(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		si.cancel()
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "status"), "Cancelled")
		self.assertEqual(frappe.db.get_value("Journal Entry", pc.journal_entry, "docstatus"), 2)
		self.assertEqual(gl_rows(pc.journal_entry), [])
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	def test_cancel_after_payment_posts_a_clawback(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		pay_journal(pc.journal_entry, self.partner.supplier, 100)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)
		si.cancel()
		original, clawback = commissions_of(si.name)
		self.assertEqual(original.name, pc.name)
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(100.0))  # paid history untouched
		self.assertEqual(flt(clawback.total), -100.0)
		self.assertEqual(clawback.against_commission, pc.name)
		self.assertEqual(gl_rows(clawback.journal_entry), self.clawback_rows(100.0))
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "status"), "Paid")  # history kept
		self.assertEqual(frappe.db.get_value("Partner Commission", clawback.name, "status"), "Payable")
		self.assertEqual(supplier_payable(self.partner.supplier), -100.0)  # the partner now owes 100 back

	def test_cancel_after_part_payment_settles_the_unpaid_rest_against_the_accrual(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		pay_journal(pc.journal_entry, self.partner.supplier, 60)
		si.cancel()
		_original, clawback = commissions_of(si.name)
		# the payable debit splits: 40 settles the accrual's unpaid rest, 60 stays owed back by the partner
		rows = frappe.get_all(
			"Journal Entry Account",
			filters={"parent": clawback.journal_entry},
			fields=["account", "debit", "credit", "party", "reference_type", "reference_name"],
		)
		self.assertEqual(
			sorted((r.account, flt(r.debit), flt(r.credit), r.party, r.reference_name) for r in rows),
			sorted(
				[
					(EXPENSE, 0.0, 100.0, None, None),
					(PAYABLE, 40.0, 0.0, self.partner.supplier, pc.journal_entry),
					(PAYABLE, 60.0, 0.0, self.partner.supplier, None),
				]
			),
		)
		self.assertEqual(
			gl_rows(clawback.journal_entry),
			sorted(
				[
					(EXPENSE, 0.0, 100.0, None),
					(PAYABLE, 40.0, 0.0, self.partner.supplier),
					(PAYABLE, 60.0, 0.0, self.partner.supplier),
				]
			),
		)
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(100.0))
		self.assertEqual(supplier_payable(self.partner.supplier), -60.0)  # what was paid comes back

	def test_full_credit_note_nets_the_payable_to_zero(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 3, 333.35)])
		cn = make_return(si)
		[accrual] = commissions_of(si.name)
		[clawback] = commissions_of(cn.name)
		# 10% of 1,000.05 is 100.005: the engine rounds the tie as the site's rounding method does
		expected = flt(100.005, 2)
		self.assertEqual(flt(accrual.total), expected)
		self.assertEqual(flt(clawback.total), -expected)
		self.assertEqual(clawback.against_commission, accrual.name)
		self.assertEqual(gl_rows(clawback.journal_entry), self.clawback_rows(expected))
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	def test_partial_credit_notes_are_proportional_per_item(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 10, 100), ("_PRM Software", 4, 50)])
		cn1 = make_return(si, {"_PRM Hardware": 3})
		[c1] = commissions_of(cn1.name)
		self.assertEqual(flt(c1.total), -30.0)  # 3/10 of the 100.00 on hardware
		cn2 = make_return(si, {"_PRM Hardware": 7, "_PRM Software": 4})
		[c2] = commissions_of(cn2.name)
		self.assertEqual(flt(c2.total), -90.0)
		self.assertEqual(supplier_payable(self.partner.supplier), 0.0)

	def test_bracketed_sale_returned_in_three_credit_notes_nets_to_zero(self):
		plan = make_plan(
			"_PRM Marginal",
			[{"rule_name": "Volume", "rate_type": "Percentage", "rate": 0}],
			[
				{"rule_name": "Volume", "from_amount": 0, "to_amount": 1000, "rate": 10},
				{"rule_name": "Volume", "from_amount": 1000, "rate": 12},
			],
			period="Quarter",
		)
		partner = make_partner("_PRM Partner Thirds", plan=plan)
		si = make_invoice(partner, [("_PRM Hardware", 3, 33.33)])
		[accrual] = commissions_of(si.name)
		self.assertEqual(flt(accrual.total), 10.0)  # 10% of 99.99 = 9.999
		clawbacks = []
		for _ in range(3):
			[clawback] = commissions_of(make_return(si, {"_PRM Hardware": 1}).name)
			clawbacks.append(flt(clawback.total))
			self.assertEqual(
				gl_rows(clawback.journal_entry),
				sorted(
					[(EXPENSE, 0.0, -clawbacks[-1], None), (PAYABLE, -clawbacks[-1], 0.0, partner.supplier)]
				),
			)
		# rounded on the period's running total 9.999 -> 6.666 -> 3.333 -> 0: each third alone would be
		# 3.33 and leave a cent owed to the partner
		self.assertEqual(clawbacks, [-3.33, -3.34, -3.33])
		self.assertEqual(supplier_payable(partner.supplier), 0.0)

	def test_amended_invoice_gets_its_own_commission(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		si.cancel()
		amended = frappe.copy_doc(si, ignore_no_copy=False)  # as the desk amends: no_copy fields cleared
		amended.docstatus = 0
		amended.amended_from = si.name
		amended.items[0].rate = 2000
		amended.insert(ignore_permissions=True)
		amended.submit()
		[new] = commissions_of(amended.name)
		self.assertEqual(flt(new.total), 200.0)
		self.assertEqual(frappe.db.get_value("Partner Commission", pc.name, "docstatus"), 2)
		self.assertEqual(supplier_payable(self.partner.supplier), 200.0)

	@change_settings("Accounts Settings", {"allow_multi_currency_invoices_against_single_party_account": 1})
	def test_foreign_currency_invoice_pays_on_company_currency(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)], currency="EUR", conversion_rate=1.1)
		self.assertEqual(flt(si.base_net_total), 1100.0)
		[pc] = commissions_of(si.name)
		self.assertEqual(flt(pc.total), 110.0)
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(110.0))

	def test_step_brackets_crossing_a_threshold_over_three_invoices(self):
		plan = make_plan(
			"_PRM Step",
			[{"rule_name": "Volume", "rate_type": "Percentage", "rate": 0}],
			[
				{"rule_name": "Volume", "from_amount": 0, "to_amount": 1000, "rate": 5},
				{"rule_name": "Volume", "from_amount": 1000, "to_amount": 2000, "rate": 10},
				{"rule_name": "Volume", "from_amount": 2000, "rate": 15},
			],
			bracket_mode="Step",
			period="Quarter",
		)
		partner = make_partner("_PRM Partner Step", plan=plan)
		day = nowdate()
		totals = []
		for _ in range(3):
			si = make_invoice(partner, [("_PRM Hardware", 1, 800)], posting_date=day)
			[pc] = commissions_of(si.name)
			totals.append(flt(pc.total))
			kinds = frappe.get_all(
				"Partner Commission Line",
				filters={"parent": pc.name},
				fields=["kind", "amount"],
				order_by="idx",
			)
			expected_rows = sorted(
				[(EXPENSE, flt(pc.total), 0.0, None), (PAYABLE, 0.0, flt(pc.total), partner.supplier)]
			)
			self.assertEqual(gl_rows(pc.journal_entry), expected_rows)
		# 800 @5% = 40; then 800 @10% + true-up 800 x 5% = 120; then 800 @15% + true-up 1,600 x 5% = 200
		self.assertEqual(totals, [40.0, 120.0, 200.0])
		self.assertEqual([(k.kind, flt(k.amount)) for k in kinds], [("Commission", 120.0), ("True-up", 80.0)])
		self.assertEqual(flt(sum(totals)), 2400 * 0.15)

	def test_rules_match_down_the_item_group_and_territory_trees(self):
		if not frappe.db.exists("Item Group", "_PRM Devices"):
			frappe.get_doc(
				{
					"doctype": "Item Group",
					"item_group_name": "_PRM Devices",
					"parent_item_group": "All Item Groups",
					"is_group": 1,
				}
			).insert()
		make_item("_PRM Phone", "_PRM Phones", parent="_PRM Devices")
		plan = make_plan(
			"_PRM Trees",
			[
				# the desk fills Territory with its root: a root means any territory
				{
					"rule_name": "Devices",
					"rate_type": "Percentage",
					"rate": 20,
					"item_group": "_PRM Devices",
					"territory": "All Territories",
				},
				{"rule_name": "Rest", "rate_type": "Percentage", "rate": 10},
			],
		)
		partner = make_partner("_PRM Partner Trees", plan=plan)
		si = make_invoice(partner, [("_PRM Phone", 1, 100), ("_PRM Hardware", 1, 100)])
		[pc] = commissions_of(si.name)
		rules = frappe.get_all(
			"Partner Commission Line", filters={"parent": pc.name}, fields=["rule", "amount"], order_by="idx"
		)
		self.assertEqual(sorted((r.rule, flt(r.amount)) for r in rules), [("Devices", 20.0), ("Rest", 10.0)])

	def test_tier_plan_and_multiplier(self):
		tier_plan = make_plan("_PRM Tier Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 5}])
		tier = make_tier("_PRM Gold", 99, multiplier=1.5, plan=tier_plan)
		partner = make_partner("_PRM Partner Gold", tier=tier)
		si = make_invoice(partner)
		[pc] = commissions_of(si.name)
		self.assertEqual(flt(pc.total), 75.0)  # 5% x 1.5 of 1,000

	def test_missing_payable_account_blocks_submit_and_posts_nothing(self):
		frappe.db.set_value("Company", COMPANY, "prm_commission_payable_account", None)
		frappe.clear_cache(doctype="Company")
		si = make_invoice(self.partner, submit=False)
		frappe.db.savepoint("before_submit")
		with self.assertRaisesRegex(frappe.ValidationError, "Commission Payable Account"):
			si.submit()
		# checked before anything is written: no commission, no journal entry in this transaction either
		self.assertEqual(frappe.db.count("Partner Commission", {"partner": self.partner.name}), 0)
		self.assertEqual(frappe.db.count("Journal Entry", {"pay_to_recd_from": self.partner.name}), 0)
		frappe.db.rollback(save_point="before_submit")  # what the request does with the failed submit
		self.assertEqual(frappe.db.get_value("Sales Invoice", si.name, "docstatus"), 0)
		self.assertEqual(gl_rows(si.name, "Sales Invoice"), [])

	def test_inactive_partner_gives_a_clear_error(self):
		frappe.db.set_value("Partner", self.partner.name, "status", "Suspended")
		si = make_invoice(self.partner, submit=False)
		with self.assertRaisesRegex(frappe.ValidationError, "is Suspended"):
			si.submit()

	def test_plan_outside_its_dates_gives_a_clear_error(self):
		frappe.db.set_value("Commission Plan", self.plan, "valid_to", add_days(nowdate(), -1))
		frappe.clear_document_cache("Commission Plan", self.plan)
		si = make_invoice(self.partner, submit=False)
		with self.assertRaisesRegex(frappe.ValidationError, "is valid from"):
			si.submit()

	def test_posting_failure_can_be_queued_for_retry(self):
		frappe.db.set_value("Company", COMPANY, "prm_commission_payable_account", None)
		frappe.clear_cache(doctype="Company")
		with change_settings("PRM Settings", {"on_posting_failure": "Queue for retry"}):
			si = make_invoice(self.partner)
		self.assertEqual(si.docstatus, 1)
		self.assertEqual(commissions_of(si.name), [])
		self.assertTrue(frappe.db.exists("Error Log", {"reference_name": si.name}))
		frappe.db.set_value("Company", COMPANY, "prm_commission_payable_account", PAYABLE)
		frappe.clear_cache(doctype="Company")
		from prm_app.events.sales_invoice import retry_commission

		retry_commission(si.name)
		[pc] = commissions_of(si.name)
		self.assertEqual(gl_rows(pc.journal_entry), self.accrual_rows(100.0))

	def test_invoice_without_partner_or_plan_posts_nothing(self):
		si = make_invoice(None)
		self.assertEqual(commissions_of(si.name), [])
		no_plan = make_partner("_PRM Partner No Plan")
		si = make_invoice(no_plan)
		self.assertEqual(commissions_of(si.name), [])


class TestAccountingDimensions(PRMTestCase):
	"""Commission expense follows the invoice's custom accounting dimensions."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		cls.department = make_department_dimension()  # alters tables: made and committed before any test data
		frappe.db.commit()  # nosemgrep: a dimension's fields are DDL, kept for later runs

	def setUp(self):
		plan = make_plan("_PRM Dimension Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner = make_partner("_PRM Dimension Partner", plan=plan)

	def tearDown(self):
		frappe.db.rollback()

	def test_commission_expense_carries_custom_accounting_dimensions(self):
		department = self.department
		# ERPNext gave the commission lines a field for the dimension (prm_app's hook lists the doctype)
		self.assertTrue(frappe.get_meta("Partner Commission Line").has_field("department"))
		si = make_invoice(self.partner, submit=False)
		si.items[0].department = department
		si.save()
		si.submit()
		[pc] = commissions_of(si.name)
		self.assertEqual(frappe.get_doc("Partner Commission", pc.name).lines[0].department, department)
		# the payable carries what all of the expense shares
		self.assertEqual(
			gl_rows_with(pc.journal_entry, "department"),
			sorted([(EXPENSE, 100.0, 0.0, department), (PAYABLE, 0.0, 100.0, department)]),
		)

	def test_payable_takes_the_invoice_dimension_where_the_lines_differ(self):
		channel = self.department
		other = make_department("_PRM Direct")
		si = make_invoice(
			self.partner,
			[("_PRM Hardware", 1, 1000), ("_PRM Software", 1, 500)],
			submit=False,
			department=channel,
		)
		si.items[1].department = other
		si.save()
		si.submit()
		[pc] = commissions_of(si.name)
		# the first line has no department of its own: the invoice's; the payable, as ERPNext's receivable
		self.assertEqual(
			gl_rows_with(pc.journal_entry, "department"),
			sorted(
				[(EXPENSE, 100.0, 0.0, channel), (EXPENSE, 50.0, 0.0, other), (PAYABLE, 0.0, 150.0, channel)]
			),
		)


def gl_rows_with(journal_entry: str, dimension: str) -> list[tuple]:
	"""(account, debit, credit, dimension value) of a journal's live GL entries, sorted."""
	rows = frappe.get_all(
		"GL Entry",
		filters={"voucher_no": journal_entry, "is_cancelled": 0},
		fields=["account", "debit", "credit", dimension],
	)
	return sorted((r.account, flt(r.debit), flt(r.credit), r[dimension]) for r in rows)


def make_department(name: str) -> str:
	return frappe.db.get_value("Department", {"department_name": name, "company": COMPANY}) or (
		frappe.get_doc({"doctype": "Department", "department_name": name, "company": COMPANY}).insert().name
	)


def make_department_dimension() -> str:
	"""An accounting dimension on Department (as ERPNext's own tests make one) and a department of the
	test company. Creating a dimension alters tables, which commits: it is made once and kept."""
	if not frappe.db.exists("Accounting Dimension", {"document_type": "Department"}):
		frappe.get_doc({"doctype": "Accounting Dimension", "document_type": "Department"}).insert()
	elif frappe.db.get_value("Accounting Dimension", {"document_type": "Department"}, "disabled"):
		dimension = frappe.get_doc("Accounting Dimension", {"document_type": "Department"})
		dimension.disabled = 0
		dimension.save()
	frappe.flags.accounting_dimensions = None
	return make_department("_PRM Channel")
