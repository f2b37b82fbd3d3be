import frappe
from frappe import _
from frappe.model.document import Document


class PartnerTier(Document):
	def validate(self):
		self.validate_rank_unique()
		self.validate_evaluation_window()

	def validate_rank_unique(self):
		other = frappe.db.get_value("Partner Tier", {"rank": self.rank, "name": ("!=", self.name)})
		if other:
			frappe.throw(
				_("Tier {0} already has rank {1}; each tier needs its own rank.").format(
					frappe.bold(other), self.rank
				),
				title=_("Duplicate Rank"),
			)

	def validate_evaluation_window(self):
		if self.evaluation_window_months is not None and self.evaluation_window_months < 1:
			frappe.throw(
				_("The evaluation window of tier {0} must be at least one month.").format(
					frappe.bold(self.name)
				),
				title=_("Invalid Evaluation Window"),
			)
