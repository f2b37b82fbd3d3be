from frappe.model.document import Document


class PartnerPayoutCommission(Document):
	pass
