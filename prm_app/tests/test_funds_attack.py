"""Market development funds attacked: postings twice, another company, bad input (huge amounts, lead
lists with formulas, broken emails or too many rows), decisions past the claim window. Every figure is
written here by hand (the auditor's own arithmetic), never taken from prm_app's engine."""

import json

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, get_last_day, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_request, proof_file
from prm_app.tests.test_funds_ledger import accrual_account
from prm_app.tests.test_portal_funds import CREATE_CLAIM, CREATE_REQUEST, PortalFundsFixtures
from prm_app.tests.test_portal_isolation import A_NAME, B_NAME, small_pdf
from prm_app.tests.utils import COMPANY, account, gl_rows


def live_journals(remark_like: str) -> list[str]:
	return frappe.get_all(
		"Journal Entry",
		filters={"company": COMPANY, "docstatus": 1, "user_remark": ("like", remark_like)},
		pluck="name",
	)


def pay_by_journal(pi: str, supplier: str, amount: float):
	"""Dr the partner's payable against the claim's invoice, Cr cash: a payment by journal."""
	je = frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"company": COMPANY,
			"posting_date": nowdate(),
			"accounts": [
				{
					"account": account("Creditors"),
					"party_type": "Supplier",
					"party": supplier,
					"debit_in_account_currency": amount,
					"reference_type": "Purchase Invoice",
					"reference_name": pi,
					"cost_center": account("Main"),
				},
				{
					"account": account("Cash"),
					"credit_in_account_currency": amount,
					"cost_center": account("Main"),
				},
			],
		}
	).insert()
	je.submit()
	return je


def lead_list_claim(request, csv: bytes):
	return make_claim(
		request,
		submit=False,
		proofs=[
			{"proof_type": "Invoice", "file": proof_file()},
			{"proof_type": "Lead list (CSV)", "file": proof_file("leads.csv", csv)},
		],
	)


class TestFundsAttack(FundsCase):
	@change_settings("PRM Settings", PAY_NOW)
	def test_accrual_posted_twice_is_posted_once(self):
		from prm_app.channel_funds.report.open_fund_commitments.open_fund_commitments import make_accrual

		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request, amount=1250.5)
		period_end = str(get_last_day(nowdate()))
		accrued = accrual_account()
		first = make_accrual(COMPANY, period_end, accrued, fund=self.fund)
		second = make_accrual(COMPANY, period_end, accrued, fund=self.fund)
		self.assertEqual(first, second)
		# all funds of the company after one fund's accrual would count that fund twice: refused
		self.assertRaises(frappe.ValidationError, make_accrual, COMPANY, period_end, accrued)
		journals = frappe.get_all(
			"GL Entry",
			filters={"account": accrued, "is_cancelled": 0, "company": COMPANY},
			fields=["voucher_no", "debit", "credit"],
		)
		self.assertEqual(
			sorted((flt(r.debit, 2), flt(r.credit, 2)) for r in journals), [(0.0, 1250.5), (1250.5, 0.0)]
		)
		self.assertEqual(
			gl_rows(first["accrual"]),
			sorted([(accrued, 0.0, 1250.5, None), (account("Marketing Expenses"), 1250.5, 0.0, None)]),
		)
		# cancelled through ERPNext (the reversal first), the accrual can be posted again
		for name in (first["reversal"], first["accrual"]):
			frappe.get_doc("Journal Entry", name).cancel()
		third = make_accrual(COMPANY, period_end, accrued, fund=self.fund)
		self.assertNotEqual(third["accrual"], first["accrual"])

	def test_auditor_partial_approval_debit_note_and_journal_payment(self):
		"""The auditor's figures: fund 5,000.00 to the partner, co-op share 50 %; request 3,000.00 approved
		at 2,500.00; actual cost 4,100.00 so at most 2,050.00 (50 %) is claimed; a debit note of 550.00
		against the claim's invoice; the 1,500.00 left paid by a journal."""
		from erpnext.accounts.doctype.purchase_invoice.purchase_invoice import make_debit_note

		supplier, creditors = self.partner.supplier, account("Creditors")
		request = make_request(self.fund, self.partner, requested=3000)
		self.assertBalance(allocated=5000, requested=3000, reserved=0, available=5000)
		funds.approve_request(request, amount=2500)
		# approving twice is refused: the request is no longer Submitted
		self.assertRaises(frappe.ValidationError, funds.approve_request, request, 2500)
		self.assertBalance(allocated=5000, requested=0, reserved=2500, claimed=0, available=2500)
		self.assertRaises(frappe.ValidationError, make_claim, request, claimed=2050.01, actual_cost=4100)
		claim = make_claim(request, claimed=2050, actual_cost=4100)
		pi = claim.purchase_invoice
		self.assertEqual(
			gl_rows(pi, "Purchase Invoice"),
			[(creditors, 0.0, 2050.0, supplier), (account("Marketing Expenses"), 2050.0, 0.0, None)],
		)
		self.assertBalance(allocated=5000, reserved=0, claimed=2050, reimbursed=0, available=2950)

		note = make_debit_note(pi)
		note.items[0].qty, note.items[0].rate = -1, 550
		if note.meta.has_field("update_outstanding_for_self"):
			note.update_outstanding_for_self = 0  # the note settles the claim's invoice
		note.insert()
		note.submit()
		self.assertEqual(
			gl_rows(note.name, "Purchase Invoice"),
			[(creditors, 550.0, 0.0, supplier), (account("Marketing Expenses"), 0.0, 550.0, None)],
		)
		self.assertEqual(flt(frappe.db.get_value("Purchase Invoice", pi, "outstanding_amount"), 2), 1500.0)

		je = pay_by_journal(pi, supplier, 1500)
		ple = frappe.get_all(
			"Payment Ledger Entry",
			filters={"against_voucher_no": pi, "delinked": 0},
			fields=["voucher_type", "amount"],
		)
		self.assertEqual(
			sorted((r.voucher_type, flt(r.amount, 2)) for r in ple),
			[("Journal Entry", -1500.0), ("Purchase Invoice", -550.0), ("Purchase Invoice", 2050.0)],
		)
		# paid is what was paid (1,500.00), never the debit note: the vendor did not pay those 550.00
		self.assertEqual(flt(frappe.db.get_value("Fund Claim", claim.name, "reimbursed_amount"), 2), 1500.0)
		self.assertBalance(claimed=2050, reimbursed=1500)
		je.reload()
		je.cancel()
		self.assertEqual(flt(frappe.db.get_value("Fund Claim", claim.name, "reimbursed_amount"), 2), 0.0)

	def test_adjustment_never_takes_the_allocation_below_zero(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request, amount=2500)
		self.assertRaises(
			frappe.ValidationError, funds.adjust_allocation, self.fund, self.partner.name, -5000.01, "cut"
		)
		self.assertBalance(allocated=5000, reserved=2500, available=2500)
		# below what is reserved is a manager's decision with its reason: the balance shows it
		funds.adjust_allocation(self.fund, self.partner.name, -3000, "budget cut")
		self.assertBalance(allocated=2000, reserved=2500, available=-500)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_payout_with_clawback_cancelled_and_paid_again(self):
		"""Claim 2,000.00 netted with an open clawback of 100.00 (10 % of a 1,000.00 invoice returned):
		the payout pays 1,900.00; cancelled, nothing is paid twice and a new payout pays what is open."""
		from prm_app.tests.test_funds_ledger import TestFundsLedger
		from prm_app.tests.utils import make_invoice, make_plan, make_return, supplier_payable

		payout = TestFundsLedger.payout
		plan = make_plan("_PRM Funds Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		self.assertEqual(payout(self, add_days(nowdate(), -30), nowdate()).net_amount, 100)
		make_return(si)
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi, supplier = claim.purchase_invoice, self.partner.supplier
		second = payout(self, add_days(nowdate(), 1), add_days(nowdate(), 30))
		self.assertEqual(flt(second.net_amount, 2), 1900.0)
		second.reload()
		second.cancel()
		outstanding = flt(frappe.db.get_value("Purchase Invoice", pi, "outstanding_amount"), 2)
		reimbursed = flt(frappe.db.get_value("Fund Claim", claim.name, "reimbursed_amount"), 2)
		self.assertEqual(outstanding + reimbursed, 2000.0)  # settled + open = the claim, whatever the path
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "partner_payout"]), ("Approved", None)
		)
		third = payout(self, add_days(nowdate(), 1), add_days(nowdate(), 30), submit=False)
		self.assertEqual(
			[(r.fund_claim, flt(r.amount, 2)) for r in third.fund_claims], [(claim.name, outstanding)]
		)
		third.submit()
		self.assertEqual(flt(third.net_amount, 2), outstanding)  # the cash paid: only what was open
		self.assertEqual(flt(frappe.db.get_value("Purchase Invoice", pi, "outstanding_amount"), 2), 0.0)
		self.assertEqual(supplier_payable(supplier), 0)
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim.name, ["status", "reimbursed_amount"]), ("Paid", 2000)
		)
		self.assertBalance(claimed=2000, reimbursed=2000, available=3000)

	def test_claim_invoice_in_company_currency_whatever_the_supplier_bills_in(self):
		frappe.db.set_value("Supplier", self.partner.supplier, "default_currency", "EUR")
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi = frappe.db.get_value(
			"Purchase Invoice",
			claim.purchase_invoice,
			["currency", "conversion_rate", "grand_total", "base_grand_total"],
			as_dict=True,
		)
		self.assertEqual(
			(pi.currency, flt(pi.conversion_rate), flt(pi.grand_total, 2), flt(pi.base_grand_total, 2)),
			("USD", 1.0, 2000.0, 2000.0),
		)

	def test_auditor_utilisation_report_after_claim_payment_expiry(self):
		from prm_app.channel_funds.report.fund_utilisation.fund_utilisation import execute

		claimed_request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(claimed_request, amount=2500)
		claim = make_claim(claimed_request, claimed=2050, actual_cost=4100)
		pay_by_journal(claim.purchase_invoice, self.partner.supplier, 1500)
		lapsing = make_request(self.fund, self.partner, requested=800, estimated_cost=800)
		funds.approve_request(lapsing)
		make_request(self.fund, self.partner, requested=400, activity_title="Pending")
		funds.expire_requests(add_days(nowdate(), 26))
		# 5,000 allocated; requested 3,000 + 800 + 400; approved 2,500 + 800; claimed 2,050 of which
		# 1,500 paid; 800 expired; utilisation 2,050 / 5,000 = 41 %
		row = next(
			r
			for r in execute({"fund": self.fund, "group_by": "Partner"})[1]
			if r["partner"] == self.partner.name
		)
		self.assertEqual(
			{
				k: flt(row[k], 2)
				for k in ("allocated", "requested", "approved", "claimed", "paid", "expired", "utilisation")
			},
			{
				"allocated": 5000.0,
				"requested": 4200.0,
				"approved": 3300.0,
				"claimed": 2050.0,
				"paid": 1500.0,
				"expired": 800.0,
				"utilisation": 41.0,
			},
		)
		# the pending request (activity ended 5 days ago) expired with the approved one: nothing is reserved
		self.assertBalance(
			allocated=5000, requested=0, reserved=0, claimed=2050, reimbursed=1500, available=2950
		)

	def test_cancel_and_amend_a_claim_through_erpnext(self):
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		first_pi = claim.purchase_invoice
		claim.reload()
		claim.cancel()
		self.assertEqual(gl_rows(first_pi, "Purchase Invoice"), [])
		self.assertBalance(reserved=3000, claimed=0, available=2000)
		amended = frappe.copy_doc(claim, ignore_no_copy=False)
		amended.amended_from, amended.docstatus = claim.name, 0  # as the form's Amend makes it
		amended.claimed_amount = 1800
		amended.insert()
		amended.submit()
		self.assertNotEqual(amended.purchase_invoice, first_pi)
		self.assertEqual(
			gl_rows(amended.purchase_invoice, "Purchase Invoice"),
			[
				(account("Creditors"), 0.0, 1800.0, self.partner.supplier),
				(account("Marketing Expenses"), 1800.0, 0.0, None),
			],
		)
		self.assertEqual(
			frappe.db.get_value("Fund Request", request, ["status", "claimed_amount"]), ("Claimed", 1800)
		)
		self.assertBalance(allocated=5000, reserved=0, claimed=1800, reimbursed=0, available=3200)

	def test_fund_company_cannot_change_under_its_allocations(self):
		other = frappe.db.get_value("Company", {"name": ("!=", COMPANY)})
		fund = frappe.get_doc("Fund", self.fund)
		fund.company = other
		fund.expense_account = frappe.db.get_value(
			"Account", {"company": other, "root_type": "Expense", "is_group": 0}
		)
		fund.cost_center = frappe.db.get_value("Cost Center", {"company": other, "is_group": 0})
		self.assertRaises(frappe.ValidationError, fund.save)
		self.assertEqual(frappe.db.get_value("Fund", self.fund, "company"), COMPANY)

	def test_huge_amounts_refused_with_a_clear_error(self):
		with self.assertRaises(frappe.ValidationError) as raised:
			make_request(self.fund, self.partner, requested=1e20, estimated_cost=1e20, submit=False)
		self.assertNotIsInstance(raised.exception, frappe.QueryDeadlockError)
		self.assertIn("too large", str(raised.exception))
		with self.assertRaises(frappe.ValidationError):
			funds.adjust_allocation(self.fund, self.partner.name, 1e20, "typo")
		request = make_request(self.fund, self.partner, requested=3000)
		funds.approve_request(request, amount=2000)
		with self.assertRaises(frappe.ValidationError):
			make_claim(request, claimed=2000, actual_cost=1e20, submit=False)
		self.assertBalance(allocated=5000, reserved=2000, claimed=0, available=3000)

	def test_huge_counts_and_windows_refused_with_a_clear_error(self):
		# Frappe's own check of an Int column
		self.assertRaises(
			frappe.ValidationError, make_request, self.fund, self.partner, expected_leads=10**20, submit=False
		)
		fund = frappe.get_doc("Fund", self.fund)
		fund.claim_window_days = 10**9
		self.assertRaises(frappe.ValidationError, fund.save)

	def test_expiry_job_twice_expires_once_and_releases_the_reserve(self):
		request = make_request(
			self.fund, self.partner, start_date=add_days(nowdate(), -10), end_date=add_days(nowdate(), -5)
		)
		funds.approve_request(request, amount=1200)
		self.assertBalance(reserved=1200, available=3800)
		later = add_days(nowdate(), 26)  # end -5 + window 30 = claim by day 25
		self.assertEqual(funds.expire_requests(later), [request])
		self.assertEqual(funds.expire_requests(later), [])
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Expired")
		self.assertBalance(allocated=5000, reserved=0, claimed=0, available=5000)

	def test_not_a_number_refused_with_a_clear_error(self):
		nan = float("nan")
		with self.assertRaises(frappe.ValidationError) as raised:
			make_request(self.fund, self.partner, requested=nan, estimated_cost=nan, submit=False)
		self.assertIn("must be a number", str(raised.exception))
		self.assertRaises(
			frappe.ValidationError, funds.adjust_allocation, self.fund, self.partner.name, nan, "x"
		)
		request = make_request(self.fund, self.partner)
		self.assertRaises(frappe.ValidationError, funds.approve_request, request, "nan")
		funds.approve_request(request)
		with self.assertRaises(frappe.ValidationError) as raised:
			make_claim(request, claimed=1000, actual_cost=float("inf"), submit=False)
		self.assertIn("must be a number", str(raised.exception))
		self.assertBalance(allocated=5000, reserved=3000, claimed=0, available=2000)

	def test_approval_refused_after_the_claim_window(self):
		# the activity ended 40 days ago, the claim window is 30 days: nothing could ever be claimed
		request = make_request(
			self.fund, self.partner, start_date=add_days(nowdate(), -45), end_date=add_days(nowdate(), -40)
		)
		self.assertRaises(frappe.ValidationError, funds.approve_request, request, 1000)
		self.assertEqual(frappe.db.get_value("Fund Request", request, "status"), "Submitted")
		self.assertBalance(allocated=5000, reserved=0, available=5000)

	def test_lead_list_with_formulas_refused(self):
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		for csv in (
			b"Email,First Name\nann@x.example,=cmd|' /C calc'!A0\n",
			b"Email,First Name\n+1@x.example,Bob\n",
			b"Email,First Name,Company\ncid@x.example,Cid,@SUM(1+1)\n",
		):
			with self.assertRaises(frappe.ValidationError):
				lead_list_claim(request, csv)
		self.assertFalse(frappe.db.exists("Fund Claim", {"fund_request": request}))

	def test_lead_list_with_a_broken_email_refused_before_approval(self):
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		with self.assertRaises(frappe.ValidationError) as raised:
			lead_list_claim(request, b"Email,First Name\nann@x.example,Ann\nnot-an-email,Bob\n")
		self.assertIn("3", str(raised.exception))  # the line of the file

	def test_long_lead_list_imported_in_the_background_once(self):
		from prm_app.channel_funds.claims import import_claim_leads

		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		rows = b"".join(b"q%d@x.example,Q%d\n" % (i, i) for i in range(150))
		claim = lead_list_claim(request, b"Email,First Name\n" + rows + b",Named Only\n,\n")
		claim.submit()  # the approval does not wait for 151 leads
		self.assertEqual(frappe.db.count("Lead", {"prm_fund_request": request}), 0)
		self.assertEqual(import_claim_leads(claim.name), 151)
		self.assertEqual(import_claim_leads(claim.name), 0)  # the job run twice adds nothing
		self.assertEqual(frappe.db.count("Lead", {"prm_fund_request": request}), 151)
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "leads_imported"), 151)
		self.assertEqual(
			frappe.db.get_value("Lead", {"email_id": "q7@x.example"}, ["first_name", "prm_partner"]),
			("Q7", self.partner.name),
		)

	def test_huge_lead_list_refused(self):
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		rows = b"".join(b"p%d@x.example,P%d\n" % (i, i) for i in range(20001))
		with self.assertRaises(frappe.ValidationError):
			lead_list_claim(request, b"Email,First Name\n" + rows)

	def test_markup_in_texts_is_not_stored_live(self):
		request = make_request(
			self.fund, self.partner, activity_title='<img src=x onerror="alert(1)">Webinar', submit=False
		)
		self.assertNotIn("onerror", frappe.db.get_value("Fund Request", request, "activity_title"))


class TestFundsAttackHTTP(PortalFundsFixtures):
	"""Partner A's Finance user against B's funds and against the managers' decisions, over HTTP."""

	def own_request(self, http, title: str, approve: bool = False) -> str:
		response = self.post(
			http,
			CREATE_REQUEST,
			{
				"fund": self.fund,
				"activity_type": "Event",
				"activity_title": title,
				"start_date": add_days(nowdate(), -3),
				"end_date": nowdate(),
				"description": "An event",
				"estimated_cost": 2000,
				"requested_amount": 1000,
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		name = response.json()["message"]["name"]
		if approve:
			frappe.db.rollback()
			frappe.set_user("Administrator")
			funds.approve_request(name)
			frappe.db.commit()  # nosemgrep: the server must see the approval
		return name

	def test_fund_reports_refused(self):
		http = self.session()
		for report in ("Fund Utilisation", "MDF ROI", "Open Fund Commitments"):
			with self.subTest(report=report):
				self.assert_refused(
					http.get(
						f"{self.url}/api/method/frappe.desk.query_report.run",
						params={
							"report_name": report,
							"filters": json.dumps({"company": COMPANY, "partner": B_NAME, "fund": self.fund}),
						},
					)
				)

	def test_own_request_and_claim_not_approved_through_desk_methods(self):
		http = self.session()
		request = self.own_request(http, "Desk-method attack", approve=True)
		claim = self.post(
			http,
			CREATE_CLAIM,
			{"fund_request": request, "actual_cost": 1500, "claimed_amount": 700},
			files={"invoice": ("venue.pdf", small_pdf())},
		)
		self.assertEqual(claim.status_code, 200, claim.text[:300])
		claim = claim.json()["message"]["name"]
		csrf = {"X-Frappe-CSRF-Token": http.csrf}
		frappe.db.rollback()
		doc = frappe.get_doc("Fund Claim", claim).as_dict()
		for method, args in (
			("run_doc_method", {"dt": "Fund Request", "dn": request, "method": "submit_request"}),
			(
				"frappe.client.submit",
				{
					"doc": json.dumps(
						{**doc, "creation": str(doc.creation), "modified": str(doc.modified)}, default=str
					)
				},
			),
			("frappe.desk.form.save.savedocs", {"doc": json.dumps(doc, default=str), "action": "Submit"}),
			(
				"frappe.client.set_value",
				{"doctype": "Fund Claim", "name": claim, "fieldname": "claimed_amount", "value": 5000},
			),
			(
				"frappe.client.set_value",
				{
					"doctype": "Fund Allocation",
					"name": doc.partner
					and frappe.db.get_value("Fund Allocation", {"fund": self.fund, "partner": A_NAME}),
					"fieldname": "base_amount",
					"value": 99999,
				},
			),
			("prm_app.channel_funds.claims.reject_claim", {"name": claim, "reason": "x"}),
		):
			with self.subTest(method=method):
				self.assert_refused(http.post(f"{self.url}/api/method/{method}", data=args, headers=csrf))
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Fund Claim", claim, ["docstatus", "status", "claimed_amount"]),
			(0, "Pending approval", 700),
		)
		self.assertFalse(frappe.db.exists("Purchase Invoice", {"prm_fund_claim": claim}))
		self.assertEqual(
			flt(
				frappe.db.get_value("Fund Allocation", {"fund": self.fund, "partner": A_NAME}, "allocated"), 2
			),
			4000.0,
		)

	def test_proof_upload_to_b_claim_and_b_proof_rows_refused(self):
		http = self.session()
		b_claim = self.b_funds["Fund Claim"]
		before = frappe.db.count("File", {"attached_to_name": b_claim})
		upload = self.post(
			http,
			"upload_file",
			{"doctype": "Fund Claim", "docname": b_claim, "is_private": 1},
			files={"file": ("fake-proof.pdf", small_pdf())},
		)
		self.assertNotEqual(upload.status_code, 200, upload.text[:300])
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("File", {"attached_to_name": b_claim}), before)
		b_proofs = frappe.get_all("Fund Claim Proof", filters={"parent": b_claim}, pluck="name")
		self.assertTrue(b_proofs)
		rows = http.get(
			f"{self.url}/api/method/frappe.client.get_list",
			params={"doctype": "Fund Claim Proof", "parent": "Fund Claim", "fields": json.dumps(["*"])},
		)
		self.assert_refused_or_empty(rows, b_claim, *b_proofs)

	def test_bad_input_through_the_portal(self):
		http = self.session()
		base = {
			"fund": self.fund,
			"activity_type": "Event",
			"activity_title": "Bad input",
			"start_date": add_days(nowdate(), -3),
			"end_date": nowdate(),
			"description": "x",
			"estimated_cost": 2000,
			"requested_amount": 1000,
		}
		before = frappe.db.count("Fund Request", {"partner": A_NAME})
		for values, message in (
			({"estimated_cost": 1e20, "requested_amount": 1e20}, "too large"),
			({"requested_amount": -5}, "negative"),
			({"start_date": nowdate(), "end_date": add_days(nowdate(), -3)}, "cannot end before"),
			({"requested_amount": 5000}, "cannot exceed the estimated cost"),
			({"requested_amount": "nan", "estimated_cost": "nan"}, "must be a number"),
			({"start_date": "2026-13-45"}, "date"),
			({"expected_leads": "1e20"}, "Expected Leads"),
			({"activity_type": "<b>Party</b>"}, "activity type"),
		):
			with self.subTest(values=values):
				response = self.post(http, CREATE_REQUEST, {**base, **values})
				self.assertEqual(response.status_code, 417, response.text[:300])
				self.assertIn(message, response.text)
				self.assertNotIn("Traceback", response.text)
		request = self.own_request(http, "Claim bad input", approve=True)
		for values, files, message in (
			({"actual_cost": 100, "claimed_amount": 700}, None, "exceeds"),
			({"actual_cost": 1e20, "claimed_amount": 700}, None, "too large"),
			({"actual_cost": 1500, "claimed_amount": -1}, None, "above zero"),
			(
				{"actual_cost": 1500, "claimed_amount": 700},
				("leads.csv", b"email,first name\nx@y.example,=cmd|'/C calc'!A0\n"),
				"formula",
			),
		):
			with self.subTest(values=values):
				response = self.post(
					http,
					CREATE_CLAIM,
					{"fund_request": request, **values},
					files={"invoice": ("venue.pdf", small_pdf()), **({"lead_list": files} if files else {})},
				)
				self.assertEqual(response.status_code, 417, response.text[:300])
				self.assertIn(message, response.text)
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Fund Request", {"partner": A_NAME}), before + 1)
		self.assertFalse(frappe.db.exists("Fund Claim", {"fund_request": request}))
		self.assertFalse(
			frappe.db.exists("File", {"file_name": "leads.csv", "attached_to_doctype": "Fund Claim"})
		)
