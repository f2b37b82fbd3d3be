from frappe.model.document import Document


class DealRegistrationProduct(Document):
	pass
