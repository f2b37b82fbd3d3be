import frappe
from frappe.model.document import Document


class DealMatchKey(Document):
	pass


def on_doctype_update():
	# the conflict check looks keys up (covering index); saving a record replaces its keys
	frappe.db.add_index("Deal Match Key", ["match_key", "ref_doctype", "ref_name"], "match_key_ref")
	frappe.db.add_index("Deal Match Key", ["ref_doctype", "ref_name"], "ref")
