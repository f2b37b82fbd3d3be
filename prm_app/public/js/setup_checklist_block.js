// The script of the Custom HTML Block "PRM Setup Checklist" (Partners workspace), copied into the block
// on install and migrate (prm_app.api.setup.make_checklist_block). Frappe runs it in the block's shadow
// root, `root_element`. The block hides itself once every step is done.
frappe.call("prm_app.api.setup.get_setup_checklist").then((r) => {
	const box = root_element.querySelector(".prm-setup-checklist");
	const checklist = r.message;
	if (!checklist || checklist.complete) {
		const widget = root_element.host && root_element.host.closest(".widget");
		if (widget) widget.style.display = "none";
		return;
	}
	const esc = frappe.utils.escape_html;
	const items = checklist.steps.map((step) => {
		const links = step.links
			.map((link) => `<a href="${encodeURI(link.url)}">${esc(link.label)}</a>`)
			.join(", ");
		const mark = step.done ? "&#10003;" : "&#9675;";
		const detail = step.detail
			? `<div class="text-muted small">${esc(step.detail)} ${links}</div>`
			: "";
		return `<li class="${step.done ? "done" : ""}">${mark} ${esc(step.label)}${detail}</li>`;
	});
	box.innerHTML = `<div class="h6">${esc(
		__("Finish setting up partner commission")
	)}</div><ul>${items.join("")}</ul>`;
});
