"""Commission Plan Simulation: the stored result of running a plan on past partner invoices
(``prm_app.simulation``). Created by the plan's Simulate button and filled by its background job."""

from frappe.model.document import Document

from prm_app.simulation import validate_months


class CommissionPlanSimulation(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from prm_app.prm_app.doctype.commission_plan_simulation_partner.commission_plan_simulation_partner import (
			CommissionPlanSimulationPartner,
		)

		commission_plan: DF.Link
		company: DF.Link | None
		currency: DF.Link | None
		error: DF.Code | None
		finished_at: DF.Datetime | None
		from_date: DF.Date | None
		months: DF.Int
		notes: DF.SmallText | None
		partners: DF.Table[CommissionPlanSimulationPartner]
		skipped_returns: DF.Int
		started_at: DF.Datetime | None
		status: DF.Literal["Queued", "Running", "Completed", "Failed"]
		to_date: DF.Date | None
		total_base: DF.Currency
		total_difference: DF.Currency
		total_invoices: DF.Int
		total_was_accrued: DF.Currency
		total_would_pay: DF.Currency
	# end: auto-generated types

	def validate(self):
		self.months = validate_months(self.months)
