import frappe
from frappe import _
from frappe.model.document import Document


class PartnerTier(Document):
	def validate(self):
		self.validate_rank_unique()

	def validate_rank_unique(self):
		other = frappe.db.get_value("Partner Tier", {"rank": self.rank, "name": ("!=", self.name)})
		if other:
			frappe.throw(
				_("Tier {0} already has rank {1}; each tier needs its own rank.").format(
					frappe.bold(other), self.rank
				),
				title=_("Duplicate Rank"),
			)
