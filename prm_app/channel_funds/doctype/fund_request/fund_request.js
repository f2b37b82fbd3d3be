frappe.ui.form.on("Fund Request", {
	refresh(frm) {
		if (frm.is_new()) return;
		const call = (method, args) => frappe.call({ method: `prm_app.channel_funds.funds.${method}`, args: { name: frm.doc.name, ...args } }).then(() => frm.reload_doc());
		if (["Draft", "Returned for information"].includes(frm.doc.status)) {
			frm.add_custom_button(__("Submit for Approval"), () => frm.call("submit_request").then(() => frm.reload_doc()));
		}
		if (frm.doc.status !== "Submitted") return;
		frm.add_custom_button(__("Approve"), () => {
			frappe.prompt(
				[
					{ fieldname: "amount", label: __("Approved Amount"), fieldtype: "Currency", default: frm.doc.requested_amount, reqd: 1 },
					{ fieldname: "override_reason", label: __("Override Reason (beyond the available balance)"), fieldtype: "Small Text" },
				],
				(values) => call("approve_request", values),
				__("Approve"),
			);
		}, __("Decide"));
		frm.add_custom_button(__("Reject"), () => {
			frappe.prompt([{ fieldname: "reason", label: __("Reason"), fieldtype: "Small Text", reqd: 1 }], (values) => call("reject_request", values), __("Reject"));
		}, __("Decide"));
		frm.add_custom_button(__("Return for Information"), () => {
			frappe.prompt([{ fieldname: "information", label: __("Information Needed"), fieldtype: "Small Text", reqd: 1 }], (values) => call("return_request", values), __("Return for Information"));
		}, __("Decide"));
	},
});
