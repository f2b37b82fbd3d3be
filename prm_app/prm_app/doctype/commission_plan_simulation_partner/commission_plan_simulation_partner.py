from frappe.model.document import Document


class CommissionPlanSimulationPartner(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		base: DF.Currency
		difference: DF.Currency
		invoices: DF.Int
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		partner: DF.Link | None
		was_accrued: DF.Currency
		would_pay: DF.Currency
	# end: auto-generated types

	pass
