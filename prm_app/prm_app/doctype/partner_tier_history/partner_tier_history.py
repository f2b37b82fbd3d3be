"""Partner Tier History: one row per partner per tier evaluation (written by ``prm_app.tiers``)."""

from frappe.model.document import Document


class PartnerTierHistory(Document):
	pass
