// Special Price Request: the status moves through the "Special Price Approval" Workflow (its buttons);
// prices, depth and approval level are computed by the server on save.

frappe.ui.form.on("Special Price Request", {
	setup(frm) {
		frm.set_query("deal_registration", () => ({
			filters: { status: ["in", ["Approved", "Won"]], ...(frm.doc.partner ? { partner: frm.doc.partner } : {}) },
		}));
		frm.set_query("item_code", "items", () => ({ filters: { is_sales_item: 1, disabled: 0 } }));
	},
	refresh(frm) {
		if (frm.doc.approval_level && frm.doc.status === "Pending Approval") {
			frm.dashboard.set_headline(
				__("Approved by: {0} (deepest discount {1} %)", [
					__(frm.doc.approval_level),
					format_number(Math.max(frm.doc.requested_depth || 0, frm.doc.granted_depth || 0), null, 2),
				])
			);
		}
	},
});
