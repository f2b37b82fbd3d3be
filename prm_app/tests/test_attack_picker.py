"""Attacks on the portal's product picker, the Commission Plan summary and the workspace's chart empty
states, as partner A over real HTTP (the portal's server in a thread): what held stays asserted, what
did not is fixed."""

import json

import frappe
from frappe.utils import add_days, nowdate

from prm_app.engine.deal_lines import MAX_LINES, MAX_QTY
from prm_app.tests.test_portal_isolation import A_NAME, A_USER, PortalFixtures
from prm_app.tests.utils import make_item

DISABLED = "_PRM Attack Picker Disabled"
SECRET_NAME = "Unreleased Widget Codename"  # the disabled item's name
MISSING = "_PRM Attack Picker No Such Item"
REFUSED = "is not a product you can register"


class TestAttackPicker(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_item(DISABLED, "_PRM Software Group")
		frappe.db.set_value("Item", DISABLED, {"disabled": 1, "item_name": SECRET_NAME})
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		frappe.cache.delete(frappe.cache.make_key(f"prm:search:{A_USER}"))
		super().tearDownClass()
		frappe.delete_doc("Item", DISABLED, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: remove the committed item

	def deals_of_a(self) -> int:
		frappe.db.rollback()
		return frappe.db.count("Deal Registration", {"partner": A_NAME})

	def rest_insert(self, http, products):
		return http.post(
			f"{self.url}/api/resource/Deal Registration",
			data=json.dumps(
				{
					"prospect_name": "Attack Picker Prospect",
					"expected_amount": 9000,
					"expected_close_date": str(add_days(nowdate(), 30)),
					"products": products,
				}
			),
			headers={"X-Frappe-CSRF-Token": http.csrf, "Content-Type": "application/json"},
		)

	def answer(self, response, item: str) -> str:
		messages = json.loads(response.json().get("_server_messages") or "[]")
		text = " ".join(json.loads(m)["message"] for m in messages) or response.json().get("exception", "")
		return text.replace(item, "ITEM")

	def test_rest_does_not_tell_a_missing_item_from_a_disabled_one(self):
		"""Before: REST answered "Row 1: item X does not exist." for a missing item and "X is not a
		product you can register." for a disabled one: an oracle of the vendor's item codes."""
		http = self.session()
		before = self.deals_of_a()
		answers = {}
		for item in (DISABLED, MISSING):
			response = self.rest_insert(http, [{"item_code": item, "qty": 1}])
			self.assertEqual(response.status_code, 417, (item, response.text[:300]))
			self.assertIn(REFUSED, response.text, item)
			answers[item] = self.answer(response, item)
		self.assertEqual(answers[DISABLED], answers[MISSING])
		self.assertEqual(self.deals_of_a(), before)

	def test_rest_holds_the_portals_limits_on_lines(self):
		"""Before: REST took any number of rows and the same product on many rows (51 lines, or 3 rows of
		one product at the maximum each: three times the maximum for one product)."""
		http = self.session()
		before = self.deals_of_a()
		many = [{"item_code": f"_PRM Attack Line {i}", "qty": 1} for i in range(MAX_LINES + 1)]
		rows = [{"item_code": "_PRM Software", "qty": 1} for _ in range(4 * MAX_LINES + 1)]
		for products in (many, rows):
			response = self.rest_insert(http, products)
			self.assertEqual(response.status_code, 417, response.text[:300])
			self.assertIn("At most 50 products in one registration.", response.text)
			self.assertNotIn(REFUSED, response.text)  # one message, not one per line
		twice = [{"item_code": "_PRM Software", "qty": int(MAX_QTY)} for _ in range(3)]
		response = self.rest_insert(http, twice)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn("The quantity of _PRM Software is too large", response.text)
		self.assertEqual(self.deals_of_a(), before)

	def test_odd_quantities_through_rest_are_refused_cleanly(self):
		http = self.session()
		before = self.deals_of_a()
		for qty in ("NaN", "Infinity", "-0", "1e309", {"a": 1}, [1]):
			response = self.rest_insert(http, [{"item_code": "_PRM Software", "qty": qty}])
			self.assertEqual(response.status_code, 417, (qty, response.text[:300]))
			self.assertIn("The quantity of _PRM Software", response.text, qty)
		self.assertEqual(self.deals_of_a(), before)

	# --- the Commission Plan summary ---------------------------------------------------------------------

	def test_a_partner_or_guest_gets_no_plan_summary(self):
		plan = frappe.get_all("Commission Plan", pluck="name", limit=1)
		doc = {"plan_name": "<b>x</b>", "name": plan[0] if plan else "Nope", "rules": []}
		for user in (A_USER, None):
			http = self.session(user)
			response = self.post(
				http, "prm_app.api.commission_plan.get_plan_summary", {"doc": json.dumps(doc)}
			)
			self.assertEqual(response.status_code, 403, response.text[:300])
			self.assertNotIn("prm-plan-summary", response.text)

	# --- the workspace's chart empty states --------------------------------------------------------------

	def test_a_partner_learns_nothing_from_the_chart_empty_states(self):
		for user in (A_USER, None):
			http = self.session(user)
			response = http.get(f"{self.url}/api/method/prm_app.api.workspace.get_chart_empty_states")
			if user:  # held: every chart is skipped for a partner (no Dashboard Chart of its to read)
				self.assertEqual(response.status_code, 200, response.text[:300])
				self.assertEqual(response.json()["message"], [])
			else:
				self.assertEqual(response.status_code, 403, response.text[:300])

	# --- the product search ------------------------------------------------------------------------------

	def test_frappe_apis_tell_a_partner_nothing_of_items_the_picker_hides(self):
		"""Before: frappe.desk.search.get_link_title answered a disabled item's name to partner A (and any
		record's title field: no permission check in v15 or v16)."""
		http = self.session()
		url = f"{self.url}/api/method"
		probes = {
			"rest list": http.get(
				f"{self.url}/api/resource/Item", params={"filters": json.dumps([["disabled", "=", 1]])}
			),
			"rest doc": http.get(f"{self.url}/api/resource/Item/{DISABLED}"),
			"get_value": http.get(
				f"{url}/frappe.client.get_value",
				params={"doctype": "Item", "filters": json.dumps({"name": DISABLED}), "fieldname": "item_name"},
			),
			"get_count": http.get(
				f"{url}/frappe.client.get_count",
				params={"doctype": "Item", "filters": json.dumps({"disabled": 1})},
			),
			"search_link": http.get(
				f"{url}/frappe.desk.search.search_link", params={"doctype": "Item", "txt": DISABLED}
			),
			"search_widget": http.get(
				f"{url}/frappe.desk.search.search_widget", params={"doctype": "Item", "txt": DISABLED}
			),
			"validate_link": http.get(
				f"{url}/frappe.client.validate_link",
				params={"doctype": "Item", "docname": DISABLED},
			),
			"get_link_title": http.get(
				f"{url}/frappe.desk.search.get_link_title",
				params={"doctype": "Item", "docname": DISABLED},
			),
			"reportview": http.get(
				f"{url}/frappe.desk.reportview.get_count",
				params={"doctype": "Item", "filters": json.dumps({"disabled": 1})},
			),
		}
		for name, response in probes.items():
			self.assertNotIn(SECRET_NAME, response.text, name)
		# a hidden item's title is its name as sent, as for a missing one
		for item in (DISABLED, MISSING):
			response = http.get(
				f"{url}/frappe.desk.search.get_link_title", params={"doctype": "Item", "docname": item}
			)
			self.assertEqual(response.status_code, 200, response.text[:300])
			self.assertEqual(response.json()["message"], item)
		# the partner's own deal: its title still shows
		response = http.get(
			f"{url}/frappe.desk.search.get_link_title",
			params={"doctype": "Deal Registration", "docname": self.a_deal},
		)
		self.assertEqual(response.status_code, 200, response.text[:300])

	def test_search_text_and_parameters_of_any_shape(self):
		http = self.session()

		def search(**params):
			return http.get(f"{self.url}/api/method/prm_app.api.portal.search_products", params=params)

		frappe.db.rollback()
		allowed = set(
			frappe.get_all("Item", filters={"disabled": 0, "is_sales_item": 1, "has_variants": 0}, pluck="name")
		)
		for txt in ("\\", "\\%", "\\'", "%%%", "_%_", "ÄÖ ü 漢字 🙂", "\x00", "a b c d e f g h", DISABLED.lower()):
			response = search(txt=txt)
			self.assertEqual(response.status_code, 200, (txt, response.text[:300]))
			for item in response.json()["message"]:
				self.assertIn(item["item_code"], allowed, txt)
		for limit in ("0", "-1", "21", "x", "1e3", "20.9"):
			response = search(txt="_PRM", limit=limit)
			self.assertIn(response.status_code, (200, 417), (limit, response.text[:300]))
			if response.status_code == 200:
				self.assertLessEqual(len(response.json()["message"]), 20, limit)
		# a start/page argument is not taken (no paging through the whole item list)
		response = search(txt="", start=20, limit_start=20, page_length=500)
		self.assertIn(response.status_code, (200, 417), response.text[:300])
		if response.status_code == 200:
			self.assertLessEqual(len(response.json()["message"]), 20)
		# the rate limit keys on the user: a forged client address does not reset it
		frappe.cache.set(frappe.cache.make_key(f"prm:search:{A_USER}"), 10**6, ex=60)
		response = http.get(
			f"{self.url}/api/method/prm_app.api.portal.search_products",
			params={"txt": "_PRM"},
			headers={"X-Forwarded-For": "10.9.8.7"},
		)
		frappe.cache.delete(frappe.cache.make_key(f"prm:search:{A_USER}"))
		self.assertEqual(response.status_code, 429, response.text[:300])

	def test_the_plan_summary_escapes_names_and_refuses_a_sales_user(self):
		from prm_app.api.commission_plan import get_plan_summary

		plan = frappe.get_all("Commission Plan", pluck="name", limit=1)[0]
		doc = frappe.get_doc("Commission Plan", plan).as_dict()
		doc.update(name="_PRM Attack No Such Plan", plan_name="{{ 7*7 }}<script>alert(1)</script>")
		for row in doc["rules"]:
			row["rule_name"] = '<img src=x onerror="alert(1)">{{ 6*7 }}'
		for row in doc.get("brackets") or []:
			row["rule_name"] = '<img src=x onerror="alert(1)">{{ 6*7 }}'
		html = get_plan_summary(frappe.as_json(doc))
		self.assertIn("prm-plan-summary", html)
		self.assertNotIn("<img", html)
		self.assertNotIn("<script", html)
		self.assertNotIn("42", html)  # names are data, never a template
		if doc["rules"]:
			self.assertIn("&lt;img src=x", html)
		# a desk user who may not read plans (Sales User) gets nothing, saved or unsaved
		user = "prm.attack.sales@example.com"
		if not frappe.db.exists("User", user):
			frappe.get_doc(
				{"doctype": "User", "email": user, "first_name": "Attack Sales", "send_welcome_email": 0}
			).insert(ignore_permissions=True)
			frappe.get_doc("User", user).add_roles("Sales User")
		frappe.set_user(user)
		try:
			for name in (plan, "_PRM Attack No Such Plan"):
				doc["name"] = name
				with self.assertRaises(frappe.PermissionError):
					get_plan_summary(frappe.as_json(doc))
		finally:
			frappe.set_user("Administrator")
			frappe.db.rollback()

	def test_chart_empty_states_speak_only_of_records_the_user_may_read(self):
		"""Held: a desk user with no role gets no chart's state (not even 'no commissions yet', which would
		tell there are none); a Sales User only states of charts whose records it may read."""
		from prm_app.api.workspace import empty_states, get_chart_empty_states

		known = empty_states()
		for user, role in (("prm.attack.norole@example.com", None), ("prm.attack.sales@example.com", "Sales User")):
			if not frappe.db.exists("User", user):
				frappe.get_doc(
					{"doctype": "User", "email": user, "first_name": "Attack", "send_welcome_email": 0}
				).insert(ignore_permissions=True)
				if role:
					frappe.get_doc("User", user).add_roles(role)
			frappe.set_user(user)
			try:
				states = get_chart_empty_states()
				if not role:
					self.assertEqual(states, [])
				for state in states:
					chart = frappe.get_cached_doc("Dashboard Chart", state["chart"])
					source = (known[state["chart"]]["source"] or (chart.document_type,))[0]
					self.assertTrue(frappe.has_permission(source, "read"), state["chart"])
			finally:
				frappe.set_user("Administrator")
		frappe.db.rollback()

	def test_a_partner_registers_no_item_group_and_no_group_of_its_choice(self):
		"""Before: through REST partner A registered the group "All Item Groups" (the portal offers items
		only): a group row overlaps every product in it, so A's deal collided with any other partner's
		deal for that prospect; and an item row kept the group A sent ("_PRM Hardware Group" for software)."""
		http = self.session()
		before = self.deals_of_a()
		response = self.rest_insert(
			http, [{"item_code": "_PRM Software", "qty": 1}, {"item_group": "All Item Groups", "qty": 1}]
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertIn(f"All Item Groups {REFUSED}", response.text)
		self.assertEqual(self.deals_of_a(), before)
		response = self.rest_insert(
			http, [{"item_code": "_PRM Software", "item_group": "_PRM Hardware Group", "qty": 1}]
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value(
				"Deal Registration Product", {"parent": response.json()["data"]["name"]}, "item_group"
			),
			"_PRM Software Group",
		)

	def test_an_amount_that_is_no_number_is_refused_cleanly(self):
		"""Before: an expected amount of "NaN" passed every comparison and reached the database (a 500)."""
		http = self.session()
		before = self.deals_of_a()
		for amount in ("NaN", "nan", "Infinity"):
			response = self.post(
				http,
				"prm_app.api.portal.register_deal",
				{
					"prospect_name": "Attack Amount Prospect",
					"expected_amount": amount,
					"expected_close_date": str(add_days(nowdate(), 30)),
					"products": json.dumps([{"item_code": "_PRM Software", "qty": 1}]),
				},
			)
			self.assertEqual(response.status_code, 417, (amount, response.text[:300]))
			self.assertIn("expected amount", response.text.lower(), amount)
			response = http.post(
				f"{self.url}/api/resource/Deal Registration",
				data=json.dumps(
					{
						"prospect_name": "Attack Amount Prospect",
						"expected_amount": amount,
						"expected_close_date": str(add_days(nowdate(), 30)),
						"products": [{"item_code": "_PRM Software", "qty": 1}],
					}
				),
				headers={"X-Frappe-CSRF-Token": http.csrf, "Content-Type": "application/json"},
			)
			self.assertEqual(response.status_code, 417, (amount, response.text[:300]))
		self.assertEqual(self.deals_of_a(), before)

	def test_deeply_nested_products_are_refused_cleanly(self):
		"""Before: products of 100,000 nested lists made json.loads raise RecursionError (a 500)."""
		http = self.session()
		before = self.deals_of_a()
		response = self.post(
			http,
			"prm_app.api.portal.register_deal",
			{
				"prospect_name": "Attack Nested Prospect",
				"expected_amount": 9000,
				"expected_close_date": str(add_days(nowdate(), 30)),
				"products": "[" * 100000 + "]" * 100000,
			},
		)
		self.assertEqual(response.status_code, 417, response.text[:300])
		self.assertEqual(self.deals_of_a(), before)
