from frappe.model.document import Document


class FundTierAmount(Document):
	pass
