"""Tier evaluation (engine.tiers): criteria, windows, returns, grace, locks, ties, empty data, determinism."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from prm_app.engine.tiers import (
	DEMOTION,
	NONE,
	PROMOTION,
	TierCriteria,
	TierDataError,
	TierError,
	evaluate_tiers,
	window_start,
)

AS_OF = date(2026, 10, 31)
TIERS = [
	TierCriteria("Registered", 1),
	TierCriteria("Silver", 2, min_revenue=10_000, window_months=12, grace_count=1),
	TierCriteria("Gold", 3, min_revenue=50_000, min_won_deals=2, min_certified_users=2, grace_count=0),
]


def partners(*rows):
	return pd.DataFrame(
		[(p, t, bool(rest[0]) if rest else False) for p, t, *rest in rows],
		columns=["partner", "tier", "tier_locked"],
	)


def invoices(*rows):
	return pd.DataFrame(rows, columns=["partner", "posting_date", "base_net_amount"])


def certs(*rows):
	return pd.DataFrame(rows, columns=["partner", "user", "valid_until"])


def regs(*rows):
	return pd.DataFrame(rows, columns=["partner", "status", "won_on"])


def history(*rows):
	return pd.DataFrame(rows, columns=["partner", "evaluated_on", "tier", "failed"])


def one(result, partner):
	return result.set_index("partner").loc[partner]


def gold_inputs(partner="P"):
	return dict(
		invoices=invoices((partner, "2026-06-01", 60_000)),
		registrations=regs(
			(partner, "Won", "2026-05-01"), (partner, "Won", "2026-09-30"), (partner, "Lost", "2026-09-30")
		),
		certifications=certs((partner, "a@x", None), (partner, "b@x", "2027-01-01"), (partner, "b@x", None)),
	)


def test_highest_tier_whose_criteria_all_pass_is_a_promotion():
	r = one(evaluate_tiers(TIERS, partners(("P", "Registered")), as_of=AS_OF, **gold_inputs()), "P")
	assert r.qualified_tier == "Gold" and r.proposed_tier == "Gold" and r.change == PROMOTION
	assert r.revenue == 60_000 and r.won_deals == 2 and r.certified_users == 2  # b@x counted once
	assert r.passed == {"revenue": True, "won_deals": True, "certified_users": True}
	assert r.next_tier == ""
	assert r.reason == "Promoted from Registered to Gold: all criteria of Gold met."


def test_one_missing_criterion_keeps_the_lower_tier_and_reports_which_failed():
	data = gold_inputs()
	data["certifications"] = certs(("P", "a@x", None), ("P", "b@x", "2026-10-30"))  # b expired the day before
	r = one(evaluate_tiers(TIERS, partners(("P", "Registered")), as_of=AS_OF, **data), "P")
	assert r.proposed_tier == "Silver" and r.change == PROMOTION and r.next_tier == "Gold"
	gold = r.criteria["Gold"]
	assert gold["revenue"]["passed"] and gold["won_deals"]["passed"]
	assert gold["certified_users"] == {"value": 1, "target": 2, "passed": False}


def test_revenue_window_and_returns():
	inv = invoices(
		("P", "2025-10-31", 5_000),  # the day the window starts: excluded
		("P", "2025-11-01", 6_000),
		("P", "2026-10-31", 4_000.005),  # rounds to cents
		("P", "2026-11-01", 99_000),  # after as_of
	)
	ret = invoices(("P", "2026-07-01", -500), ("P", "2026-07-02", 200))  # magnitude subtracted, any sign
	r = one(evaluate_tiers(TIERS, partners(("P", "")), inv, ret, as_of=AS_OF), "P")
	assert r.revenue == pytest.approx(9_300.01)
	assert r.proposed_tier == "Registered" and r.change == PROMOTION
	assert r.criteria["Silver"]["revenue"] == {
		"value": 9_300.01,
		"target": 10_000,
		"window_months": 12,
		"passed": False,
	}
	assert str(window_start(date(2026, 5, 31), 3)) == "2026-02-28"


def test_won_registrations_only_in_the_window():
	reg = regs(
		("P", "Won", "2025-10-31"),
		("P", "Won", "2025-11-01"),
		("P", "Approved", "2026-01-01"),
		("P", "Won", None),
	)
	tiers = [TierCriteria("Deals", 1, min_won_deals=1, window_months=12)]
	r = one(evaluate_tiers(tiers, partners(("P", "")), registrations=reg, as_of=AS_OF), "P")
	assert r.won_deals == 1 and r.proposed_tier == "Deals"


def test_demotion_waits_for_the_grace_count():
	low = invoices(("P", "2026-06-01", 1_000))
	p = partners(("P", "Silver"))
	first = one(evaluate_tiers(TIERS, p, low, as_of=AS_OF), "P")
	assert first.proposed_tier == "Silver" and first.change == NONE
	assert first.consecutive_failures == 1 and not first.current_tier_passed
	assert "grace" in first.reason
	h = history(("P", "2026-09-30", "Silver", True))
	second = one(evaluate_tiers(TIERS, p, low, history=h, as_of=AS_OF), "P")
	assert second.proposed_tier == "Registered" and second.change == DEMOTION
	assert second.consecutive_failures == 2
	assert (
		second.reason
		== "Demoted from Silver to Registered: failed Silver for 2 consecutive evaluation(s), grace 1."
	)
	# the same as a template and arguments, for the Frappe layer to translate
	assert second.reason_template == (
		"Demoted from {0} to {1}: failed {0} for {2} consecutive evaluation(s), grace {3}."
	)
	assert second.reason_args == ("Silver", "Registered", 2, 1)


def test_a_pass_or_another_tier_breaks_the_failure_streak():
	low = invoices(("P", "2026-06-01", 1_000))
	p = partners(("P", "Silver"))
	h = history(
		("P", "2026-09-30", "Silver", False),
		("P", "2026-08-31", "Silver", True),
		("P", "2026-07-31", "Gold", True),
	)
	r = one(evaluate_tiers(TIERS, p, low, history=h, as_of=AS_OF), "P")
	assert r.consecutive_failures == 1 and r.change == NONE


def test_same_day_re_evaluations_count_once():
	low = invoices(("P", "2026-06-01", 1_000))
	h = history(("P", "2026-09-30", "Silver", True), ("P", "2026-09-30", "Silver", True))
	r = one(evaluate_tiers(TIERS, partners(("P", "Gold")), low, history=h, as_of=AS_OF), "P")
	assert r.consecutive_failures == 1  # Silver rows don't count for Gold
	r = one(evaluate_tiers(TIERS, partners(("P", "Silver")), low, history=h, as_of=AS_OF), "P")
	assert r.consecutive_failures == 2 and r.change == DEMOTION  # one earlier day + today
	h = history(("P", "2026-09-30", "Silver", True), ("P", "2026-09-30", "Silver", False))
	r = one(evaluate_tiers(TIERS, partners(("P", "Silver")), low, history=h, as_of=AS_OF), "P")
	assert r.consecutive_failures == 1 and r.change == NONE  # a pass that day breaks the streak


def test_grace_zero_demotes_at_once_and_passing_resets():
	p = partners(("P", "Gold"))
	r = one(evaluate_tiers(TIERS, p, invoices(("P", "2026-06-01", 20_000)), as_of=AS_OF), "P")
	assert r.proposed_tier == "Silver" and r.change == DEMOTION
	r = one(evaluate_tiers(TIERS, p, as_of=AS_OF, **gold_inputs()), "P")
	assert r.change == NONE and r.current_tier_passed and r.consecutive_failures == 0


def test_a_new_partner_is_not_demoted_before_its_first_full_window():
	# placed in Gold by hand a month ago: Gold's 12-month window has not passed, so no demotion yet
	p = partners(("P", "Gold"), ("Q", "Gold"))
	p["started_on"] = [date(2026, 10, 1), date(2024, 1, 1)]
	res = evaluate_tiers(TIERS, p, invoices(("P", "2026-10-15", 500), ("Q", "2026-10-15", 500)), as_of=AS_OF)
	r = one(res, "P")
	assert (r.proposed_tier, r.change, r.consecutive_failures) == ("Gold", NONE, 0)
	assert r.reason == "Keeps Gold: a new partner (since 2026-10-01) keeps its tier for its first 12 months."
	assert one(res, "Q").change == DEMOTION  # an established partner is demoted as before
	# a new partner is still promoted at once, and one without a start date is judged as before
	p = partners(("P", "Silver"), ("R", "Gold"))
	p["started_on"] = [date(2026, 10, 1), None]
	res = evaluate_tiers(TIERS, p, as_of=AS_OF, **gold_inputs())
	assert one(res, "P").change == PROMOTION
	assert one(res, "R").change == DEMOTION


def test_progress_is_toward_the_tier_above_the_one_held():
	# a Gold partner failing Gold (grace 0) is projected to Silver: the tier above Silver is Gold, but above
	# what it holds there is none; a partner without a tier looks at the lowest one
	p = partners(("P", "Gold"), ("Q", ""), ("R", "Silver"))
	res = evaluate_tiers(TIERS, p, invoices(("P", "2026-06-01", 20_000)), as_of=AS_OF)
	r = one(res, "P")
	assert (r.proposed_tier, r.next_tier, r.tier_above_current) == ("Silver", "Gold", "")
	assert one(res, "Q").tier_above_current == "Registered"
	assert one(res, "R").tier_above_current == "Gold" and "Gold" in one(res, "R").criteria


def test_locked_partner_is_reported_not_changed():
	p = partners(("P", "Registered", 1), ("Q", "Gold", 1))
	data = gold_inputs()
	res = evaluate_tiers(TIERS, p, as_of=AS_OF, **data)
	r = one(res, "P")
	assert r.locked and r.qualified_tier == "Gold" and r.proposed_tier == "Registered" and r.change == NONE
	assert r.reason == "Tier locked: stays Registered (qualifies for Gold)."
	q = one(res, "Q")
	assert q.proposed_tier == "Gold" and q.qualified_tier == "Registered" and q.change == NONE


def test_equal_ranks_resolve_by_name_whatever_the_input_order():
	tiers = [
		TierCriteria("Beta", 2, min_revenue=10),
		TierCriteria("Alpha", 2, min_revenue=10),
		TierCriteria("Base", 1),
	]
	p = partners(("P", "Base"))
	inv = invoices(("P", "2026-06-01", 100))
	a = one(evaluate_tiers(tiers, p, inv, as_of=AS_OF), "P")
	b = one(evaluate_tiers(list(reversed(tiers)), p, inv, as_of=AS_OF), "P")
	assert a.proposed_tier == b.proposed_tier == "Alpha"
	# holding Beta (same rank as the qualified Alpha) and passing it: no change
	c = one(evaluate_tiers(tiers, partners(("P", "Beta")), inv, as_of=AS_OF), "P")
	assert c.proposed_tier == "Beta" and c.change == NONE


def test_no_tier_and_nothing_qualifies():
	tiers = [TierCriteria("Silver", 2, min_revenue=10_000)]
	r = one(evaluate_tiers(tiers, partners(("P", "")), as_of=AS_OF), "P")
	assert r.proposed_tier == "" and r.change == NONE and r.next_tier == "Silver"
	assert r.reason == "Qualifies for no tier."


def test_unknown_current_tier_moves_to_the_qualified_one():
	r = one(evaluate_tiers(TIERS, partners(("P", "Platinum")), as_of=AS_OF), "P")
	assert r.proposed_tier == "Registered" and r.change == PROMOTION


def test_empty_data():
	res = evaluate_tiers(TIERS, partners(), as_of=AS_OF)
	assert res.empty and "proposed_tier" in res.columns
	res = evaluate_tiers(
		TIERS,
		partners(("P", "Silver")),
		invoices(),
		invoices(),
		regs(),
		certs(),
		history(),
		as_of=AS_OF,
	)
	assert one(res, "P").revenue == 0
	assert one(evaluate_tiers([], partners(("P", "")), as_of=AS_OF), "P").proposed_tier == ""


def test_rows_of_other_partners_are_ignored_and_output_is_sorted_and_deterministic():
	p = partners(("B", ""), ("A", ""), ("A", ""))
	inv = invoices(("Z", "2026-06-01", 1e9), ("A", "2026-06-01", 12_000), ("B", "2026-06-02", 1))
	res = evaluate_tiers(TIERS, p, inv, as_of=AS_OF)
	assert list(res.partner) == ["A", "B"]
	assert list(res.proposed_tier) == ["Silver", "Registered"]
	shuffled = evaluate_tiers(TIERS, p.iloc[::-1], inv.iloc[::-1], as_of=AS_OF)
	pd.testing.assert_frame_equal(res, shuffled)


def test_bad_input_raises_typed_errors():
	with pytest.raises(TierError):
		evaluate_tiers([TierCriteria("X", 1, min_revenue=-1)], partners(), as_of=AS_OF)
	with pytest.raises(TierError):
		evaluate_tiers([TierCriteria("X", 1, window_months=0)], partners(), as_of=AS_OF)
	with pytest.raises(TierError):
		evaluate_tiers([TierCriteria("X", 1), TierCriteria("X", 2)], partners(), as_of=AS_OF)
	with pytest.raises(TierDataError, match="posting_date"):
		evaluate_tiers(TIERS, partners(), pd.DataFrame({"partner": [], "base_net_amount": []}), as_of=AS_OF)
	with pytest.raises(TierDataError):
		evaluate_tiers(TIERS, partners())
