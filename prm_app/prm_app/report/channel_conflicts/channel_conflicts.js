frappe.query_reports["Channel Conflicts"] = {
	filters: [
		{ fieldname: "from_date", label: __("From Date"), fieldtype: "Date" },
		{ fieldname: "to_date", label: __("To Date"), fieldtype: "Date" },
		{
			fieldname: "document_type",
			label: __("Document Type"),
			fieldtype: "Select",
			options: ["", "Sales Invoice", "Sales Order", "Quotation"],
		},
		{ fieldname: "partner", label: __("Protecting Partner"), fieldtype: "Link", options: "Partner" },
	],
};
