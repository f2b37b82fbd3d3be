frappe.query_reports["Fund Utilisation"] = {
	filters: [
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company", default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "fund", label: __("Fund"), fieldtype: "Link", options: "Fund" },
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date" },
		{ fieldname: "group_by", label: __("Group By"), fieldtype: "Select", options: ["Partner", "Fund", "Partner Tier", "Activity Type"], default: "Partner" },
	],
};
