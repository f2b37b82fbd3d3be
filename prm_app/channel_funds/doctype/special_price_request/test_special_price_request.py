"""Special Price Request in a real bench: a partner asks on its approved deal, the Workflow and the server's
depth rule decide who approves, approval makes a Pricing Rule that ERPNext applies to that customer's
Quotation, Sales Order and Sales Invoice only, and withdrawal or expiry disables it (idempotent)."""

import frappe
from frappe.model.workflow import apply_workflow
from frappe.utils import add_days, flt, nowdate

from prm_app import payouts
from prm_app.channel_funds import special_pricing, special_pricing_portal
from prm_app.prm_app.doctype.deal_registration.test_deal_registration import test_ignore as DEAL_TEST_IGNORE
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_company,
	make_customer,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_registration,
	make_special_price_request,
	make_user,
	set_list_price,
)

# the walk of Link fields for test records stops where the deal registration's does, and at the documents
# these tests make themselves
test_ignore = [*DEAL_TEST_IGNORE, "Deal Registration", "Quotation", "Pricing Rule"]
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads

PARTNER_USER = "_prm.spr.partner@example.com"
OTHER_USER = "_prm.spr.other@example.com"
PARTNER_MANAGER = "_prm.spr.pm@example.com"
SALES_MANAGER = "_prm.spr.sm@example.com"
ITEM = "_PRM Hardware"
LIST_PRICE = 1000
DEAL_CUSTOMER = "_PRM SPR Deal Customer"
OTHER_CUSTOMER = "_PRM SPR Other Customer"


class SpecialPricingCase(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.set_user("Administrator")
		set_list_price(ITEM, LIST_PRICE)
		make_customer(DEAL_CUSTOMER)
		make_customer(OTHER_CUSTOMER)
		make_user(PARTNER_MANAGER, ["Partner Manager"])
		make_user(SALES_MANAGER, ["Sales Manager", "Sales User"])
		frappe.db.set_single_value("PRM Settings", "special_price_partner_manager_limit", 15)
		self.partner = make_partner(f"_PRM SPR Partner {frappe.generate_hash(length=6)}")
		make_portal_user(PARTNER_USER, self.partner)
		self.deal = self.approved_deal(self.partner)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def approved_deal(self, partner, customer=DEAL_CUSTOMER):
		deal = make_registration(
			partner,
			f"SPR Prospect {frappe.generate_hash(length=6)}",
			website=f"{frappe.generate_hash(length=8)}.example",
		)
		frappe.db.set_value("Deal Registration", deal.name, {"status": "Approved", "customer": customer})
		return deal.name

	def request(self, user=PARTNER_USER, submit=True, **row):
		frappe.set_user(user)
		doc = frappe.get_doc(
			{
				"doctype": "Special Price Request",
				"deal_registration": self.deal,
				"competitor": "Initrode",
				"justification": "Competitive bid",
				"valid_upto": add_days(nowdate(), 30),
				"items": [{"item_code": ITEM, "qty": 5, **(row or {"requested_price": 900})}],
			}
		).insert()
		if submit:
			apply_workflow(doc, "Submit for Approval")
			doc.reload()
		frappe.set_user("Administrator")
		return doc

	def act(self, doc, action, user):
		frappe.set_user(user)
		try:
			apply_workflow(frappe.get_doc(doc.doctype, doc.name), action)
		finally:
			frappe.set_user("Administrator")
		return frappe.get_doc(doc.doctype, doc.name)

	# --- request --------------------------------------------------------------------------------------------

	def test_partner_request_is_priced_from_the_list_price(self):
		doc = self.request(requested_discount=12.5)
		row = doc.items[0]
		self.assertEqual(doc.partner, self.partner.name)
		self.assertEqual(doc.customer, DEAL_CUSTOMER)
		self.assertEqual(doc.status, "Pending Approval")
		self.assertEqual(flt(row.list_price), 1000)
		self.assertEqual(flt(row.requested_price), 875)
		self.assertEqual(flt(doc.requested_total), 4375)
		self.assertEqual(flt(doc.list_total), 5000)
		self.assertEqual(doc.approval_level, "Partner Manager")
		deep = self.request(requested_price=700)
		self.assertEqual(flt(deep.items[0].requested_discount), 30)
		self.assertEqual(deep.approval_level, "Sales Manager")

	def test_partner_cannot_grant_or_pick_the_customer(self):
		frappe.set_user(PARTNER_USER)
		doc = make_special_price_request(self.deal, ITEM, requested_price=900, customer=OTHER_CUSTOMER)
		self.assertEqual(doc.customer, DEAL_CUSTOMER)  # the deal's, whatever was sent
		doc.items[0].granted_price = 1
		self.assertRaises(frappe.PermissionError, doc.save)

	def test_deal_must_be_approved_and_the_partners_own(self):
		draft = make_registration(self.partner, "SPR Draft Prospect", website="spr-draft.example")
		frappe.set_user(PARTNER_USER)
		self.assertRaisesRegex(
			frappe.ValidationError, "approved deal registration", make_special_price_request, draft.name, ITEM
		)
		frappe.set_user("Administrator")
		other = make_partner(f"_PRM SPR Other {frappe.generate_hash(length=6)}")
		make_portal_user(OTHER_USER, other)
		frappe.set_user(OTHER_USER)
		self.assertRaises(
			(frappe.ValidationError, frappe.PermissionError), make_special_price_request, self.deal, ITEM
		)

	def test_price_above_list_refused(self):
		self.assertRaisesRegex(
			frappe.ValidationError, "above the list price", self.request, requested_price=1000.01
		)

	def test_nothing_but_the_status_changes_after_submission(self):
		doc = self.request()
		doc.items[0].qty = 500
		self.assertRaisesRegex(frappe.ValidationError, "only its status", doc.save)

	# --- approval ----------------------------------------------------------------------------------------

	def test_partner_manager_approves_up_to_the_limit_only(self):
		shallow = self.act(self.request(requested_price=900), "Approve", PARTNER_MANAGER)
		self.assertEqual(shallow.status, "Approved")
		self.assertEqual(shallow.approved_by, PARTNER_MANAGER)
		self.assertEqual(flt(shallow.items[0].granted_price), 900)

		deep = self.request(requested_price=800)  # 20 % > 15 %
		# the Workflow offers no Approve to a Partner Manager ...
		self.assertRaises(frappe.ValidationError, self.act, deep, "Approve", PARTNER_MANAGER)
		# ... and saving the status directly (as the REST API would) is refused by the server
		frappe.set_user(PARTNER_MANAGER)
		doc = frappe.get_doc(deep.doctype, deep.name)
		doc.status = "Approved"
		self.assertRaises((frappe.PermissionError, frappe.ValidationError), doc.save)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value(deep.doctype, deep.name, "status"), "Pending Approval")
		self.assertFalse(
			frappe.db.get_value("Special Price Request Item", {"parent": deep.name}, "pricing_rule")
		)

		self.act(shallow, "Withdraw", PARTNER_MANAGER)  # one granted price per customer, item and period
		approved = self.act(deep, "Approve", SALES_MANAGER)
		self.assertEqual(approved.status, "Approved")

	def test_granting_deeper_than_the_limit_needs_a_sales_manager(self):
		doc = self.request(requested_price=900)
		frappe.set_user(PARTNER_MANAGER)
		doc = frappe.get_doc(doc.doctype, doc.name)
		doc.items[0].granted_price = 700  # 30 %: the request became a Sales Manager's
		doc.save()
		self.assertEqual(doc.approval_level, "Sales Manager")
		self.assertRaises(frappe.ValidationError, self.act, doc, "Approve", PARTNER_MANAGER)

	def test_overlapping_grant_for_the_same_customer_and_item_refused(self):
		self.act(self.request(requested_price=900), "Approve", PARTNER_MANAGER)
		second = self.request(requested_price=950)
		self.assertRaisesRegex(
			frappe.ValidationError, "withdraw it first", self.act, second, "Approve", PARTNER_MANAGER
		)
		self.assertEqual(frappe.db.get_value(second.doctype, second.name, "status"), "Pending Approval")

	def test_rejection_needs_a_reason(self):
		doc = self.request()
		self.assertRaisesRegex(frappe.ValidationError, "reason", self.act, doc, "Reject", PARTNER_MANAGER)

	# --- Pricing Rule ------------------------------------------------------------------------------------

	def selling_doc(self, doctype, customer, qty=5):
		doc = frappe.get_doc(
			{
				"doctype": doctype,
				"company": COMPANY,
				"currency": "USD",
				"selling_price_list": special_pricing.selling_price_list(),
				"items": [{"item_code": ITEM, "qty": qty, "cost_center": account("Main")}],
				**(
					{
						"quotation_to": "Customer",
						"party_name": customer,
						"valid_till": add_days(nowdate(), 10),
					}
					if doctype == "Quotation"
					else {"customer": customer}
				),
				**({"delivery_date": add_days(nowdate(), 7)} if doctype == "Sales Order" else {}),
				**(
					{"debit_to": account("Debtors"), "due_date": add_days(nowdate(), 30)}
					if doctype == "Sales Invoice"
					else {}
				),
			}
		)
		if doctype == "Sales Invoice":
			doc.items[0].income_account = account("Sales")
		doc.insert(ignore_permissions=True)
		return doc

	def test_approval_makes_a_pricing_rule_for_the_deals_customer_only(self):
		doc = self.act(self.request(requested_price=880, min_qty=2), "Approve", PARTNER_MANAGER)
		rule_name = doc.items[0].pricing_rule
		rule = frappe.get_doc("Pricing Rule", rule_name)
		self.assertEqual(
			(rule.applicable_for, rule.customer, rule.selling, rule.rate_or_discount, flt(rule.rate)),
			("Customer", DEAL_CUSTOMER, 1, "Rate", 880),
		)
		self.assertEqual([r.item_code for r in rule.items], [ITEM])
		self.assertEqual((flt(rule.min_qty), str(rule.valid_upto), rule.disable), (2, str(doc.valid_upto), 0))

		for doctype in ("Quotation", "Sales Order", "Sales Invoice"):
			with self.subTest(doctype=doctype):
				ours = self.selling_doc(doctype, DEAL_CUSTOMER)
				self.assertEqual(flt(ours.items[0].rate), 880)
				self.assertIn(rule_name, ours.items[0].pricing_rules or "")
				other = self.selling_doc(doctype, OTHER_CUSTOMER)
				self.assertEqual(flt(other.items[0].rate), LIST_PRICE)
				self.assertNotIn(rule_name, other.items[0].pricing_rules or "")
				below_min = self.selling_doc(doctype, DEAL_CUSTOMER, qty=1)
				self.assertEqual(flt(below_min.items[0].rate), LIST_PRICE)

		si = self.selling_doc("Sales Invoice", DEAL_CUSTOMER)
		si.submit()
		self.assertEqual(flt(si.grand_total), 880 * 5)

		# idempotent: syncing again makes or changes nothing
		count = frappe.db.count("Pricing Rule", {"title": ("like", f"{doc.name}%")})
		self.assertEqual(special_pricing.sync_pricing_rules(frappe.get_doc(doc.doctype, doc.name)), [])
		self.assertEqual(frappe.db.count("Pricing Rule", {"title": ("like", f"{doc.name}%")}), count)

	def test_withdrawal_disables_the_pricing_rule(self):
		doc = self.act(self.request(requested_price=880), "Approve", PARTNER_MANAGER)
		frappe.set_user(PARTNER_USER)
		special_pricing_portal.withdraw_special_price(doc.name)
		frappe.set_user("Administrator")
		doc.reload()
		self.assertEqual(doc.status, "Withdrawn")
		self.assertEqual(doc.closed_on and str(doc.closed_on), nowdate())
		self.assertEqual(frappe.db.get_value("Pricing Rule", doc.items[0].pricing_rule, "disable"), 1)
		self.assertEqual(flt(self.selling_doc("Sales Invoice", DEAL_CUSTOMER).items[0].rate), LIST_PRICE)
		# a withdrawn request cannot be withdrawn again nor re-approved
		self.assertRaises(frappe.ValidationError, doc.withdraw)
		self.assertRaises(frappe.ValidationError, self.act, doc, "Approve", SALES_MANAGER)

	def test_a_request_that_made_pricing_rules_cannot_be_deleted(self):
		draft = self.request(submit=False)
		frappe.delete_doc(draft.doctype, draft.name)
		self.assertFalse(frappe.db.exists(draft.doctype, draft.name))
		doc = self.act(self.request(requested_price=880), "Approve", PARTNER_MANAGER)
		self.assertRaisesRegex(
			frappe.ValidationError, "withdraw it instead", frappe.delete_doc, doc.doctype, doc.name
		)
		self.assertEqual(frappe.db.get_value("Pricing Rule", doc.items[0].pricing_rule, "disable"), 0)

	def test_customer_set_by_staff_for_a_deal_not_yet_converted(self):
		frappe.db.set_value("Deal Registration", self.deal, "customer", None)
		doc = self.request(requested_price=880)
		self.assertIsNone(doc.customer)
		self.assertRaisesRegex(frappe.ValidationError, "customer", self.act, doc, "Approve", PARTNER_MANAGER)
		frappe.set_user(PARTNER_MANAGER)
		doc = frappe.get_doc(doc.doctype, doc.name)
		doc.customer = DEAL_CUSTOMER
		doc.save()
		frappe.set_user("Administrator")
		doc = self.act(doc, "Approve", PARTNER_MANAGER)
		self.assertEqual(
			frappe.db.get_value("Pricing Rule", doc.items[0].pricing_rule, "customer"), DEAL_CUSTOMER
		)
		frappe.set_user(PARTNER_USER)
		special_pricing_portal.withdraw_special_price(doc.name)  # the stored customer stays
		frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_value(doc.doctype, doc.name, ["status", "customer"]), ("Withdrawn", DEAL_CUSTOMER)
		)

	def test_expiry_job_disables_the_pricing_rule(self):
		doc = self.act(self.request(requested_price=880), "Approve", PARTNER_MANAGER)
		self.assertEqual(special_pricing.expire_requests(today=nowdate()), [])  # valid until in 30 days
		expired = special_pricing.expire_requests(today=add_days(doc.valid_upto, 1))
		self.assertEqual(expired, [doc.name])
		doc.reload()
		self.assertEqual(doc.status, "Expired")
		self.assertEqual(frappe.db.get_value("Pricing Rule", doc.items[0].pricing_rule, "disable"), 1)
		self.assertEqual(special_pricing.expire_requests(today=add_days(doc.valid_upto, 2)), [])
		self.assertEqual(flt(self.selling_doc("Sales Invoice", DEAL_CUSTOMER).items[0].rate), LIST_PRICE)

	def test_staff_request_on_a_quotation_without_partner(self):
		quotation = self.selling_doc("Quotation", OTHER_CUSTOMER)
		frappe.set_user(SALES_MANAGER)
		doc = frappe.get_doc(
			{
				"doctype": "Special Price Request",
				"quotation": quotation.name,
				"valid_upto": add_days(nowdate(), 30),
				"items": [{"item_code": ITEM, "qty": 5, "requested_discount": 40}],
			}
		).insert()
		self.assertEqual((doc.customer, doc.partner, doc.company), (OTHER_CUSTOMER, None, COMPANY))
		self.assertEqual(flt(doc.items[0].requested_price), 600)
		frappe.set_user("Administrator")
		doc = self.act(doc, "Submit for Approval", SALES_MANAGER)
		doc = self.act(doc, "Approve", SALES_MANAGER)
		self.assertEqual(doc.status, "Approved")
		so = self.selling_doc("Sales Order", OTHER_CUSTOMER)
		self.assertEqual(flt(so.items[0].rate), 600)

	# --- commission on special prices -----------------------------------------------------------------

	def commissioned_invoice(self, special_price_commission):
		plan = make_plan(
			f"_PRM SPR Plan {frappe.generate_hash(length=6)}",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 10}],
			special_price_commission=special_price_commission,
		)
		frappe.db.set_value("Partner", self.partner.name, "commission_plan", plan)
		request = self.act(self.request(requested_price=880), "Approve", PARTNER_MANAGER)
		si = make_invoice(self.partner, lines=[(ITEM, 5, None)], customer=DEAL_CUSTOMER)
		self.assertEqual(flt(si.items[0].rate), 880)
		commission = frappe.get_doc("Partner Commission", {"sales_invoice": si.name, "docstatus": 1})
		return request, si, commission

	def test_commission_on_the_discounted_price_by_default(self):
		_request, _si, commission = self.commissioned_invoice("On Discounted Price")
		self.assertEqual(flt(commission.total), 440)  # 10 % of 5 × 880, not of 5 × 1000
		self.assertEqual((commission.needs_review, commission.review_reason), (0, None))

	def test_commission_flagged_for_review_is_held_until_approved(self):
		request, _si, commission = self.commissioned_invoice("Flag for Review")
		self.assertEqual(flt(commission.total), 440)
		self.assertEqual(commission.needs_review, 1)
		self.assertIn(request.name, commission.review_reason)
		later = add_days(nowdate(), 365)
		self.assertFalse(payouts.is_payable(commission, on_date=later))
		frappe.set_user(PARTNER_MANAGER)
		payouts.approve_commissions([commission.name])
		frappe.set_user("Administrator")
		commission.reload()
		self.assertTrue(payouts.is_payable(commission, on_date=later))
		# an invoice at list price under the same plan is not flagged
		plain = make_invoice(self.partner, lines=[(ITEM, 5, None)], customer=OTHER_CUSTOMER)
		self.assertEqual(
			frappe.db.get_value(
				"Partner Commission", {"sales_invoice": plain.name, "docstatus": 1}, "needs_review"
			),
			0,
		)

	# --- report ---------------------------------------------------------------------------------------

	def test_special_pricing_report(self):
		from prm_app.channel_funds.report.special_pricing.special_pricing import execute

		granted = self.act(self.request(requested_price=900), "Approve", PARTNER_MANAGER)  # 10 %
		rejected = self.request(requested_price=700)  # 30 %, rejected with a reason
		frappe.set_user(SALES_MANAGER)
		doc = frappe.get_doc(rejected.doctype, rejected.name)
		doc.rejection_reason = "Too deep"
		doc.save()
		frappe.set_user("Administrator")
		self.act(doc, "Reject", SALES_MANAGER)
		si = self.selling_doc("Sales Invoice", DEAL_CUSTOMER, qty=4)
		si.submit()
		frappe.db.set_value("Deal Registration", self.deal, "status", "Won")

		_columns, rows = execute({"partner": self.partner.name})
		self.assertEqual(len(rows), 1)
		row = rows[0]
		self.assertEqual((row["requests"], row["granted"], row["won"], row["lost"]), (2, 1, 2, 0))
		self.assertEqual(flt(row["list_total"]), 10000)  # two requests of 5 × 1,000
		self.assertEqual(flt(row["requested_discount"]), 20)  # (500 + 1,500) / 10,000
		self.assertEqual(flt(row["granted_discount"]), 10)
		self.assertEqual(flt(row["margin_given_away"]), 500)  # 5 × (1,000 − 900) as granted
		self.assertEqual(flt(row["invoiced_margin_given_away"]), 400)  # 4 invoiced × 100
		self.assertEqual(flt(row["win_rate"]), 100)

		_columns, rows = execute({"partner": self.partner.name, "group_by": "Request"})
		by_name = {r["request"]: r for r in rows}
		self.assertEqual(flt(by_name[granted.name]["granted_discount"]), 10)
		self.assertIsNone(by_name[rejected.name]["granted_discount"])
		self.assertEqual(flt(by_name[rejected.name]["margin_given_away"]), 0)

	# --- staff on an Opportunity; the Workflow -----------------------------------------------------

	def test_staff_request_on_an_opportunity_takes_its_customer_and_deal(self):
		opportunity = frappe.get_doc(
			{
				"doctype": "Opportunity",
				"opportunity_from": "Customer",
				"party_name": DEAL_CUSTOMER,
				"company": COMPANY,
				"deal_registration": self.deal,
			}
		).insert(ignore_permissions=True)
		frappe.set_user(SALES_MANAGER)
		doc = make_special_price_request(None, ITEM, requested_price=950, opportunity=opportunity.name)
		self.assertEqual(
			(doc.customer, doc.deal_registration, doc.partner, doc.company),
			(DEAL_CUSTOMER, self.deal, self.partner.name, COMPANY),
		)

	def test_workflow_made_once_and_never_overwritten(self):
		name = frappe.db.get_value("Workflow", {"document_type": "Special Price Request"})
		self.assertEqual(name, special_pricing.WORKFLOW)
		workflow = frappe.get_doc("Workflow", name)
		approvals = {(t.allowed, t.condition) for t in workflow.transitions if t.action == "Approve"}
		self.assertEqual(
			approvals,
			{("Partner Manager", 'doc.approval_level == "Partner Manager"'), ("Sales Manager", None)},
		)
		# a customer's change (here: Sales Managers no longer reject) survives migrate (rolled back after
		# the test; the caches are cleared after the rollback)
		self.addCleanup(frappe.clear_cache, doctype="Special Price Request")
		self.addCleanup(frappe.clear_document_cache, "Workflow", name)
		workflow.transitions = [
			t for t in workflow.transitions if not (t.action == "Reject" and t.allowed == "Sales Manager")
		]
		workflow.save(ignore_permissions=True)
		self.assertIsNone(special_pricing.make_workflow())
		self.assertFalse(
			frappe.db.exists(
				"Workflow Transition", {"parent": name, "action": "Reject", "allowed": "Sales Manager"}
			)
		)
