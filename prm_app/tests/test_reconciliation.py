"""Reports for accountants, on a real ledger: the Partner Commission Register, the Commission
Reconciliation (0.00 on a consistent ledger, a difference when it is broken, which the daily job logs and
notifies) and the Partner Statement (balances and PDF)."""

import frappe
from frappe.utils import add_days, flt, nowdate

from prm_app.prm_app.report.commission_reconciliation import commission_reconciliation
from prm_app.prm_app.report.partner_commission_register import partner_commission_register
from prm_app.reconciliation import check_all_companies, reconcile
from prm_app.statement import download_statement, get_statement_pdf, partner_statement
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	commissions_of,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_return,
	make_user,
	pay_journal,
	supplier_payable,
)

ERROR_TITLE = "Partner commission reconciliation%"


class TestCommissionReports(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		self.plan = make_plan(
			"_PRM Report Flat 10", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.partner = make_partner("_PRM Report Partner", plan=self.plan)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def row(self, **kwargs):
		[row] = reconcile(COMPANY, partner=self.partner.name, **kwargs)
		return row

	# --- register -----------------------------------------------------------------------------------

	def test_register_rows_and_totals_equal_the_posted_commissions(self):
		si = make_invoice(self.partner, [("_PRM Hardware", 2, 600), ("_PRM Software", 1, 234.55)])
		cn = make_return(si, {"_PRM Hardware": 1})
		posted = commissions_of(si.name) + commissions_of(cn.name)
		_columns, data = partner_commission_register.execute(
			{"company": COMPANY, "partner": self.partner.name}
		)
		*lines, total = data
		line_count = frappe.db.count("Partner Commission Line", {"parent": ("in", [p.name for p in posted])})
		self.assertEqual(len(lines), line_count)
		self.assertEqual({r["partner_commission"] for r in lines}, {p.name for p in posted})
		self.assertEqual(flt(total["amount"], 2), flt(sum(p.total for p in posted), 2))
		self.assertEqual(flt(total["amount"], 2), 83.46)  # 143.46 accrued, 60.00 clawed back
		by_pc = {
			p.name: flt(sum(r["amount"] for r in lines if r["partner_commission"] == p.name), 2)
			for p in posted
		}
		self.assertEqual(by_pc, {p.name: flt(p.total, 2) for p in posted})
		clawback_rows = [r for r in lines if r["sales_invoice"] == cn.name]
		self.assertTrue(clawback_rows)
		for r in clawback_rows:
			self.assertEqual(r["against_invoice"], si.name)
			self.assertEqual(r["is_clawback"], 1)
			self.assertTrue(r["explanation"])
		self.assertTrue(all(r["rule"] == "All" and r["status"] for r in lines))

	def test_reports_follow_user_permissions(self):
		make_invoice(self.partner)
		other = make_partner("_PRM Report Other", plan=self.plan)
		user = make_user("prm.report.accounts@example.com", ["Accounts User"])
		frappe.get_doc(
			{"doctype": "User Permission", "user": user, "allow": "Partner", "for_value": other.name}
		).insert(ignore_permissions=True)
		frappe.set_user(user)
		filters = {"company": COMPANY, "partner": self.partner.name}
		self.assertEqual(partner_commission_register.execute(filters)[1], [])
		self.assertEqual(commission_reconciliation.execute(filters)[1], [])
		self.assertRaises(
			frappe.PermissionError, partner_statement, self.partner.name, add_days(nowdate(), -30), nowdate()
		)
		frappe.set_user("Administrator")
		self.assertEqual(len(commission_reconciliation.execute(filters)[1]), 1)

	# --- reconciliation -----------------------------------------------------------------------------

	def test_reconciliation_is_zero_after_accruals_return_payment_and_cancels(self):
		si1 = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # accrues 100
		si2 = make_invoice(self.partner, [("_PRM Hardware", 4, 500)])  # accrues 200
		make_return(si2, {"_PRM Hardware": 1})  # claws back 50
		[pc1] = commissions_of(si1.name)
		pay_journal(pc1.journal_entry, self.partner.supplier, 60)  # partly paid
		si3 = make_invoice(self.partner, [("_PRM Software", 1, 700)])
		si3.cancel()  # unpaid: commission and journal cancelled
		si1.cancel()  # paid: a reversal of 100 is posted

		row = self.row()
		self.assertEqual(row.accrued, 300.0)
		self.assertEqual(row.clawed_back, -150.0)
		self.assertEqual(row.paid, 60.0)
		self.assertEqual(row.prm_outstanding, 90.0)
		self.assertEqual(row.ledger_outstanding, 90.0)
		self.assertEqual(row.gl_outstanding, 90.0)
		self.assertEqual((row.difference, row.gl_difference), (0.0, 0.0))
		self.assertEqual((row.records_outstanding, row.records_difference), (90.0, 0.0))
		self.assertEqual(supplier_payable(self.partner.supplier), 90.0)

		_columns, data, _message, _chart, summary = commission_reconciliation.execute(
			{"company": COMPANY, "partner": self.partner.name, "to_date": nowdate()}
		)
		self.assertEqual([(r.partner, r.difference) for r in data], [(self.partner.name, 0.0)])
		self.assertEqual(summary[-1]["value"], 0)

		before = frappe.db.count("Error Log", {"method": ("like", ERROR_TITLE)})
		self.assertEqual([r for r in check_all_companies() if r.partner == self.partner.name], [])
		self.assertEqual(frappe.db.count("Error Log", {"method": ("like", ERROR_TITLE)}), before)

	def test_a_payout_dated_tomorrow_is_no_difference_today(self):
		# 10 % of 1,000 = 100 owed today; a payout posted tomorrow pays it. Up to today the ledger owes 100
		# and the commissions' stored fields (already paid) are not comparable; up to tomorrow all is 0.
		from frappe.tests.utils import change_settings

		from prm_app.prm_app.doctype.partner_payout.test_partner_payout import PAY_NOW, make_payout

		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		tomorrow = add_days(nowdate(), 1)
		with change_settings("PRM Settings", PAY_NOW):
			make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
			make_payout(self.partner, from_date=nowdate(), to_date=tomorrow, posting_date=tomorrow)
		today = self.row()
		self.assertEqual(
			(today.prm_outstanding, today.ledger_outstanding, today.gl_outstanding), (100.0, 100.0, 100.0)
		)
		self.assertEqual((today.difference, today.gl_difference, today.records_difference), (0.0, 0.0, 0.0))
		later = self.row(to_date=tomorrow)
		self.assertEqual((later.prm_outstanding, later.records_outstanding), (0.0, 0.0))
		self.assertEqual((later.difference, later.gl_difference, later.records_difference), (0.0, 0.0, 0.0))

	def test_clawback_netted_against_another_accrual_is_not_a_payment(self):
		"""As a payout nets an open clawback: ERPNext reconciles the clawback journal against another
		accrual journal (Payment Reconciliation's own function); a Payment Entry pays the rest."""
		si1 = make_invoice(self.partner)  # accrues 100
		[pc1] = commissions_of(si1.name)
		pay_journal(pc1.journal_entry, self.partner.supplier, 100)
		si1.cancel()  # paid: a reversal of -100, an open debit of the partner
		reversal = next(c for c in commissions_of(si1.name) if c.against_commission == pc1.name)
		si2 = make_invoice(self.partner, [("_PRM Hardware", 4, 500)])  # accrues 200
		[pc2] = commissions_of(si2.name)
		net_journal_against(reversal.journal_entry, pc2.journal_entry, self.partner.supplier, 100)
		row = self.row()
		self.assertEqual((row.accrued, row.clawed_back, row.paid), (300.0, -100.0, 100.0))
		self.assertEqual((row.ledger_outstanding, row.gl_outstanding, row.difference), (100.0, 100.0, 0.0))

		pay_journal(pc2.journal_entry, self.partner.supplier, 100)
		row = self.row()
		self.assertEqual((row.paid, row.prm_outstanding, row.ledger_outstanding), (200.0, 0.0, 0.0))
		self.assertEqual((row.difference, row.gl_difference), (0.0, 0.0))
		# the netted clawback's own record follows its journal's ledger too (no records difference)
		self.assertEqual((row.records_outstanding, row.records_difference), (0.0, 0.0))
		statement = partner_statement(self.partner.name, add_days(nowdate(), -1), nowdate())
		self.assertEqual(
			[(r.voucher_type, r.amount) for r in statement.payouts],
			[("Payment Entry", 100.0), ("Payment Entry", 100.0)],
		)
		self.assertEqual((statement.opening, statement.closing), (0.0, 0.0))

	def test_period_opening_plus_movements_is_outstanding(self):
		make_invoice(self.partner, posting_date=add_days(nowdate(), -40))  # 100 before the period
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 3000)], posting_date=add_days(nowdate(), -5))
		[pc] = commissions_of(si.name)
		pay_journal(pc.journal_entry, self.partner.supplier, 120)
		row = self.row(from_date=add_days(nowdate(), -10), to_date=nowdate())
		self.assertEqual((row.opening, row.accrued, row.paid), (100.0, 300.0, 120.0))
		self.assertEqual(row.prm_outstanding, 280.0)
		self.assertEqual(row.difference, 0.0)

	def test_broken_link_shows_a_difference_and_the_daily_job_logs_it(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		self.assertEqual(self.row().difference, 0.0)

		frappe.db.set_value("Partner Commission", pc.name, "journal_entry", None)  # break consistency
		row = self.row()
		self.assertEqual((row.prm_outstanding, row.ledger_outstanding, row.gl_outstanding), (100.0, 0.0, 0.0))
		self.assertEqual((row.difference, row.gl_difference), (100.0, 100.0))

		logs_before = frappe.db.count("Error Log", {"method": ("like", ERROR_TITLE)})
		notes_before = frappe.db.count("Notification Log", {"subject": ("like", ERROR_TITLE)})
		differing = check_all_companies()
		self.assertIn(self.partner.name, [r.partner for r in differing])
		self.assertEqual(frappe.db.count("Error Log", {"method": ("like", ERROR_TITLE)}), logs_before + 1)
		error = frappe.get_last_doc("Error Log", filters={"method": ("like", ERROR_TITLE)})
		self.assertIn(self.partner.name, error.error)
		self.assertGreater(
			frappe.db.count("Notification Log", {"subject": ("like", ERROR_TITLE)}), notes_before
		)
		self.assertTrue(
			frappe.db.exists(
				"Notification Log", {"subject": ("like", ERROR_TITLE), "for_user": "Administrator"}
			)
		)

	def test_a_cancelled_commission_with_a_live_journal_is_a_difference(self):
		si = make_invoice(self.partner)
		[pc] = commissions_of(si.name)
		frappe.db.set_value("Partner Commission", pc.name, "docstatus", 2)  # as if its JE were left behind
		row = self.row()
		self.assertEqual((row.prm_outstanding, row.ledger_outstanding), (0.0, 100.0))
		self.assertEqual(row.difference, -100.0)

	# --- statement ----------------------------------------------------------------------------------

	def test_statement_balances_for_a_period_with_commission_clawback_and_payment(self):
		from_date, to_date = add_days(nowdate(), -30), nowdate()
		old = make_invoice(self.partner, posting_date=add_days(nowdate(), -60))  # 100 before the period
		si = make_invoice(self.partner, [("_PRM Hardware", 4, 500)], posting_date=add_days(nowdate(), -10))
		cn = make_return(si, {"_PRM Hardware": 1})  # -50
		[old_pc] = commissions_of(old.name)
		pay_journal(old_pc.journal_entry, self.partner.supplier, 100)

		statement = partner_statement(self.partner.name, from_date, to_date)
		self.assertEqual(statement.opening, 100.0)
		self.assertEqual([r.sales_invoice for r in statement.commissions], [si.name])
		self.assertEqual(statement.total_commission, 200.0)
		self.assertEqual([r.sales_invoice for r in statement.clawbacks], [cn.name])
		self.assertEqual(statement.total_clawback, -50.0)
		self.assertEqual([(r.voucher_type, r.amount) for r in statement.payouts], [("Payment Entry", 100.0)])
		self.assertEqual(statement.closing, 150.0)
		self.assertEqual(statement.closing, self.row(to_date=to_date).ledger_outstanding)
		self.assertTrue(all(line.explanation for r in statement.commissions for line in r.lines))

		earlier = partner_statement(self.partner.name, add_days(nowdate(), -90), add_days(nowdate(), -31))
		self.assertEqual((earlier.opening, earlier.closing), (0.0, 100.0))

	def test_statement_pdf_and_print_format(self):
		make_invoice(self.partner)
		pdf = get_statement_pdf(self.partner.name, add_days(nowdate(), -30), nowdate())
		self.assertIsInstance(pdf, bytes)
		self.assertTrue(pdf.startswith(b"%PDF"))
		download_statement(self.partner.name, add_days(nowdate(), -30), nowdate())
		self.assertEqual(frappe.local.response.type, "pdf")
		self.assertTrue(frappe.local.response.filecontent.startswith(b"%PDF"))

		# a Sales User may read the partner but not its commissions: no statement
		frappe.set_user(make_user("prm.statement.sales@example.com", ["Sales User"]))
		self.assertTrue(frappe.has_permission("Partner", "read", self.partner.name))
		self.assertRaises(
			frappe.PermissionError, download_statement, self.partner.name, add_days(nowdate(), -30), nowdate()
		)
		frappe.set_user("Administrator")

		print_format = frappe.get_doc("Print Format", "Partner Statement")
		self.assertEqual((print_format.doc_type, print_format.standard), ("Partner Payout", "Yes"))
		payout = frappe._dict(
			doctype="Partner Payout",
			partner=self.partner.name,
			company=COMPANY,
			posting_date=nowdate(),
			from_date=add_days(nowdate(), -30),
			to_date=nowdate(),
		)
		html = frappe.render_template(print_format.html, {"doc": payout})
		self.assertIn("Closing Balance", html)
		self.assertIn("100.00", html)
		# the commission's row with its explanation, and the (empty) clawbacks table
		self.assertIn("10% of 1,000.00 (rule All)", html)
		self.assertIn("Total Commissions", html)
		self.assertIn("No clawbacks in this period.", html)

		# the desk's print view of a Partner Payout with this format (its PDF needs the site reachable
		# over HTTP for the print stylesheets, which a test bench without a web server is not)
		doc = frappe.new_doc("Partner Payout")
		doc.update({k: v for k, v in payout.items() if k != "doctype"})
		doc.name = "PRM-PAY-TEST"
		html = frappe.get_print("Partner Payout", doc.name, "Partner Statement", doc=doc)
		self.assertIn("Closing Balance", html)
		self.assertIn(self.partner.name, html)


def net_journal_against(clawback_journal: str, accrual_journal: str, supplier: str, amount: float) -> None:
	"""Allocate a clawback journal's payable debit against an accrual journal, as ERPNext's Payment
	Reconciliation does."""
	from erpnext.accounts.utils import reconcile_against_document

	payable = frappe.get_cached_value("Company", COMPANY, "prm_commission_payable_account")
	[detail] = [
		row
		for row in frappe.get_all(
			"Journal Entry Account",
			filters={"parent": clawback_journal, "account": payable, "debit_in_account_currency": (">", 0)},
			fields=["name", "debit_in_account_currency as amount", "cost_center", "reference_type"],
		)
		if not row.reference_type
	]
	reconcile_against_document(
		[
			frappe._dict(
				voucher_type="Journal Entry",
				voucher_no=clawback_journal,
				voucher_detail_no=detail.name,
				against_voucher_type="Journal Entry",
				against_voucher=accrual_journal,
				account=payable,
				party_type="Supplier",
				party=supplier,
				dr_or_cr="debit_in_account_currency",
				unreconciled_amount=flt(detail.amount),
				unadjusted_amount=flt(detail.amount),
				allocated_amount=amount,
				difference_amount=0,
				exchange_rate=1,
				is_advance="No",
				cost_center=detail.cost_center,
			)
		]
	)
