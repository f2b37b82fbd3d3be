// Partner Payout: Get Commissions shows what the payout would pay before it is saved.
frappe.ui.form.on("Partner Payout", {
	refresh(frm) {
		if (frm.doc.docstatus === 0) {
			frm.add_custom_button(__("Get Commissions"), () => prm_get_commissions(frm)).addClass(
				"btn-primary"
			);
		}
	},
});

function prm_get_commissions(frm) {
	if (!(frm.doc.partner && frm.doc.company && frm.doc.from_date && frm.doc.to_date)) {
		frappe.msgprint(__("Set the partner, the company and the period first."));
		return;
	}
	frm.call("get_commissions").then(() => {
		frm.refresh_fields();
		if (!(frm.doc.commissions || []).length) {
			frappe.show_alert({ message: __("Nothing is payable to this partner."), indicator: "orange" });
		}
	});
}
