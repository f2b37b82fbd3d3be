"""Portal money (issue 12, item 6): every figure of the partner's dashboard and payouts page equals the
Partner Statement of the same period and the ledger, computed here independently from ERPNext's GL Entry
and Payment Ledger Entry rows (not from prm_app's helpers).

The month: two commissions (100.00 and 200.00), a credit note clawing back 100.00 of the second before
any payout (so the ledger sets it against that commission at once), a payout netting it (pays 200.00),
then a new commission of 50.00 that is still owed. The pages are rendered as the partner's own user."""

import html as html_lib
import re
from unittest.mock import patch

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import flt, get_first_day, nowdate

from prm_app.l10n import prm_money
from prm_app.prm_app.doctype.partner_payout.test_partner_payout import PAY_NOW, make_payout
from prm_app.statement import partner_statement
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_return,
)

USER = "prm.money.partner@example.com"


def render(path: str, user: str) -> str:
	"""The portal page as the user's browser gets it, rendered in this transaction (the page's commit of
	its CSRF token is held back so that the test's records are rolled back afterwards)."""
	from frappe.utils import set_request
	from frappe.website.serve import get_response_content

	current = frappe.session.user
	try:
		frappe.set_user(user)
		set_request(method="GET", path=path)
		with patch.object(frappe.db, "commit", lambda *a, **k: None):
			return get_response_content(path)
	finally:
		frappe.set_user(current)


def figure(html: str, element_id: str) -> str:
	match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', html)
	assert match, f"{element_id} is not on the page"
	return html_lib.unescape(match.group(1)).strip()


def gl_sum(expression: str, where: str, values: dict) -> float:
	"""A sum over the live GL Entry rows of the partner's supplier on the commission payable."""
	return flt(
		frappe.db.sql(
			f"""select coalesce(sum({expression}), 0) from `tabGL Entry`
			where company = %(company)s and account = %(payable)s and party_type = 'Supplier'
			and party = %(supplier)s and is_cancelled = 0 and {where}""",
			values,
		)[0][0],
		2,
	)


def ledger_figures(partner, from_date, to_date) -> frappe._dict:
	"""What the dashboard must show for the period, from ERPNext's rows alone: the GL on the commission
	payable for the partner's supplier (credits of journals = earned, debits of journals = clawed back,
	debits of payments = paid, credit - debit to date = owed), the Payment Ledger's balance, and the
	GL's sales income of the partner's invoices."""
	payable = frappe.get_cached_value("Company", partner.company, "prm_commission_payable_account")
	values = {
		"company": partner.company,
		"payable": payable,
		"supplier": partner.supplier,
		"from": from_date,
		"to": to_date,
	}
	month = "posting_date between %(from)s and %(to)s"
	return frappe._dict(
		query_values=values,
		earned=gl_sum("credit", f"voucher_type = 'Journal Entry' and {month}", values),
		clawed_back=-gl_sum("debit", f"voucher_type = 'Journal Entry' and {month}", values),
		paid=gl_sum("debit - credit", f"voucher_type = 'Payment Entry' and {month}", values),
		balance=gl_sum("credit - debit", "posting_date <= %(to)s", values),
		ple_balance=flt(
			frappe.db.sql(
				"""select coalesce(sum(amount), 0) from `tabPayment Ledger Entry`
				where company = %(company)s and account = %(payable)s and party_type = 'Supplier'
				and party = %(supplier)s and delinked = 0 and posting_date <= %(to)s""",
				values,
			)[0][0],
			2,
		),
		revenue=flt(
			frappe.db.sql(
				"""select coalesce(sum(gle.credit - gle.debit), 0) from `tabGL Entry` gle
				join `tabSales Invoice` si on si.name = gle.voucher_no
				where gle.voucher_type = 'Sales Invoice' and gle.account = %(sales)s and gle.is_cancelled = 0
				and si.sales_partner = %(sales_partner)s and gle.posting_date between %(from)s and %(to)s""",
				{**values, "sales": account("Sales"), "sales_partner": partner.sales_partner},
			)[0][0],
			2,
		),
	)


def dashboard_figures(html: str) -> dict[str, str]:
	"""The money figures of a rendered /partner page, as shown."""
	return {key: figure(html, f"prm-{key.replace('_', '-')}") for key in DASHBOARD_FIGURES}


DASHBOARD_FIGURES = ("earned", "clawed_back", "paid", "balance", "revenue")


def expected_figures(ledger: frappe._dict, currency: str) -> dict[str, str]:
	return {key: prm_money(ledger[key], currency) for key in DASHBOARD_FIGURES}


class TestPortalMoney(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		plan = make_plan("_PRM Money Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner = make_partner("_PRM Money Partner", plan=plan)
		make_portal_user(USER, self.partner)
		frappe.db.set_value(
			"Partner User", {"parent": self.partner.name, "user": USER}, "partner_role", "Admin"
		)

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_cache(doctype="Company")

	@change_settings("PRM Settings", PAY_NOW)
	def test_dashboard_and_payout_figures_equal_the_statement_and_the_ledger(self):
		today, first = nowdate(), get_first_day(nowdate())
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # commission 100.00
		second = make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])  # commission 200.00
		make_return(second, {"_PRM Hardware": 1})  # clawback 100.00, before any payout
		payout = make_payout(self.partner, from_date=first, to_date=today)
		make_invoice(self.partner, [("_PRM Hardware", 1, 500)])  # commission 50.00, still owed
		payout.reload()

		ledger = ledger_figures(self.partner, first, today)
		values = ledger.query_values
		self.assertEqual(
			(
				ledger.earned,
				ledger.clawed_back,
				ledger.paid,
				ledger.balance,
				ledger.ple_balance,
				ledger.revenue,
			),
			(350.0, -100.0, 200.0, 50.0, 50.0, 3500.0 - 1000.0),
		)

		statement = partner_statement(self.partner.name, first, today)
		self.assertEqual(
			(statement.total_commission, statement.total_clawback, statement.total_paid, statement.closing),
			(ledger.earned, ledger.clawed_back, ledger.paid, ledger.balance),
		)

		html = render("/partner", USER)
		currency = "USD"
		# "Paid this month" was what had been paid on this month's commissions, not this month's payments
		self.assertEqual(dashboard_figures(html), expected_figures(ledger, currency))

		# the payout: its commissions before the clawback, the clawback netted in it, the net it paid
		clawback_journals = frappe.get_all(
			"Journal Entry",
			filters={
				"prm_partner_commission": (
					"in",
					[r.partner_commission for r in payout.commissions if r.is_clawback],
				)
			},
			pluck="name",
		)
		accrual_journals = [r.journal_entry for r in payout.commissions if not r.is_clawback]
		ledger_payout = frappe._dict(
			commission=gl_sum(
				"credit", "voucher_no in %(journals)s", {**values, "journals": accrual_journals}
			),
			clawback=-gl_sum(
				"debit", "voucher_no in %(journals)s", {**values, "journals": clawback_journals or [""]}
			),
			net=gl_sum("debit", "voucher_no = %(pe)s", {**values, "pe": payout.payment_entry}),
		)
		self.assertEqual(
			(
				flt(payout.total_commission),
				flt(payout.total_clawback),
				flt(payout.net_amount),
				flt(payout.paid_amount),
			),
			(ledger_payout.commission, ledger_payout.clawback, ledger_payout.net, ledger_payout.net),
		)
		self.assertEqual(
			(ledger_payout.commission, ledger_payout.clawback), (300.0, -100.0)
		)  # was 200.00, 0.00

		html = render("/partner/payouts", USER)
		# no holding period: all that is owed is payable now
		self.assertEqual(figure(html, "prm-payable"), prm_money(ledger.balance, currency))
		row = html[html.index(f'data-payout="{payout.name}"') :]
		cells = {
			key: re.search(rf'class="text-right prm-payout-{key}"[^>]*>([^<]*)<', row).group(1).strip()
			for key in ("commission", "clawback", "net", "paid")
		}
		self.assertEqual(
			cells,
			{
				"commission": prm_money(ledger_payout.commission, currency),
				"clawback": prm_money(ledger_payout.clawback, currency),
				"net": prm_money(ledger_payout.net, currency),
				"paid": prm_money(ledger_payout.net, currency),
			},
		)
