from frappe.model.document import Document


class PartnerPayoutFundClaim(Document):
	pass
