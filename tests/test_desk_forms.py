"""Desk friction of issue 12, read from the doctype JSON and form scripts (no bench): the Partner Statement
is a payout's default print format, the commission list shows amounts, a deal registration opens its
Conflicts section when it has conflicts and badges a hard conflict, approval asks for confirmation, and a
draft payout gets its commissions before it is saved."""

import json
from pathlib import Path

DOCTYPES = Path(__file__).resolve().parent.parent / "prm_app" / "prm_app" / "doctype"


def doctype(name: str) -> dict:
	return json.loads((DOCTYPES / name / f"{name}.json").read_text())


def field(meta: dict, fieldname: str) -> dict:
	return next(f for f in meta["fields"] if f["fieldname"] == fieldname)


def test_partner_statement_is_the_payouts_default_print_format():
	assert doctype("partner_payout")["default_print_format"] == "Partner Statement"


def test_commission_list_shows_its_amounts():
	meta = doctype("partner_commission")
	assert {f["fieldname"] for f in meta["fields"] if f.get("in_list_view")} >= {
		"total",
		"outstanding_amount",
	}


def test_deal_conflicts_open_when_there_are_some_and_hard_ones_are_badged():
	meta = doctype("deal_registration")
	assert "conflicts" in field(meta, "section_conflicts").get("collapsible_depends_on", "")
	form = (DOCTYPES / "deal_registration" / "deal_registration.js").read_text()
	listing = (DOCTYPES / "deal_registration" / "deal_registration_list.js").read_text()
	assert "has_hard_conflict" in form and "has_hard_conflict" in listing
	approve = form[form.index('__("Approve")') :][:400]
	assert "frappe.confirm" in approve and "escape_html" in approve


def test_a_draft_payout_gets_its_commissions_before_saving():
	script = (DOCTYPES / "partner_payout" / "partner_payout.js").read_text()
	assert 'frm.call("get_commissions")' in script
	controller = (DOCTYPES / "partner_payout" / "partner_payout.py").read_text()
	assert "@frappe.whitelist()\n\tdef get_commissions(self):" in controller


def test_a_brackets_rule_is_picked_from_the_plans_rules():
	assert field(doctype("commission_plan_bracket"), "rule_name")["fieldtype"] == "Select"
	script = (DOCTYPES / "commission_plan" / "commission_plan.js").read_text()
	assert 'update_docfield_property("rule_name", "options"' in script
	assert '__("and above")' in script


def test_commission_lines_take_the_full_width():
	meta = doctype("partner_commission")
	order = meta["field_order"]
	after_lines = order[order.index("lines") + 1 :]
	section_end = next(
		f for f in after_lines if field(meta, f)["fieldtype"] in ("Section Break", "Column Break")
	)
	assert field(meta, section_end)["fieldtype"] == "Section Break"  # no column beside the table


def test_tier_progress_reads_as_a_projection():
	script = (DOCTYPES / "partner" / "partner.js").read_text()
	assert '__("Projection, if tiers were evaluated today: {0}", [progress.reason])' in script


def test_charts_draw_without_animation():
	"""frappe-charts swaps a chart's svg for an animated copy for 250 ms after each draw, and a resize in that
	window (a scrollbar appearing while a dashboard's widgets load) throws "Failed to execute 'removeChild'"
	in the desk: prm_app's charts draw without animation (test_desk_browser resizes them mid-draw)."""
	charts = sorted((DOCTYPES.parent / "dashboard_chart").glob("*/*.json"))
	assert charts
	for path in charts:
		options = json.loads(json.loads(path.read_text()).get("custom_options") or "{}")
		assert (options.get("animate"), options.get("disableEntryAnimation")) == (0, 1), path.name
