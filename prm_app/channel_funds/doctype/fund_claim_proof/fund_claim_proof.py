from frappe.model.document import Document


class FundClaimProof(Document):
	pass
