frappe.query_reports["Commission Reconciliation"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{
			fieldname: "partner",
			label: __("Partner"),
			fieldtype: "Link",
			options: "Partner",
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.year_start(),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
		{
			fieldname: "only_differences",
			label: __("Only Differences"),
			fieldtype: "Check",
		},
	],

	formatter(value, row, column, data, default_formatter) {
		const formatted = default_formatter(value, row, column, data);
		if (!data || !data.partner) {
			return formatted;
		}
		const filters = frappe.query_report.get_filter_values();
		const drill = {
			accrued: () => prm_reco_commission_list(data, filters, { is_clawback: 0 }),
			clawed_back: () => prm_reco_commission_list(data, filters, { is_clawback: 1 }),
			prm_outstanding: () => prm_reco_commission_list(data, filters, {}),
			ledger_outstanding: () => prm_reco_payment_ledger(data, filters),
			paid: () => prm_reco_payment_ledger(data, filters),
			gl_outstanding: () => prm_reco_general_ledger(data, filters),
			records_outstanding: () => prm_reco_commission_list(data, filters, {}),
		}[column.fieldname];
		let html = formatted;
		if (["difference", "gl_difference", "records_difference"].includes(column.fieldname) && value) {
			html = `<span class="text-danger">${formatted}</span>`;
		}
		if (drill) {
			const route = drill();
			const title = __("Open the documents"); // outside the template literal: Frappe's extractor skips those
			html = `<a href="${route}" title="${title}">${formatted}</a>`;
		}
		return html;
	},
};

function prm_reco_commission_list(data, filters, extra) {
	const params = Object.assign(
		{ partner: data.partner, company: data.company, docstatus: 1 },
		extra
	);
	return `/app/partner-commission?${new URLSearchParams(params).toString()}`;
}

function prm_reco_payment_ledger(data, filters) {
	const params = {
		company: data.company,
		period_start_date: filters.from_date || frappe.datetime.year_start(),
		period_end_date: filters.to_date || frappe.datetime.get_today(),
		party_type: "Supplier",
		party: data.supplier || "",
	};
	return `/app/query-report/${encodeURIComponent("Payment Ledger")}?${new URLSearchParams(params).toString()}`;
}

function prm_reco_general_ledger(data, filters) {
	const params = {
		company: data.company,
		from_date: filters.from_date || frappe.datetime.year_start(),
		to_date: filters.to_date || frappe.datetime.get_today(),
		account: data.payable_account || "",
		party_type: "Supplier",
		party: data.supplier || "",
		group_by: "Group by Voucher (Consolidated)",
	};
	return `/app/query-report/${encodeURIComponent("General Ledger")}?${new URLSearchParams(params).toString()}`;
}
