"""Notifications both ways (issue 12): Partner Managers get an email and a bell notification for a new
application and a submitted deal registration; a partner's users whose portal role sees the record get an
email for decisions on their registrations, commission earned and a payout paid; another partner's users,
and the partner's users whose role does not see it, get nothing."""

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, nowdate

from prm_app.notifications import NOTIFICATIONS, make_notifications
from prm_app.tests import CompanyTestCase
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_invoice,
	make_partner,
	make_plan,
	make_registration,
	make_user,
)

MANAGER = "prm.notify.manager@example.com"
A_ADMIN, A_SALES, A_FINANCE = (f"prm.notify.a-{r}@example.com" for r in ("admin", "sales", "finance"))
B_ADMIN = "prm.notify.b-admin@example.com"
PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}


def queued_to(doctype: str, name: str) -> set[str]:
	queues = frappe.get_all(
		"Email Queue", {"reference_doctype": doctype, "reference_name": name}, pluck="name"
	)
	return set(frappe.get_all("Email Queue Recipient", {"parent": ("in", queues or [""])}, pluck="recipient"))


def bell_of(doctype: str, name: str) -> set[str]:
	return set(
		frappe.get_all(
			"Notification Log", {"document_type": doctype, "document_name": name}, pluck="for_user"
		)
	)


def partner_with_users(name: str, users: dict[str, str]):
	partner = (
		frappe.get_doc("Partner", name)
		if frappe.db.exists("Partner", name)
		else make_partner(
			name,
			plan=make_plan(f"{name} Plan", [{"rule_name": "All", "rate_type": "Percentage", "rate": 10}]),
		)
	)
	for user, role in users.items():
		make_user(user, ["Partner"])
		if not any(row.user == user for row in partner.users):
			partner.append("users", {"user": user, "partner_role": role})
	partner.save(ignore_permissions=True)
	return partner


class TestNotifications(CompanyTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_notifications()  # what install and migrate do
		make_user(MANAGER, ["Partner Manager"])
		cls.a = partner_with_users(
			"_PRM Notify Partner A", {A_ADMIN: "Admin", A_SALES: "Sales", A_FINANCE: "Finance"}
		)
		cls.b = partner_with_users("_PRM Notify Partner B", {B_ADMIN: "Admin"})
		frappe.db.commit()  # nosemgrep: shared fixtures

	def test_records_are_editable_ones_made_once(self):
		for values in NOTIFICATIONS:
			doc = frappe.get_doc("Notification", values["name"])
			self.assertEqual((doc.is_standard, doc.enabled, doc.channel), (0, 1, "Email"), doc.name)
		frappe.db.set_value("Notification", "PRM Commission Earned", "enabled", 0)  # the customer's choice
		frappe.delete_doc("Notification", "PRM Payout Paid", ignore_permissions=True)
		make_notifications()
		self.assertEqual(frappe.db.get_value("Notification", "PRM Commission Earned", "enabled"), 0)
		self.assertFalse(frappe.db.exists("Notification", "PRM Payout Paid"))

	def test_uninstall_removes_the_notifications_and_the_checklist_block(self):
		from prm_app.api.setup import CHECKLIST_BLOCK, make_checklist_block
		from prm_app.install import remove_desk_records

		make_checklist_block()
		remove_desk_records()
		for values in NOTIFICATIONS:
			self.assertFalse(frappe.db.exists("Notification", values["name"]))
		self.assertFalse(frappe.db.exists("Custom HTML Block", CHECKLIST_BLOCK))

	def test_managers_hear_of_a_new_application(self):
		applicant = frappe.get_doc(
			{
				"doctype": "Partner",
				"partner_name": "_PRM Notify Applicant",
				"status": "Applicant",
				"company": COMPANY,
			}
		).insert(ignore_permissions=True)
		self.assertIn(MANAGER, queued_to("Partner", applicant.name))
		self.assertIn(MANAGER, bell_of("Partner", applicant.name))
		self.assertFalse({A_ADMIN, B_ADMIN} & queued_to("Partner", applicant.name))

	def test_managers_hear_of_a_submitted_registration_and_its_partner_of_the_decision(self):
		registration = make_registration(
			self.a, prospect_name="Notify Prospect Inc", website="notify.example"
		)
		registration.submit_registration()
		self.assertIn(MANAGER, queued_to("Deal Registration", registration.name))
		self.assertIn(MANAGER, bell_of("Deal Registration", registration.name))
		self.assertFalse({A_ADMIN, A_SALES} & queued_to("Deal Registration", registration.name))

		frappe.set_user(MANAGER)
		registration.reload()
		registration.return_for_information("Which products exactly?")
		frappe.set_user("Administrator")
		recipients = queued_to("Deal Registration", registration.name)
		self.assertEqual(recipients & {A_ADMIN, A_SALES, A_FINANCE, B_ADMIN}, {A_ADMIN, A_SALES})

	def test_a_rejection_reaches_only_its_partners_deal_users(self):
		registration = make_registration(
			self.b, prospect_name="Notify Other Prospect", website="notify-b.example"
		)
		registration.submit_registration()
		registration.reject("Existing customer")
		recipients = queued_to("Deal Registration", registration.name)
		self.assertIn(B_ADMIN, recipients)
		self.assertFalse({A_ADMIN, A_SALES, A_FINANCE} & recipients)

	@change_settings("PRM Settings", PAY_NOW)
	def test_commission_earned_and_payout_paid_reach_the_partners_finance_users(self):
		make_invoice(self.a, [("_PRM Software", 1, 1000)])
		commission = frappe.db.get_value(
			"Partner Commission", {"partner": self.a.name, "docstatus": 1}, "name", order_by="creation desc"
		)
		self.assertEqual(
			queued_to("Partner Commission", commission) & {A_ADMIN, A_SALES, A_FINANCE, B_ADMIN},
			{A_ADMIN, A_FINANCE},
		)
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		payout = frappe.get_doc(
			{
				"doctype": "Partner Payout",
				"partner": self.a.name,
				"company": COMPANY,
				"from_date": add_days(nowdate(), -60),
				"to_date": nowdate(),
				"posting_date": nowdate(),
			}
		).insert()
		payout.submit()
		self.assertEqual(frappe.db.get_value("Partner Payout", payout.name, "status"), "Paid")
		self.assertEqual(
			queued_to("Partner Payout", payout.name) & {A_ADMIN, A_SALES, A_FINANCE, B_ADMIN},
			{A_ADMIN, A_FINANCE},
		)
