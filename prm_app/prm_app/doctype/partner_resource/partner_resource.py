"""Partner Resource: a document or link in the partner portal's library, shown to partners whose tier
rank reaches the resource's minimum tier."""

import frappe
from frappe import _
from frappe.model.document import Document


class PartnerResource(Document):
	def validate(self):
		self.validate_file_or_link()

	def validate_file_or_link(self):
		if not self.file and not self.link:
			frappe.throw(_("Attach a file or enter a link."), title=_("File or Link Required"))
		if self.link and not self.link.startswith(("https://", "http://", "/")):
			frappe.throw(_("The link must start with https://, http:// or /."), title=_("Invalid Link"))
