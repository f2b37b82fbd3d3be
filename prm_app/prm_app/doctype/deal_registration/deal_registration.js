// Deal Registration: the status actions call guarded server methods; the form never sets a status.

const STATUS_COLORS = {
	Draft: "gray",
	Submitted: "blue",
	"Under Review": "orange",
	Approved: "green",
	Rejected: "red",
	"Returned for information": "yellow",
	Won: "green",
	Lost: "gray",
	Expired: "gray",
	Withdrawn: "gray",
};

frappe.ui.form.on("Deal Registration", {
	refresh(frm) {
		frm.page.set_indicator(__(frm.doc.status), STATUS_COLORS[frm.doc.status] || "gray");
		if (frm.is_new()) return;
		if (frm.doc.has_hard_conflict) frm.dashboard.add_indicator(__("Hard Conflict"), "red");
		const is_manager = frappe.user.has_role("Partner Manager") || frappe.user.has_role("System Manager");
		const status = frm.doc.status;
		const act = (label, method, args, group) =>
			frm.add_custom_button(
				label,
				() => frm.call(method, args || {}).then(() => frm.reload_doc()),
				group
			);
		const with_reason = (label, method, group) =>
			frm.add_custom_button(
				label,
				() =>
					frappe.prompt(
						{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
						(v) => frm.call(method, { reason: v.reason }).then(() => frm.reload_doc()),
						label
					),
				group
			);

		if (["Draft", "Returned for information"].includes(status)) {
			act(__("Submit Registration"), "submit_registration");
		}
		if (["Draft", "Submitted", "Under Review", "Returned for information"].includes(status)) {
			act(__("Withdraw"), "withdraw", null, __("Actions"));
		}
		if (status === "Approved") {
			frm.add_custom_button(
				__("Request Extension"),
				() =>
					frappe.prompt(
						[
							{ fieldname: "until", fieldtype: "Date", label: __("Protect Until"), reqd: 1 },
							{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
						],
						(v) => frm.call("request_extension", v).then(() => frm.reload_doc()),
						__("Request Extension")
					),
				__("Actions")
			);
		}
		if (!is_manager) return;
		const review = __("Review");
		if (status === "Submitted") act(__("Start Review"), "start_review", null, review);
		if (["Submitted", "Under Review"].includes(status)) {
			frm.add_custom_button(
				__("Approve"),
				() =>
					frappe.confirm(
						__("Approve {0}: protect {1} for {2}?", [
							frm.doc.name,
							frappe.utils.escape_html(frm.doc.prospect_name),
							frappe.utils.escape_html(frm.doc.partner),
						]),
						() => frm.call("approve").then(() => frm.reload_doc())
					),
				review
			);
			with_reason(__("Reject"), "reject", review);
			with_reason(__("Return for Information"), "return_for_information", review);
			act(__("Check Conflicts"), "check_conflicts", null, review);
		}
		if (["Approved", "Expired"].includes(status)) {
			frm.add_custom_button(
				__("Extend Protection"),
				() =>
					frappe.prompt(
						{
							fieldname: "until",
							fieldtype: "Date",
							label: __("Protect Until"),
							default: frm.doc.extension_requested_until,
							reqd: 1,
						},
						(v) => frm.call("approve_extension", v).then(() => frm.reload_doc()),
						__("Extend Protection")
					),
				review
			);
			with_reason(__("Mark Lost"), "mark_lost", review);
		}
		if (status === "Approved" && frm.doc.extension_requested_until) {
			act(__("Decline Extension"), "decline_extension", null, review);
		}
	},
});
