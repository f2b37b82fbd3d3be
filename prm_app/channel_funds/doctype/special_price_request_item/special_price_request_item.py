from frappe.model.document import Document


class SpecialPriceRequestItem(Document):
	pass
