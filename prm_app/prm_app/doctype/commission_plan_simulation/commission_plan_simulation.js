// Commission Plan Simulation: filled by a background job; reload when it ends.

frappe.ui.form.on("Commission Plan Simulation", {
	refresh(frm) {
		frm.disable_save();
		if (["Queued", "Running"].includes(frm.doc.status)) {
			frm.dashboard.set_headline(
				__("The simulation is running in the background; this page updates when it ends.")
			);
			if (!frm.prm_listener) {
				frm.prm_listener = (data) => {
					if (data && data.simulation === frm.doc.name) {
						frm.reload_doc();
					}
				};
				frappe.realtime.on("prm_plan_simulation", frm.prm_listener);
			}
		}
		if (frm.doc.commission_plan) {
			frm.add_custom_button(__("Commission Plan"), () =>
				frappe.set_route("Form", "Commission Plan", frm.doc.commission_plan)
			);
		}
	},
});
