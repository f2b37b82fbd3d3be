"""An amended document starts with no prm_app links: Frappe's Amend copies every field, no_copy ones
included, so an amended Sales Invoice would link its cancelled original's Partner Commission ("Cannot
link cancelled document"), an amended commission journal would pass for PRM's own, and an amended payout
payment for the payout's. PRM sets these links itself when the new document is submitted."""

from prm_app.install import CUSTOM_FIELDS

# the prm_ links each doctype gets from PRM (not deal_registration: an amended invoice keeps its deal)
PRM_LINKS = {
	doctype: [
		f["fieldname"] for f in fields if f["fieldname"].startswith("prm_") and f["fieldtype"] == "Link"
	]
	for doctype, fields in CUSTOM_FIELDS.items()
	if doctype in ("Sales Invoice", "Journal Entry", "Payment Entry")
}


def clear_prm_links(doc, method=None):
	"""validate of Sales Invoice, Journal Entry and Payment Entry."""
	if not (doc.get("amended_from") and doc.is_new()):
		return
	for fieldname in PRM_LINKS.get(doc.doctype, ()):
		if fieldname != "prm_partner":  # the invoice's Partner follows its Sales Partner (validate)
			doc.set(fieldname, None)
