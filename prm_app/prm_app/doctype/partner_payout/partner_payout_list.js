frappe.listview_settings["Partner Payout"] = {
	add_fields: ["status", "net_amount"],
	get_indicator(doc) {
		const colors = { Draft: "red", Submitted: "orange", Paid: "green", Cancelled: "red" };
		return [__(doc.status), colors[doc.status] || "gray", `status,=,${doc.status}`];
	},
	onload(listview) {
		listview.page.add_inner_button(__("Create Payouts for Period"), () => {
			const dialog = new frappe.ui.Dialog({
				title: __("Create Payouts for Period"),
				fields: [
					{
						fieldname: "company",
						fieldtype: "Link",
						options: "Company",
						label: __("Company"),
						reqd: 1,
						default: frappe.defaults.get_user_default("Company"),
					},
					{
						fieldname: "from_date",
						fieldtype: "Date",
						label: __("Period From"),
						reqd: 1,
						default: moment().subtract(1, "month").startOf("month").format("YYYY-MM-DD"),
					},
					{
						fieldname: "to_date",
						fieldtype: "Date",
						label: __("Period To"),
						reqd: 1,
						default: moment().subtract(1, "month").endOf("month").format("YYYY-MM-DD"),
					},
				],
				primary_action_label: __("Create"),
				primary_action(values) {
					frappe.xcall("prm_app.payouts.create_payouts", values).then(() => {
						dialog.hide();
						frappe.show_alert({
							message: __("Payouts are being created in the background; progress is shown here."),
							indicator: "blue",
						});
					});
				},
			});
			dialog.show();
		});
	},
};
