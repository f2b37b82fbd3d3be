frappe.provide("frappe.dashboards.chart_sources");

frappe.dashboards.chart_sources["Partner Revenue by Tier"] = {
	method: "prm_app.prm_app.dashboard_chart_source.partner_revenue_by_tier.partner_revenue_by_tier.get",
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
