from frappe.model.document import Document


class CommissionPlanBracket(Document):
	pass
