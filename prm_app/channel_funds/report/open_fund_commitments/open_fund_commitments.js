frappe.query_reports["Open Fund Commitments"] = {
	filters: [
		{ fieldname: "company", label: __("Company"), fieldtype: "Link", options: "Company", reqd: 1, default: frappe.defaults.get_user_default("Company") },
		{ fieldname: "fund", label: __("Fund"), fieldtype: "Link", options: "Fund" },
		{ fieldname: "as_on", label: __("Period End"), fieldtype: "Date", default: frappe.datetime.month_end() },
	],
	onload(report) {
		report.page.add_inner_button(__("Post Accrual"), () => {
			const filters = report.get_values();
			frappe.prompt(
				[{ fieldname: "accrual_account", label: __("Accrual Account"), fieldtype: "Link", options: "Account", reqd: 1,
					get_query: () => ({ filters: { company: filters.company, is_group: 0, root_type: "Liability" } }) }],
				(values) => {
					frappe.call({
						method: "prm_app.channel_funds.report.open_fund_commitments.open_fund_commitments.make_accrual",
						args: { company: filters.company, fund: filters.fund, period_end: filters.as_on, accrual_account: values.accrual_account },
						callback: (r) => r.message && frappe.msgprint(__("Accrual {0}, reversal {1}", [r.message.accrual, r.message.reversal])),
					});
				},
				__("Accrue open commitments"),
			);
		});
	},
};
