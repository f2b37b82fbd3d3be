frappe.listview_settings["Commission Plan Simulation"] = {
	add_fields: ["status"],
	get_indicator(doc) {
		const colors = { Queued: "gray", Running: "blue", Completed: "green", Failed: "red" };
		return [__(doc.status), colors[doc.status] || "gray", "status,=," + doc.status];
	},
};
