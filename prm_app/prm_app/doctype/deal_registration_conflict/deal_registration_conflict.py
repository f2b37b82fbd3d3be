from frappe.model.document import Document


class DealRegistrationConflict(Document):
	pass
