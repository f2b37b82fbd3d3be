"""A Partner Manager's decision on a partner application (issue 12, item 4): approve with a tier, a plan
and the applicant's portal role; reject with a reason; anyone else is refused and changes nothing."""

import frappe

from prm_app.api.applications import approve, reject
from prm_app.tests import CompanyTestCase
from prm_app.tests.utils import COMPANY, make_partner, make_plan, make_tier, make_user

MANAGER = "prm.applications.manager@example.com"
SALES_USER = "prm.applications.sales@example.com"


def make_applicant(name: str, email: str) -> str:
	"""What the portal's public application makes: a Partner (Applicant) and its contact."""
	frappe.get_doc(
		{"doctype": "Partner", "partner_name": name, "status": "Applicant", "company": COMPANY}
	).insert(ignore_permissions=True)
	frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": "Ada",
			"last_name": "Applicant",
			"email_ids": [{"email_id": email, "is_primary": 1}],
			"links": [{"link_doctype": "Partner", "link_name": name}],
		}
	).insert(ignore_permissions=True)
	return name


class TestApplications(CompanyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_user(MANAGER, ["Partner Manager"])
		make_user(SALES_USER, ["Sales User"])  # reads partners, decides nothing
		frappe.db.commit()  # nosemgrep: shared fixtures

	def setUp(self):
		self.plan = make_plan(
			"_PRM Application Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 7}]
		)
		self.tier = make_tier("_PRM Application Tier", 9501)
		self.partner = make_applicant("_PRM Applicant Ltd", "ada@applicant.example")

	def test_approve_with_tier_plan_and_portal_role(self):
		frappe.set_user(MANAGER)
		result = approve(self.partner, tier=self.tier, commission_plan=self.plan, portal_role="Sales")
		frappe.set_user("Administrator")
		partner = frappe.get_doc("Partner", self.partner)
		self.assertEqual(
			(partner.status, partner.tier, partner.commission_plan), ("Active", self.tier, self.plan)
		)
		self.assertTrue(partner.sales_partner and partner.supplier)
		self.assertEqual(result["user"], "ada@applicant.example")
		self.assertEqual(
			[(r.user, r.partner_role) for r in partner.users], [("ada@applicant.example", "Sales")]
		)
		self.assertIn("Partner", frappe.get_roles("ada@applicant.example"))

	def test_approve_keeps_what_the_form_saved_first(self):
		# the dialog saves the form before it calls approve: a tier set on the form is stored
		frappe.db.set_value("Partner", self.partner, "tier", self.tier)
		frappe.set_user(MANAGER)
		approve(self.partner)
		self.assertEqual(
			frappe.db.get_value("Partner", self.partner, ["status", "tier"]), ("Active", self.tier)
		)

	def test_reject_stores_the_reason_and_creates_nothing(self):
		frappe.set_user(MANAGER)
		self.assertRaises(frappe.ValidationError, reject, self.partner, "  ")
		reject(self.partner, "Outside our territories")
		partner = frappe.get_doc("Partner", self.partner)
		self.assertEqual((partner.status, partner.rejection_reason), ("Rejected", "Outside our territories"))
		self.assertFalse(partner.sales_partner or partner.supplier or partner.users)
		self.assertFalse(frappe.db.exists("User", "ada@applicant.example"))
		self.assertTrue(
			frappe.db.exists(
				"Comment",
				{
					"reference_doctype": "Partner",
					"reference_name": self.partner,
					"content": ("like", "%Outside our%"),
				},
			)
		)
		# decided: neither approve nor reject applies any more
		self.assertRaises(frappe.ValidationError, approve, self.partner)
		self.assertRaises(frappe.ValidationError, reject, self.partner, "again")

	def test_only_a_manager_decides(self):
		frappe.set_user(SALES_USER)
		self.assertRaises(frappe.PermissionError, approve, self.partner, tier=self.tier)
		self.assertRaises(frappe.PermissionError, reject, self.partner, "no")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Partner", self.partner, "status"), "Applicant")

	def test_approve_refuses_an_unknown_portal_role_or_plan(self):
		frappe.set_user(MANAGER)
		self.assertRaises(frappe.ValidationError, approve, self.partner, portal_role="Owner")
		self.assertRaises(frappe.ValidationError, approve, self.partner, commission_plan="_PRM No Such Plan")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Partner", self.partner, "status"), "Applicant")

	def test_a_manager_invites_the_partners_users_who_never_logged_in(self):
		new, old = "prm.invite.new@example.com", "prm.invite.old@example.com"
		for user in (new, old):
			make_user(user, ["Partner"])
		frappe.db.set_value("User", old, "last_login", frappe.utils.now_datetime())
		partner = make_partner("_PRM Invite Partner")
		partner.append("users", {"user": new, "partner_role": "Sales"})
		partner.append("users", {"user": old, "partner_role": "Admin"})
		partner.save(ignore_permissions=True)  # as a manager adds them in the desk; the form then offers this

		frappe.set_user(SALES_USER)
		self.assertRaises(frappe.PermissionError, partner.send_portal_invitations)
		frappe.set_user(MANAGER)
		self.assertEqual(partner.send_portal_invitations(), [new])
		frappe.set_user("Administrator")
		self.assertTrue(frappe.db.exists("Email Queue Recipient", {"recipient": new}))
		self.assertFalse(frappe.db.exists("Email Queue Recipient", {"recipient": old}))

	def test_the_approving_manager_becomes_the_partners_channel_manager(self):
		"""The partner's contact on its portal: the manager who approved it; a Partner Manager making a
		partner in the desk is its manager unless another is chosen; only a Partner Manager can be one."""
		from prm_app import portal

		frappe.set_user(MANAGER)
		approve(self.partner, tier=self.tier)
		self.assertEqual(frappe.db.get_value("Partner", self.partner, "channel_manager"), MANAGER)
		made = make_partner("_PRM Managed In Desk")
		self.assertEqual(made.channel_manager, MANAGER)
		frappe.set_user("Administrator")
		self.assertEqual(portal.channel_manager(MANAGER).email, MANAGER)
		made.channel_manager = SALES_USER
		with self.assertRaises(frappe.ValidationError):
			made.save()
		self.assertIsNone(make_partner("_PRM Made By Administrator").channel_manager)

	def test_channel_manager_choices_are_partner_managers(self):
		from prm_app.prm_app.doctype.partner.partner import channel_manager_query

		frappe.set_user(MANAGER)
		found = [row[0] for row in channel_manager_query("User", "prm.applications", "name", 0, 20, {})]
		self.assertIn(MANAGER, found)
		self.assertNotIn(SALES_USER, found)
		frappe.set_user(SALES_USER)
		with self.assertRaises(frappe.PermissionError):
			channel_manager_query("User", "", "name", 0, 20, {})
