"""The deal form's products with quantities, over real HTTP as the partner (issue 12): the lines are
stored with their quantities, bad quantities and products a partner may not register are refused with
every problem at once and nothing written (through the portal and through REST), the product search
lists only what a partner may register, and a returned deal is edited with its quantities while the
item-group rows the vendor added stay."""

import json

import frappe
import requests
from frappe.utils import add_days, nowdate

from prm_app.api.portal import SEARCH_RATE
from prm_app.tests.test_portal_isolation import A_NAME, A_SALES, A_USER, PASSWORD, PortalFixtures
from prm_app.tests.utils import make_item

DISABLED, NOT_FOR_SALE = "_PRM Picker Disabled", "_PRM Picker Not For Sale"
MISSING = "_PRM Picker No Such Item"
REFUSED = "is not a product you can register"


class TestPortalProductPicker(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_item(DISABLED, "_PRM Software Group")
		make_item(NOT_FOR_SALE, "_PRM Software Group")
		frappe.db.set_value("Item", DISABLED, "disabled", 1)
		frappe.db.set_value("Item", NOT_FOR_SALE, "is_sales_item", 0)
		doc = cls.registration(cls.a, "Massive Dynamic", "massive.example")
		doc.products[0].qty = 4
		doc.append("products", {"item_group": "_PRM Hardware Group", "qty": 7})
		doc.save(ignore_permissions=True)
		doc.set_status("Submitted")
		doc.return_for_information("How many licences?")
		cls.a_returned = doc.name
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		frappe.cache.delete(frappe.cache.make_key(f"prm:search:{A_USER}"))
		super().tearDownClass()  # deletes every registration of A and B
		for item in (DISABLED, NOT_FOR_SALE):
			frappe.delete_doc("Item", item, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: remove the committed items

	def setUp(self):
		frappe.cache.delete(frappe.cache.make_key(f"prm:search:{A_USER}"))

	def deal_args(self, prospect: str, products) -> dict:
		return {
			"prospect_name": prospect,
			"website": prospect.lower().replace(" ", "-") + ".example",
			"expected_amount": 9000,
			"expected_close_date": add_days(nowdate(), 30),
			"products": json.dumps(products),
		}

	def deals_of_a(self) -> int:
		frappe.db.rollback()
		return frappe.db.count("Deal Registration", {"partner": A_NAME})

	def stored_lines(self, name: str) -> list[tuple]:
		frappe.db.rollback()
		rows = frappe.get_all(
			"Deal Registration Product",
			filters={"parent": name, "parenttype": "Deal Registration"},
			fields=["item_code", "item_group", "qty"],
			order_by="idx asc",
			as_list=True,
		)
		return [tuple(row) for row in rows]

	def test_lines_are_stored_with_their_quantities(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			self.deal_args(
				"Quantity Prospect",
				[
					{"item_code": "_PRM Software", "qty": "3"},
					{"item_code": "_PRM Hardware", "qty": 2.5},
					{"item_code": "_PRM Software", "qty": 2},  # the same product again: added up
				],
			),
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		name = response.json()["message"]["name"]
		self.assertEqual(
			self.stored_lines(name),
			[("_PRM Software", "_PRM Software Group", 5.0), ("_PRM Hardware", "_PRM Hardware Group", 2.5)],
		)
		page = http.get(f"{self.url}/partner/deal", params={"name": name})
		self.assertEqual(page.status_code, 200)
		self.assertRegex(
			page.text, r'data-item="_PRM Software">_PRM Software &times; <span class="prm-qty">5</span>'
		)
		self.assertTrue('<span class="prm-qty">2.5</span>' in page.text, page.text[-3000:])

	def test_an_older_client_posting_item_codes_gets_quantity_one(self):
		http = self.session()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			self.deal_args("Plain Codes Prospect", ["_PRM Software", "_PRM Hardware"]),
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		lines = self.stored_lines(response.json()["message"]["name"])
		self.assertEqual(
			[(code, qty) for code, _group, qty in lines], [("_PRM Software", 1.0), ("_PRM Hardware", 1.0)]
		)

	def test_bad_quantities_are_refused_all_at_once_and_nothing_is_written(self):
		http = self.session()
		before = self.deals_of_a()
		for qty, message in (
			(0, "The quantity of _PRM Software must be greater than zero."),
			(-2, "The quantity of _PRM Software must be greater than zero."),
			("many", "The quantity of _PRM Software must be a number."),
			("", "The quantity of _PRM Software must be a number."),
			(10**12, "The quantity of _PRM Software is too large: at most 1000000."),
		):
			response = self.post(
				http,
				"prm_app.api.portal.register_deal",
				self.deal_args("Bad Quantity Prospect", [{"item_code": "_PRM Software", "qty": qty}]),
			)
			self.assertEqual(response.status_code, 417, (qty, response.text[:300]))
			self.assertIn(message, response.text, qty)
		# several problems of the form and of the lines in one answer
		args = self.deal_args(
			"Bad Quantity Prospect",
			[
				{"item_code": "_PRM Software", "qty": 0},
				{"item_code": "_PRM Hardware", "qty": "x"},
				{"item_code": DISABLED, "qty": 1},
			],
		)
		args["expected_amount"] = 0
		response = self.post(http, "prm_app.api.portal.register_deal", args)
		self.assertEqual(response.status_code, 417, response.text[:300])
		for message in (
			"greater than zero",
			"_PRM Software must be greater",
			"_PRM Hardware must be a number",
			DISABLED + " " + REFUSED,
		):
			self.assertIn(message, response.text)
		self.assertEqual(self.deals_of_a(), before)

	def test_at_most_fifty_products(self):
		http = self.session()
		before = self.deals_of_a()
		lines = [{"item_code": f"_PRM Picker Line {i}", "qty": 1} for i in range(51)]
		response = self.post(
			http, "prm_app.api.portal.register_deal", self.deal_args("Fifty One Prospect", lines)
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn("At most 50 products in one registration.", response.text)
		self.assertNotIn(REFUSED, response.text)  # one message, not one per line
		self.assertEqual(self.deals_of_a(), before)

	def test_products_a_partner_may_not_register_are_refused_alike(self):
		http = self.session()
		before = self.deals_of_a()
		answers = {}
		for item in (DISABLED, NOT_FOR_SALE, MISSING):
			response = self.post(
				http,
				"prm_app.api.portal.register_deal",
				self.deal_args("Refused Item Prospect", [{"item_code": item, "qty": 1}]),
			)
			self.assertEqual(response.status_code, 417, (item, response.text[:300]))
			self.assertIn(f"{item} {REFUSED}.", response.text)
			messages = json.loads(response.json()["_server_messages"])
			answers[item] = tuple(json.loads(m)["message"].replace(item, "ITEM") for m in messages)
		# the same answer whether the item is disabled, no sales item or does not exist
		self.assertEqual(len(set(answers.values())), 1, answers)
		# through REST too: the controller applies the rule to a partner user's writes
		response = http.post(
			f"{self.url}/api/resource/Deal Registration",
			data=json.dumps(
				{
					"prospect_name": "Refused Item Prospect",
					"expected_amount": 9000,
					"expected_close_date": str(add_days(nowdate(), 30)),
					"products": [{"item_code": DISABLED, "qty": 1}],
				}
			),
			headers={"X-Frappe-CSRF-Token": http.csrf, "Content-Type": "application/json"},
		)
		self.assertIn(response.status_code, (403, 417), response.text[:300])
		self.assertIn(REFUSED, response.text)
		self.assertEqual(self.deals_of_a(), before)

	def test_the_search_lists_only_what_a_partner_may_register(self):
		http = self.session()

		def search(**params):
			return http.get(f"{self.url}/api/method/prm_app.api.portal.search_products", params=params)

		response = search(txt="_prm soft")
		self.assertEqual(response.status_code, 200, response.text[:300])
		found = response.json()["message"]
		self.assertEqual(
			found[0],
			{"item_code": "_PRM Software", "item_name": "_PRM Software", "item_group": "_PRM Software Group"},
		)
		frappe.db.rollback()
		allowed = set(
			frappe.get_all(
				"Item", filters={"disabled": 0, "is_sales_item": 1, "has_variants": 0}, pluck="name"
			)
		)
		# whatever the text (SQL wildcards included), only allowed items, only code, name and group
		for txt in ("_PRM Picker", DISABLED, NOT_FOR_SALE, "%", "_", "' OR 1=1 --", ""):
			response = search(txt=txt)
			self.assertEqual(response.status_code, 200, (txt, response.text[:300]))
			for item in response.json()["message"]:
				self.assertEqual(set(item), {"item_code", "item_name", "item_group"})
				self.assertIn(item["item_code"], allowed, txt)
		self.assertEqual(search(txt=DISABLED).json()["message"], [])
		self.assertEqual(search(txt="%").json()["message"], [])  # a literal %, not "anything"
		self.assertLessEqual(len(search(txt="").json()["message"]), 20)
		# parameters are checked; no other argument is taken
		self.assertEqual(search(txt="x", limit=500).status_code, 417)
		self.assertEqual(search(txt="x" * 141).status_code, 417)
		# an argument the endpoint does not take changes nothing
		for item in search(txt=DISABLED[:-1], filters='{"disabled": 1}').json()["message"]:
			self.assertIn(item["item_code"], allowed)
		# POST is not the way (read only, GET)
		self.assertIn(
			self.post(http, "prm_app.api.portal.search_products", {"txt": "x"}).status_code, (403, 405)
		)
		# Guest and users of no partner are refused
		self.assertIn(
			self.session(None)
			.get(f"{self.url}/api/method/prm_app.api.portal.search_products", params={"txt": "_PRM"})
			.status_code,
			(401, 403),
		)

	def test_the_search_is_for_partner_users_who_register_deals(self):
		"""A Finance partner user (no deals area) gets no product list."""
		frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_SALES}, "partner_role", "Finance")
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the role
		try:
			http = requests.Session()
			login = http.post(f"{self.url}/api/method/login", data={"usr": A_SALES, "pwd": PASSWORD})
			self.assertEqual(login.status_code, 200)
			response = http.get(
				f"{self.url}/api/method/prm_app.api.portal.search_products", params={"txt": "_PRM"}
			)
			self.assertEqual(response.status_code, 403, response.text[:300])
			self.assertNotIn("_PRM Software", response.text)
		finally:
			frappe.db.set_value("Partner User", {"parent": A_NAME, "user": A_SALES}, "partner_role", "Sales")
			frappe.db.commit()  # nosemgrep: the fixture's role back

	def test_the_search_is_rate_limited_per_user(self):
		http = self.session()
		frappe.cache.set(frappe.cache.make_key(f"prm:search:{A_USER}"), SEARCH_RATE)
		response = http.get(
			f"{self.url}/api/method/prm_app.api.portal.search_products", params={"txt": "_PRM"}
		)
		self.assertEqual(response.status_code, 429, response.text[:300])
		self.assertIn("Too many searches", response.text)

	def test_a_returned_deal_is_edited_with_its_quantities_and_keeps_item_group_rows(self):
		http = self.session()
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_returned})
		self.assertEqual(page.status_code, 200, page.text[:300])
		self.assertRegex(page.text, r'<li class="prm-line" data-item="_PRM Software">[\s\S]*?value="4"')
		self.assertIn('id="product_groups"', page.text)
		self.assertIn("_PRM Hardware Group × 7", page.text)
		response = self.post(
			http,
			"prm_app.api.portal.update_deal",
			{
				"name": self.a_returned,
				"prospect_name": "Massive Dynamic",
				"website": "massive.example",
				"expected_amount": 5000,
				"expected_close_date": add_days(nowdate(), 30),
				"products": json.dumps([{"item_code": "_PRM Software", "qty": "6"}]),
			},
		)
		self.assertEqual(response.status_code, 200, response.text[:500])
		self.assertEqual(
			self.stored_lines(self.a_returned),
			[("_PRM Software", "_PRM Software Group", 6.0), (None, "_PRM Hardware Group", 7.0)],
		)
		comment = frappe.get_all(
			"Comment",
			filters={
				"reference_doctype": "Deal Registration",
				"reference_name": self.a_returned,
				"comment_type": "Edit",
			},
			pluck="content",
		)
		self.assertTrue(any("_PRM Software × 4" in c and "_PRM Software × 6" in c for c in comment), comment)
