"""/partner/funds over real HTTP: partner A's Finance/Admin user sees its own balance, requests and
claims, requests and claims with proof; B's funds, requests, claims and proof files are refused; a Sales
user of A does not reach the funds at all."""

import frappe
from frappe.utils import add_days, nowdate

from prm_app.channel_funds import funds
from prm_app.tests.funds_utils import remove_partner_fund_records
from prm_app.tests.test_portal_isolation import A_NAME, A_SALES, PortalFixtures, small_pdf

CREATE_REQUEST = "prm_app.channel_funds.portal_api.create_request"
CREATE_CLAIM = "prm_app.channel_funds.portal_api.create_claim"
RESUBMIT = "prm_app.channel_funds.portal_api.resubmit_request"


class PortalFundsFixtures(PortalFixtures):
	"""The portal fixtures with an allocation of 4,000.00 to partner A on B's fund."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.fund = frappe.db.get_value("Fund Allocation", cls.b_funds["Fund Allocation"], "fund")
		allocation = frappe.get_doc("Fund Allocation", funds.allocation_of(cls.fund, A_NAME, create=True))
		allocation.base_amount = 4000
		allocation.save(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the HTTP server's own connection must see A's allocation

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		remove_partner_fund_records(A_NAME)
		frappe.db.commit()  # nosemgrep: undo what the tests committed through the server
		super().tearDownClass()


class TestPortalFunds(PortalFundsFixtures):
	def request_args(self, **values):
		return {
			"fund": self.fund,
			"activity_type": "Webinar",
			"activity_title": "A's partner webinar",
			"start_date": add_days(nowdate(), -3),
			"end_date": nowdate(),
			"description": "Webinar for 100 customers",
			"estimated_cost": 3000,
			"requested_amount": 1500,
			"expected_leads": 30,
			**values,
		}

	def test_page_shows_own_balance_only(self):
		page = self.session().get(f"{self.url}/partner/funds")
		self.assertEqual(page.status_code, 200)
		self.assertIn("prm-fund-balances", page.text)
		self.assertIn("4,000.00", page.text)  # A's allocation
		for secret in (self.b_funds["Fund Request"], self.b_funds["Fund Claim"], "secret webinar"):
			self.assertNotIn(secret, page.text)

	def test_sales_role_does_not_reach_funds(self):
		http = self.session(A_SALES)
		self.assert_refused(http.get(f"{self.url}/partner/funds"))
		self.assert_refused(self.post(http, CREATE_REQUEST, self.request_args()))
		allocation = frappe.db.get_value("Fund Allocation", {"fund": self.fund, "partner": A_NAME})
		self.assert_refused_or_empty(
			http.get(f"{self.url}/api/resource/Fund Allocation/{allocation}"), allocation
		)

	def test_request_and_claim_with_proof(self):
		http = self.session()
		response = self.post(http, CREATE_REQUEST, self.request_args())
		self.assertEqual(response.status_code, 200, response.text[:300])
		name = response.json()["message"]["name"]
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Fund Request", name, ["partner", "status"]), (A_NAME, "Submitted")
		)
		frappe.set_user("Administrator")
		funds.approve_request(name)
		frappe.db.commit()  # nosemgrep: the server must see the approval
		claim = self.post(
			http,
			CREATE_CLAIM,
			{"fund_request": name, "actual_cost": 2800, "claimed_amount": 1400},
			files={
				"invoice": ("venue.pdf", small_pdf()),
				"lead_list": ("leads.csv", b"email,first name\nzoe@umbrella.example,Zoe\n"),
			},
		)
		self.assertEqual(claim.status_code, 200, claim.text[:300])
		frappe.db.rollback()
		doc = frappe.get_doc("Fund Claim", claim.json()["message"]["name"])
		self.assertEqual((doc.partner, doc.status, doc.claimed_amount), (A_NAME, "Pending approval", 1400))
		self.assertEqual(sorted(p.proof_type for p in doc.proofs), ["Invoice", "Lead list (CSV)"])
		self.assertTrue(all(p.file.startswith("/private/files/") for p in doc.proofs))
		# a second claim on the same request: refused with a message
		again = self.post(
			http,
			CREATE_CLAIM,
			{"fund_request": name, "actual_cost": 2000, "claimed_amount": 1400},
			files={"invoice": ("venue.pdf", small_pdf())},
		)
		self.assertEqual(again.status_code, 417)

	def test_claim_without_invoice_refused(self):
		http = self.session()
		name = self.post(http, CREATE_REQUEST, self.request_args(activity_title="Content")).json()["message"][
			"name"
		]
		frappe.db.rollback()
		frappe.set_user("Administrator")
		funds.approve_request(name)
		frappe.db.commit()  # nosemgrep: the server must see the approval
		response = self.post(
			http, CREATE_CLAIM, {"fund_request": name, "actual_cost": 100, "claimed_amount": 50}
		)
		self.assertEqual(response.status_code, 417)
		self.assertIn("proof of performance", response.text)

	def test_b_requests_claims_and_files_refused(self):
		http = self.session()
		b_request, b_claim = self.b_funds["Fund Request"], self.b_funds["Fund Claim"]
		before = frappe.db.count("Fund Claim", {"fund_request": b_request})
		self.assert_refused(
			self.post(
				http,
				CREATE_CLAIM,
				{"fund_request": b_request, "actual_cost": 100, "claimed_amount": 50},
				files={"invoice": ("x.pdf", small_pdf())},
			)
		)
		self.assert_refused(self.post(http, RESUBMIT, {"name": b_request}))
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Fund Claim", {"fund_request": b_request}), before)
		for doctype, name in (("Fund Request", b_request), ("Fund Claim", b_claim)):
			self.assert_refused(http.get(f"{self.url}/api/resource/{doctype}/{name}"))
		for proof in frappe.get_all("Fund Claim Proof", filters={"parent": b_claim}, pluck="file"):
			self.assert_refused(http.get(self.url + proof))
		# a request on a fund A has no allocation on is refused as not found
		other = frappe.get_doc(
			{
				"doctype": "Fund",
				"fund_name": "_PRM Portal Other Fund",
				"company": frappe.db.get_value("Fund", self.fund, "company"),
				"from_date": nowdate(),
				"to_date": nowdate(),
				"total_amount": 1,
				"expense_account": frappe.db.get_value("Fund", self.fund, "expense_account"),
				"cost_center": frappe.db.get_value("Fund", self.fund, "cost_center"),
				"status": "Active",
			}
		).insert(ignore_permissions=True)
		frappe.db.commit()  # nosemgrep: the server must see the fund
		try:
			self.assert_refused(self.post(http, CREATE_REQUEST, self.request_args(fund=other.name)))
		finally:
			frappe.delete_doc("Fund", other.name, force=True, ignore_permissions=True)
			frappe.db.commit()  # nosemgrep: undo the committed fund

	def test_manager_actions_and_direct_writes_refused(self):
		http = self.session()
		b_request, b_claim = self.b_funds["Fund Request"], self.b_funds["Fund Claim"]
		own = self.post(http, CREATE_REQUEST, self.request_args(activity_title="Trade show")).json()[
			"message"
		]
		for method, args in (
			("prm_app.channel_funds.funds.approve_request", {"name": own["name"]}),
			("prm_app.channel_funds.funds.approve_request", {"name": b_request}),
			("prm_app.channel_funds.funds.reject_request", {"name": b_request, "reason": "x"}),
			("prm_app.channel_funds.funds.return_request", {"name": own["name"], "information": "x"}),
			(
				"prm_app.channel_funds.funds.adjust_allocation",
				{"fund": self.fund, "partner": A_NAME, "amount": 9999, "reason": "x"},
			),
			("prm_app.channel_funds.funds.preview_allocation", {"fund": self.fund}),
			("prm_app.channel_funds.funds.apply_allocation", {"fund": self.fund}),
			("prm_app.channel_funds.claims.reject_claim", {"name": b_claim, "reason": "x"}),
			(
				"prm_app.channel_funds.report.open_fund_commitments.open_fund_commitments.make_accrual",
				{"company": "x", "period_end": nowdate(), "accrual_account": "x"},
			),
		):
			with self.subTest(method=method, args=args):
				self.assert_refused(self.post(http, method, args))
		# no REST writes: a request made, or an own request approved, through the resource API is refused
		created = http.post(
			f"{self.url}/api/resource/Fund Request",
			json=self.request_args(partner=A_NAME, status="Approved", approved_amount=1500),
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assert_refused(created)
		changed = http.put(
			f"{self.url}/api/resource/Fund Request/{own['name']}",
			json={"status": "Approved", "approved_amount": 1500},
			headers={"X-Frappe-CSRF-Token": http.csrf},
		)
		self.assert_refused(changed)
		frappe.db.rollback()
		self.assertEqual(
			frappe.db.get_value("Fund Request", own["name"], ["status", "approved_amount"]), ("Submitted", 0)
		)
		self.assertEqual(frappe.db.get_value("Fund Request", b_request, "status"), "Partially approved")
		self.assertEqual(frappe.db.get_value("Fund Claim", b_claim, "status"), "Pending approval")

	def test_partner_text_is_sanitised_for_staff(self):
		http = self.session()
		payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>Launch'
		response = self.post(
			http, CREATE_REQUEST, self.request_args(activity_title=payload, description=payload)
		)
		self.assertEqual(response.status_code, 200, response.text[:300])
		frappe.db.rollback()
		stored = frappe.db.get_value(
			"Fund Request", response.json()["message"]["name"], ["activity_title", "description"]
		)
		for value in stored:
			self.assertNotIn("<script", value)
			self.assertNotIn("onerror", value)
			self.assertIn("Launch", value)
