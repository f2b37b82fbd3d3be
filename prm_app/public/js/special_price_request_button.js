// Special pricing (issue 15): "Special Price Request" under Create on an Opportunity, a Quotation and an
// approved Deal Registration, pre-filled with the document (the server takes customer, partner and deal from it).
(function () {
	const LINK_FIELD = { Opportunity: "opportunity", Quotation: "quotation", "Deal Registration": "deal_registration" };
	const usable = (frm) =>
		frm.doctype !== "Deal Registration" || ["Approved", "Won"].includes(frm.doc.status);
	Object.keys(LINK_FIELD).forEach((doctype) => {
		frappe.ui.form.on(doctype, {
			refresh(frm) {
				if (frm.is_new() || frm.doc.docstatus === 2 || !usable(frm)) return;
				if (!frappe.model.can_create("Special Price Request")) return;
				frm.add_custom_button(
					__("Special Price Request"),
					() => {
						frappe.new_doc("Special Price Request", { [LINK_FIELD[doctype]]: frm.doc.name });
					},
					__("Create")
				);
			},
		});
	});
})();
