frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Channel Revenue"] = {
	method: "prm_app.prm_app.dashboard_chart_source.channel_revenue.channel_revenue.get",
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
	],
};
