"""Deal registration in a real bench: lifecycle and its guards, partner permissions (real users), conflicts
(hard ones block approval), protection, expiry and reminders, and the conversion chain Opportunity ->
Quotation -> Sales Order -> Sales Invoice ending in a registered-deal commission asserted on GL rows."""

import frappe
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app import deals
from prm_app.tests import PRMTestCase
from prm_app.tests.utils import (
	COMPANY,
	CUSTOMER,
	account,
	commissions_of,
	gl_rows,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_portal_user,
	make_registration,
	make_tier,
	make_user,
)

# ERPNext builds its test records by walking Link fields, and prm_app's custom fields on its transactions
# lead into this doctype: the walk stops here (see prm_app/tests/test_erpnext_test_records.py)
test_ignore = [
	"Company",
	"Country",
	"Currency",
	"Customer",
	"DocType",
	"Item",
	"Item Group",
	"Opportunity",
	"Partner",
	"Sales Invoice",
	"Sales Partner",
	"User",
]
IGNORE_TEST_RECORD_DEPENDENCIES = test_ignore  # the name Frappe v16 reads


MANAGER = "_prm.deal.manager@example.com"
USER_A = "_prm.partner.a@example.com"
USER_B = "_prm.partner.b@example.com"


class DealRegistrationCase(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.set_user("Administrator")
		frappe.db.set_single_value(
			"PRM Settings", {"deal_protection_days": 60, "deal_expiry_reminder_days": 14}
		)
		self.partner_a = make_partner("_PRM Deal Partner A")
		self.partner_b = make_partner("_PRM Deal Partner B")
		make_user(MANAGER, ["Partner Manager", "Sales User"])
		make_portal_user(USER_A, self.partner_a)
		make_portal_user(USER_B, self.partner_b)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def register(self, user=USER_A, partner=None, **values):
		# item-group rows are the vendor's (a partner picks items): such a registration is written on the desk
		groups = any(isinstance(p, tuple) for p in values.get("products", ()))
		frappe.set_user("Administrator" if groups else user)
		try:
			return make_registration(partner or self.partner_a, **values)
		finally:
			frappe.set_user("Administrator")

	def as_user(self, user, doc, method, *args, **kwargs):
		frappe.set_user(user)
		try:
			doc = frappe.get_doc(doc.doctype, doc.name)
			return getattr(doc, method)(*args, **kwargs)
		finally:
			frappe.set_user("Administrator")

	def approved(self, user=USER_A, partner=None, **values):
		customer = values.pop("customer", None)  # partners cannot read customers: the manager links one
		doc = self.register(user, partner, **values)
		self.as_user(user, doc, "submit_registration")
		if customer:
			frappe.set_user(MANAGER)
			try:
				pending = frappe.get_doc("Deal Registration", doc.name)
				pending.customer = customer
				pending.save()
			finally:
				frappe.set_user("Administrator")
		self.as_user(MANAGER, doc, "approve")
		return frappe.get_doc("Deal Registration", doc.name)


def make_outgoing_email_account():
	if not frappe.db.exists("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "_PRM Notifications",
				"email_id": "_prm.notifications@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "localhost",
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)


class TestLifecycle(DealRegistrationCase):
	def test_submit_review_approve_protects_and_creates_an_opportunity(self):
		doc = self.register()
		self.assertEqual(doc.status, "Draft")
		self.assertEqual(doc.sales_partner, self.partner_a.sales_partner)
		self.as_user(USER_A, doc, "submit_registration")
		doc.reload()
		self.assertEqual(doc.status, "Submitted")
		self.assertTrue(doc.submitted_on)
		self.as_user(MANAGER, doc, "start_review")
		self.as_user(MANAGER, doc, "approve")
		doc.reload()
		self.assertEqual(doc.status, "Approved")
		self.assertEqual(doc.approved_by, MANAGER)
		self.assertEqual(getdate(doc.expires_on), getdate(add_days(nowdate(), 60)))
		opportunity = frappe.get_doc("Opportunity", doc.opportunity)
		self.assertEqual(opportunity.deal_registration, doc.name)
		self.assertEqual(opportunity.prm_sales_partner, self.partner_a.sales_partner)
		self.assertEqual(opportunity.opportunity_from, "Prospect")
		self.assertEqual(opportunity.party_name, "Globex Corporation")

	def test_first_to_register_keeps_its_server_time_on_resubmission(self):
		doc = self.register()
		self.as_user(USER_A, doc, "submit_registration")
		first = frappe.db.get_value("Deal Registration", doc.name, "submitted_on")
		self.as_user(MANAGER, doc, "return_for_information", "Which department?")
		doc.reload()
		self.assertEqual(doc.status, "Returned for information")
		self.assertEqual(doc.rejection_reason, "Which department?")
		frappe.set_user(USER_A)
		doc.notes = "Procurement"
		doc.save()
		doc.submit_registration()
		frappe.set_user("Administrator")
		doc.reload()
		self.assertEqual(doc.status, "Submitted")
		self.assertEqual(doc.submitted_on, first)

	def test_reject_needs_a_reason_and_withdraw_only_before_approval(self):
		doc = self.register()
		self.as_user(USER_A, doc, "submit_registration")
		self.assertRaises(frappe.ValidationError, self.as_user, MANAGER, doc, "reject", " ")
		self.as_user(MANAGER, doc, "reject", "Direct account")
		self.assertEqual(frappe.db.get_value("Deal Registration", doc.name, "status"), "Rejected")
		self.assertRaises(frappe.ValidationError, self.as_user, USER_A, doc, "withdraw")

		other = self.register(prospect_name="Initech", website="initech.com", contact_email="")
		self.as_user(USER_A, other, "submit_registration")
		self.as_user(USER_A, other, "withdraw")
		self.assertEqual(frappe.db.get_value("Deal Registration", other.name, "status"), "Withdrawn")
		approved = self.approved(prospect_name="Umbrella", website="umbrella.com", contact_email="")
		self.assertRaises(frappe.ValidationError, self.as_user, USER_A, approved, "withdraw")

	def test_status_changes_only_through_the_actions(self):
		doc = self.register()
		doc.status = "Approved"
		self.assertRaises(frappe.ValidationError, doc.save)
		doc.reload()
		doc.expires_on = add_days(nowdate(), 999)
		self.assertRaises(frappe.ValidationError, doc.save)
		created = make_registration(self.partner_a, prospect_name="Hooli", status="Approved")
		self.assertEqual(created.status, "Draft")

	def test_a_partner_cannot_approve_its_own(self):
		doc = self.register()
		self.as_user(USER_A, doc, "submit_registration")
		self.assertRaises(frappe.PermissionError, self.as_user, USER_A, doc, "approve")
		self.assertRaises(frappe.PermissionError, self.as_user, USER_A, doc, "start_review")

	def test_extension_requested_by_the_partner_approved_by_a_manager(self):
		doc = self.approved()
		until = add_days(doc.expires_on, 30)
		self.as_user(USER_A, doc, "request_extension", until, "Board meets late")
		doc.reload()
		self.assertEqual(getdate(doc.extension_requested_until), getdate(until))
		self.assertEqual(getdate(doc.expires_on), getdate(add_days(nowdate(), 60)))  # not yet extended
		self.assertRaises(frappe.PermissionError, self.as_user, USER_A, doc, "approve_extension")
		self.as_user(MANAGER, doc, "approve_extension")
		doc.reload()
		self.assertEqual(getdate(doc.expires_on), getdate(until))
		self.assertFalse(doc.extension_requested_until)

	def test_the_tier_sets_protection_days_and_auto_approves_small_clean_deals(self):
		tier = make_tier("_PRM Deal Gold", 90)
		frappe.db.set_value(
			"Partner Tier", tier, {"deal_protection_days": 30, "deal_auto_approval_limit": 10000}
		)
		frappe.db.set_value("Partner", self.partner_a.name, "tier", tier)
		small = self.register(expected_amount=5000)
		self.as_user(USER_A, small, "submit_registration")
		small.reload()
		self.assertEqual(small.status, "Approved")
		self.assertEqual(getdate(small.expires_on), getdate(add_days(nowdate(), 30)))
		self.assertTrue(small.opportunity)

		large = self.register(
			prospect_name="Initech", website="initech.com", contact_email="", expected_amount=20000
		)
		self.as_user(USER_A, large, "submit_registration")
		self.assertEqual(frappe.db.get_value("Deal Registration", large.name, "status"), "Submitted")

		# small, but it looks like an existing customer: a person reviews it
		similar = self.register(
			prospect_name="PRM Test Customer", website="", contact_email="", expected_amount=10
		)
		self.as_user(USER_A, similar, "submit_registration")
		self.assertEqual(frappe.db.get_value("Deal Registration", similar.name, "status"), "Submitted")

	def test_mark_lost_records_the_date(self):
		doc = self.approved()
		self.as_user(MANAGER, doc, "mark_lost", "Budget")
		doc.reload()
		self.assertEqual((doc.status, getdate(doc.lost_on)), ("Lost", getdate(nowdate())))

	def test_bad_input_gets_clear_errors(self):
		cases = {
			"contact_email": "hank-at-globex",
			"website": "not a domain",
			"expected_close_date": add_days(nowdate(), -1),
			"expected_amount": 0,
			"products": ["_PRM No Such Item"],
		}
		for field, value in cases.items():
			with self.subTest(field=field):
				self.assertRaises(frappe.ValidationError, make_registration, self.partner_a, **{field: value})
		self.assertRaises(frappe.ValidationError, make_registration, self.partner_a, expected_amount=-5)


class TestPermissions(DealRegistrationCase):
	def test_a_partner_sees_and_edits_only_its_own(self):
		mine = self.register(USER_A)
		theirs = self.register(USER_B, self.partner_b, prospect_name="Initech", website="initech.com")
		frappe.set_user(USER_A)
		self.assertEqual(frappe.get_list("Deal Registration", pluck="name"), [mine.name])
		self.assertTrue(frappe.has_permission("Deal Registration", "write", mine.name))
		self.assertFalse(frappe.has_permission("Deal Registration", "read", theirs.name))
		other = frappe.get_doc("Deal Registration", theirs.name)
		other.notes = "mine now"
		self.assertRaises(frappe.PermissionError, other.save)
		self.assertRaises(frappe.PermissionError, make_registration, self.partner_b, prospect_name="Hooli")
		frappe.set_user(USER_B)
		self.assertEqual(frappe.get_list("Deal Registration", pluck="name"), [theirs.name])

	def test_never_after_submission_let_alone_approval(self):
		doc = self.register()
		self.as_user(USER_A, doc, "submit_registration")
		frappe.set_user(USER_A)
		self.assertTrue(frappe.has_permission("Deal Registration", "read", doc.name))
		self.assertFalse(frappe.has_permission("Deal Registration", "write", doc.name))
		frappe.set_user("Administrator")
		self.as_user(MANAGER, doc, "approve")
		frappe.set_user(USER_A)
		doc = frappe.get_doc("Deal Registration", doc.name)
		self.assertFalse(frappe.has_permission("Deal Registration", "write", doc.name))
		doc.expected_amount = 1_000_000
		self.assertRaises(frappe.PermissionError, doc.save)

	def test_a_user_of_no_partner_sees_nothing(self):
		self.register(USER_A)
		make_user("_prm.partner.none@example.com", ["Partner"])
		frappe.set_user("_prm.partner.none@example.com")
		self.assertEqual(frappe.get_list("Deal Registration"), [])

	def test_staff_see_everything(self):
		a = self.register(USER_A)
		b = self.register(USER_B, self.partner_b, prospect_name="Initech", website="initech.com")
		frappe.set_user(MANAGER)
		seen = set(frappe.get_list("Deal Registration", pluck="name", limit_page_length=0))
		self.assertLessEqual({a.name, b.name}, seen)
		# every registration on the site, whoever else's records it holds
		self.assertEqual(seen, set(frappe.get_all("Deal Registration", pluck="name")))


class TestConflicts(DealRegistrationCase):
	def test_another_partners_approved_registration_blocks_approval(self):
		self.approved(USER_B, self.partner_b, prospect_name="Globex Corp.", website="https://www.globex.com")
		doc = self.register(prospect_name="GLOBEX Corporation", website="sales.globex.com")
		self.as_user(USER_A, doc, "submit_registration")
		doc.reload()
		self.assertTrue(doc.has_hard_conflict)
		[hard] = [row for row in doc.conflicts if row.is_hard]
		self.assertEqual(hard.matched_doctype, "Deal Registration")
		self.assertEqual(hard.matched_partner, self.partner_b.name)
		self.assertIn("globex.com", hard.reason)
		self.assertRaises(frappe.ValidationError, self.as_user, MANAGER, doc, "approve")
		self.assertEqual(frappe.db.get_value("Deal Registration", doc.name, "status"), "Submitted")

	def test_other_products_are_only_a_near_match(self):
		self.approved(USER_B, self.partner_b, products=["_PRM Software"])
		doc = self.register(products=["_PRM Hardware"])
		self.as_user(USER_A, doc, "submit_registration")
		self.as_user(MANAGER, doc, "approve")
		doc.reload()
		self.assertEqual(doc.status, "Approved")
		self.assertFalse(doc.has_hard_conflict)
		self.assertTrue(any(row.matched_doctype == "Deal Registration" for row in doc.conflicts))

	def test_an_item_group_overlaps_the_items_in_it(self):
		self.approved(USER_B, self.partner_b, products=[("group", "_PRM Hardware Group")])
		doc = self.register(products=["_PRM Hardware"])
		self.as_user(USER_A, doc, "submit_registration")
		self.assertRaises(frappe.ValidationError, self.as_user, MANAGER, doc, "approve")

	def test_customers_and_leads_are_listed_with_scores(self):
		frappe.get_doc(
			{
				"doctype": "Lead",
				"first_name": "Wile",
				"company_name": "Acme Widgets GmbH",
				"email_id": "wile@acme-widgets.com",
			}
		).insert(ignore_permissions=True)
		doc = self.register(
			prospect_name="PRM Test Customer Ltd", website="shop.acme-widgets.com", contact_email=""
		)
		self.as_user(USER_A, doc, "submit_registration")
		doc.reload()
		found = {row.matched_doctype: row for row in doc.conflicts}
		# the site may hold other customers that look alike; ours must be among the matches
		ours = [r for r in doc.conflicts if r.matched_doctype == "Customer" and r.matched_record == CUSTOMER]
		self.assertEqual(len(ours), 1, [(r.matched_doctype, r.matched_record) for r in doc.conflicts])
		self.assertGreaterEqual(flt(ours[0].score), 90)
		self.assertIn("acme-widgets.com", found["Lead"].reason)
		self.assertFalse(doc.has_hard_conflict)


class TestProtection(DealRegistrationCase):
	def test_daily_job_expires_and_clears_the_opportunitys_partner(self):
		doc = self.approved()
		frappe.db.set_value("Deal Registration", doc.name, "expires_on", add_days(nowdate(), -1))
		won = self.approved(prospect_name="Initech", website="initech.com", contact_email="")
		frappe.db.set_value(
			"Deal Registration", won.name, {"status": "Won", "expires_on": add_days(nowdate(), -1)}
		)
		self.assertEqual(deals.expire_registrations(), [doc.name])
		self.assertEqual(frappe.db.get_value("Deal Registration", doc.name, "status"), "Expired")
		self.assertEqual(frappe.db.get_value("Deal Registration", won.name, "status"), "Won")
		self.assertIsNone(frappe.db.get_value("Opportunity", doc.opportunity, "prm_sales_partner"))
		self.assertEqual(frappe.db.get_value("Opportunity", doc.opportunity, "deal_registration"), doc.name)

	def test_reminder_goes_once_to_the_partner_users_and_the_approver(self):
		doc = self.approved()
		frappe.db.set_value("Deal Registration", doc.name, "expires_on", add_days(nowdate(), 10))
		make_outgoing_email_account()
		frappe.db.delete("Email Queue")
		self.assertEqual(deals.send_expiry_reminders(), [doc.name])
		self.assertEqual(deals.send_expiry_reminders(), [])
		queued = frappe.get_all("Email Queue", filters={"reference_name": doc.name}, pluck="name")
		recipients = frappe.get_all(
			"Email Queue Recipient", filters={"parent": ("in", queued or [""])}, pluck="recipient"
		)
		self.assertEqual(sorted(recipients), sorted([USER_A, MANAGER]))

	def test_expired_registration_can_be_extended_and_protects_again(self):
		doc = self.approved()
		frappe.db.set_value("Deal Registration", doc.name, "expires_on", add_days(nowdate(), -1))
		deals.expire_registrations()
		self.as_user(MANAGER, doc, "approve_extension", add_days(nowdate(), 10))
		self.assertEqual(frappe.db.get_value("Deal Registration", doc.name, "status"), "Approved")
		self.assertEqual(
			frappe.db.get_value("Opportunity", doc.opportunity, "prm_sales_partner"),
			self.partner_a.sales_partner,
		)


class TestAttribution(DealRegistrationCase):
	def setUp(self):
		super().setUp()
		self.plan = make_plan(
			"_PRM Deal Plan",
			[
				{
					"rule_name": "Registered",
					"priority": 1,
					"registered_deal": "Yes",
					"rate_type": "Percentage",
					"rate": 15,
				},
				{"rule_name": "Other", "priority": 10, "rate_type": "Percentage", "rate": 5},
			],
		)
		frappe.db.set_value("Partner", self.partner_a.name, "commission_plan", self.plan)
		frappe.db.set_value("Partner", self.partner_b.name, "commission_plan", self.plan)

	def test_opportunity_to_invoice_keeps_registration_and_partner_and_pays_registered_rate(self):
		from erpnext.crm.doctype.opportunity.opportunity import make_quotation
		from erpnext.selling.doctype.quotation.quotation import make_sales_order
		from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

		reg = self.approved(customer=CUSTOMER)
		opportunity = frappe.get_doc("Opportunity", reg.opportunity)
		self.assertEqual(opportunity.opportunity_from, "Customer")
		self.assertEqual((reg.company, opportunity.company), (COMPANY, COMPANY))

		quotation = make_quotation(opportunity.name)
		# the quotation at 1,000: with an Item Price for the item, v16 maps the opportunity's rate as a margin
		# over the price list, which would be added again to a rate set by hand
		quotation.items[0].update({"margin_type": "", "margin_rate_or_amount": 0, "rate": 1000})
		quotation.insert(ignore_permissions=True)
		quotation.submit()
		self.assertEqual(quotation.deal_registration, reg.name)
		self.assertEqual(quotation.referral_sales_partner, self.partner_a.sales_partner)

		order = make_sales_order(quotation.name)
		order.delivery_date = add_days(nowdate(), 7)
		for row in order.items:
			row.delivery_date = order.delivery_date
		order.insert(ignore_permissions=True)
		order.submit()
		self.assertEqual((quotation.company, order.company), (COMPANY, COMPANY))
		self.assertEqual(order.deal_registration, reg.name)
		self.assertEqual(order.sales_partner, self.partner_a.sales_partner)

		invoice = make_sales_invoice(order.name)
		invoice.insert(ignore_permissions=True)
		invoice.submit()
		self.assertEqual(invoice.deal_registration, reg.name)
		self.assertEqual(invoice.sales_partner, self.partner_a.sales_partner)

		[commission] = commissions_of(invoice.name)
		self.assertEqual(flt(commission.total), 150.0)  # 15% of 1,000: the registered-deal rule
		rules = frappe.get_all("Partner Commission Line", filters={"parent": commission.name}, pluck="rule")
		self.assertEqual(rules, ["Registered"])
		self.assertEqual(
			gl_rows(commission.journal_entry),
			sorted(
				[
					(account("Commission on Sales"), 150.0, 0.0, None),
					(account("Creditors"), 0.0, 150.0, self.partner_a.supplier),
				]
			),
		)
		reg.reload()
		self.assertEqual(reg.status, "Won")
		self.assertEqual(reg.first_invoice, invoice.name)

		invoice.cancel()
		self.assertEqual(frappe.db.get_value("Deal Registration", reg.name, "status"), "Approved")

	def test_expired_or_unregistered_invoices_get_the_ordinary_rate(self):
		reg = self.approved(customer=CUSTOMER)
		frappe.db.set_value("Deal Registration", reg.name, "expires_on", add_days(nowdate(), -1))
		si = make_invoice(self.partner_a, deal_registration=reg.name)
		[commission] = commissions_of(si.name)
		self.assertEqual(flt(commission.total), 50.0)  # 5% of 1,000
		self.assertEqual(frappe.db.get_value("Deal Registration", reg.name, "status"), "Approved")

	def test_an_invoice_naming_another_partner_is_refused(self):
		reg = self.approved(customer=CUSTOMER)
		with self.assertRaises(frappe.ValidationError) as raised:
			make_invoice(self.partner_b, deal_registration=reg.name)
		self.assertIn(reg.name, str(raised.exception))

	def test_a_registration_brings_its_partner_to_a_direct_invoice(self):
		reg = self.approved(customer=CUSTOMER)
		si = make_invoice(None, deal_registration=reg.name)
		self.assertEqual(si.sales_partner, self.partner_a.sales_partner)
		self.assertEqual(frappe.db.get_value("Deal Registration", reg.name, "status"), "Won")


class TestDealRegistrationPartnerRoles(DealRegistrationCase):
	def test_finance_partner_user_has_no_deals_on_the_server_either(self):
		"""The portal hides deals from a partner's Finance users; the API must refuse them too."""
		deal = self.register()
		finance = "prm.deal.finance@example.com"
		make_portal_user(finance, self.partner_a)
		frappe.db.set_value(
			"Partner User", {"parent": self.partner_a.name, "user": finance}, "partner_role", "Finance"
		)
		frappe.set_user(finance)
		try:
			self.assertFalse(frappe.has_permission("Deal Registration", "read", deal.name))
			self.assertEqual(frappe.get_list("Deal Registration", pluck="name"), [])
			products = frappe.get_list(
				"Deal Registration Product", parent_doctype="Deal Registration", pluck="name"
			)
			self.assertEqual(products, [])
			self.assertRaises(frappe.PermissionError, make_registration, self.partner_a)
		finally:
			frappe.set_user("Administrator")
		# the Sales and Admin users of the same partner still see it
		frappe.set_user(USER_A)
		try:
			self.assertTrue(frappe.has_permission("Deal Registration", "read", deal.name))
		finally:
			frappe.set_user("Administrator")
