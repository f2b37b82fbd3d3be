import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

# who may change the discount a Partner Manager approves on its own (a Partner Manager may edit the other
# settings, never its own approval limit)
LIMIT_SETTERS = ("System Manager", "Sales Manager")


class PRMSettings(Document):
	def validate(self):
		self.validate_special_price_limit()

	def validate_special_price_limit(self):
		before = self.get_doc_before_save()
		old = flt(before.special_price_partner_manager_limit) if before else None
		if old is None or flt(self.special_price_partner_manager_limit) == old:
			return
		if set(LIMIT_SETTERS).isdisjoint(frappe.get_roles()):
			frappe.throw(
				_(
					"Only a Sales Manager or a System Manager changes the discount a Partner Manager may approve."
				),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
