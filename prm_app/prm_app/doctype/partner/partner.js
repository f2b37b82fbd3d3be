frappe.ui.form.on("Partner", {
	refresh(frm) {
		if (frm.is_new()) return;
		if (frm.doc.sales_partner) {
			frm.add_custom_button(
				__("Sales Invoices"),
				() => frappe.set_route("List", "Sales Invoice", { sales_partner: frm.doc.sales_partner }),
				__("View")
			);
		}
		if (frm.doc.supplier) {
			frm.add_custom_button(
				__("Accounts Payable"),
				() =>
					frappe.set_route("query-report", "Accounts Payable", {
						company: frm.doc.company,
						party_type: "Supplier",
						party: [frm.doc.supplier],
					}),
				__("View")
			);
		}
	},
});
