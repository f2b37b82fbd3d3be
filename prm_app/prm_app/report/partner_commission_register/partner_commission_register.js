frappe.query_reports["Partner Commission Register"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{
			fieldname: "partner",
			label: __("Partner"),
			fieldtype: "Link",
			options: "Partner",
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.month_start(),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		},
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: [
				"",
				{ value: "Accrued", label: __("Accrued") },
				{ value: "Payable", label: __("Payable") },
				{ value: "Partly Paid", label: __("Partly Paid") },
				{ value: "Paid", label: __("Paid") },
				{ value: "Reversed", label: __("Reversed") },
			],
		},
	],
	formatter(value, row, column, data, default_formatter) {
		if (data && data.is_total_row) {
			if (column.fieldname === "partner_commission") {
				return `<b>${__("Total")}</b>`;
			}
			if (!["base", "amount"].includes(column.fieldname)) {
				return "";
			}
		}
		value = default_formatter(value, row, column, data);
		if (data && data.is_total_row) {
			value = `<b>${value}</b>`;
		}
		return value;
	},
};
