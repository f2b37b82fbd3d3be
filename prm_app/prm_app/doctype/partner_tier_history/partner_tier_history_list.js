frappe.listview_settings["Partner Tier History"] = {
	add_fields: ["status", "change"],
	get_indicator(doc) {
		const colors = {
			Applied: "green",
			Proposed: "orange",
			Rejected: "red",
			Superseded: "gray",
			Locked: "gray",
			Unchanged: "blue",
		};
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
	onload(listview) {
		if (!frappe.user.has_role(["Partner Manager", "System Manager"])) return;
		const review = (method, label) => {
			const names = listview.get_checked_items(true);
			if (!names.length) {
				frappe.msgprint(__("Select the proposals to {0}.", [label.toLowerCase()]));
				return;
			}
			frappe.call({
				method,
				type: "POST",
				args: { names },
				freeze: true,
				callback(r) {
					frappe.show_alert({
						message: __("{0} proposal(s) updated.", [r.message || 0]),
						indicator: "green",
					});
					listview.refresh();
				},
			});
		};
		listview.page.add_action_item(__("Approve Proposals"), () =>
			review("prm_app.tiers.approve_proposals", __("Approve"))
		);
		listview.page.add_action_item(__("Reject Proposals"), () =>
			review("prm_app.tiers.reject_proposals", __("Reject"))
		);
	},
};
