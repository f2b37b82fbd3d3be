"""Partner Certification: a partner user's certification; valid ones count towards tier criteria."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate


class PartnerCertification(Document):
	def validate(self):
		self.validate_dates()
		self.validate_user_belongs_to_partner()

	def validate_dates(self):
		if self.valid_until and self.issued_on and getdate(self.valid_until) < getdate(self.issued_on):
			frappe.throw(
				_("Valid Until ({0}) cannot be before Issued On ({1}).").format(
					frappe.format(self.valid_until, "Date"), frappe.format(self.issued_on, "Date")
				),
				title=_("Invalid Dates"),
			)

	def validate_user_belongs_to_partner(self):
		if not frappe.db.exists(
			"Partner User", {"parent": self.partner, "parenttype": "Partner", "user": self.user}
		):
			frappe.throw(
				_("User {0} is not one of the users of partner {1}.").format(
					frappe.bold(self.user), frappe.bold(self.partner)
				),
				title=_("Not a Partner User"),
			)
