from frappe.model.document import Document


class PartnerCommissionLine(Document):
	def db_insert(self, *args, **kwargs):
		if self.flags.inserted_with_parent:  # written by PartnerCommission.db_insert in one statement
			return
		super().db_insert(*args, **kwargs)
