"""Attack and audit of what landed on 5 December: the partner's channel manager, notifications in each
recipient's language, the partner's suppliers and per-day totals across renames. Figures are recomputed
by hand (plain SQL on GL Entry, no prm_app helper) and compared with what the portal shows."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import flt, nowdate

from prm_app.channel_funds import funds
from prm_app.tests import CompanyTestCase
from prm_app.tests.funds_utils import PAY_NOW, FundsCase, make_claim, make_request
from prm_app.tests.http import HTTPTestCase
from prm_app.tests.test_first_day import PASSWORD as FIRST_DAY_PASSWORD
from prm_app.tests.test_first_day import website_user
from prm_app.tests.test_portal_isolation import A_NAME, A_USER, B_NAME, B_USER, DENIED, PortalFixtures
from prm_app.tests.test_portal_menu import MENU_PAGE, PRM_PAGES, sidebar_routes
from prm_app.tests.utils import (
	account,
	make_company,
	make_invoice,
	make_partner,
	make_plan,
	make_registration,
	make_user,
)


def gl_owed(suppliers) -> float:
	"""What the vendor owes these suppliers on Creditors, by hand: credit - debit of every live GL Entry."""
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(credit - debit), 0) from `tabGL Entry`
			where party_type = 'Supplier' and party in %s and account = %s and is_cancelled = 0""",
			(tuple(suppliers), account("Creditors")),
		)[0][0],
		2,
	)


def new_supplier(name: str) -> str:
	return (
		frappe.get_doc(
			{"doctype": "Supplier", "supplier_name": name, "supplier_group": "All Supplier Groups"}
		)
		.insert()
		.name
	)


def stored(partner: str) -> frappe._dict:
	return frappe._dict(
		frappe.db.get_value(
			"Partner", partner, ["name", "company", "supplier", "sales_partner"], as_dict=True
		)
	)


class TestAttackTodayLedger(FundsCase):
	def setUp(self):
		super().setUp()
		self.plan = make_plan(
			"_PRM Today Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]
		)
		self.partner.commission_plan = self.plan
		self.partner.save()

	def test_sales_partner_merged_into_another_partners_is_refused(self):
		"""ERPNext merges a Sales Partner into another on rename (merge): A's invoices would then carry
		B's Sales Partner, both Partners link the one Sales Partner (neither saves any more) and each
		dashboard's revenue and tier progress count the other's invoices. Refused, like a shared one."""
		from prm_app import portal

		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		make_invoice(other, [("_PRM Hardware", 2, 1000)])
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc(
				"Sales Partner", self.partner.sales_partner, other.sales_partner, merge=True, force=True
			)
		# B's dashboard revenue, by hand: its own invoice of 2,000.00 only
		self.assertEqual(portal.revenue(stored(other.name).sales_partner, nowdate(), nowdate()), 2000.0)
		self.assertEqual(
			portal.revenue(stored(self.partner.name).sales_partner, nowdate(), nowdate()), 1000.0
		)

	def test_supplier_merged_into_another_partners_is_refused(self):
		"""A Supplier merged into another partner's (rename with merge) makes the two partners share one
		supplier: each would be paid the other's money, and both dashboards drop it (balance 0.00 while
		owed). Refused, as choosing a taken supplier is."""
		from prm_app import portal

		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 100.00 owed to A's supplier
		make_invoice(other, [("_PRM Hardware", 2, 1000)])  # 200.00 owed to B's
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc("Supplier", self.partner.supplier, other.supplier, merge=True, force=True)
		for partner, owed in ((self.partner.name, 100.0), (other.name, 200.0)):
			values = stored(partner)
			self.assertEqual(gl_owed([values.supplier]), owed)
			self.assertEqual(portal.supplier_balance(values, nowdate()), owed)

	@change_settings("PRM Settings", PAY_NOW)
	def test_supplier_left_with_postings_not_merged_into_another_partners(self):
		"""The supplier A moved away from (once paid) still carries A's commissions and their payments:
		merging it into B's supplier would put them on B's balance."""
		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		self.payout(frappe.utils.add_days(nowdate(), -30), nowdate())
		old = self.partner.supplier
		self.partner.reload()
		self.partner.supplier = new_supplier("_PRM Today Moved Supplier")
		self.partner.save()
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc("Supplier", old, other.supplier, merge=True, force=True)

	def test_plain_renames_still_work(self):
		"""A rename without merge (or a merge into a supplier / sales partner of no partner) is ERPNext's
		ordinary action and stays allowed; the partner follows it."""
		from prm_app import portal

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		supplier = frappe.rename_doc(
			"Supplier", self.partner.supplier, "_PRM Today Renamed Supplier", force=True
		)
		values = stored(self.partner.name)
		self.assertEqual(values.supplier, supplier)
		self.assertEqual(portal.supplier_balance(values, nowdate()), gl_owed([supplier]))
		self.assertEqual(gl_owed([supplier]), 100.0)
		spare = new_supplier("_PRM Today Spare Supplier")
		frappe.rename_doc("Supplier", spare, supplier, merge=True, force=True)
		self.assertEqual(portal.supplier_balance(stored(self.partner.name), nowdate()), 100.0)
		sales_partner = frappe.rename_doc(
			"Sales Partner", values.sales_partner, "_PRM Today Renamed SP", force=True
		)
		self.assertEqual(stored(self.partner.name).sales_partner, sales_partner)
		self.assertEqual(portal.revenue(sales_partner, nowdate(), nowdate()), 1000.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_a_new_partner_is_not_linked_to_a_supplier_left_by_another(self):
		"""A new partner is linked to the Supplier of its name when no partner has it. One that another
		partner moved away from still carries that partner's commissions: linked, the new partner's
		dashboard would show them (100.00) as its balance. It gets a supplier of its own."""
		from prm_app import portal

		left = new_supplier("_PRM Today Later Partner")
		self.partner.reload()
		self.partner.supplier = left
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])  # 100.00 earned on ``left``
		self.payout(frappe.utils.add_days(nowdate(), -30), nowdate())  # and paid there
		si = make_invoice(self.partner, [("_PRM Hardware", 2, 1000)])  # 200.00 earned, open on ``left``
		self.partner.reload()
		self.partner.supplier = new_supplier("_PRM Today Moved Supplier")
		with self.assertRaises(frappe.ValidationError):  # no payout would pay the 200.00 any more
			self.partner.save()
		moved_to = self.partner.supplier
		si.cancel()  # its unpaid commission is cancelled with it: nothing is open
		self.partner.reload()
		self.partner.supplier = moved_to
		self.partner.save()
		later = make_partner("_PRM Today Later Partner", plan=self.plan)
		self.assertNotEqual(later.supplier, left)
		self.assertEqual(portal.supplier_balance(stored(later.name), nowdate()), gl_owed([later.supplier]))
		self.assertEqual(portal.supplier_balance(stored(later.name), nowdate()), 0.0)
		self.assertEqual(portal.supplier_balance(stored(self.partner.name), nowdate()), gl_owed([left]))
		# an unused supplier of that name is still linked (a vendor's existing supplier record)
		unused = new_supplier("_PRM Today Fresh Partner")
		self.assertEqual(make_partner("_PRM Today Fresh Partner", plan=self.plan).supplier, unused)

	def test_a_sales_partner_left_with_commissions_not_given_to_another(self):
		"""A partner moved to a new Sales Partner leaves its invoices (and their commissions) on the old
		one: given to another partner, that partner's dashboard revenue and tier progress would show
		them (1,000.00 of A's sales)."""
		from prm_app import portal

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		old = self.partner.sales_partner
		self.partner.reload()
		self.partner.sales_partner = (
			frappe.get_doc(
				{"doctype": "Sales Partner", "partner_name": "_PRM Today New SP", "commission_rate": 0}
			)
			.insert()
			.name
		)
		self.partner.save()
		other = make_partner("_PRM Today Other Partner", plan=self.plan)
		other.sales_partner = old
		with self.assertRaises(frappe.ValidationError):
			other.save()
		self.assertEqual(portal.revenue(stored(other.name).sales_partner, nowdate(), nowdate()), 0.0)

	def test_a_company_with_partners_is_not_merged_into_another(self):
		"""A Company merged into another (rename with merge) leaves its partners' commissions on its
		accounts, now the target's, while the portal reads the target's own commission payable account:
		A's dashboard balance fell to 0.00 with 100.00 still owed in the GL. Refused; a plain rename keeps
		the balance."""
		from prm_app import portal

		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		target = frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": "_PRM Today Merge Target",
				"abbr": "_PTM",
				"default_currency": "USD",
				"country": "United States",
			}
		).insert()
		with self.assertRaises(frappe.ValidationError):
			frappe.rename_doc("Company", self.partner.company, target.name, merge=True, force=True)
		values = stored(self.partner.name)
		self.assertEqual(gl_owed([values.supplier]), 100.0)
		self.assertEqual(portal.supplier_balance(values, nowdate()), 100.0)

	@change_settings("PRM Settings", PAY_NOW)
	def test_auditor_claim_on_older_supplier_then_payout(self):
		"""By hand: a commission of 100.00 and a fund claim of 2,000.00 are open on the partner's first
		supplier. A payout pays the current supplier only, so moving to a second supplier is refused until
		they are paid; then 300.00 is earned on the second. The dashboard's balance is always the GL's
		credit - debit over both suppliers."""
		from prm_app import portal

		first = self.partner.supplier
		make_invoice(self.partner, [("_PRM Hardware", 1, 1000)])
		request = make_request(self.fund, self.partner)
		funds.approve_request(request)
		make_claim(request, claimed=2000, actual_cost=4000)
		self.partner.reload()
		second = new_supplier("_PRM Today Second Supplier")
		self.partner.supplier = second
		with self.assertRaises(frappe.ValidationError):
			self.partner.save()
		self.assertEqual(portal.supplier_balance(stored(self.partner.name), nowdate()), 2100.0)
		payout = self.payout(frappe.utils.add_days(nowdate(), -30), nowdate())
		self.assertEqual(flt(payout.net_amount, 2), 2100.0)
		self.assertEqual(gl_owed([first]), 0.0)
		self.partner.reload()
		self.partner.supplier = second
		self.partner.save()
		make_invoice(self.partner, [("_PRM Hardware", 3, 1000)])
		values = stored(self.partner.name)
		self.assertEqual(gl_owed([second]), 300.0)
		self.assertEqual(portal.supplier_balance(values, nowdate()), gl_owed([first, second]))
		self.assertEqual(portal.supplier_balance(values, nowdate()), 300.0)


MANAGER_A, MANAGER_B = "prm.today.manager-a@example.com", "prm.today.manager-b@example.com"
DESK_SALES = "prm.today.sales@example.com"


class TestAttackTodayChannelManager(PortalFixtures):
	"""Partner A's Admin user over real HTTP against its own channel manager and B's."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER_A, ["Partner Manager"])
		make_user(MANAGER_B, ["Partner Manager"])
		make_user(DESK_SALES, ["Sales User"])
		for name, manager in ((A_NAME, MANAGER_A), (B_NAME, MANAGER_B)):
			doc = frappe.get_doc("Partner", name)
			doc.channel_manager = manager
			doc.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the HTTP server has its own connection
		frappe.cache.delete_keys("prm:portal:channel_manager:")

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		for name in (A_NAME, B_NAME):
			frappe.db.set_value("Partner", name, "channel_manager", None)  # as the other modules expect
		frappe.db.commit()  # nosemgrep: undo the fixtures' managers
		frappe.cache.delete_keys("prm:portal:channel_manager:")
		super().tearDownClass()

	def assert_manager_kept(self, response):
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Partner", A_NAME, "channel_manager"), MANAGER_A, response.text[:300]
		)
		self.assertNotIn(MANAGER_B, response.text)

	def test_a_partner_user_cannot_set_its_channel_manager(self):
		"""Pointing the channel manager at themselves would send the vendor's review ToDos and emails of
		the partner's deals and bank-detail changes to the partner: every write path refuses it."""
		http = self.session()
		headers = {"X-Frappe-CSRF-Token": http.csrf}
		partner = frappe.get_doc("Partner", A_NAME).as_dict()
		attempts = [
			http.put(
				f"{self.url}/api/resource/Partner/{A_NAME}", json={"channel_manager": A_USER}, headers=headers
			),
			self.post(
				http,
				"frappe.client.set_value",
				{"doctype": "Partner", "name": A_NAME, "fieldname": "channel_manager", "value": A_USER},
			),
			self.post(
				http,
				"frappe.desk.form.save.savedocs",
				{"doc": frappe.as_json({**partner, "channel_manager": A_USER}), "action": "Save"},
			),
			self.post(
				http,
				"run_doc_method",
				{
					"docs": frappe.as_json({**partner, "channel_manager": A_USER}),
					"method": "send_portal_invitations",
				},
			),
			self.post(
				http,
				"prm_app.api.portal.update_profile",
				{"website": "https://a-today.example", "channel_manager": A_USER},
			),
		]
		for response in attempts:
			self.assert_manager_kept(response)
		for response in attempts[:4]:
			self.assertIn(response.status_code, DENIED, response.text[:300])

	def test_a_partner_user_learns_no_other_manager(self):
		"""The manager picker's query and the Partner's REST read give A nothing of B's manager (A's own
		is its portal contact)."""
		http = self.session()
		responses = [
			http.get(
				f"{self.url}/api/method/frappe.desk.search.search_link",
				params={
					"doctype": "User",
					"txt": "prm.today",
					"query": "prm_app.prm_app.doctype.partner.partner.channel_manager_query",
				},
			),
			http.get(
				f"{self.url}/api/resource/Partner",
				params={"fields": '["name", "channel_manager"]', "limit_page_length": 500},
			),
			http.get(f"{self.url}/api/resource/Partner/{B_NAME}"),
			http.get(
				f"{self.url}/api/method/frappe.desk.search.search_link",
				params={"doctype": "User", "txt": "prm.today"},
			),
			http.get(
				f"{self.url}/api/method/frappe.client.validate_link",
				params={"doctype": "User", "docname": MANAGER_B, "fields": '["full_name"]'},
			),
			http.get(
				f"{self.url}/api/method/frappe.client.get_value",
				params={
					"doctype": "Partner",
					"filters": frappe.as_json({"name": B_NAME}),
					"fieldname": "channel_manager",
				},
			),
			http.get(
				f"{self.url}/api/method/frappe.client.get_list",
				params={
					"doctype": "Partner",
					"fields": '["channel_manager"]',
					"filters": frappe.as_json({"channel_manager": MANAGER_B}),
				},
			),
		]
		for response in responses:
			self.assertNotIn(MANAGER_B, response.text, response.url)
		self.assertIn(responses[0].status_code, DENIED)
		# each dashboard's contact is its own manager (B's viewed first: the contact cache is per manager)
		b_page = self.session(B_USER).get(f"{self.url}/partner")
		a_page = http.get(f"{self.url}/partner")
		self.assertIn(MANAGER_B, b_page.text)
		self.assertNotIn(MANAGER_A, b_page.text)
		self.assertIn(MANAGER_A, a_page.text)
		self.assertNotIn(MANAGER_B, a_page.text)

	def test_desk_users_and_managers_who_are_not(self):
		"""A Sales User reads partners but cannot set their manager nor list the managers; a manager
		cannot name a disabled user, Administrator or a partner's own user."""
		from prm_app.prm_app.doctype.partner.partner import channel_manager_query

		try:
			frappe.set_user(DESK_SALES)
			doc = frappe.get_doc("Partner", A_NAME)
			doc.channel_manager = MANAGER_B
			with self.assertRaises(frappe.PermissionError):
				doc.save()
			with self.assertRaises(frappe.PermissionError):
				channel_manager_query("User", "", "name", 0, 20, {})
			frappe.set_user(MANAGER_A)
			self.assertIn(
				MANAGER_B, [row[0] for row in channel_manager_query("User", "prm.today", "name", 0, 20, {})]
			)
			for user in (A_USER, "Administrator", DESK_SALES):
				doc = frappe.get_doc("Partner", A_NAME)
				doc.channel_manager = user
				with self.assertRaises(frappe.ValidationError, msg=user):
					doc.save()
			frappe.set_user("Administrator")
			frappe.db.set_value("User", MANAGER_B, "enabled", 0)
			frappe.set_user(MANAGER_A)
			doc = frappe.get_doc("Partner", A_NAME)
			doc.channel_manager = MANAGER_B
			with self.assertRaises(frappe.ValidationError):
				doc.save()
		finally:
			frappe.set_user("Administrator")
			frappe.db.rollback()
			frappe.clear_cache(user=MANAGER_B)

	def test_a_manager_who_lost_the_role_is_no_longer_the_contact(self):
		"""The reviews of a partner whose channel manager is no longer a Partner Manager (the role taken
		away, the user still enabled) go to every Partner Manager (``managers_of``); its portal must not
		keep naming that user as the partner's contact."""
		from prm_app import portal
		from prm_app.permissions import managers_of

		try:
			frappe.get_doc("User", MANAGER_A).remove_roles("Partner Manager")
			frappe.cache.delete_keys("prm:portal:channel_manager:")
			self.assertNotIn(MANAGER_A, managers_of(A_NAME))
			contact = portal.channel_manager(MANAGER_A)
			self.assertTrue(contact)
			self.assertNotEqual(contact.email, MANAGER_A)
		finally:
			frappe.db.rollback()
			frappe.clear_cache(user=MANAGER_A)  # the roles cached while the role was away
			frappe.cache.delete_keys("prm:portal:channel_manager:")


INJECTED = "Today {{ 7*7 }} {0} {% if 1 %}X{% endif %} &lt;img src=x onerror=alert(1)&gt;"
NOTIFY_MANAGER, NOTIFY_DE = "prm.today.notify@example.com", "prm.today.notify-de@example.com"
NOTIFY_A, NOTIFY_B = "prm.today.notify-a@example.com", "prm.today.notify-b@example.com"


class TestAttackTodayNotifications(CompanyTestCase):
	@classmethod
	def setUpClass(cls):
		from prm_app.notifications import make_notifications
		from prm_app.tests.test_notifications import partner_with_users

		super().setUpClass()
		make_notifications()
		make_user(NOTIFY_MANAGER, ["Partner Manager"])
		make_user(NOTIFY_DE, ["Partner Manager"])
		cls.a = partner_with_users("_PRM Today Notify A", {NOTIFY_A: "Admin"})
		cls.b = partner_with_users("_PRM Today Notify B", {NOTIFY_B: "Admin"})
		frappe.db.set_value("User", NOTIFY_DE, "language", "de")
		frappe.db.set_value("User", NOTIFY_A, "language", "de")
		frappe.db.commit()  # nosemgrep: shared fixtures

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_partner_text_is_never_rendered_as_a_template_nor_as_markup(self):
		"""The prospect's name is the partner's text inside a translated message's format(): what reaches the
		managers' Email Queue, Communication and bell is that text as typed (no Jinja evaluated, no
		second format, no tag), in each recipient's language; neither B's users nor A's get it."""
		from prm_app.tests.test_notifications import bells_of, mails_of, queued_to

		registration = make_registration(self.a, prospect_name=INJECTED, website="today-inject.example")
		previous = frappe.local.lang
		registration.submit_registration()
		self.assertEqual(frappe.local.lang, previous)
		doctype, name = "Deal Registration", registration.name
		mails, bells = mails_of(doctype, name), bells_of(doctype, name)
		managers = {NOTIFY_MANAGER, NOTIFY_DE}
		self.assertTrue(managers <= set(mails), mails.keys())
		self.assertFalse({NOTIFY_A, NOTIFY_B} & (queued_to(doctype, name) | set(bells)))
		for user in managers:
			for text in (*mails[user], bells[user]):
				self.assertIn("{{ 7*7 }} {0} {% if 1 %}X{% endif %}", text.replace("&#123;", "{"), user)
				self.assertNotIn("49", text.replace(name, ""), user)
				self.assertNotIn("<img", text, user)
		self.assertIn("eingereicht", mails[NOTIFY_DE][0])
		self.assertNotIn("eingereicht", mails[NOTIFY_MANAGER][0])

	def test_the_language_is_restored_when_a_render_fails(self):
		from prm_app.notifications import in_language

		previous, jenv = frappe.local.lang, getattr(frappe.local, "jenv", None)
		with self.assertRaises(frappe.ValidationError):
			with in_language("de"):
				self.assertEqual(frappe._("Supplier in Use"), "Lieferant in Verwendung")
				frappe.throw("render failed")
		self.assertEqual(frappe.local.lang, previous)
		self.assertIs(getattr(frappe.local, "jenv", None), jenv)
		if previous == "en":
			self.assertEqual(frappe._("Supplier in Use"), "Supplier in Use")


MENU_BOTH, MENU_CUSTOMER = "prm.today.menu-both@example.com", "prm.today.menu-customer@example.com"


class TestAttackTodayPortalMenu(HTTPTestCase):
	"""Portal menus on Frappe's account and list pages (/me, /orders, /invoices): a partner user who is a
	customer too keeps both menus; a customer never gets a partner's entries, whoever viewed before."""

	password = FIRST_DAY_PASSWORD

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()
		name = "_PRM Today Menu Partner"
		partner = frappe.get_doc("Partner", name) if frappe.db.exists("Partner", name) else make_partner(name)
		website_user(MENU_BOTH, ["Partner", "Customer"])
		website_user(MENU_CUSTOMER, ["Customer"])
		if not any(row.user == MENU_BOTH for row in partner.users):
			partner.append("users", {"user": MENU_BOTH, "partner_role": "Sales"})
		partner.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the HTTP server has its own connection
		cls.serve()

	def sidebar(self, http, route: str) -> set[str]:
		response = http.get(f"{self.url}{route}")
		self.assertEqual(response.status_code, 200, (route, response.text[:300]))
		return sidebar_routes(response.text)

	def test_partner_and_customer_menus_on_account_and_list_pages(self):
		both, _ = self.login(MENU_BOTH)
		customer, _ = self.login(MENU_CUSTOMER)
		for route in (MENU_PAGE, "/orders", "/invoices"):
			mine = self.sidebar(both, route)
			theirs = self.sidebar(customer, route)  # right after the partner's view of the same path
			self.assertTrue({"/partner", "/partner/deals"} <= mine, (route, mine))
			self.assertFalse(
				{"/partner/commissions", "/partner/payouts"} & mine, (route, mine)
			)  # a Sales user
			self.assertTrue({"/orders", "/invoices"} <= mine, (route, mine))
			self.assertFalse(theirs & PRM_PAGES, (route, theirs))
			self.assertTrue({"/orders", "/invoices"} <= theirs, (route, theirs))
