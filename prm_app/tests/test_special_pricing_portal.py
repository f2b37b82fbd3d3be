"""Special pricing on the partner portal over real HTTP (issue 15): partner A requests a special price on its
approved deal and withdraws it; every attempt of A on B's request (read, list, write, withdraw through the
portal endpoint and run_doc_method, a request on B's deal, B's deal page) is refused and B's request does
not change."""

from __future__ import annotations

import json

import frappe
from frappe.utils import add_days, nowdate

from prm_app.tests.test_portal_isolation import A_NAME, B_PRIVATE, PortalFixtures
from prm_app.tests.utils import CUSTOMER, approve_registration_for_test

DOCTYPE = "Special Price Request"
REQUEST = "prm_app.channel_funds.special_pricing_portal.request_special_price"
WITHDRAW = "prm_app.channel_funds.special_pricing_portal.withdraw_special_price"


class TestSpecialPricingPortal(PortalFixtures):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.a_priced_deal = cls.track(cls.registration(cls.a, "Umbrella Pricing", "umbrella-pricing.example"))
		approve_registration_for_test(cls.a_priced_deal, CUSTOMER)
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see the fixtures

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		for name in frappe.get_all(DOCTYPE, {"partner": A_NAME}, pluck="name"):
			frappe.delete_doc(DOCTYPE, name, force=True, ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: undo what the HTTP requests committed
		super().tearDownClass()

	def stored(self, name: str) -> str:
		frappe.db.rollback()
		frappe.clear_document_cache(DOCTYPE, name)
		return frappe.as_json(frappe.get_doc(DOCTYPE, name).as_dict())

	def request_price(self, http, deal: str, **row):
		return self.post(
			http,
			REQUEST,
			{
				"deal": deal,
				"items": json.dumps(
					[{"item_code": "_PRM Software", "qty": 2, **(row or {"requested_price": 950})}]
				),
				"competitor": "Initrode",
				"justification": "Competitive bid",
				"valid_upto": add_days(nowdate(), 30),
			},
		)

	def test_partner_requests_and_withdraws_on_its_approved_deal(self):
		http = self.session()
		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_priced_deal})
		self.assertEqual(page.status_code, 200)
		self.assertIn('id="prm-special-price"', page.text)

		response = self.request_price(http, self.a_priced_deal, requested_discount=7.5)
		self.assertEqual(response.status_code, 200, response.text[:500])
		name = response.json()["message"]["name"]
		self.assertEqual(response.json()["message"]["status"], "Pending Approval")
		frappe.db.rollback()
		doc = frappe.get_doc(DOCTYPE, name)
		self.assertEqual((doc.partner, doc.customer), (A_NAME, CUSTOMER))
		self.assertEqual(doc.items[0].requested_price, 925)  # 7.5 % off the list price of 1,000

		page = http.get(f"{self.url}/partner/deal", params={"name": self.a_priced_deal})
		self.assertIn(name, page.text)
		self.assertIn("Pending Approval", page.text)

		# the partner cannot edit it once submitted, nor approve it
		put = http.put(
			f"{self.url}/api/resource/{DOCTYPE}/{name}",
			json={"status": "Approved"},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assert_refused(put)
		self.assertEqual(frappe.db.get_value(DOCTYPE, name, "status"), "Pending Approval")

		withdrawn = self.post(http, WITHDRAW, {"name": name})
		self.assertEqual(withdrawn.status_code, 200, withdrawn.text[:500])
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value(DOCTYPE, name, "status"), "Withdrawn")

	def test_draft_deal_and_bad_prices_are_refused(self):
		http = self.session()
		self.assertEqual(self.request_price(http, self.a_deal).status_code, 417)  # a draft registration
		above = self.request_price(http, self.a_priced_deal, requested_price=1200)
		self.assertEqual(above.status_code, 417)
		self.assertIn("above the list price", above.text)

	def test_partner_a_against_b_requests(self):
		http = self.session()
		name = self.b_special_price
		before = self.stored(name)
		self.assert_refused(http.get(f"{self.url}/api/resource/{DOCTYPE}/{name}"))
		listed = http.get(
			f"{self.url}/api/resource/{DOCTYPE}",
			params={"fields": json.dumps(["name"]), "limit_page_length": 0},
		)
		self.assert_refused_or_empty(listed, name)
		self.assert_refused(
			http.put(
				f"{self.url}/api/resource/{DOCTYPE}/{name}",
				json={"justification": "changed by A", "partner": A_NAME},
				headers={"X-Frappe-CSRF-Token": http.csrf},
			)
		)
		self.assert_refused(self.post(http, WITHDRAW, {"name": name}))
		self.assert_refused(
			self.post(
				http,
				"run_doc_method",
				{
					"docs": json.dumps(
						{
							**frappe.get_doc(DOCTYPE, name).as_dict(convert_dates_to_str=True),
							"partner": A_NAME,
						}
					),
					"method": "withdraw",
				},
			)
		)
		# Frappe's Workflow Action rows name the request for the roles that may act on it (Partner among
		# them): a partner user (no desk) cannot list them
		self.assertTrue(frappe.db.exists("Workflow Action", {"reference_name": name}))
		actions = http.get(
			f"{self.url}/api/resource/Workflow Action",
			params={"fields": json.dumps(["name", "reference_name"]), "limit_page_length": 0},
		)
		self.assert_refused_or_empty(actions, name)
		self.assert_refused(self.request_price(http, self.b_priced_deal))
		deal_page = http.get(f"{self.url}/partner/deal", params={"name": self.b_priced_deal})
		self.assertNotEqual(deal_page.status_code, 200)
		for secret in (name, *B_PRIVATE):
			self.assertNotIn(secret, deal_page.text)
		self.assertEqual(self.stored(name), before)
