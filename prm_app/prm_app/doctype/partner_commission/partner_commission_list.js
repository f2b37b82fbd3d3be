frappe.listview_settings["Partner Commission"] = {
	add_fields: ["status", "is_clawback", "total", "approved", "needs_review"],
	get_indicator(doc) {
		// special pricing (issue 15): held until a Partner Manager approves it
		if (doc.needs_review && !doc.approved && doc.status === "Accrued") {
			return [__("Needs Review"), "orange", "needs_review,=,1"];
		}
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
	onload(listview) {
		// PRM Settings can require a Partner Manager's approval before commission becomes payable
		listview.page.add_actions_menu_item(__("Approve"), () => {
			const names = listview.get_checked_items(true);
			if (!names.length) {
				frappe.msgprint(__("Select the commissions to approve."));
				return;
			}
			frappe
				.xcall("prm_app.payouts.approve_commissions", { names })
				.then((count) => {
					frappe.show_alert({ message: __("{0} commissions approved", [count]), indicator: "green" });
					listview.refresh();
				});
		});
	},
};
