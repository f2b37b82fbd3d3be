frappe.listview_settings["Partner Tier"] = {
	onload(listview) {
		if (!frappe.user.has_role(["Partner Manager", "System Manager"])) return;
		listview.page.add_inner_button(__("Evaluate Now"), () => prm_app_evaluate_tiers());
		listview.page.add_inner_button(__("Tier History"), () =>
			frappe.set_route("List", "Partner Tier History")
		);
	},
};

function prm_app_evaluate_tiers() {
	frappe.confirm(
		__(
			"Evaluate every active partner's tier now? Depending on PRM Settings, tiers change at once or proposals are written for approval."
		),
		() =>
			frappe.call({
				method: "prm_app.tiers.evaluate_now",
				type: "POST",
				callback() {
					frappe.show_alert({
						message: __("Tier evaluation queued; progress is shown while it runs."),
						indicator: "blue",
					});
				},
			})
	);
}

frappe.realtime.on("prm_tier_evaluation_done", (summary) => {
	const counts = Object.entries(summary.by_status || {})
		.map(([status, n]) => `${__(status)}: ${n}`)
		.join(", ");
	frappe.show_alert({
		message: __("Tier evaluation finished for {0} partners ({1}).", [summary.partners, counts]),
		indicator: "green",
	});
});
