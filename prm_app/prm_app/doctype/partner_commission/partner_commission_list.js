frappe.listview_settings["Partner Commission"] = {
	add_fields: ["status", "is_clawback", "total"],
	get_indicator(doc) {
		const colors = {
			Draft: "red",
			Accrued: "blue",
			Payable: "orange",
			"Partly Paid": "yellow",
			Paid: "green",
			Reversed: "gray",
			Cancelled: "red",
		};
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
};
