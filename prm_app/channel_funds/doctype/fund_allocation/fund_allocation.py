"""Fund Allocation: one partner's share of a fund. The amounts are derived from the documents
(``prm_app.channel_funds.funds.refresh_allocation``) and never typed."""

import frappe
from frappe import _
from frappe.model.document import Document


class FundAllocation(Document):
	def validate(self):
		self.validate_unique()
		self.validate_partner_company()

	def validate_unique(self):
		other = frappe.db.get_value(
			"Fund Allocation", {"fund": self.fund, "partner": self.partner, "name": ("!=", self.name or "")}
		)
		if other:
			frappe.throw(
				_("Partner {0} already has allocation {1} on fund {2}.").format(
					self.partner, other, self.fund
				)
			)

	def validate_partner_company(self):
		self.company = frappe.db.get_value("Fund", self.fund, "company")
		if frappe.db.get_value("Partner", self.partner, "company") != self.company:
			frappe.throw(_("Partner {0} does not belong to the fund's company.").format(self.partner))

	def on_update(self):
		from prm_app.channel_funds.funds import refresh_allocation

		refresh_allocation(self.name)
