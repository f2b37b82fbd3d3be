"""Notifications both ways (issue 12): Partner Managers get an email and a bell notification for a new
application and a submitted deal registration; a partner's users whose portal role sees the record get an
email for decisions on their registrations, commission earned and a payout paid; another partner's users,
and the partner's users whose role does not see it, get nothing."""

import email
from email.header import decode_header, make_header

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
MANAGER_DE = "prm.notify.manager-de@example.com"
PAY_NOW = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}


def queued_to(doctype: str, name: str) -> set[str]:
	queues = frappe.get_all(
		"Email Queue", {"reference_doctype": doctype, "reference_name": name}, pluck="name"
	)
	return set(frappe.get_all("Email Queue Recipient", {"parent": ("in", queues or [""])}, pluck="recipient"))


def mails_of(doctype: str, name: str) -> dict[str, tuple[str, str]]:
	"""{recipient: (subject, html)} of the emails queued for a document, decoded as they are sent."""
	mails = {}
	for queue in frappe.get_all(
		"Email Queue", {"reference_doctype": doctype, "reference_name": name}, ["name", "message"]
	):
		mime = email.message_from_string(queue.message)
		subject = str(make_header(decode_header(mime["Subject"])))
		html = "".join(
			part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
			for part in mime.walk()
			if part.get_content_type() == "text/html"
		)
		for recipient in frappe.get_all("Email Queue Recipient", {"parent": queue.name}, pluck="recipient"):
			mails[recipient] = (subject, html)
	return mails


def communication_to(doctype: str, name: str, address: str) -> tuple[str, str]:
	for row in frappe.get_all(
		"Communication",
		{"reference_doctype": doctype, "reference_name": name},
		["subject", "content", "recipients", "cc"],
	):
		if address in f"{row.recipients},{row.cc}":
			return row.subject, row.content
	return "", ""


def bells_of(doctype: str, name: str) -> dict[str, str]:
	return {
		row.for_user: f"{row.subject} {row.email_content}"
		for row in frappe.get_all(
			"Notification Log",
			{"document_type": doctype, "document_name": name},
			["for_user", "subject", "email_content"],
		)
	}


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
		make_user(MANAGER_DE, ["Partner Manager"])
		for user, language in ((MANAGER_DE, "de"), (A_ADMIN, "de"), (MANAGER, "en"), (A_SALES, "en")):
			frappe.db.set_value("User", user, "language", language)
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

	def test_each_recipient_reads_in_their_language_in_the_same_run(self):
		"""One notification, one render per recipient language: German users read German, English users
		English, whoever triggered it (the partner submits from a German session, the manager decides from
		an English one)."""
		registration = make_registration(
			self.a, prospect_name="Sprach Prospect GmbH", website="sprach.example"
		)
		previous = frappe.local.lang
		try:
			frappe.local.lang = "de"  # the German partner user's request
			registration.submit_registration()
			frappe.local.lang = "en"  # the English manager's request
			frappe.set_user(MANAGER)
			registration.reload()
			registration.return_for_information("Welche Produkte genau?")
		finally:
			frappe.set_user("Administrator")
			frappe.local.lang = previous
		doctype, name = "Deal Registration", registration.name

		bells = bells_of(doctype, name)
		self.assertIn(f"Deal registration {name} submitted by", bells[MANAGER])
		self.assertIn("Review the registration", bells[MANAGER])
		self.assertIn(f"Deal-Registrierung {name} eingereicht von", bells[MANAGER_DE])
		self.assertIn("Registrierung prüfen", bells[MANAGER_DE])

		mails = mails_of(doctype, name)
		self.assertTrue(
			mails[MANAGER][0].startswith(f"Deal registration {name} submitted by"), mails[MANAGER]
		)
		self.assertTrue(
			mails[MANAGER_DE][0].startswith(f"Deal-Registrierung {name} eingereicht"), mails[MANAGER_DE]
		)

		german_subject = f"Deal-Registrierung {name} (Sprach Prospect GmbH): Zur Information zurückgegeben"
		english_subject = f"Deal registration {name} (Sprach Prospect GmbH): Returned for information"
		self.assertEqual(mails[A_ADMIN][0], german_subject)
		self.assertIn("Ihre Deal-Registrierung", mails[A_ADMIN][1])
		self.assertIn("Im Portal öffnen", mails[A_ADMIN][1])
		self.assertNotIn("Your deal registration", mails[A_ADMIN][1])
		self.assertEqual(mails[A_SALES][0], english_subject)
		self.assertIn("Your deal registration", mails[A_SALES][1])
		self.assertIn("<b>Returned for information</b>", mails[A_SALES][1])
		self.assertNotIn("Ihre", mails[A_SALES][1])

		subject, content = communication_to(doctype, name, A_ADMIN)
		self.assertEqual(subject, german_subject)
		self.assertIn("<b>Zur Information zurückgegeben</b>", content)
		self.assertEqual(communication_to(doctype, name, A_SALES)[0], english_subject)
		self.assertEqual(frappe.local.lang, previous)

	def test_patch_updates_only_the_texts_the_customer_left_as_shipped(self):
		from prm_app.patches.v0_4.notification_languages import SHIPPED_ENGLISH, execute

		decision, paid = "PRM Deal Registration Decision", "PRM Payout Paid"
		custom = "<p>Bezahlt: {{ doc.name }}</p>"
		texts = {
			decision: SHIPPED_ENGLISH[decision],  # a site installed before: the English texts as shipped
			paid: {"subject": SHIPPED_ENGLISH[paid]["subject"], "message": custom},  # the customer's message
		}
		for values in NOTIFICATIONS:
			if values["name"] in texts:
				frappe.delete_doc("Notification", values["name"], ignore_permissions=True, force=True)
				doc = frappe.get_doc(
					{"doctype": "Notification", "channel": "Email", **values, **texts[values["name"]]}
				)
				doc.name = values["name"]
				doc.insert(ignore_permissions=True)
		new = {values["name"]: values for values in NOTIFICATIONS}

		execute()
		execute()  # a second migrate changes nothing
		make_notifications()
		stored = {
			n: frappe.db.get_value("Notification", n, ["subject", "message"], as_dict=True) for n in texts
		}
		self.assertEqual(stored[decision].subject, new[decision]["subject"])
		self.assertEqual(stored[decision].message, new[decision]["message"])
		self.assertIn('_("Your deal registration {0} for {1} is now {2}.")', stored[decision].message)
		self.assertEqual(stored[paid].message, custom)
		self.assertEqual(stored[paid].subject, new[paid]["subject"])


class TestChannelManagerHears(CompanyTestCase):
	"""A partner with a channel manager: its submitted deals and extension requests go to that manager,
	not to every Partner Manager of the site."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_notifications()
		make_user(MANAGER, ["Partner Manager"])
		make_user(MANAGER_DE, ["Partner Manager"])
		frappe.db.commit()  # nosemgrep: shared fixtures

	def test_a_partners_deal_goes_to_its_channel_manager(self):
		from prm_app.api.portal import assign_to_managers

		partner = make_partner("_PRM Notify Managed Partner")
		partner.channel_manager = MANAGER_DE
		partner.save()
		registration = make_registration(partner, prospect_name="Managed Prospect", website="managed.example")
		registration.submit_registration()
		self.assertIn(MANAGER_DE, queued_to("Deal Registration", registration.name))
		self.assertIn(MANAGER_DE, bell_of("Deal Registration", registration.name))
		self.assertNotIn(MANAGER, queued_to("Deal Registration", registration.name) | bell_of("Deal Registration", registration.name))
		self.assertEqual(
			assign_to_managers("Deal Registration", registration.name, "Extend?", partner.name), [MANAGER_DE]
		)
		# a channel manager who leaves (disabled): every Partner Manager again
		frappe.db.set_value("User", MANAGER_DE, "enabled", 0)
		self.assertIn(MANAGER, assign_to_managers("Deal Registration", registration.name, "Extend?", partner.name))

	def test_the_patch_changes_only_the_shipped_recipients(self):
		from prm_app.notifications import MANAGER_CC
		from prm_app.patches.v0_4 import deal_notification_channel_manager as patch

		doc = frappe.get_doc("Notification", patch.NAME)
		doc.set("recipients", [{"receiver_by_role": "Partner Manager"}])  # as shipped before
		doc.save(ignore_permissions=True)
		patch.execute()
		doc.reload()
		self.assertEqual([(r.cc, r.receiver_by_role) for r in doc.recipients], [(MANAGER_CC, None)])
		doc.set("recipients", [{"receiver_by_role": "Sales Manager"}])  # the customer's choice
		doc.save(ignore_permissions=True)
		patch.execute()
		doc.reload()
		self.assertEqual([(r.cc, r.receiver_by_role) for r in doc.recipients], [(None, "Sales Manager")])
