from frappe.model.document import Document


class FundAdjustment(Document):
	pass
