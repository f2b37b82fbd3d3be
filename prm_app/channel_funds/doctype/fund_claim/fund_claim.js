frappe.ui.form.on("Fund Claim", {
	refresh(frm) {
		if (frm.doc.docstatus !== 0 || frm.is_new() || frm.doc.status === "Rejected") return;
		frm.add_custom_button(__("Reject"), () => {
			frappe.prompt(
				[{ fieldname: "reason", label: __("Reason"), fieldtype: "Small Text", reqd: 1 }],
				(values) => frappe.call({ method: "prm_app.channel_funds.claims.reject_claim", args: { name: frm.doc.name, ...values } }).then(() => frm.reload_doc()),
				__("Reject"),
			);
		});
	},
});
