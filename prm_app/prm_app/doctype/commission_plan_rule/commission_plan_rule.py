from frappe.model.document import Document


class CommissionPlanRule(Document):
	pass
