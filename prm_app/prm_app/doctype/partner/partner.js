frappe.ui.form.on("Partner", {
	setup(frm) {
		frm.set_query("channel_manager", () => ({
			query: "prm_app.prm_app.doctype.partner.partner.channel_manager_query",
		}));
	},
	refresh(frm) {
		if (frm.is_new()) return;
		prm_show_tier_progress(frm);
		const manager = frappe.user.has_role("Partner Manager") || frappe.user.has_role("System Manager");
		if (frm.doc.status === "Applicant" && manager) {
			frm.add_custom_button(__("Approve Application"), () =>
				prm_saved(frm).then(() => prm_approve_dialog(frm))
			).addClass("btn-primary");
			frm.add_custom_button(__("Reject Application"), () =>
				prm_saved(frm).then(() => prm_reject_dialog(frm))
			);
		}
		if (manager && (frm.doc.users || []).length) {
			frm.add_custom_button(
				__("Send Portal Invitations"),
				() => prm_send_invitations(frm),
				__("Actions")
			);
		}
		if (frm.doc.status === "Rejected" && frm.doc.rejection_reason) {
			frm.set_intro(
				__("Application rejected: {0}", [frappe.utils.escape_html(frm.doc.rejection_reason)]),
				"red"
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

// A user added to the partner's users gets the portal role on save; offer the invitation email too.
frappe.ui.form.on("Partner", {
	before_save(frm) {
		// rows not saved yet are the ones added
		frm._prm_added_users = (frm.doc.users || []).filter((row) => row.__islocal).map((row) => row.user);
	},
	after_save(frm) {
		const added = (frm._prm_added_users || []).filter(Boolean);
		frm._prm_added_users = [];
		if (added.length && frm.doc.status === "Active") {
			frappe.confirm(
				__("Send the portal invitation to {0}?", [
					added.map((u) => frappe.utils.escape_html(u)).join(", "),
				]),
				() => prm_send_invitations(frm)
			);
		}
	},
});

function prm_send_invitations(frm) {
	frm.call("send_portal_invitations").then((r) => {
		const invited = r.message || [];
		frappe.show_alert({
			message: invited.length
				? __("Invitation sent to {0}.", [invited.join(", ")])
				: __("Everyone has logged in already: no invitation sent."),
			indicator: invited.length ? "green" : "blue",
		});
	});
}

// The decision works on the stored record: unsaved edits (a tier set before clicking) are saved first.
function prm_saved(frm) {
	return frm.is_dirty() ? frm.save() : Promise.resolve();
}

function prm_approve_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Approve Application of {0}", [frm.doc.partner_name]),
		fields: [
			{
				fieldname: "tier",
				fieldtype: "Link",
				options: "Partner Tier",
				label: __("Partner Tier"),
				default: frm.doc.tier,
			},
			{
				fieldname: "commission_plan",
				fieldtype: "Link",
				options: "Commission Plan",
				label: __("Commission Plan"),
				default: frm.doc.commission_plan,
				description: __("Empty: the tier's plan, else the default plan of PRM Settings."),
			},
			{
				fieldname: "portal_role",
				fieldtype: "Select",
				options: ["Admin", "Sales", "Finance"],
				label: __("Portal Role of the Applicant"),
				default: "Admin",
			},
			{
				fieldname: "what_happens",
				fieldtype: "HTML",
				options: `<p class="text-muted small">${__(
					"Approving activates the partner, creates its Sales Partner and Supplier, and invites the applicant to the portal."
				)}</p>`,
			},
		],
		primary_action_label: __("Approve"),
		primary_action(values) {
			dialog.disable_primary_action();
			frappe
				.xcall("prm_app.api.applications.approve", { partner: frm.doc.name, ...values })
				.then((r) => {
					dialog.hide();
					frappe.show_alert({
						message: r.user
							? __("Approved; invitation sent to {0}.", [r.user])
							: __("Approved."),
						indicator: "green",
					});
					frm.reload_doc();
				})
				.finally(() => dialog.enable_primary_action());
		},
	});
	dialog.show();
}

function prm_reject_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Reject Application of {0}", [frm.doc.partner_name]),
		fields: [
			{
				fieldname: "reason",
				fieldtype: "Small Text",
				label: __("Reason"),
				reqd: 1,
				description: __("Kept on the partner record and in its timeline."),
			},
		],
		primary_action_label: __("Reject"),
		primary_action(values) {
			dialog.disable_primary_action();
			frappe
				.xcall("prm_app.api.applications.reject", { partner: frm.doc.name, reason: values.reason })
				.then(() => {
					dialog.hide();
					frappe.show_alert({ message: __("Application rejected."), indicator: "orange" });
					frm.reload_doc();
				})
				.finally(() => dialog.enable_primary_action());
		},
	});
	dialog.show();
}

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
		// what an evaluation today would do: a projection, not a change already made
		const reason = `<div class="text-muted small">${frappe.utils.escape_html(
			__("Projection, if tiers were evaluated today: {0}", [progress.reason])
		)}</div>`;
		// refresh can run twice before the answer arrives: keep one section
		frm.dashboard.parent.find(".prm-tier-progress").remove();
		frm.dashboard.add_section(`${rows}${reason}`, heading, "custom prm-tier-progress");
	});
}
