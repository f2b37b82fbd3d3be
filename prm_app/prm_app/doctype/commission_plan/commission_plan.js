// Commission Plan: export / import the plan as the engine's JSON, and simulate it on past invoices.

const SIMULATION = "Commission Plan Simulation";
const SIMULATION_EVENT = "prm_plan_simulation";

frappe.ui.form.on("Commission Plan", {
	refresh(frm) {
		prm_format_rule_and_bracket_rates(frm);
		prm_set_bracket_rules(frm);
		if (frm.doc.__onload && frm.doc.__onload.plan_summary) {
			prm_show_plan_summary(frm, frm.doc.__onload.plan_summary);
		} else {
			prm_update_plan_summary(frm); // a new or copied plan: worked out from the form
		}
		if (frm.is_new()) {
			return;
		}
		const group = __("Plan JSON");
		frm.add_custom_button(__("Export JSON"), () => export_plan(frm), group);
		if (frm.perm[0] && frm.perm[0].write) {
			frm.add_custom_button(__("Import JSON"), () => import_plan(frm), group);
		}
		if (frm.doc.__onload && frm.doc.__onload.can_simulate) {
			frm.add_custom_button(__("Simulate"), () => ask_simulation(frm));
		}
		if (frappe.model.can_read(SIMULATION)) {
			frm.add_custom_button(
				__("Simulations"),
				() => frappe.set_route("List", SIMULATION, { commission_plan: frm.doc.name }),
				__("View")
			);
		}
	},
});

// Any value of the plan, a rule or a bracket, and a removed row, changes the summary (worked out by the
// server on the unsaved plan): every field of the three doctypes is watched, read from their meta.
function prm_handlers(fields, handler) {
	return Object.fromEntries(fields.map((field) => [field, handler]));
}

function prm_watch_plan_summary() {
	if (window.prm_plan_summary_watched) {
		return;
	}
	window.prm_plan_summary_watched = true;
	for (const doctype of ["Commission Plan", "Commission Plan Rule", "Commission Plan Bracket"]) {
		const fields = frappe.meta
			.get_docfields(doctype)
			.filter((df) => !frappe.model.no_value_type.includes(df.fieldtype))
			.map((df) => df.fieldname);
		frappe.ui.form.on(doctype, prm_handlers(fields, prm_update_plan_summary));
	}
	frappe.ui.form.on("Commission Plan Rule", { rules_remove: prm_update_plan_summary });
	frappe.ui.form.on("Commission Plan Bracket", { brackets_remove: prm_update_plan_summary });
}

frappe.ui.form.on("Commission Plan", { setup: prm_watch_plan_summary });

// A bracket's rule is picked from the plan's rules (the names must match), kept in step as rules change.
frappe.ui.form.on("Commission Plan Rule", {
	rule_name: prm_set_bracket_rules,
	rules_add: prm_set_bracket_rules,
	rules_remove: prm_set_bracket_rules,
});

// The summary is HTML the server built and escaped (names are shown as text).
function prm_show_plan_summary(frm, html) {
	const field = frm.fields_dict.plan_summary;
	if (field) {
		field.$wrapper.html(html || "");
	}
}

function prm_update_plan_summary(frm) {
	clearTimeout(frm.__prm_summary_timer);
	frm.__prm_summary_timer = setTimeout(() => {
		frappe
			.xcall("prm_app.api.commission_plan.get_plan_summary", { doc: frm.doc })
			.then((html) => prm_show_plan_summary(frm, html));
	}, 600);
}

function prm_set_bracket_rules(frm) {
	const names = [...new Set((frm.doc.rules || []).map((r) => r.rule_name).filter(Boolean))];
	frm.fields_dict.brackets.grid.update_docfield_property("rule_name", "options", ["", ...names]);
	frm.refresh_field("brackets");
}

// Rates read as what they are: a percentage rule's rate with "%", an open bracket "and above"; a rule's
// name is text as typed (Frappe strips markup only when the plan is saved).
function prm_format_rule_and_bracket_rates(frm) {
	const rules = frm.fields_dict.rules.grid;
	const as_text = (value) => frappe.utils.escape_html(value || "");
	rules.update_docfield_property("rule_name", "formatter", as_text);
	frm.fields_dict.brackets.grid.update_docfield_property("rule_name", "formatter", as_text);
	rules.update_docfield_property("rate", "formatter", (value, df, options, doc) => {
		if (doc && doc.rate_type === "Percentage") {
			return frappe.format(value, { fieldtype: "Percent" }, options);
		}
		return frappe.format(value, { fieldtype: "Currency", options: "currency" }, options, frm.doc);
	});
	frm.fields_dict.brackets.grid.update_docfield_property("to_amount", "formatter", (value, df, options) =>
		value ? frappe.format(value, { fieldtype: "Currency" }, options, frm.doc) : __("and above")
	);
}

// --- export / import -------------------------------------------------------------------------------

function export_plan(frm) {
	frm.call("export_plan").then((r) => {
		const text = r.message;
		const filename = `${frappe.scrub(frm.doc.name)}.json`;
		const dialog = new frappe.ui.Dialog({
			title: __("Plan JSON: {0}", [frm.doc.name]),
			size: "large",
			fields: [
				{
					fieldname: "plan_json",
					fieldtype: "Code",
					options: "JSON",
					label: __("Plan"),
					read_only: 1,
					default: text,
					description: __(
						"The engine's plan format: what prm-sim reads and Import JSON accepts."
					),
				},
			],
			primary_action_label: __("Download {0}", [filename]),
			primary_action() {
				download(filename, text, "application/json");
			},
			secondary_action_label: __("Copy to Clipboard"),
			secondary_action() {
				frappe.utils.copy_to_clipboard(text);
			},
		});
		dialog.show();
	});
}

function download(filename, text, type) {
	const url = URL.createObjectURL(new Blob([text], { type }));
	const link = document.createElement("a");
	link.href = url;
	link.download = filename;
	document.body.appendChild(link);
	link.click();
	link.remove();
	setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function import_plan(frm) {
	if (frm.is_dirty()) {
		frappe.msgprint(__("Save the plan before importing into it."), __("Unsaved Changes"));
		return;
	}
	const dialog = new frappe.ui.Dialog({
		title: __("Import Plan JSON into {0}", [frm.doc.name]),
		size: "large",
		fields: [
			{
				fieldname: "plan_json",
				fieldtype: "Code",
				options: "JSON",
				label: __("Plan JSON"),
				reqd: 1,
				description: __(
					"Replaces basis, trigger, bracket mode, period, rules and brackets. Name, company and dates stay as they are."
				),
			},
		],
		primary_action_label: __("Import"),
		primary_action(values) {
			frm.call({
				doc: frm.doc,
				method: "import_plan",
				args: { plan_json: values.plan_json },
				freeze: true,
				freeze_message: __("Importing..."),
			}).then(() => {
				dialog.hide();
				frm.reload_doc();
				frappe.show_alert({ message: __("Plan imported"), indicator: "green" });
			});
		},
	});
	dialog.show();
}

// --- simulation ------------------------------------------------------------------------------------

function ask_simulation(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Simulate {0}", [frm.doc.name]),
		fields: [
			{
				fieldname: "months",
				fieldtype: "Int",
				label: __("Months"),
				default: 12,
				reqd: 1,
				description: __(
					"Runs this plan on the partner invoices of the last N months (this month included) and compares what it would pay with what was accrued. Nothing is posted."
				),
			},
		],
		primary_action_label: __("Simulate"),
		primary_action(values) {
			dialog.hide();
			start_simulation(frm, values.months);
		},
	});
	dialog.show();
}

function start_simulation(frm, months) {
	frappe
		.xcall("prm_app.api.commission_plan.simulate", {
			commission_plan: frm.doc.name,
			months: months,
		})
		.then((r) => {
			if (!r.queued) {
				frappe.show_alert({
					message: __("A simulation of this plan is already running: {0}", [r.simulation]),
					indicator: "orange",
				});
			}
			// the server publishes progress under the same title, so this dialog is the one it updates
			frappe.show_progress(__("Simulating {0}", [frm.doc.name]), 0, 100, __("Queued"));
			wait_for_simulation(r.simulation).then((doc) => {
				frappe.hide_progress();
				show_simulation(doc);
			});
		});
}

function wait_for_simulation(name) {
	// realtime tells us when the job ends; polling covers a missed event (or no socket.io)
	return new Promise((resolve) => {
		let done = false;
		let timer = null;
		const finish = () => {
			frappe.db.get_doc(SIMULATION, name).then((doc) => {
				if (done || !["Completed", "Failed"].includes(doc.status)) {
					return;
				}
				done = true;
				clearInterval(timer);
				frappe.realtime.off(SIMULATION_EVENT, on_event);
				resolve(doc);
			});
		};
		const on_event = (data) => {
			if (data && data.simulation === name) {
				finish();
			}
		};
		frappe.realtime.on(SIMULATION_EVENT, on_event);
		timer = setInterval(finish, 5000);
	});
}

function show_simulation(doc) {
	if (doc.status === "Failed") {
		frappe.msgprint({
			title: __("Simulation Failed"),
			indicator: "red",
			message: `<p>${__("Simulation {0} failed:", [
				`<a href="/app/commission-plan-simulation/${encodeURIComponent(doc.name)}">${frappe.utils.escape_html(
					doc.name
				)}</a>`,
			])}</p><pre>${frappe.utils.escape_html(doc.error || "")}</pre>`,
		});
		return;
	}
	const money = (value) => format_currency(value, doc.currency);
	const rows = (doc.partners || [])
		.map(
			(row) => `<tr>
				<td>${frappe.utils.escape_html(row.partner)}</td>
				<td class="text-right">${row.invoices}</td>
				<td class="text-right">${money(row.base)}</td>
				<td class="text-right">${money(row.would_pay)}</td>
				<td class="text-right">${money(row.was_accrued)}</td>
				<td class="text-right">${money(row.difference)}</td>
			</tr>`
		)
		.join("");
	const empty = `<tr><td colspan="6" class="text-muted text-center">${__(
		"No partner invoices in these months."
	)}</td></tr>`;
	const dialog = new frappe.ui.Dialog({
		title: __("Simulation of {0}", [doc.commission_plan]),
		size: "extra-large",
		fields: [{ fieldname: "result", fieldtype: "HTML" }],
		primary_action_label: __("Open {0}", [doc.name]),
		primary_action() {
			dialog.hide();
			frappe.set_route("Form", SIMULATION, doc.name);
		},
	});
	dialog.fields_dict.result.$wrapper.html(`
		<p class="text-muted">${__("{0} to {1}: {2} invoices and credit notes.", [
			frappe.datetime.str_to_user(doc.from_date),
			frappe.datetime.str_to_user(doc.to_date),
			doc.total_invoices,
		])}</p>
		<table class="table table-bordered table-sm">
			<thead><tr>
				<th>${__("Partner")}</th>
				<th class="text-right">${__("Invoices")}</th>
				<th class="text-right">${__("Base")}</th>
				<th class="text-right">${__("Would Pay")}</th>
				<th class="text-right">${__("Was Accrued")}</th>
				<th class="text-right">${__("Difference")}</th>
			</tr></thead>
			<tbody>${rows || empty}</tbody>
			<tfoot><tr class="font-weight-bold">
				<td>${__("Total")}</td>
				<td class="text-right">${doc.total_invoices}</td>
				<td class="text-right">${money(doc.total_base)}</td>
				<td class="text-right">${money(doc.total_would_pay)}</td>
				<td class="text-right">${money(doc.total_was_accrued)}</td>
				<td class="text-right">${money(doc.total_difference)}</td>
			</tr></tfoot>
		</table>
		<p class="text-muted small">${frappe.utils.escape_html(doc.notes || "").replace(/\n/g, "<br>")}</p>
	`);
	dialog.show();
}
