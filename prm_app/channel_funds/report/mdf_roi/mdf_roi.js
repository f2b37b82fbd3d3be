frappe.query_reports["MDF ROI"] = {
	filters: [
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company", default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "fund", label: __("Fund"), fieldtype: "Link", options: "Fund" },
		{ fieldname: "partner", label: __("Partner"), fieldtype: "Link", options: "Partner" },
		{ fieldname: "activity_type", label: __("Activity Type"), fieldtype: "Select", options: ["", "Event", "Webinar", "Digital campaign", "Trade show", "Content", "Other"] },
	],
};
