"""Frappe's Notification renders its subject and message once, in the language of whoever triggered it
(frappe.local.lang), for every recipient (v15 and v16 alike). A notification whose templates call ``_()``
is sent here once per recipient language instead: each language's recipients get their own email,
Communication and Notification Log, rendered in their language. The records stay ordinary,
customer-editable Notifications (hooks.py override_doctype_class)."""

from __future__ import annotations

from collections.abc import Callable

from frappe.email.doctype.notification.notification import Notification

from prm_app.notifications import in_language, recipient_languages, translates


class PRMNotification(Notification):
	def send_an_email(self, doc, context):
		self.send_per_language(super().send_an_email, doc, context)

	def create_system_notification(self, doc, context):
		self.send_per_language(super().create_system_notification, doc, context)

	def get_list_of_recipients(self, doc, context):
		recipients, cc, bcc = super().get_list_of_recipients(doc, context)
		only = self.flags.prm_language_recipients
		if only is None:
			return recipients, cc, bcc
		return (
			[a for a in recipients if a in only],
			[a for a in cc if a in only],
			[a for a in bcc if a in only],
		)

	def send_per_language(self, send: Callable, doc, context) -> None:
		if self.flags.prm_language_recipients is not None or not (
			translates(self.subject) or translates(self.message)
		):
			send(doc, context)
			return
		recipients, cc, bcc = self.get_list_of_recipients(doc, context)
		for language, addresses in recipient_languages([*recipients, *cc, *bcc]).items():
			self.flags.prm_language_recipients = set(addresses)
			try:
				with in_language(language):
					send(doc, context)
			finally:
				self.flags.prm_language_recipients = None
