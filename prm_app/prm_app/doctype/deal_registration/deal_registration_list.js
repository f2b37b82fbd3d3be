// Deal Registration list: a registration waiting for review that another partner's record already
// protects is badged (otherwise Frappe's status indicator).
frappe.listview_settings["Deal Registration"] = {
	add_fields: ["status", "has_hard_conflict"],
	get_indicator(doc) {
		if (doc.has_hard_conflict && ["Submitted", "Under Review"].includes(doc.status)) {
			return [__("Hard Conflict"), "red", "has_hard_conflict,=,1"];
		}
	},
};
