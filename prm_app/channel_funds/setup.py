"""Custom fields of Channel Funds on ERPNext doctypes (merged into ``prm_app.install.CUSTOM_FIELDS``)."""

CUSTOM_FIELDS: dict[str, list[dict]] = {
	"Purchase Invoice": [
		{
			"fieldname": "prm_fund_claim",
			"label": "Fund Claim",
			"fieldtype": "Link",
			"options": "Fund Claim",
			"insert_after": "bill_date",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		}
	],
	# leads from a claim's proof (its attendee / lead list), tagged with the activity and the partner
	"Lead": [
		{
			"fieldname": "prm_fund_request",
			"label": "Fund Request (MDF Activity)",
			"fieldtype": "Link",
			"options": "Fund Request",
			"insert_after": "company",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		},
		{
			"fieldname": "prm_partner",
			"label": "Partner",
			"fieldtype": "Link",
			"options": "Partner",
			"insert_after": "prm_fund_request",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		},
	],
	"Journal Entry": [
		{
			"fieldname": "prm_fund_accrual",
			"label": "Fund Commitments Accrual",
			"fieldtype": "Check",
			"insert_after": "reversal_of",
			"read_only": 1,
			"no_copy": 1,
		}
	],
}
