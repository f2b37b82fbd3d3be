"""Market development funds in the ledger: allocation, request decisions, claim -> Purchase Invoice ->
Payment Entry or netting in a Partner Payout, every cancel path, limits, expiry. Asserts GL Entry and
Payment Ledger Entry rows."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_fund, make_request, proof_file
from prm_app.tests.utils import COMPANY, account, gl_rows, make_invoice, make_partner, make_plan


def ple_rows(voucher_no: str, voucher_type: str) -> list[tuple]:
	rows = frappe.get_all(
		"Payment Ledger Entry",
		filters={"voucher_no": voucher_no, "voucher_type": voucher_type, "delinked": 0},
		fields=["account", "party", "against_voucher_type", "against_voucher_no", "amount"],
	)
	return sorted(
		(r.account, r.party, r.against_voucher_type, r.against_voucher_no, flt(r.amount, 2)) for r in rows
	)


def invoice_outstanding(pi: str) -> float:
	ple = frappe.qb.DocType("Payment Ledger Entry")
	total = (
		frappe.qb.from_(ple)
		.select(frappe.query_builder.functions.Sum(ple.amount))
		.where(
			(ple.against_voucher_type == "Purchase Invoice")
			& (ple.against_voucher_no == pi)
			& (ple.delinked == 0)
		)
		.run()[0][0]
	)
	return flt(total, 2)


class TestFundsLedger(FundsCase):
	# --- allocation and decisions -------------------------------------------------------------------------

	def test_allocation_preview_equals_apply_and_is_idempotent(self):
		preview = {r["partner"]: r["amount"] for r in funds.preview_allocation(self.fund)}
		self.assertEqual(preview[self.partner.name], 5000)
		funds.run_allocation(self.fund)  # again: no second allocation
		self.assertEqual(
			frappe.db.count("Fund Allocation", {"fund": self.fund, "partner": self.partner.name}), 1
		)
		self.assertBalance(allocated=5000, available=5000, reserved=0)

	def test_reallocation_never_goes_below_commitments(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		frappe.db.set_value("Fund", self.fund, "amount_per_partner", 1000)
		preview = {r["partner"]: r for r in funds.preview_allocation(self.fund)}
		self.assertEqual(preview[self.partner.name]["amount"], 3000)
		self.assertIn("already approved or claimed", preview[self.partner.name]["explanation"])
		funds.run_allocation(self.fund)
		self.assertBalance(allocated=3000, reserved=3000, available=0)

	def test_adjustment_logged_with_reason_and_user(self):
		with self.assertRaises(frappe.ValidationError):
			funds.adjust_allocation(self.fund, self.partner.name, 500, " ")
		before = frappe.db.get_value("Fund", self.fund, "allocated_amount")
		funds.adjust_allocation(self.fund, self.partner.name, 500, "Top performer bonus")
		self.assertEqual(frappe.db.get_value("Fund", self.fund, "allocated_amount") - before, 500)
		row = frappe.get_doc("Fund", self.fund).adjustments[-1]
		self.assertEqual(
			(row.amount, row.reason, row.adjusted_by), (500, "Top performer bonus", "Administrator")
		)
		self.assertBalance(allocated=5500, available=5500)
		fund = frappe.get_doc("Fund", self.fund)
		fund.adjustments[-1].amount = 50000  # the log is not editable
		with self.assertRaises(frappe.ValidationError):
			fund.save()

	def test_request_approve_partial_reserves_and_reject_needs_reason(self):
		request = make_request(self.fund, self.partner, requested=3000)
		self.assertBalance(requested=3000, reserved=0, available=5000)
		result = funds.approve_request(request, amount=2500)
		self.assertEqual((result.status, result.approved_amount), ("Partially approved", 2500))
		self.assertBalance(requested=0, reserved=2500, available=2500)
		other = make_request(self.fund, self.partner, requested=1000, activity_title="Trade show")
		with self.assertRaises(frappe.ValidationError):
			funds.reject_request(other, "")
		funds.reject_request(other, "Out of scope")
		self.assertEqual(frappe.db.get_value("Fund Request", other, "status"), "Rejected")
		self.assertBalance(requested=0, reserved=2500, available=2500)

	def test_status_only_through_actions(self):
		request = frappe.get_doc("Fund Request", make_request(self.fund, self.partner))
		request.status = "Approved"
		request.approved_amount = 3000
		with self.assertRaises(frappe.ValidationError):
			request.save()

	def test_balance_cannot_go_negative_without_override_reason(self):
		first = make_request(self.fund, self.partner, requested=4000, estimated_cost=8000)
		funds.approve_request(first)
		second = make_request(self.fund, self.partner, requested=2000, activity_title="Event")
		with self.assertRaises(frappe.ValidationError):
			funds.approve_request(second)
		self.assertBalance(reserved=4000, available=1000)
		funds.approve_request(second, override_reason="Launch quarter, approved by VP")
		self.assertEqual(
			frappe.db.get_value("Fund Request", second, "override_reason"), "Launch quarter, approved by VP"
		)
		self.assertBalance(reserved=6000, available=-1000)

	def test_decisions_are_for_managers_only(self):
		from prm_app.tests.utils import make_user

		request = make_request(self.fund, self.partner)
		frappe.set_user(make_user("_prm_funds_accounts@example.com", ["Accounts Manager"]))
		with self.assertRaises(frappe.PermissionError):
			funds.approve_request(request)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Submitted")

	# --- claim -> Purchase Invoice -> payment ----------------------------------------------------------------

	def test_claim_invoice_payment_and_cancel_paths(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi = claim.purchase_invoice
		supplier = self.partner.supplier
		self.assertEqual(frappe.db.get_value("Purchase Invoice", pi, "prm_fund_claim"), claim.name)
		self.assertEqual(
			gl_rows(pi, "Purchase Invoice"),
			[
				(account("Creditors"), 0.0, 2000.0, supplier),
				(account("Marketing Expenses"), 2000.0, 0.0, None),
			],
		)
		cost_center = frappe.db.get_value(
			"GL Entry",
			{"voucher_no": pi, "account": account("Marketing Expenses"), "is_cancelled": 0},
			"cost_center",
		)
		self.assertEqual(cost_center, account("Main"))
		self.assertEqual(
			ple_rows(pi, "Purchase Invoice"),
			[(account("Creditors"), supplier, "Purchase Invoice", pi, 2000.0)],
		)
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Claimed")
		# the request's unclaimed 1,000 is released; 2,000 is claimed
		self.assertBalance(allocated=5000, reserved=0, claimed=2000, reimbursed=0, available=3000)

		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		pe = get_payment_entry("Purchase Invoice", pi)
		pe.paid_from = account("Cash")
		pe.reference_no, pe.reference_date = "MDF-1", nowdate()
		pe.insert()
		pe.submit()
		self.assertEqual(
			gl_rows(pe.name, "Payment Entry"),
			[(account("Cash"), 0.0, 2000.0, None), (account("Creditors"), 2000.0, 0.0, supplier)],
		)
		self.assertEqual(
			ple_rows(pe.name, "Payment Entry"),
			[(account("Creditors"), supplier, "Purchase Invoice", pi, -2000.0)],
		)
		self.assertEqual(invoice_outstanding(pi), 0)
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "status"), "Paid")
		self.assertBalance(claimed=2000, reimbursed=2000, available=3000)

		pe.reload()
		pe.cancel()
		self.assertEqual(invoice_outstanding(pi), 2000)
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "status"), "Approved")
		self.assertBalance(claimed=2000, reimbursed=0, available=3000)

		claim.reload()
		claim.cancel()
		self.assertEqual(frappe.db.get_value("Purchase Invoice", pi, "docstatus"), 2)
		self.assertEqual(gl_rows(pi, "Purchase Invoice"), [])
		self.assertEqual(invoice_outstanding(pi), 0)
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Approved")
		self.assertBalance(reserved=3000, claimed=0, available=2000)

	def test_cancelling_the_invoice_cancels_the_claim(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request, amount=2000)
		claim = make_claim(request, claimed=1500, actual_cost=4000)
		pi = frappe.get_doc("Purchase Invoice", claim.purchase_invoice)
		pi.cancel()
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "docstatus"), 2)
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Partially approved")
		self.assertBalance(reserved=2000, claimed=0, available=3000)

	def test_lead_list_proof_becomes_tagged_leads(self):
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		csv_url = proof_file(
			"leads.csv",
			b"Email,First Name,Last Name,Company\n"
			b"ann@initech.example,Ann,Lee,Initech\nbob@initech.example,Bob,Ray,Initech\n,,,\n",
		)
		claim = make_claim(
			request,
			proofs=[
				{"proof_type": "Invoice", "file": proof_file()},
				{"proof_type": "Lead list (CSV)", "file": csv_url},
			],
		)
		leads = frappe.get_all(
			"Lead",
			filters={"prm_fund_request": request, "prm_partner": self.partner.name},
			pluck="email_id",
			order_by="email_id",
		)
		self.assertEqual(leads, ["ann@initech.example", "bob@initech.example"])
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "leads_imported"), 2)

	# --- netting in the payout --------------------------------------------------------------------------------

	@change_settings("PRM Settings", PAY_NOW)
	def test_claim_netted_in_partner_payout_with_commissions(self):
		plan = make_plan("_PRM Funds Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # commission 100
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi = claim.purchase_invoice
		supplier = self.partner.supplier

		payout = frappe.get_doc(
			{
				"doctype": "Partner Payout",
				"partner": self.partner.name,
				"company": COMPANY,
				"from_date": add_days(nowdate(), -30),
				"to_date": nowdate(),
				"posting_date": nowdate(),
			}
		).insert()
		self.assertEqual([(r.fund_claim, r.amount) for r in payout.fund_claims], [(claim.name, 2000)])
		self.assertEqual(
			(payout.total_commission, payout.total_fund_claims, payout.net_amount), (100, 2000, 2100)
		)
		payout.submit()
		pe = payout.payment_entry
		self.assertEqual(
			gl_rows(pe, "Payment Entry"),
			sorted(
				[
					(account("Cash"), 0.0, 2100.0, None),
					(account("Creditors"), 100.0, 0.0, supplier),
					(account("Creditors"), 2000.0, 0.0, supplier),
				]
			),
		)
		journal = payout.commissions[0].journal_entry
		self.assertEqual(
			ple_rows(pe, "Payment Entry"),
			sorted(
				[
					(account("Creditors"), supplier, "Journal Entry", journal, -100.0),
					(account("Creditors"), supplier, "Purchase Invoice", pi, -2000.0),
				]
			),
		)
		self.assertEqual(invoice_outstanding(pi), 0)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "partner_payout"]), ("Paid", payout.name)
		)
		self.assertBalance(reimbursed=2000)

		payout.reload()
		payout.cancel()
		self.assertEqual(ple_rows(pe, "Payment Entry"), [])
		self.assertEqual(invoice_outstanding(pi), 2000)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "partner_payout"]), ("Approved", None)
		)
		self.assertBalance(claimed=2000, reimbursed=0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_open_clawback_nets_against_the_claim_invoice(self):
		"""A partner owing a clawback back gets its claim paid net of it: ERPNext's reconciliation of the
		clawback journal against the Purchase Invoice, and a Payment Entry for the rest."""
		from prm_app.tests.utils import make_return, supplier_payable

		plan = make_plan("_PRM Funds Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(first.net_amount, 100)
		make_return(si)  # the paid commission is clawed back: the partner owes 100
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi, supplier = claim.purchase_invoice, self.partner.supplier
		second = self.payout(add_days(nowdate(), 1), add_days(nowdate(), 30), submit=False)
		self.assertEqual(
			(second.total_clawback, second.total_fund_claims, second.net_amount), (-100, 2000, 1900)
		)
		second.submit()
		pe = frappe.db.get_value("Partner Payout", second.name, "payment_entry")
		self.assertEqual(
			gl_rows(pe, "Payment Entry"),
			[(account("Cash"), 0.0, 1900.0, None), (account("Creditors"), 1900.0, 0.0, supplier)],
		)
		self.assertEqual(
			ple_rows(pe, "Payment Entry"), [(account("Creditors"), supplier, "Purchase Invoice", pi, -1900.0)]
		)
		self.assertEqual(invoice_outstanding(pi), 0)
		self.assertEqual(supplier_payable(supplier), 0)
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "status"), "Paid")
		self.assertBalance(claimed=2000, reimbursed=2000)

	def test_return_for_information_then_resubmit(self):
		request = make_request(self.fund, self.partner)
		with self.assertRaises(frappe.ValidationError):
			funds.return_request(request, "")
		funds.return_request(request, "Which audience? Send the agenda.")
		doc = frappe.get_doc("Fund Request", request)
		self.assertEqual(
			(doc.status, doc.decision_note), ("Returned for information", "Which audience? Send the agenda.")
		)
		doc.description = "Webinar for 200 IT managers; agenda attached"
		doc.save()
		doc.submit_request()
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Submitted")
		funds.approve_request(request)
		doc.reload()
		doc.description = "changed after approval"
		with self.assertRaises(frappe.ValidationError):
			doc.save()

	def test_rejected_claim_reserves_and_invoices_nothing(self):
		from prm_app.channel_funds import claims

		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, submit=False)
		claims.send_for_approval(claim)
		claims.reject_claim(claim.name, "The invoice is not for this event")
		claim.reload()
		self.assertEqual((claim.status, claim.docstatus, claim.purchase_invoice), ("Rejected", 0, None))
		self.assertFalse(frappe.db.exists("Purchase Invoice", {"prm_fund_claim": claim.name}))
		self.assertBalance(reserved=3000, claimed=0, available=2000)

	def test_percentage_of_revenue_allocation_from_invoices(self):
		partner = make_partner("_PRM Funds Revenue Partner")
		make_invoice(partner, [("_PRM Hardware", 2, 1000)])
		fund = make_fund(
			fund_name="_PRM Revenue MDF",
			allocation_method="Percentage of revenue",
			revenue_percentage=5,
			cap_per_partner=80,
			revenue_from_date=add_days(nowdate(), -1),
			revenue_to_date=nowdate(),
		)
		preview = {r["partner"]: r for r in funds.preview_allocation(fund)}
		self.assertEqual(preview[partner.name]["amount"], 80)  # 5 % of 2,000 = 100, capped at 80
		self.assertIn("capped at 80.00", preview[partner.name]["explanation"])
		self.assertEqual(preview[self.partner.name]["amount"], 0)  # no revenue
		funds.run_allocation(fund)
		self.assertEqual(
			frappe.db.get_value("Fund Allocation", {"fund": fund, "partner": partner.name}, "allocated"), 80
		)

	def test_mdf_roi_attributes_leads_deals_and_revenue(self):
		from prm_app.channel_funds.report.mdf_roi.mdf_roi import execute
		from prm_app.tests.utils import make_customer

		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		csv_url = proof_file(
			"roi-leads.csv", b"email,first name,company\nceo@roi-globex.example,Hank,Roi Globex\n"
		)
		make_claim(
			request,
			claimed=1500,
			proofs=[
				{"proof_type": "Invoice", "file": proof_file()},
				{"proof_type": "Lead list (CSV)", "file": csv_url},
			],
		)
		lead = frappe.db.get_value("Lead", {"email_id": "ceo@roi-globex.example"})
		customer = make_customer("_PRM Roi Globex")
		frappe.db.set_value("Customer", customer, "lead_name", lead)
		make_invoice(self.partner, [("_PRM Software", 1, 6000)], customer=customer)
		_columns, rows = execute({"fund": self.fund})
		row = next(r for r in rows if r["fund_request"] == request)
		self.assertEqual(
			(row["leads"], row["invoiced_revenue"], row["fund_cost"], row["roi"]), (1, 6000, 1500, 4)
		)

	# --- expiry -----------------------------------------------------------------------------------------------

	# --- reports ----------------------------------------------------------------------------------------------

	def test_utilisation_report_funnel(self):
		from prm_app.channel_funds.report.fund_utilisation.fund_utilisation import execute

		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		make_claim(request, claimed=2000, actual_cost=4000)
		make_request(self.fund, self.partner, requested=500, activity_title="Content")  # pending
		_columns, rows = execute({"fund": self.fund, "group_by": "Partner"})
		row = next(r for r in rows if r["partner"] == self.partner.name)
		self.assertEqual(
			{
				k: row[k]
				for k in ("allocated", "requested", "approved", "claimed", "paid", "expired", "utilisation")
			},
			{
				"allocated": 5000,
				"requested": 3500,
				"approved": 3000,
				"claimed": 2000,
				"paid": 0,
				"expired": 0,
				"utilisation": 40,
			},
		)
		_columns, by_activity = execute({"fund": self.fund, "group_by": "Activity Type"})
		self.assertEqual(
			[(r["activity_type"], r["claimed"]) for r in by_activity if r["activity_type"]],
			[("Webinar", 2000)],
		)

	def test_open_commitments_accrual_reverses_next_day(self):
		from frappe.utils import get_last_day

		from prm_app.channel_funds.report.open_fund_commitments.open_fund_commitments import (
			execute,
			make_accrual,
		)

		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request, amount=2500)
		period_end = str(get_last_day(nowdate()))
		_columns, rows = execute({"company": COMPANY, "fund": self.fund, "as_on": period_end})
		self.assertEqual([(r["fund_request"], r["open_amount"]) for r in rows], [(request, 2500)])
		accrued = accrual_account()
		result = make_accrual(COMPANY, period_end, accrued, fund=self.fund)
		self.assertEqual(
			gl_rows(result["accrual"]),
			sorted([(accrued, 0.0, 2500.0, None), (account("Marketing Expenses"), 2500.0, 0.0, None)]),
		)
		self.assertEqual(
			gl_rows(result["reversal"]),
			sorted([(accrued, 2500.0, 0.0, None), (account("Marketing Expenses"), 0.0, 2500.0, None)]),
		)
		dates = [
			str(frappe.db.get_value("Journal Entry", result[k], "posting_date"))
			for k in ("accrual", "reversal")
		]
		self.assertEqual(dates, [period_end, add_days(period_end, 1)])
		# a claimed request is no longer an open commitment
		make_claim(request, claimed=2000, actual_cost=4000)
		self.assertEqual(execute({"company": COMPANY, "fund": self.fund, "as_on": period_end})[1], [])


def accrual_account() -> str:
	name = account("_PRM Accrued Marketing")
	if not frappe.db.exists("Account", name):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "_PRM Accrued Marketing",
				"company": COMPANY,
				"parent_account": frappe.db.get_value(
					"Account", {"company": COMPANY, "account_name": "Current Liabilities"}
				),
				"root_type": "Liability",
			}
		).insert(ignore_permissions=True)
	return name
