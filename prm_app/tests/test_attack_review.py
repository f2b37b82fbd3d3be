"""Adversarial review (attack4): what the earlier attack modules (test_final_attack, test_attack_today,
test_attack_picker) did not try. As an auditor, the ledger is recomputed by hand (plain SQL on GL Entry /
Payment Ledger Entry, plain arithmetic), never with a prm_app helper as the oracle."""

import json

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, nowdate

from prm_app.tests.funds_utils import PAY_NOW, FundsCase
from prm_app.tests.test_final_attack import supplier_gl_balance
from prm_app.tests.test_portal_isolation import A_SALES, DENIED, PortalFixtures
from prm_app.tests.utils import account, make_invoice, make_plan


def supplier_ple_outstanding(supplier: str) -> float:
	"""What the Payment Ledger holds open for the supplier (negative = owed to it)."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(amount), 0) from `tabPayment Ledger Entry`
			where party_type = 'Supplier' and party = %s and delinked = 0""",
			(supplier,),
		)[0][0],
		2,
	)


def open_against(voucher: str) -> float:
	"""What the Payment Ledger holds open against a voucher (a commission journal, a claim's invoice)."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(amount), 0) from `tabPayment Ledger Entry`
			where against_voucher_no = %s and delinked = 0""",
			(voucher,),
		)[0][0],
		2,
	)


def unreconcile_payment(company: str, payment_entry: str):
	"""ERPNext's Unreconcile Payment of a Payment Entry, with all its allocations (a draft)."""
	doc = frappe.get_doc(
		{
			"doctype": "Unreconcile Payment",
			"company": company,
			"voucher_type": "Payment Entry",
			"voucher_no": payment_entry,
		}
	)
	doc.add_references()
	doc.insert()
	return doc


class TestAttackReviewSupplierMove(FundsCase):
	def setUp(self):
		super().setUp()
		plan = make_plan("_PRM Review Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()

	def move_partner(self, supplier_name: str) -> str:
		self.partner.reload()
		self.partner.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": supplier_name,
					"supplier_group": "All Supplier Groups",
				}
			)
			.insert()
			.name
		)
		self.partner.save()
		return self.partner.supplier

	def paid_then_moved(self):
		"""By hand: an invoice of 1,000.00 at 10 % -> a commission of 100.00 on the first supplier, paid by a
		payout (GL credit 100 - debit 100 = 0); the partner then moves to a new supplier (nothing open)."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = self.partner.supplier
		self.assertEqual(supplier_gl_balance(first), 100.0)
		payout = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(supplier_gl_balance(first), 0.0)
		moved_to = self.move_partner("_PRM Review Moved Supplier")
		return first, moved_to, payout

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payout_cancelled_after_the_move_strands_nothing_on_the_old_supplier(self):
		"""The move is refused while money is open on the old supplier, because a payout pays the current
		supplier only. Cancelling the old supplier's payout after the move would open its 100.00 there
		again, where no payout reaches it: the cancel is refused as the move was."""
		first, _moved_to, payout = self.paid_then_moved()
		payout.reload()
		with self.assertRaisesRegex(frappe.ValidationError, "moved"):
			payout.cancel()
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.assertEqual(supplier_ple_outstanding(first), 0.0)
		self.assertEqual(frappe.db.get_value("Partner Payout", payout.name, "docstatus"), 1)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payouts_payment_cancelled_after_the_move_strands_nothing(self):
		"""The same through ERPNext's own action: the payout's Payment Entry cancelled in the desk."""
		first, _moved_to, payout = self.paid_then_moved()
		pe = frappe.get_doc(
			"Payment Entry", frappe.db.get_value("Partner Payout", payout.name, "payment_entry")
		)
		with self.assertRaisesRegex(frappe.ValidationError, "moved"):
			pe.cancel()
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.assertEqual(frappe.db.get_value("Payment Entry", pe.name, "docstatus"), 1)

	@change_settings("PRM Settings", PAY_NOW)
	def test_the_payout_is_cancelled_once_the_partner_is_back_on_its_supplier(self):
		"""The way out the refusal names: move the partner back, cancel, the 100.00 is open again on the
		supplier the next payout pays (by hand: GL credit 100, debit 0)."""
		first, _moved_to, payout = self.paid_then_moved()
		self.partner.reload()
		self.partner.supplier = first
		self.partner.save()
		payout.reload()
		payout.cancel()
		self.assertEqual(supplier_gl_balance(first), 100.0)
		again = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(flt(again.net_amount, 2), 100.0)
		self.assertEqual(supplier_gl_balance(first), 0.0)

	def balance_by_hand(self, suppliers) -> float:
		return flt(sum(supplier_gl_balance(s) for s in suppliers), 2)

	def dashboard_balance(self) -> float:
		from prm_app import portal

		partner = frappe._dict(
			frappe.db.get_value("Partner", self.partner.name, ["name", "company", "supplier"], as_dict=True)
		)
		return flt(portal.supplier_balance(partner, nowdate()), 2)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_credit_note_after_the_move(self):
		"""By hand: 100.00 earned and paid on the first supplier; moved; a credit note of the whole invoice
		claws back 100.00, an open debit on the new supplier (the accrual it reverses is paid): first
		supplier 100 - 100 = 0, new one 0 - 100 = -100, dashboard -100. Then 3,000.00 invoiced earns
		300.00 on the new supplier: 300 - 100 = 200 owed there, dashboard 200."""
		first, moved_to, _payout = self.paid_then_moved()
		si = frappe.get_last_doc("Sales Invoice", filters={"sales_partner": self.partner.sales_partner})
		from prm_app.tests.utils import make_return

		make_return(si)
		self.assertEqual((supplier_gl_balance(first), supplier_gl_balance(moved_to)), (0.0, -100.0))
		self.assertEqual(self.dashboard_balance(), -100.0)
		make_invoice(self.partner, [("_PRM Hardware", 3, 1000)])
		self.assertEqual((supplier_gl_balance(first), supplier_gl_balance(moved_to)), (0.0, 200.0))
		self.assertEqual(self.dashboard_balance(), 200.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_payout_cancelled_and_amended(self):
		"""By hand: 100.00 earned; the payout pays it (GL 100 - 100 = 0); cancelled, 100.00 is open again
		(GL 100, dashboard 100); its amendment pays it once more (GL 0) through one live Payment Entry of
		100.00 (the cancelled one's GL rows are all is_cancelled)."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		supplier = self.partner.supplier
		payout = self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(supplier_gl_balance(supplier), 0.0)
		payout.reload()
		payout.cancel()
		self.assertEqual((supplier_gl_balance(supplier), self.dashboard_balance()), (100.0, 100.0))
		amended = frappe.copy_doc(payout, ignore_no_copy=False)  # as the desk's Amend
		amended.docstatus = 0
		amended.amended_from = payout.name
		amended.insert()
		amended.submit()
		self.assertEqual((supplier_gl_balance(supplier), self.dashboard_balance()), (0.0, 0.0))
		live = frappe.db.sql(
			"""select voucher_no, sum(debit) from `tabGL Entry` where party = %s and voucher_type = 'Payment Entry'
			and is_cancelled = 0 group by voucher_no""",
			(supplier,),
		)
		self.assertEqual([flt(amount, 2) for _name, amount in live], [100.0])

	def test_auditor_daily_totals_on_invoice_cancel_and_amend(self):
		"""By hand: an invoice of 1,000.00 (commission 100.00) cancelled, amended to 2 x 1,000.00 (200.00):
		the day's buckets hold invoice 2,000.00 and earned 200.00, the cancelled one's figures nowhere."""
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		si.reload()
		si.cancel()
		amended = frappe.copy_doc(si, ignore_no_copy=False)
		amended.docstatus = 0
		amended.amended_from = si.name
		amended.items[0].qty = 2
		amended.insert()
		amended.submit()
		rows = dict(
			frappe.db.sql(
				"""select kind, sum(amount) from prm_daily_total where day = %s and ref in (%s, %s) group by kind""",
				(nowdate(), self.partner.sales_partner, self.partner.name),
			)
		)
		self.assertEqual({k: flt(v, 2) for k, v in rows.items()}, {"invoice": 2000.0, "earned": 200.0})

	def test_auditor_fund_claim_paid_in_part_keeps_the_partner_on_its_supplier(self):
		"""By hand: a fund claim of 2,000.00 invoiced to the first supplier, 500.00 of it paid by a Payment
		Entry made in the desk: 2,000 - 500 = 1,500.00 open on the invoice (Payment Ledger) and on the
		supplier (GL). The move is refused naming that 1,500.00; the dashboard shows it."""
		from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

		from prm_app.channel_funds import funds
		from prm_app.tests.funds_utils import make_claim, make_request

		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pe = get_payment_entry("Purchase Invoice", claim.purchase_invoice, party_amount=500)
		pe.reference_no, pe.reference_date = "REVIEW-1", nowdate()
		pe.insert()
		pe.submit()
		first = self.partner.supplier
		self.assertEqual(supplier_gl_balance(first), 1500.0)
		self.assertEqual(
			open_against(claim.purchase_invoice),
			1500.0,
		)
		self.assertEqual(self.dashboard_balance(), 1500.0)
		with self.assertRaisesRegex(
			frappe.ValidationError, "1 open commission or fund claim documents .*1,500.00"
		):
			self.move_partner("_PRM Review Moved Supplier")
		self.assertEqual(frappe.db.get_value("Partner", self.partner.name, "supplier"), first)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_payout_unreconciled_after_the_move_is_refused(self):
		"""ERPNext's Unreconcile Payment on the payout's Payment Entry after the move would open the
		100.00 commission again on the old supplier (its Payment Ledger against the commission journal),
		with the payment left there as an advance: no payout of the new supplier reaches either."""
		_first, _moved_to, payout = self.paid_then_moved()
		pe = frappe.db.get_value("Partner Payout", payout.name, "payment_entry")
		doc = unreconcile_payment(payout.company, pe)
		with self.assertRaisesRegex(frappe.ValidationError, f"moved .*: unreconciling {pe} would open"):
			doc.submit()
		journal = frappe.db.get_value("Partner Commission", {"partner": self.partner.name}, "journal_entry")
		self.assertEqual(
			open_against(journal),
			0.0,
		)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_unreconciled_payout_the_records_follow_the_ledger(self):
		"""By hand, no move: 100.00 earned and paid by the payout; ERPNext's Unreconcile Payment takes the
		payment off the commission journal: the Payment Ledger holds 100.00 open against the journal again
		(the payment an advance of -100.00). The commission's own outstanding amount, which the portal's
		lists and the reconciliation report's records read, must say the same 100.00."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		payout = self.payout(add_days(nowdate(), -30), nowdate())
		pe = frappe.db.get_value("Partner Payout", payout.name, "payment_entry")
		doc = unreconcile_payment(payout.company, pe)
		doc.submit()
		commission = frappe.db.get_value(
			"Partner Commission", {"partner": self.partner.name}, ["name", "journal_entry"], as_dict=True
		)
		by_hand = open_against(commission.journal_entry)
		self.assertEqual(by_hand, 100.0)
		self.assertEqual(
			flt(frappe.db.get_value("Partner Commission", commission.name, "outstanding_amount"), 2), by_hand
		)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_clawback_open_at_move_time_keeps_the_partner(self):
		"""By hand: 100.00 earned and paid (GL 0); a credit note claws it back: an open debit of 100.00 on
		the supplier (GL 0 - 100 = -100, the partner owes it). Moving would leave that debit where no
		payout nets it: refused, the partner stays on its supplier."""
		from prm_app.tests.utils import make_return

		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		self.payout(add_days(nowdate(), -30), nowdate())
		make_return(si)
		first = self.partner.supplier
		self.assertEqual(supplier_gl_balance(first), -100.0)
		with self.assertRaisesRegex(
			frappe.ValidationError, "1 open commission or fund claim documents .*-.*100.00"
		):
			self.move_partner("_PRM Review Moved Supplier")
		self.assertEqual(frappe.db.get_value("Partner", self.partner.name, "supplier"), first)

	def pay_by_desk_journal(self, amount: float):
		"""A Journal Entry made in the desk paying the partner's commission: payable debit against the
		commission journal (party: the supplier), cash credit."""
		commission = frappe.db.get_value(
			"Partner Commission",
			{"partner": self.partner.name},
			["name", "journal_entry", "company"],
			as_dict=True,
		)
		payable = frappe.get_cached_value("Company", commission.company, "prm_commission_payable_account")
		je = frappe.get_doc(
			{
				"doctype": "Journal Entry",
				"company": commission.company,
				"posting_date": nowdate(),
				"accounts": [
					{
						"account": payable,
						"party_type": "Supplier",
						"party": self.partner.supplier,
						"debit_in_account_currency": amount,
						"reference_type": "Journal Entry",
						"reference_name": commission.journal_entry,
					},
					{"account": account("Cash"), "credit_in_account_currency": amount},
				],
			}
		).insert()
		je.submit()
		return commission, je

	def test_auditor_desk_journal_payment_the_records_follow_the_ledger(self):
		"""By hand: 100.00 earned; a desk Journal Entry pays 60.00 of it: the Payment Ledger holds
		100 - 60 = 40.00 open against the commission journal. The commission's outstanding amount (the
		portal's lists, the move's check, the report's records) must say 40.00; cancelled, 100.00."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		commission, je = self.pay_by_desk_journal(60)
		by_hand = open_against(commission.journal_entry)
		self.assertEqual(by_hand, 40.0)
		self.assertEqual(
			flt(frappe.db.get_value("Partner Commission", commission.name, "outstanding_amount"), 2), 40.0
		)
		je.reload()
		je.cancel()
		self.assertEqual(
			flt(frappe.db.get_value("Partner Commission", commission.name, "outstanding_amount"), 2), 100.0
		)

	def test_a_desk_journal_paying_on_the_old_supplier_is_not_cancelled_after_the_move(self):
		"""By hand: 100.00 earned on the first supplier, paid by a Journal Entry made in the desk (payable
		debit 100 against the commission journal, cash credit 100): GL 0, the partner moves. Cancelling
		that journal would open the 100.00 again on the old supplier: refused, GL stays 0."""
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = self.partner.supplier
		_commission, je = self.pay_by_desk_journal(100)
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.move_partner("_PRM Review Moved Supplier")
		je.reload()
		with self.assertRaisesRegex(frappe.ValidationError, "moved"):
			je.cancel()
		self.assertEqual(supplier_gl_balance(first), 0.0)


class TestAttackReviewHttp(PortalFixtures):
	"""Partner A against partner B over real HTTP (the portal's server in a thread)."""

	def rest_put(self, http, name: str, values: dict):
		return http.put(
			f"{self.url}/api/resource/Deal Registration/{name}",
			data=json.dumps(values),
			headers={"X-Frappe-CSRF-Token": http.csrf, "Content-Type": "application/json"},
		)

	def b_rows(self) -> list[tuple]:
		frappe.db.rollback()
		return frappe.db.sql(
			"""select name, parent, item_code, qty from `tabDeal Registration Product` where parent = %s
			order by idx""",
			(self.b_deal,),
		)

	def test_a_takes_no_product_row_of_b_through_its_own_registration(self):
		"""Frappe saves a child row that comes with a name by that name (UPDATE ... WHERE name = ...), whatever
		registration it belongs to: A's own registration, written through REST with a row named as one of
		B's (a row name learnt anywhere), must not move B's row into A's registration nor change it."""
		before = self.b_rows()
		self.assertEqual(len(before), 1)
		row_name = before[0][0]
		http = self.session(A_SALES)
		response = self.rest_put(
			http, self.a_deal, {"products": [{"name": row_name, "item_code": "_PRM Software", "qty": 7}]}
		)
		self.assertEqual(self.b_rows(), before)
		self.assertIn(response.status_code, (*DENIED, 409, 400), response.text[:300])

	def test_a_overwrites_no_registration_of_b_by_naming_it_in_the_body(self):
		"""REST PUT on A's own registration with B's registration's name in the body (and as a new
		document): B's registration keeps its notes, A gets no copy of it."""
		frappe.db.rollback()
		b_before = frappe.db.get_value("Deal Registration", self.b_deal, ["notes", "partner", "modified"])
		http = self.session(A_SALES)
		for extra in ({}, {"__islocal": 1}):
			with self.subTest(extra=extra):
				self.rest_put(http, self.a_deal, {"name": self.b_deal, "notes": "A overwrote", **extra})
				frappe.db.rollback()
				self.assertEqual(
					frappe.db.get_value("Deal Registration", self.b_deal, ["notes", "partner", "modified"]),
					b_before,
				)
