// The script of the Custom HTML Block "PRM Chart Empty States" (Partners workspace, just above the charts),
// copied into the block on install and migrate (prm_app.api.workspace.make_empty_state_block). Frappe runs
// it in the block's shadow root, `root_element`. For each chart with nothing to show it says what makes
// data appear there; it hides itself once every chart has data.
frappe.call("prm_app.api.workspace.get_chart_empty_states").then((r) => {
	const box = root_element.querySelector(".prm-chart-empty-states");
	const states = r.message || [];
	if (!states.length) {
		const widget = root_element.host && root_element.host.closest(".widget");
		if (widget) widget.style.display = "none";
		return;
	}
	const esc = frappe.utils.escape_html;
	box.innerHTML = states
		.map((state) => {
			const links = state.links
				.map((link) => `<a href="${encodeURI(link.url)}">${esc(link.label)}</a>`)
				.join(" · ");
			return `<div class="prm-empty-state" data-chart="${esc(state.chart)}">
				<p><b>${esc(state.label)}</b></p>
				<p class="text-muted">${esc(state.message)}</p>
				<div class="small">${links}</div>
			</div>`;
		})
		.join("");
});
