from frappe.model.document import Document


class PartnerCommissionLine(Document):
	pass
