frappe.ui.form.on("Fund", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Preview Allocation"), () => {
			frappe.call({ method: "prm_app.channel_funds.funds.preview_allocation", args: { fund: frm.doc.name } }).then((r) => {
				const rows = (r.message || []).map((a) => `<tr><td>${frappe.utils.escape_html(a.partner)}</td><td class="text-right">${format_currency(a.amount, frm.doc.currency)}</td><td>${frappe.utils.escape_html(a.explanation)}</td></tr>`);
				const dialog = new frappe.ui.Dialog({
					title: __("Allocation Preview"),
					size: "large",
					fields: [{ fieldtype: "HTML", options: `<table class="table table-bordered"><thead><tr><th>${__("Partner")}</th><th>${__("Amount")}</th><th>${__("Explanation")}</th></tr></thead><tbody>${rows.join("")}</tbody></table>` }],
					primary_action_label: __("Apply Allocation"),
					primary_action() {
						dialog.hide();
						frappe.call({ method: "prm_app.channel_funds.funds.apply_allocation", args: { fund: frm.doc.name } }).then(() =>
							frappe.show_alert(__("Allocation started in the background; progress is shown here.")),
						);
					},
				});
				dialog.show();
			});
		});
		frm.add_custom_button(__("Adjust Allocation"), () => {
			frappe.prompt(
				[
					{ fieldname: "partner", label: __("Partner"), fieldtype: "Link", options: "Partner", reqd: 1 },
					{ fieldname: "amount", label: __("Amount"), fieldtype: "Currency", reqd: 1 },
					{ fieldname: "reason", label: __("Reason"), fieldtype: "Small Text", reqd: 1 },
				],
				(values) => frappe.call({ method: "prm_app.channel_funds.funds.adjust_allocation", args: { fund: frm.doc.name, ...values } }).then(() => frm.reload_doc()),
				__("Adjust Allocation"),
			);
		});
	},
});
