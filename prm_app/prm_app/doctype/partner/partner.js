frappe.ui.form.on("Partner", {
	refresh(frm) {
		if (frm.is_new()) return;
		prm_show_tier_progress(frm);
		if (
			frm.doc.status === "Applicant" &&
			(frappe.user.has_role("Partner Manager") || frappe.user.has_role("System Manager"))
		) {
			frm.add_custom_button(__("Approve Application"), () =>
				frappe.confirm(
					__("Activate {0}, create its Sales Partner, Supplier and portal user and send the invitation?", [
						frm.doc.partner_name,
					]),
					() =>
						frappe
							.xcall("prm_app.api.portal.approve_application", { partner: frm.doc.name })
							.then((r) => {
								frappe.show_alert({
									message: r.user
										? __("Approved; invitation sent to {0}.", [r.user])
										: __("Approved."),
									indicator: "green",
								});
								frm.reload_doc();
							})
				)
			);
		}
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

// Progress to the next tier, per criterion (prm_app.tiers.get_tier_progress).
function prm_show_tier_progress(frm) {
	frappe.xcall("prm_app.tiers.get_tier_progress", { partner: frm.doc.name }).then((progress) => {
		if (!progress || !progress.active || !progress.criteria.length) return;
		const target = progress.target_tier;
		const heading =
			progress.next_tier === target
				? __("Progress to {0}", [target])
				: __("Criteria of {0} (highest tier)", [target]);
		const rows = progress.criteria
			.map((c) => {
				const value = c.criterion === "revenue" ? format_currency(c.value) : c.value;
				const goal = c.criterion === "revenue" ? format_currency(c.target) : c.target;
				const color = c.passed ? "bg-success" : "bg-warning";
				return `<div class="mb-2">
					<div class="small">${frappe.utils.escape_html(c.label)}: ${value} / ${goal}</div>
					<div class="progress" style="height: 8px">
						<div class="progress-bar ${color}" style="width: ${c.percent}%"></div>
					</div>
				</div>`;
			})
			.join("");
		const reason = `<div class="text-muted small">${frappe.utils.escape_html(
			progress.reason
		)}</div>`;
		// refresh can run twice before the answer arrives: keep one section
		frm.dashboard.parent.find(".prm-tier-progress").remove();
		frm.dashboard.add_section(`${rows}${reason}`, heading, "custom prm-tier-progress");
	});
}
