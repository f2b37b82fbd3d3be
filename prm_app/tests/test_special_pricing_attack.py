"""Special pricing under attack (issue 15, adversarial review).

Over real HTTP, partner A against partner B and against the vendor's own Pricing Rules: a request line that
names a Pricing Rule, a list price the partner types, and B's request through the channels the portal test
does not try (workflow actions, bulk workflow, the report, link search, file upload, child-table lists).
In the bench: a Partner Manager's ways around the depth limit (raising the limit in PRM Settings, typing a
list price, review fields, a customer other than the deal's), and an auditor's independent arithmetic of
granted prices, depth, margin given away and the Special Pricing report with a credit note."""

from __future__ import annotations

import json

import frappe
from frappe.model.workflow import apply_workflow
from frappe.utils import add_days, flt, nowdate

from prm_app.channel_funds import special_pricing
from prm_app.tests import PRMTestCase
from prm_app.tests.test_portal_isolation import A_NAME, B_NAME, B_PRIVATE, DENIED, PortalFixtures
from prm_app.tests.utils import (
	COMPANY,
	CUSTOMER,
	account,
	approve_registration_for_test,
	make_company,
	make_customer,
	make_item,
	make_partner,
	make_portal_user,
	make_registration,
	make_return,
	make_user,
	set_list_price,
)

DOCTYPE = "Special Price Request"
ITEM_DOCTYPE = "Special Price Request Item"
NO_PRICE_ITEM = "_PRM SPR Unpriced"
HTTP_ITEM = "_PRM Software"
OWN_ITEM = "_PRM Hardware"  # no overlap with B's approved price for the same customer


def drop_request(name: str) -> None:
	"""A committed test request and its Pricing Rules, whatever their state (on_trash keeps approved ones)."""
	rules = frappe.get_all(
		ITEM_DOCTYPE, {"parent": name, "pricing_rule": ("is", "set")}, pluck="pricing_rule"
	)
	frappe.db.delete(ITEM_DOCTYPE, {"parent": name})
	frappe.db.delete(DOCTYPE, {"name": name})
	frappe.db.delete("Workflow Action", {"reference_doctype": DOCTYPE, "reference_name": name})
	for rule in rules:
		if frappe.db.exists("Pricing Rule", rule):
			frappe.delete_doc("Pricing Rule", rule, force=True, ignore_permissions=True)


class TestSpecialPricingAttackHTTP(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_item(NO_PRICE_ITEM, "_PRM SPR Attack Group")
		set_list_price(OWN_ITEM, 1000)
		make_item("_PRM SPR Flagship", "_PRM SPR Attack Group")
		set_list_price("_PRM SPR Flagship", 50000)
		deal = cls.registration(cls.a, "Umbrella Attack", "umbrella-attack.example")
		deal.append("products", {"item_code": OWN_ITEM, "qty": 1})
		deal.append("products", {"item_code": NO_PRICE_ITEM, "qty": 1})
		deal.save(ignore_permissions=True)
		cls.a_priced_deal = cls.track(deal)
		approve_registration_for_test(cls.a_priced_deal, CUSTOMER)
		# B's approved request: its Pricing Rule prices B's customer's documents
		b_deal = cls.track(cls.registration(cls.b, "Initech Attack", "initech-attack.example"))
		approve_registration_for_test(b_deal, CUSTOMER)
		doc = frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"partner": B_NAME,
				"deal_registration": b_deal,
				"justification": "B private note",
				"valid_upto": add_days(nowdate(), 30),
				"items": [{"item_code": HTTP_ITEM, "qty": 4, "min_qty": 3, "requested_price": 910}],
			}
		).insert()
		apply_workflow(doc, "Submit for Approval")
		cls.b_approved = apply_workflow(frappe.get_doc(DOCTYPE, doc.name), "Approve").name
		cls.b_rule = frappe.db.get_value(ITEM_DOCTYPE, {"parent": cls.b_approved}, "pricing_rule")
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		for name in frappe.get_all(DOCTYPE, {"partner": ("in", [A_NAME, B_NAME])}, pluck="name"):
			if name != getattr(cls, "b_special_price", None):
				drop_request(name)
		frappe.db.commit()  # nosemgrep: undo what the HTTP requests committed
		super().tearDownClass()

	def rule_state(self, rule: str) -> tuple:
		frappe.db.rollback()
		values = frappe.db.get_value(
			"Pricing Rule",
			rule,
			["disable", "customer", "rate", "min_qty", "valid_upto", "title"],
			as_dict=True,
		)
		return (
			values.disable,
			values.customer,
			flt(values.rate),
			flt(values.min_qty),
			str(values.valid_upto),
			values.title,
		)

	def insert_own(self, http, **row):
		return http.post(
			f"{self.url}/api/resource/{DOCTYPE}",
			json={
				"deal_registration": self.a_priced_deal,
				"valid_upto": add_days(nowdate(), 20),
				"items": [{"item_code": HTTP_ITEM, "qty": 1, "requested_price": 950, **row}],
			},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)

	def test_a_line_cannot_take_over_another_pricing_rule(self):
		"""A partner's request line naming B's Pricing Rule (names are sequential) would have the request's
		sync rewrite it for A's customer and disable it on withdrawal."""
		http = self.session()
		before = self.rule_state(self.b_rule)
		self.assertEqual(before[0], 0)
		created = self.insert_own(http, pricing_rule=self.b_rule)
		names = []
		if created.status_code == 200:
			names.append(created.json()["data"]["name"])
			self.assertIsNone(frappe.db.get_value(ITEM_DOCTYPE, {"parent": names[0]}, "pricing_rule"))
		self.assertEqual(self.rule_state(self.b_rule), before)
		# the same through a write on its own draft, then withdrawn
		own = self.insert_own(http)
		self.assertEqual(own.status_code, 200, own.text[:300])
		name = own.json()["data"]["name"]
		names.append(name)
		row = own.json()["data"]["items"][0]
		put = http.put(
			f"{self.url}/api/resource/{DOCTYPE}/{name}",
			json={"items": [{**row, "pricing_rule": self.b_rule}]},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assertEqual(self.rule_state(self.b_rule), before, put.text[:300])
		self.post(http, "prm_app.channel_funds.special_pricing_portal.withdraw_special_price", {"name": name})
		self.assertEqual(self.rule_state(self.b_rule), before)
		for own_name in names:
			self.assertIsNone(frappe.db.get_value(ITEM_DOCTYPE, {"parent": own_name}, "pricing_rule"))

	def test_a_partner_never_types_the_list_price(self):
		http = self.session()
		# an item without a price in the selling price list: no special price on a list price A typed
		unpriced = self.insert_own(http, item_code=NO_PRICE_ITEM, list_price=100000, requested_price=90000)
		self.assertEqual(unpriced.status_code, 417, unpriced.text[:300])
		self.assertIn("no list price", unpriced.text)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists(ITEM_DOCTYPE, {"item_code": NO_PRICE_ITEM}))
		# a priced item: the price list's price, whatever A sent
		priced = self.insert_own(http, list_price=100000, requested_price=950)
		self.assertEqual(priced.status_code, 200, priced.text[:300])
		self.assertEqual(flt(priced.json()["data"]["items"][0]["list_price"]), 1000)

	def test_own_request_after_submission_and_approval_stays(self):
		"""A's own request: no status, granted price, customer or line change by any channel once submitted."""
		http = self.session()
		created = self.insert_own(http, item_code=OWN_ITEM)
		name = created.json()["data"]["name"]
		submitted = self.post(
			http,
			"frappe.model.workflow.apply_workflow",
			{"doc": json.dumps(created.json()["data"]), "action": "Submit for Approval"},
		)
		self.assertEqual(submitted.status_code, 200, submitted.text[:300])
		frappe.db.rollback()
		apply_workflow(frappe.get_doc(DOCTYPE, name), "Approve")  # as Administrator
		frappe.db.commit()  # nosemgrep: the server must see the approval
		stored = frappe.get_doc(DOCTYPE, name)
		rule = stored.items[0].pricing_rule
		before = self.rule_state(rule)
		for field, value in (
			("status", "Draft"),
			("status", "Pending Approval"),
			("customer", "_PRM Other Customer"),
			("valid_upto", add_days(nowdate(), 400)),
			("approved_by", "Administrator"),
		):
			self.assert_refused(
				self.post(
					http,
					"frappe.client.set_value",
					{"doctype": DOCTYPE, "name": name, "fieldname": field, "value": value},
				)
			)
		for field, value in (
			("granted_price", 1),
			("qty", 999),
			("min_qty", 0),
			("item_code", NO_PRICE_ITEM),
		):
			self.assert_refused(
				self.post(
					http,
					"frappe.client.set_value",
					{
						"doctype": ITEM_DOCTYPE,
						"name": stored.items[0].name,
						"fieldname": field,
						"value": value,
					},
				)
			)
		self.assertEqual(self.rule_state(rule), before)
		self.assertEqual(frappe.db.get_value(DOCTYPE, name, "status"), "Approved")
		self.assertEqual(flt(frappe.db.get_value(ITEM_DOCTYPE, stored.items[0].name, "granted_price")), 950)

	def test_a_partner_asks_for_its_deals_products_only(self):
		"""The portal's form offers the deal's products; a request through the API for another item (the
		vendor's flagship at a deal's price) is refused, and so is changing a line's item on a draft."""
		http = self.session()
		other = self.insert_own(http, item_code="_PRM SPR Flagship")
		self.assertEqual(other.status_code, 417, other.text[:300])
		self.assertIn("products", other.text)
		own = self.insert_own(http, item_code=OWN_ITEM)
		self.assertEqual(own.status_code, 200, own.text[:300])
		data = own.json()["data"]
		put = http.put(
			f"{self.url}/api/resource/{DOCTYPE}/{data['name']}",
			json={"items": [{**data["items"][0], "item_code": "_PRM SPR Flagship"}]},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assertEqual(put.status_code, 417, put.text[:300])
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(ITEM_DOCTYPE, {"parent": data["name"]}, "item_code"), OWN_ITEM)

	def test_a_partner_cannot_name_its_deals_customer(self):
		"""The request's customer is the deal's: a partner that could set its draft deal's customer would pick
		whom the special price is for."""
		http = self.session()
		put = http.put(
			f"{self.url}/api/resource/Deal Registration/{self.a_deal}",
			json={"customer": CUSTOMER},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assert_refused(put)
		frappe.db.rollback()
		self.assertIsNone(frappe.db.get_value("Deal Registration", self.a_deal, "customer"))

	def test_b_request_through_other_channels(self):
		http = self.session()
		name, b_rule = self.b_approved, self.b_rule
		rule_before = self.rule_state(b_rule)
		b_doc = frappe.get_doc(DOCTYPE, name).as_dict(convert_dates_to_str=True)
		for method, data in (
			("frappe.model.workflow.apply_workflow", {"doc": json.dumps(b_doc), "action": "Withdraw"}),
			(
				"frappe.model.workflow.bulk_workflow_approval",
				{
					"docnames": json.dumps([name, self.b_special_price]),
					"doctype": DOCTYPE,
					"action": "Withdraw",
				},
			),
			("frappe.model.workflow.get_transitions", {"doc": json.dumps(b_doc)}),
			("frappe.client.get", {"doctype": DOCTYPE, "name": name}),
			("frappe.client.get_value", {"doctype": DOCTYPE, "filters": name, "fieldname": "customer"}),
			(
				"frappe.client.set_value",
				{"doctype": DOCTYPE, "name": name, "fieldname": "status", "value": "Withdrawn"},
			),
			("frappe.desk.form.load.getdoc", {"doctype": DOCTYPE, "name": name}),
			(
				"frappe.desk.query_report.run",
				{
					"report_name": "Special Pricing",
					"filters": json.dumps({"partner": B_NAME, "group_by": "Request"}),
				},
			),
		):
			with self.subTest(method=method):
				self.assert_refused_or_empty(self.post(http, method, data), name, b_rule)
		for params in (
			{"doctype": ITEM_DOCTYPE, "parent": DOCTYPE, "fields": json.dumps(["parent", "granted_price"])},
			{
				"doctype": DOCTYPE,
				"fields": json.dumps(["name", "`tabSpecial Price Request Item`.`pricing_rule`"]),
			},
		):
			with self.subTest(params=params):
				self.assert_refused_or_empty(
					http.get(
						f"{self.url}/api/method/frappe.client.get_list",
						params={**params, "limit_page_length": 0},
					),
					name,
					b_rule,
				)
		for path, params in (
			("/printview", {"doctype": DOCTYPE, "name": name}),
			("/api/method/frappe.utils.print_format.download_pdf", {"doctype": DOCTYPE, "name": name}),
			(
				"/api/method/frappe.desk.reportview.get",
				{"doctype": DOCTYPE, "fields": json.dumps(["name", "customer", "granted_total"])},
			),
			(
				"/api/method/frappe.client.get_count",
				{"doctype": DOCTYPE, "filters": json.dumps({"name": name})},
			),
			("/api/v2/document/Special Price Request/" + name, {}),
		):
			with self.subTest(path=path):
				answer = http.get(f"{self.url}{path}", params=params)
				if path == "/api/method/frappe.client.get_count":
					self.assertIn(answer.status_code, (200, *DENIED))
					if answer.status_code == 200:
						self.assertEqual(answer.json()["message"], 0)
				else:
					self.assert_refused_or_empty(answer, name, b_rule, "B private note")
		child = self.post(
			http,
			"frappe.client.insert",
			{
				"doc": json.dumps(
					{
						"doctype": ITEM_DOCTYPE,
						"parenttype": DOCTYPE,
						"parentfield": "items",
						"parent": name,
						"item_code": OWN_ITEM,
						"qty": 1,
						"requested_price": 1,
					}
				)
			},
		)
		self.assert_refused(child)
		search = self.post(
			http, "frappe.desk.search.search_link", {"doctype": DOCTYPE, "txt": name[:8], "page_length": 100}
		)
		self.assert_refused_or_empty(search, name)
		upload = self.post(
			http,
			"upload_file",
			{"doctype": DOCTYPE, "docname": name, "is_private": 1},
			files={"file": ("proof.txt", b"A's file on B's request", "text/plain")},
		)
		self.assert_refused(upload)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("File", {"attached_to_doctype": DOCTYPE, "attached_to_name": name}))
		self.assertEqual(frappe.db.get_value(DOCTYPE, name, "status"), "Approved")
		self.assertEqual(self.rule_state(b_rule), rule_before)
		self.assertEqual(frappe.db.get_value(DOCTYPE, self.b_special_price, "status"), "Draft")
		# A's own request for B's customer through B's deal: refused, nothing stored
		refused = http.post(
			f"{self.url}/api/resource/{DOCTYPE}",
			json={
				"deal_registration": self.b_priced_deal,
				"partner": B_NAME,
				"items": [{"item_code": HTTP_ITEM, "qty": 1, "requested_price": 900}],
			},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assert_refused(refused)
		for private in B_PRIVATE:
			self.assertNotIn(private, refused.text)


class TestSpecialPricingAttackBench(PRMTestCase):
	"""Staff's ways around the rules, and the auditor's arithmetic (no HTTP; rolled back)."""

	ITEM_A, ITEM_B = "_PRM Hardware", "_PRM Software"
	DEAL_CUSTOMER, OTHER_CUSTOMER = "_PRM SPR Attack Customer", "_PRM SPR Attack Other"
	PM, SM, SU, PARTNER_USER = (
		"_prm.spra.pm@example.com",
		"_prm.spra.sm@example.com",
		"_prm.spra.su@example.com",
		"_prm.spra.partner@example.com",
	)

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def setUp(self):
		frappe.set_user("Administrator")
		set_list_price(self.ITEM_A, 1000)
		set_list_price(self.ITEM_B, 250)
		make_item(NO_PRICE_ITEM, "_PRM SPR Attack Group")
		make_customer(self.DEAL_CUSTOMER)
		make_customer(self.OTHER_CUSTOMER)
		make_user(self.PM, ["Partner Manager"])
		make_user(self.SM, ["Sales Manager", "Sales User"])
		make_user(self.SU, ["Sales User"])
		frappe.db.set_single_value("PRM Settings", "special_price_partner_manager_limit", 15)
		self.partner = make_partner(f"_PRM SPRA Partner {frappe.generate_hash(length=6)}")
		make_portal_user(self.PARTNER_USER, self.partner)
		deal = make_registration(
			self.partner,
			f"SPRA Prospect {frappe.generate_hash(length=6)}",
			products=[self.ITEM_A, self.ITEM_B],
			website=f"{frappe.generate_hash(length=8)}.example",
		)
		frappe.db.set_value(
			"Deal Registration", deal.name, {"status": "Approved", "customer": self.DEAL_CUSTOMER}
		)
		self.deal = deal.name

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def as_user(self, user, fn, *args, **kwargs):
		frappe.set_user(user)
		try:
			return fn(*args, **kwargs)
		finally:
			frappe.set_user("Administrator")

	def pending(self, items, user=None):
		def make():
			doc = frappe.get_doc(
				{
					"doctype": DOCTYPE,
					"deal_registration": self.deal,
					"valid_upto": add_days(nowdate(), 30),
					"items": items,
				}
			).insert()
			apply_workflow(doc, "Submit for Approval")
			return doc.name

		return frappe.get_doc(DOCTYPE, self.as_user(user or self.PARTNER_USER, make))

	def act(self, name, action, user):
		self.as_user(user, apply_workflow, frappe.get_doc(DOCTYPE, name), action)
		return frappe.get_doc(DOCTYPE, name)

	def save_as(self, user, doc):
		def save():
			fresh = frappe.get_doc(DOCTYPE, doc.name)
			fresh.update({k: v for k, v in doc.as_dict().items() if k not in ("items", "modified")})
			for row, changed in zip(fresh.items, doc.items, strict=True):
				row.update({k: v for k, v in changed.as_dict().items() if k not in ("modified",)})
			fresh.save()
			return fresh

		return self.as_user(user, save)

	# --- a Partner Manager beyond the depth limit --------------------------------------------------------

	def test_partner_manager_cannot_raise_its_own_limit(self):
		settings = frappe.get_doc("PRM Settings")
		settings.special_price_partner_manager_limit = 100
		self.assertRaises(frappe.PermissionError, self.as_user, self.PM, settings.save)
		self.assertEqual(
			flt(frappe.db.get_single_value("PRM Settings", "special_price_partner_manager_limit")), 15
		)
		deep = self.pending([{"item_code": self.ITEM_A, "qty": 2, "requested_price": 500}])
		self.assertRaises(frappe.ValidationError, self.act, deep.name, "Approve", self.PM)
		self.assertEqual(frappe.db.get_value(DOCTYPE, deep.name, "status"), "Pending Approval")
		# a System Manager sets it; the other settings stay a Partner Manager's
		settings = frappe.get_doc("PRM Settings")
		settings.special_price_partner_manager_limit = 20
		settings.save()
		self.assertEqual(
			flt(frappe.db.get_single_value("PRM Settings", "special_price_partner_manager_limit")), 20
		)
		settings = frappe.get_doc("PRM Settings")
		settings.special_price_partner_manager_limit = 20
		self.as_user(self.PM, settings.save)  # unchanged limit: a Partner Manager saves the rest

	def test_a_deal_listing_an_item_group_offers_its_items(self):
		group_deal = make_registration(
			self.partner,
			f"SPRA Group Prospect {frappe.generate_hash(length=6)}",
			website=f"{frappe.generate_hash(length=8)}.example",
			products=[("group", "_PRM Software Group")],
		)
		frappe.db.set_value(
			"Deal Registration", group_deal.name, {"status": "Approved", "customer": self.DEAL_CUSTOMER}
		)
		self.deal = group_deal.name
		doc = self.pending([{"item_code": self.ITEM_B, "qty": 1, "requested_price": 240}])
		self.assertEqual(doc.items[0].item_code, self.ITEM_B)
		self.assertRaisesRegex(
			frappe.ValidationError,
			"products",
			self.pending,
			[{"item_code": self.ITEM_A, "qty": 1, "requested_price": 900}],
		)
		# staff ask for any item
		staff = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 900}], user=self.SM)
		self.assertEqual(staff.status, "Pending Approval")

	def test_no_grant_on_a_deal_no_longer_approved(self):
		doc = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 950}])
		for status in ("Lost", "Expired", "Withdrawn"):
			frappe.db.set_value("Deal Registration", self.deal, "status", status)
			self.assertRaisesRegex(
				frappe.ValidationError, "approved or won", self.act, doc.name, "Approve", self.SM
			)
			self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Pending Approval")
		self.assertFalse(frappe.db.get_value(ITEM_DOCTYPE, {"parent": doc.name}, "pricing_rule"))
		frappe.db.set_value("Deal Registration", self.deal, "status", "Won")
		self.assertEqual(self.act(doc.name, "Approve", self.SM).status, "Approved")
		frappe.db.set_value("Deal Registration", self.deal, "status", "Lost")
		self.assertEqual(
			self.act(doc.name, "Withdraw", self.PM).status, "Withdrawn"
		)  # closing stays possible

	def test_one_line_per_item(self):
		"""Two lines for one item would make two Pricing Rules of one priority for the same customer and item:
		ERPNext then refuses that customer's sales documents. The request is refused at once."""
		frappe.set_user(self.PARTNER_USER)
		doc = frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"deal_registration": self.deal,
				"valid_upto": add_days(nowdate(), 30),
				"items": [
					{"item_code": self.ITEM_A, "qty": 5, "min_qty": 1, "requested_price": 950},
					{"item_code": self.ITEM_A, "qty": 10, "min_qty": 2, "requested_price": 900},
				],
			}
		)
		self.assertRaisesRegex(frappe.ValidationError, "already", doc.insert)
		frappe.set_user("Administrator")
		self.assertFalse(frappe.db.exists(DOCTYPE, {"deal_registration": self.deal}))

	def test_a_granted_price_does_not_follow_a_changed_item(self):
		"""Staff's granted price answers the line's item: when a request returned to Draft gets another item
		on that line, the granted price is dropped (else 240 for a 250 item becomes 240 for a 1,000 item)."""
		doc = self.pending([{"item_code": self.ITEM_B, "qty": 1, "requested_price": 245}])
		doc.items[0].granted_price = 240
		self.save_as(self.SM, doc)
		returned = self.act(doc.name, "Return", self.PM)
		self.assertEqual((returned.status, flt(returned.items[0].granted_price)), ("Draft", 240))
		returned.items[0].item_code = self.ITEM_A
		returned.items[0].requested_price = 990
		changed = self.save_as(self.PARTNER_USER, returned)
		self.assertFalse(flt(changed.items[0].granted_price))
		self.assertEqual(changed.approval_level, "Partner Manager")  # 1 %, not 76 %
		approved = self.act(
			self.act(doc.name, "Submit for Approval", self.PARTNER_USER).name, "Approve", self.PM
		)
		self.assertEqual(flt(approved.items[0].granted_price), 990)

	def test_partner_manager_paths_past_the_limit(self):
		"""A shallow request a Partner Manager may approve: approving it with a deeper granted price in the
		same save, or deepening the granted price afterwards (frappe.client.set_value on the line or the
		request), is refused and the Pricing Rule keeps the approved rate."""
		from frappe.client import set_value

		doc = self.pending([{"item_code": self.ITEM_A, "qty": 2, "requested_price": 900}])
		doc.status = "Approved"
		doc.items[0].granted_price = 500
		self.assertRaises(frappe.PermissionError, self.save_as, self.PM, doc)
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Pending Approval")
		approved = self.act(doc.name, "Approve", self.PM)
		rule = approved.items[0].pricing_rule
		for args in (
			(ITEM_DOCTYPE, approved.items[0].name, "granted_price", 500),
			(ITEM_DOCTYPE, approved.items[0].name, "min_qty", 5),
			(DOCTYPE, approved.name, "valid_upto", add_days(nowdate(), 900)),
			(DOCTYPE, approved.name, "status", "Pending Approval"),
		):
			with self.subTest(args=args):
				self.assertRaises(frappe.ValidationError, self.as_user, self.PM, set_value, *args)
		self.assertEqual(
			(
				flt(frappe.db.get_value("Pricing Rule", rule, "rate")),
				frappe.db.get_value("Pricing Rule", rule, "disable"),
			),
			(900, 0),
		)
		self.assertEqual(flt(frappe.db.get_value(ITEM_DOCTYPE, approved.items[0].name, "granted_price")), 900)

	def test_no_grant_of_a_price_whose_validity_ended(self):
		"""A request left pending past its Valid Upto would become Approved with a Pricing Rule for days gone
		by (and counted as granted in the report): staff set a later date first."""
		doc = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 950}])
		frappe.db.set_value(
			DOCTYPE, doc.name, {"valid_from": add_days(nowdate(), -20), "valid_upto": add_days(nowdate(), -1)}
		)
		self.assertRaisesRegex(
			frappe.ValidationError, "later Valid Upto", self.act, doc.name, "Approve", self.PM
		)
		self.assertFalse(frappe.db.get_value(ITEM_DOCTYPE, {"parent": doc.name}, "pricing_rule"))
		pending = frappe.get_doc(DOCTYPE, doc.name)
		pending.valid_upto = nowdate()  # the last day is still valid
		self.save_as(self.PM, pending)
		self.assertEqual(self.act(doc.name, "Approve", self.PM).status, "Approved")

	def test_staff_cannot_type_a_list_price(self):
		"""The list price is the price list's: a request for an unpriced item is refused, and a typed list
		price on a pending line is replaced by the price list's (the depth judged on it)."""
		frappe.set_user(self.SM)
		doc = frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"deal_registration": self.deal,
				"valid_upto": add_days(nowdate(), 30),
				"items": [{"item_code": NO_PRICE_ITEM, "qty": 1, "list_price": 1000, "requested_price": 700}],
			}
		)
		self.assertRaisesRegex(frappe.ValidationError, "no list price", doc.insert)
		frappe.set_user("Administrator")
		deep = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 700}])  # 30 %
		deep.items[0].list_price = 705
		deep = self.save_as(self.PM, deep)
		self.assertEqual(flt(deep.items[0].list_price), 1000)
		self.assertEqual(deep.approval_level, "Sales Manager")
		self.assertRaises(frappe.ValidationError, self.act, deep.name, "Approve", self.PM)

	def test_review_fields_are_the_servers(self):
		doc = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 950}])
		doc.approved_by = self.SM
		doc.approved_on = "2026-01-01 10:00:00"
		doc.closed_on = "2026-01-02"
		self.save_as(self.SU, doc)
		stored = frappe.db.get_value(DOCTYPE, doc.name, ["approved_by", "approved_on", "closed_on"])
		self.assertEqual(stored, (None, None, None))
		approved = self.act(doc.name, "Approve", self.PM)
		self.assertEqual(approved.approved_by, self.PM)
		approved.approved_by = self.SM
		self.save_as(self.SM, approved)
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "approved_by"), self.PM)

	def test_customer_is_the_deals(self):
		"""Staff may name the customer of a deal that has none; a deal with a customer prices that customer."""
		doc = self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 950}])
		doc.customer = self.OTHER_CUSTOMER
		self.assertRaisesRegex(frappe.ValidationError, "customer", self.save_as, self.PM, doc)
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "customer"), self.DEAL_CUSTOMER)

	def test_status_cannot_leave_closed_or_approved_by_a_plain_save(self):
		doc = self.act(
			self.pending([{"item_code": self.ITEM_A, "qty": 1, "requested_price": 950}]).name,
			"Approve",
			self.PM,
		)
		rule = doc.items[0].pricing_rule
		for user, status in ((self.PM, "Draft"), (self.PM, "Pending Approval"), (self.SM, "Rejected")):
			doc.status = status
			doc.rejection_reason = "x"
			self.assertRaises(frappe.ValidationError, self.save_as, user, doc)
		self.assertEqual(frappe.db.get_value(DOCTYPE, doc.name, "status"), "Approved")
		self.assertEqual(frappe.db.get_value("Pricing Rule", rule, "disable"), 0)
		withdrawn = self.act(doc.name, "Withdraw", self.PM)
		for action in ("Approve", "Submit for Approval"):
			self.assertRaises(frappe.ValidationError, self.act, withdrawn.name, action, self.SM)
		withdrawn.status = "Approved"
		self.assertRaises(frappe.ValidationError, self.save_as, self.SM, withdrawn)
		self.assertEqual(frappe.db.get_value("Pricing Rule", rule, "disable"), 1)

	# --- the auditor ------------------------------------------------------------------------------------

	def selling_invoice(self, customer, lines, posting_date=None, submit=True):
		si = frappe.get_doc(
			{
				"doctype": "Sales Invoice",
				"company": COMPANY,
				"customer": customer,
				"currency": "USD",
				"selling_price_list": special_pricing.selling_price_list(),
				"debit_to": account("Debtors"),
				"set_posting_time": 1,
				"posting_date": posting_date or nowdate(),
				"due_date": add_days(posting_date or nowdate(), 30),
				"items": [
					{
						"item_code": item,
						"qty": qty,
						"income_account": account("Sales"),
						"cost_center": account("Main"),
					}
					for item, qty in lines
				],
			}
		).insert(ignore_permissions=True)
		if submit:
			si.submit()
		return si

	def test_auditor_recomputes_prices_depth_margins_and_the_report(self):
		from prm_app.channel_funds.report.special_pricing.special_pricing import execute

		# line 1: 1,000 list, 12.345 % asked -> 876.55; line 2: 250 list, 199.99 asked -> 20.004 %
		doc = self.pending(
			[
				{"item_code": self.ITEM_A, "qty": 7, "min_qty": 3, "requested_discount": 12.345},
				{"item_code": self.ITEM_B, "qty": 10, "requested_price": 199.99},
			]
		)
		a, b = doc.items
		self.assertEqual(flt(a.requested_price), 876.55)  # 1000 × (100 − 12.345) / 100 = 876.55
		self.assertAlmostEqual(flt(b.requested_discount), 20.004, places=6)  # (250 − 199.99) / 250 × 100
		self.assertEqual(flt(doc.list_total), 7 * 1000 + 10 * 250)
		self.assertEqual(flt(doc.requested_total), flt(7 * 876.55 + 10 * 199.99, 2))
		self.assertAlmostEqual(flt(doc.requested_depth), 20.004, places=6)
		self.assertEqual(doc.approval_level, "Sales Manager")
		# the Sales Manager grants line 2 at 210 (16 %) and line 1 as asked
		doc.items[1].granted_price = 210
		doc = self.save_as(self.SM, doc)
		doc = self.act(doc.name, "Approve", self.SM)
		self.assertEqual([flt(r.granted_price) for r in doc.items], [876.55, 210])
		self.assertAlmostEqual(flt(doc.items[0].granted_discount), 12.345, places=6)
		self.assertAlmostEqual(flt(doc.items[1].granted_discount), 16, places=6)
		margin = 7 * (1000 - 876.55) + 10 * (250 - 210)  # 864.15 + 400
		self.assertEqual(flt(doc.margin_given_away), flt(margin, 2))
		self.assertEqual(flt(doc.granted_total), flt(7 * 876.55 + 10 * 210, 2))

		# each rule: this customer, this item, its minimum quantity and dates, the granted rate
		for row in doc.items:
			rule = frappe.get_doc("Pricing Rule", row.pricing_rule)
			self.assertEqual(
				(rule.disable, rule.selling, rule.buying, rule.applicable_for, rule.customer, rule.apply_on),
				(0, 1, 0, "Customer", self.DEAL_CUSTOMER, "Item Code"),
			)
			self.assertEqual([r.item_code for r in rule.items], [row.item_code])
			self.assertEqual((flt(rule.rate), flt(rule.min_qty)), (flt(row.granted_price), flt(row.min_qty)))
			self.assertEqual(
				(str(rule.valid_from), str(rule.valid_upto)), (str(doc.valid_from), str(doc.valid_upto))
			)

		si = self.selling_invoice(self.DEAL_CUSTOMER, [(self.ITEM_A, 5), (self.ITEM_B, 4)])
		self.assertEqual([flt(i.rate) for i in si.items], [876.55, 210])
		self.assertEqual(flt(si.net_total), flt(5 * 876.55 + 4 * 210, 2))
		below_min = self.selling_invoice(self.DEAL_CUSTOMER, [(self.ITEM_A, 2)], submit=False)
		self.assertEqual(flt(below_min.items[0].rate), 1000)
		other = self.selling_invoice(self.OTHER_CUSTOMER, [(self.ITEM_A, 5)], submit=False)
		self.assertEqual(flt(other.items[0].rate), 1000)
		after = self.selling_invoice(
			self.DEAL_CUSTOMER, [(self.ITEM_A, 5)], posting_date=add_days(doc.valid_upto, 1), submit=False
		)
		self.assertEqual(flt(after.items[0].rate), 1000)
		credit = make_return(si, {self.ITEM_A: 2})  # 2 of the 5 back
		self.assertEqual(flt(credit.items[0].rate), 876.55)

		invoiced = (5 - 2) * (1000 - 876.55) + 4 * (250 - 210)  # 370.35 + 160
		_columns, rows = execute({"partner": self.partner.name, "group_by": "Request"})
		row = next(r for r in rows if r["request"] == doc.name)
		self.assertEqual(flt(row["list_total"]), 9500)
		self.assertEqual(
			flt(row["requested_discount"]), flt((9500 - (7 * 876.55 + 10 * 199.99)) * 100 / 9500, 2)
		)
		self.assertEqual(flt(row["granted_discount"]), flt((9500 - (7 * 876.55 + 10 * 210)) * 100 / 9500, 2))
		self.assertEqual(flt(row["margin_given_away"]), flt(margin, 2))
		self.assertEqual(flt(row["invoiced_margin_given_away"]), flt(invoiced, 2))

		# approving twice and the expiry job twice change nothing; expiry disables both rules
		self.assertRaises(frappe.ValidationError, self.act, doc.name, "Approve", self.SM)
		self.assertEqual(special_pricing.sync_pricing_rules(frappe.get_doc(DOCTYPE, doc.name)), [])
		later = add_days(doc.valid_upto, 1)
		self.assertEqual(special_pricing.expire_requests(today=later), [doc.name])
		self.assertEqual(special_pricing.expire_requests(today=later), [])
		self.assertEqual(
			[frappe.db.get_value("Pricing Rule", r.pricing_rule, "disable") for r in doc.items], [1, 1]
		)

	def test_list_prices_of_a_granted_request_stay(self):
		"""A price list change after approval does not rewrite the granted request's list price, depth or
		margin given away (nor the report's figures) when it is withdrawn or expires."""
		doc = self.act(
			self.pending([{"item_code": self.ITEM_A, "qty": 4, "requested_price": 900}]).name,
			"Approve",
			self.PM,
		)
		set_list_price(self.ITEM_A, 2000)
		withdrawn = self.act(doc.name, "Withdraw", self.PM)
		self.assertEqual(flt(withdrawn.items[0].list_price), 1000)
		self.assertEqual((flt(withdrawn.list_total), flt(withdrawn.margin_given_away)), (4000, 400))
		self.assertAlmostEqual(flt(withdrawn.granted_depth), 10, places=6)

	def test_bad_input_is_refused_clearly_and_nothing_is_stored(self):
		count = frappe.db.count(DOCTYPE)
		for row, message in (
			({"requested_price": -5}, "cannot be negative"),
			({"requested_discount": 101}, "between 0 and 100"),
			({"requested_discount": -1}, "between 0 and 100"),
			({"requested_price": 1e20}, "above the list price"),
			({"requested_price": 900, "qty": 1e20}, "too large"),
			({"requested_price": 900, "qty": 1e11}, "too large"),
			({"requested_price": 900, "qty": -3}, "negative"),
			({"requested_price": 900, "min_qty": -1}, "negative"),
		):
			with self.subTest(row=row):
				frappe.set_user(self.PARTNER_USER)
				doc = frappe.get_doc(
					{
						"doctype": DOCTYPE,
						"deal_registration": self.deal,
						"valid_upto": add_days(nowdate(), 30),
						"items": [{"item_code": self.ITEM_A, "qty": 1, **row}],
					}
				)
				self.assertRaisesRegex(frappe.ValidationError, message, doc.insert)
				frappe.set_user("Administrator")
		frappe.set_user(self.PARTNER_USER)
		reversed_dates = frappe.get_doc(
			{
				"doctype": DOCTYPE,
				"deal_registration": self.deal,
				"valid_from": add_days(nowdate(), 10),
				"valid_upto": add_days(nowdate(), 5),
				"items": [{"item_code": self.ITEM_A, "qty": 1, "requested_price": 900}],
			}
		)
		self.assertRaisesRegex(frappe.ValidationError, "Valid Upto", reversed_dates.insert)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.count(DOCTYPE), count)
		self.assertEqual(frappe.db.count(ITEM_DOCTYPE, {"parent": ("is", "not set")}), 0)
