"""Market development funds attacked: postings twice, another company, bad input (huge amounts, lead
lists with formulas, broken emails or too many rows), decisions past the claim window. Every figure is
written here by hand (the auditor's own arithmetic), never taken from prm_app's engine."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, get_last_day, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_request, proof_file
from prm_app.tests.test_funds_ledger import accrual_account
from prm_app.tests.utils import COMPANY, account, gl_rows


def live_journals(remark_like: str) -> list[str]:
	return frappe.get_all(
		"Journal Entry",
		filters={"company": COMPANY, "docstatus": 1, "user_remark": ("like", remark_like)},
		pluck="name",
	)


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
