"""Final adversarial review of the session's money paths, as an auditor: GL Entry / Payment Ledger Entry
rows and the portal's figures recomputed by hand (plain arithmetic, no prm_app helper) and compared with
what prm_app posts and shows; and one partner's figures that must never include another partner's."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, get_first_day, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_request
from prm_app.tests.test_portal_isolation import PortalFixtures
from prm_app.tests.utils import COMPANY, account, make_invoice, make_partner, make_plan, make_return


def live_gl(voucher_type: str, voucher_no: str) -> list[tuple]:
	rows = frappe.db.sql(
		"""select account, party, against_voucher, debit, credit from `tabGL Entry`
		where voucher_type = %s and voucher_no = %s and is_cancelled = 0""",
		(voucher_type, voucher_no),
		as_dict=True,
	)
	return sorted((r.account, r.party or None, flt(r.debit, 2), flt(r.credit, 2)) for r in rows)


def supplier_gl_balance(supplier: str) -> float:
	"""Credit minus debit of the supplier on Creditors over every live GL Entry (what the vendor owes)."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(credit - debit), 0) from `tabGL Entry`
			where party_type = 'Supplier' and party = %s and account = %s and is_cancelled = 0""",
			(supplier, account("Creditors")),
		)[0][0],
		2,
	)


def voucher_outstanding(voucher_type: str, voucher_no: str) -> float:
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(amount), 0) from `tabPayment Ledger Entry`
			where against_voucher_type = %s and against_voucher_no = %s and delinked = 0""",
			(voucher_type, voucher_no),
		)[0][0],
		2,
	)


class TestFinalAttackLedger(FundsCase):
	def setUp(self):
		super().setUp()
		plan = make_plan("_PRM Final Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_claim_commission_and_open_clawback_in_one_payout(self):
		"""By hand: an invoice of 1,000.00 earns 100.00, paid in a first payout; its credit note claws the
		100.00 back (open: the partner owes it). Then an invoice of 3,000.00 earns 300.00 and a fund claim
		of 2,000.00 is invoiced. The second payout pays 300 - 100 + 2,000 = 2,200.00 in cash; afterwards
		the vendor owes the supplier nothing and every voucher is settled."""
		supplier = self.partner.supplier
		si = make_invoice(self.partner, [("_PRM Hardware", 1, 1000)], posting_date=add_days(nowdate(), -2))
		first = self.payout(add_days(nowdate(), -30), add_days(nowdate(), -1))
		self.assertEqual(flt(first.net_amount, 2), 100.0)
		make_return(si)
		make_invoice(self.partner, [("_PRM Hardware", 3, 1000)])
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		claim = make_claim(request, claimed=2000, actual_cost=4000)
		pi = claim.purchase_invoice

		# the claim's Purchase Invoice, by hand: expense 2,000.00 debit, Creditors 2,000.00 credit
		self.assertEqual(
			live_gl("Purchase Invoice", pi),
			sorted(
				[
					(account("Marketing Expenses"), None, 2000.0, 0.0),
					(account("Creditors"), supplier, 0.0, 2000.0),
				]
			),
		)
		before = supplier_gl_balance(supplier)
		# owed before the payout, by hand: 300 (new commission) - 100 (clawback) + 2,000 (claim)
		self.assertEqual(before, 300.0 - 100.0 + 2000.0)

		from prm_app import portal

		# the payouts page's "Payable now", by hand: the commissions the next payout nets, 300 - 100
		self.assertEqual(portal.payable_now(self.partner.name), 300.0 - 100.0)
		second = self.payout(nowdate(), nowdate(), submit=False)
		self.assertEqual(
			(flt(second.total_commission, 2), flt(second.total_clawback, 2), flt(second.net_amount, 2)),
			(300.0, -100.0, 300.0 - 100.0 + 2000.0),
		)
		second.submit()
		pe = frappe.db.get_value("Partner Payout", second.name, "payment_entry")
		rows = live_gl("Payment Entry", pe)
		cash = [r for r in rows if r[0] == account("Cash")]
		creditors = [r for r in rows if r[0] == account("Creditors")]
		self.assertEqual(cash, [(account("Cash"), None, 0.0, 2200.0)])
		self.assertEqual(sum(r[2] - r[3] for r in creditors), 2200.0)
		self.assertTrue(all(r[1] == supplier for r in creditors))
		# every voucher of the vendor and the supplier balances to nothing, by hand
		self.assertEqual(supplier_gl_balance(supplier), 0.0)
		self.assertEqual(voucher_outstanding("Purchase Invoice", pi), 0.0)
		for row in second.commissions:
			if row.journal_entry:
				self.assertEqual(
					voucher_outstanding("Journal Entry", row.journal_entry), 0.0, row.journal_entry
				)
		self.assertEqual(frappe.db.get_value("Fund Claim", claim.name, "status"), "Paid")
		# every GL voucher of the supplier balances (debit = credit)
		for voucher_type, voucher_no in frappe.db.sql(
			"""select distinct voucher_type, voucher_no from `tabGL Entry`
			where party = %s and is_cancelled = 0""",
			supplier,
		):
			debit, credit = frappe.db.sql(
				"""select sum(debit), sum(credit) from `tabGL Entry`
				where voucher_type = %s and voucher_no = %s and is_cancelled = 0""",
				(voucher_type, voucher_no),
			)[0]
			self.assertEqual(flt(debit, 2), flt(credit, 2), voucher_no)
		# cancelled through ERPNext's normal action, by hand: owed again 300 - 100 + 2,000, the claim's
		# invoice open for its 2,000.00, the payment's GL rows gone
		second.reload()
		second.cancel()
		self.assertEqual(supplier_gl_balance(supplier), 300.0 - 100.0 + 2000.0)
		self.assertEqual(voucher_outstanding("Purchase Invoice", pi), 2000.0)
		self.assertEqual(live_gl("Payment Entry", pe), [])

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_dashboard_month_with_credit_note_and_payment(self):
		"""By hand, this month: an invoice of 2,000.00 earns 200.00; a credit note of half its quantity
		claws back 100.00; a payout pays the net 100.00. Earned 200.00, clawed back -100.00, accrued
		100.00, paid 100.00, balance 0.00."""
		from prm_app import portal

		si = make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])
		make_return(si, {"_PRM Hardware": 1})
		payout = self.payout(get_first_day(nowdate()), nowdate())
		self.assertEqual(flt(payout.net_amount, 2), 200.0 - 100.0)
		partner = frappe._dict(
			frappe.db.get_value("Partner", self.partner.name, ["name", "company", "supplier"], as_dict=True)
		)
		summary = portal.commission_summary(partner, get_first_day(nowdate()), nowdate())
		self.assertEqual(
			(summary.earned, summary.clawed_back, summary.accrued, summary.paid, summary.balance),
			(200.0, -100.0, 100.0, 100.0, 0.0),
		)
		# the dashboard's revenue, by hand: 2,000.00 invoiced less the 1,000.00 credit note
		self.assertEqual(
			portal.revenue(self.partner.sales_partner, get_first_day(nowdate()), nowdate()), 2000.0 - 1000.0
		)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_dashboard_balance_after_the_partner_moved_to_a_new_supplier(self):
		"""By hand: a commission of 100.00 unpaid on the partner's first supplier. A payout pays the current
		supplier only, so the move to a new supplier is refused while it is open; once paid, the partner
		moves, earns 300.00 on the new supplier, and the dashboard's balance is 300.00 (both suppliers)."""
		from prm_app import portal

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		first = self.partner.supplier
		self.partner.reload()
		self.partner.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": "_PRM Final Moved Supplier",
					"supplier_group": "All Supplier Groups",
				}
			)
			.insert()
			.name
		)
		with self.assertRaisesRegex(frappe.ValidationError, "1 open commission or fund claim documents"):
			self.partner.save()
		moved_to = self.partner.supplier
		self.payout(add_days(nowdate(), -30), nowdate())
		self.assertEqual(supplier_gl_balance(first), 0.0)
		self.partner.reload()
		self.partner.supplier = moved_to
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 3, 1000)])
		partner = frappe._dict(
			frappe.db.get_value("Partner", self.partner.name, ["name", "company", "supplier"], as_dict=True)
		)
		self.assertEqual(supplier_gl_balance(partner.supplier), 300.0)
		self.assertEqual(portal.supplier_balance(partner, nowdate()), 300.0)


class TestFinalAttackIsolation(FundsCase):
	def test_two_partners_cannot_share_one_supplier(self):
		"""The dashboard's balance, the fund claims' Purchase Invoices and the payouts are the partner's
		supplier's: a second partner on the same supplier would see and be paid the first one's money.
		ERPNext lets a Partner Manager pick any supplier; the Partner must refuse one already taken (as it
		refuses a taken Sales Partner)."""
		with self.assertRaises(frappe.ValidationError):
			make_partner("_PRM Final Shared Supplier", supplier=self.partner.supplier)
		other = make_partner("_PRM Final Other Partner")
		other.supplier = self.partner.supplier
		with self.assertRaises(frappe.ValidationError):
			other.save()

	@change_settings("PRM Settings", PAY_NOW)
	def test_supplier_left_by_a_partner_with_postings_not_given_to_another(self):
		"""A partner moved to a new supplier leaves its commissions (and their balance, payments) on the
		old one: that supplier must not become another partner's, whose dashboard balance would show them."""
		plan = make_plan("_PRM Final Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # a commission of 100.00 on its supplier
		self.payout(add_days(nowdate(), -30), nowdate())  # paid there: the partner may move
		old = self.partner.supplier
		self.partner.reload()
		self.partner.supplier = (
			frappe.get_doc(
				{
					"doctype": "Supplier",
					"supplier_name": "_PRM Final New Supplier",
					"supplier_group": "All Supplier Groups",
				}
			)
			.insert()
			.name
		)
		self.partner.save()
		other = make_partner("_PRM Final Other Partner")
		other.supplier = old
		with self.assertRaises(frappe.ValidationError):
			other.save()

	def test_renamed_sales_partner_keeps_its_figures_and_gives_none_to_the_next(self):
		"""ERPNext lets a Sales Partner be renamed (its invoices and the Partner follow the new name). The
		per-day totals a partner's tier progress reads must follow too: A's invoices stay A's, and a Sales
		Partner later made under the old name (partner B's) starts from nothing, as the invoices say."""
		from prm_app.tiers import load_invoices, load_invoices_of

		old = self.partner.sales_partner
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		new = f"{old} Renamed"
		frappe.rename_doc("Sales Partner", old, new, force=True)
		since, as_of = add_days(nowdate(), -1), nowdate()

		def figures(partner):
			invoices, _returns = load_invoices_of([partner], since, as_of)
			direct, _returns = load_invoices([partner], since, as_of)
			return flt(invoices["base_net_amount"].sum(), 2), flt(direct["base_net_amount"].sum(), 2)

		self.assertEqual(frappe.db.get_value("Partner", self.partner.name, "sales_partner"), new)
		self.assertEqual(figures(self.partner.name), (1000.0, 1000.0))
		frappe.get_doc(
			{
				"doctype": "Sales Partner",
				"partner_name": old,
				"commission_rate": 0,
				"route": "partners/final-b",
			}
		).insert()
		other = make_partner("_PRM Final Other Partner", sales_partner=old)
		self.assertEqual(figures(other.name), (0.0, 0.0))


	def test_renamed_company_keeps_the_partners_figures(self):
		"""A renamed Company: its invoices and partners carry the new name; the per-day totals a partner's
		tier progress reads must follow (they are joined on the partner's company)."""
		from prm_app.tiers import load_invoices, load_invoices_of

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		since, as_of = add_days(nowdate(), -1), nowdate()
		frappe.rename_doc("Company", COMPANY, f"{COMPANY} Renamed", force=True)
		self.assertEqual(frappe.db.get_value("Partner", self.partner.name, "company"), f"{COMPANY} Renamed")
		invoices, _returns = load_invoices_of([self.partner.name], since, as_of)
		direct, _returns = load_invoices([self.partner.name], since, as_of)
		self.assertEqual(flt(direct["base_net_amount"].sum(), 2), 1000.0)
		self.assertEqual(flt(invoices["base_net_amount"].sum(), 2), 1000.0)


	def test_supplier_shared_from_before_the_check(self):
		"""A site may hold two partners on one supplier from before that was refused: both still save
		(unchanged supplier), neither's portal balance counts that supplier (it carries the other's money),
		and the setup checklist names the supplier and both partners until it is fixed."""
		from prm_app import portal
		from prm_app.api.setup import get_setup_checklist

		plan = make_plan("_PRM Final Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}])
		self.partner.commission_plan = plan
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 100.00 owed on A's supplier
		other = make_partner("_PRM Final Other Partner")
		# the data as an older version let it be written (no document path allows it any more)
		frappe.db.sql("update `tabPartner` set supplier = %s where name = %s", (self.partner.supplier, other.name))
		other.reload()
		other.partner_type = other.partner_type  # a save with the supplier unchanged
		other.save()
		self.partner.reload()
		self.partner.save()
		for name in (self.partner.name, other.name):
			partner = frappe._dict(
				frappe.db.get_value("Partner", name, ["name", "company", "supplier"], as_dict=True)
			)
			self.assertEqual(portal.supplier_balance(partner, nowdate()), 0.0)
		step = next(s for s in get_setup_checklist()["steps"] if s["key"] == "own_suppliers")
		self.assertFalse(step["done"])
		self.assertIn(self.partner.supplier, step["detail"])
		self.assertEqual(
			sorted(link["label"] for link in step["links"]), sorted([self.partner.name, other.name])
		)


class TestFinalAttackHTTP(PortalFixtures):
	"""Partner A's users over real HTTP against what B stored."""

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		b_url = frappe.db.get_value("File", cls.b_file, "file_url")
		frappe.db.delete("File", {"owner": ("like", "prm.portal.a%"), "file_url": b_url})
		for name in frappe.get_all(
			"File",
			filters={"owner": ("like", "prm.portal.a%"), "file_name": ("like", "final-attack-%")},
			pluck="name",
		):
			frappe.delete_doc("File", name, ignore_permissions=True, force=True)
		frappe.db.commit()  # nosemgrep: undo what the tests committed through the server
		super().tearDownClass()

	def test_same_bytes_as_b_file_get_a_file_of_their_own(self):
		"""Frappe stores an upload whose bytes equal an existing private file's as a second row on that file
		(same URL): A uploading B's bytes to its own deal would learn B's file name in the answer and on
		its deal page, and its row would stand for B's file. A's upload gets a file of its own."""
		b_url = frappe.db.get_value("File", self.b_file, "file_url")
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.upload_deal_attachment",
			{"name": self.a_deal},
			files={"file": ("final-attack-mine.txt", b"B SECRET CONTRACT")},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertNotIn("b-secret-contract", response.text)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("File", self.b_file, "file_url"), b_url)
		own = response.json()["message"]["file_url"]
		self.assertNotEqual(own, b_url)
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_deal})
		self.assertNotIn("b-secret-contract", page.text)
		# Frappe's own upload, the same
		generic = http.post(
			f"{self.url}/api/method/upload_file",
			data={"is_private": 1},
			files={"file": ("final-attack-other.txt", b"B SECRET CONTRACT")},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assertEqual(generic.status_code, 200, generic.text[:300])
		self.assertNotIn("b-secret-contract", generic.text)
		rest = http.post(
			f"{self.url}/api/resource/File",
			json={"file_name": "final-attack-rest.txt", "content": "B SECRET CONTRACT", "is_private": 1},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assertEqual(rest.status_code, 200, rest.text[:300])
		self.assertNotIn("b-secret-contract", rest.text)
		frappe.db.rollback()
		with open(frappe.get_doc("File", self.b_file).get_full_path(), "rb") as f:
			self.assertEqual(f.read(), b"B SECRET CONTRACT")
		with open(frappe.get_doc("File", response.json()["message"]["name"]).get_full_path(), "rb") as f:
			self.assertEqual(f.read(), b"B SECRET CONTRACT")
