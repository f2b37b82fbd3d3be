from frappe.model.document import Document


class PartnerPayoutCommission(Document):
	def get_invalid_links(self, is_submittable=False):
		"""A clawback of a cancelled invoice still names that invoice (its history): Frappe refuses links to
		cancelled documents, which would block every later payout of the partner, so that one is allowed."""
		invalid, cancelled = super().get_invalid_links(is_submittable=is_submittable)
		return invalid, [link for link in cancelled if link[0] != "sales_invoice"]
