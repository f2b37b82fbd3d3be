from frappe.model.document import Document


class PartnerUser(Document):
	pass
