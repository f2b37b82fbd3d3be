"""Market development funds: allocation formulas, balances, limits and expiry (prm_app.engine.funds)."""

from datetime import date
from decimal import Decimal as D

import pandas as pd
import pytest

from prm_app.engine import funds
from prm_app.engine.funds import (
	AllocationRule,
	ClaimFigures,
	FundError,
	FundLimitError,
	PartnerInput,
	RequestFigures,
)

PARTNERS = [
	PartnerInput("A", "Gold", D("100000")),
	PartnerInput("B", "Silver", D("40000")),
	PartnerInput("C", None, D("-500")),
]


def amounts(allocations):
	return {a.partner: a.amount for a in allocations}


def test_fixed_per_partner():
	result = funds.allocate(AllocationRule(funds.FIXED_PER_PARTNER, amount=D("2500")), PARTNERS)
	assert amounts(result) == {"A": D("2500.00"), "B": D("2500.00"), "C": D("2500.00")}
	assert result[0].explanation == "fixed 2,500.00 per partner"


def test_fixed_per_tier_partner_without_tier_gets_nothing():
	rule = AllocationRule(funds.FIXED_PER_TIER, tier_amounts={"Gold": D("5000"), "Silver": D("2000")})
	assert amounts(funds.allocate(rule, PARTNERS)) == {"A": D("5000"), "B": D("2000"), "C": D("0")}


def test_percentage_of_revenue_capped_and_never_negative():
	rule = AllocationRule(funds.PERCENT_OF_REVENUE, percentage=D("2.5"), cap=D("2000"))
	result = funds.allocate(rule, PARTNERS)
	assert amounts(result) == {"A": D("2000"), "B": D("1000.00"), "C": D("0.00")}
	assert "capped at 2,000.00" in result[0].explanation


def test_percentage_rounds_with_frappe_legacy_method():
	rule = AllocationRule(funds.PERCENT_OF_REVENUE, percentage=D("1"))
	# 234.5 * 1% = 2.345 -> 2.35 (legacy: a tie goes up at precision 2)
	assert funds.allocate(rule, [PartnerInput("A", revenue=D("234.5"))])[0].amount == D("2.35")


def test_scaled_to_fund_total_adds_up_exactly():
	rule = AllocationRule(funds.FIXED_PER_PARTNER, amount=D("1000"), total=D("1000"))
	result = funds.allocate(rule, PARTNERS)
	assert sum(a.amount for a in result) == D("1000")
	# 333.33 each and the remaining cent to the first listed
	assert [a.amount for a in result] == [D("333.34"), D("333.33"), D("333.33")]
	assert "scaled" in result[0].explanation


def test_below_total_is_not_scaled():
	rule = AllocationRule(funds.FIXED_PER_PARTNER, amount=D("100"), total=D("1000"))
	assert sum(a.amount for a in funds.allocate(rule, PARTNERS)) == D("300")


def test_scale_to_total_largest_remainder():
	assert funds.scale_to_total([D("1"), D("2"), D("2")], D("1.00"), 2) == [D("0.20"), D("0.40"), D("0.40")]
	assert funds.scale_to_total([D("1"), D("1"), D("1")], D("0.02"), 2) == [D("0.01"), D("0.01"), D("0.00")]


@pytest.mark.parametrize(
	"kwargs",
	[
		{"method": "Lottery"},
		{"method": funds.FIXED_PER_PARTNER, "amount": D("-1")},
		{"method": funds.PERCENT_OF_REVENUE, "percentage": D("101")},
		{"method": funds.FIXED_PER_TIER, "tier_amounts": {"Gold": D("-5")}},
		{"method": funds.FIXED_PER_PARTNER, "cap": D("-1")},
	],
)
def test_bad_rules_refused(kwargs):
	with pytest.raises(FundError):
		AllocationRule(**kwargs)


def test_partner_listed_twice_refused():
	with pytest.raises(FundError, match="listed twice"):
		funds.allocate(
			AllocationRule(funds.FIXED_PER_PARTNER, amount=D("1")), [PartnerInput("A"), PartnerInput("A")]
		)


def test_reallocation_keeps_commitments():
	a = funds.Allocation("A", D("500.00"), "fixed 500.00 per partner")
	assert funds.keep_commitments(a, D("400"), D("0")) is a
	kept = funds.keep_commitments(a, D("900"), D("100"))  # 900 committed, 100 of it from adjustments
	assert kept.amount == D("800")
	assert "kept at 800.00" in kept.explanation


def test_allocate_frame_equals_allocate():
	lines = pd.DataFrame(
		{"partner": ["A", "B", "A", "C", "A"], "base_net_amount": [60000.0, 40000.0, 40000.0, -500.0, 0.1]}
	)
	partners = pd.DataFrame({"partner": ["A", "B", "C", "D"], "tier": ["Gold", "Silver", None, None]})
	rule = AllocationRule(funds.PERCENT_OF_REVENUE, percentage=D("2.5"), cap=D("5000"))
	expected = funds.allocate(
		rule,
		[
			PartnerInput("A", "Gold", D("100000.1")),
			PartnerInput("B", "Silver", D("40000")),
			PartnerInput("C", None, D("-500")),
			PartnerInput("D", None, D("0")),
		],
	)
	assert funds.allocate_frame(rule, partners, lines) == expected


# --- balances ----------------------------------------------------------------------------------------------


def test_balance_derived_from_documents():
	requests = [
		RequestFigures("R1", funds.APPROVED, D("1000"), D("1000")),  # claimed 600: 400 still reserved
		RequestFigures("R2", funds.PARTIALLY_APPROVED, D("800"), D("500")),  # reserved 500
		RequestFigures("R3", funds.SUBMITTED, D("300")),  # pending: requested only
		RequestFigures("R4", funds.REJECTED, D("900")),
		RequestFigures("R5", funds.EXPIRED, D("700"), D("700")),  # released
		RequestFigures("R6", funds.CLAIMED, D("200"), D("200")),  # claimed 150: the rest released
		RequestFigures("R7", funds.RETURNED, D("50")),
	]
	claims = [ClaimFigures("R1", D("600"), D("600")), ClaimFigures("R6", D("150"), D("0"))]
	b = funds.balance(D("5000"), requests, claims)
	assert b.as_dict() == {
		"allocated": D("5000"),
		"requested": D("350"),
		"reserved": D("900"),
		"claimed": D("750"),
		"reimbursed": D("600"),
		"available": D("3350"),
	}


def test_request_reserve_never_negative():
	assert funds.request_reserve(funds.APPROVED, D("100"), D("150")) == 0
	assert funds.request_reserve(funds.DRAFT, D("100")) == 0


def test_unknown_status_refused():
	with pytest.raises(FundError, match="unknown status"):
		funds.balance(D("1"), [RequestFigures("R", "Paid")], [])


def test_reserve_cannot_go_negative_without_reason():
	assert funds.check_reserve(D("1000"), D("1000")) == D("0")
	with pytest.raises(FundLimitError, match="only 1000 is available"):
		funds.check_reserve(D("1000"), D("1000.01"))
	with pytest.raises(FundLimitError):
		funds.check_reserve(D("1000"), D("1500"), override_reason="   ")
	assert funds.check_reserve(D("1000"), D("1500"), override_reason="Q4 launch event") == D("-500")


def test_approval_status():
	assert funds.check_approval(D("1000"), D("1000")) == funds.APPROVED
	assert funds.check_approval(D("1000"), D("999.99")) == funds.PARTIALLY_APPROVED
	with pytest.raises(FundLimitError):
		funds.check_approval(D("1000"), D("1000.01"))
	with pytest.raises(FundError):
		funds.check_approval(D("1000"), D("0"))


# --- claims ------------------------------------------------------------------------------------------------


def test_claim_limit_is_approved_and_coop_share():
	assert funds.claim_limit(D("1000"), D("3000"), D("50")) == D("1000")  # approved binds
	assert funds.claim_limit(D("1000"), D("1500"), D("50")) == D("750")  # share binds
	assert funds.claim_limit(D("1000"), D("1500"), D("50"), already_claimed=D("400")) == D("600")
	assert funds.claim_limit(D("1000"), D("0.05"), D("50")) == D("0.02")  # rounded down


def test_check_claim():
	assert funds.check_claim(D("750"), D("1000"), D("1500"), D("50")) == D("750")
	with pytest.raises(FundLimitError, match="co-op share"):
		funds.check_claim(D("750.01"), D("1000"), D("1500"), D("50"))
	with pytest.raises(FundLimitError, match="approved"):
		funds.check_claim(D("1000.01"), D("1000"), D("5000"), D("100"))
	with pytest.raises(FundError):
		funds.check_claim(D("0"), D("1000"), D("5000"), D("100"))
	with pytest.raises(FundError):
		funds.claim_limit(D("1000"), D("5000"), D("120"))


# --- expiry ------------------------------------------------------------------------------------------------


def test_expiry():
	end = date(2026, 3, 31)
	assert funds.expiry_date(end, 30) == date(2026, 4, 30)
	assert funds.expiry_date(end, 0) == end
	with pytest.raises(FundError):
		funds.expiry_date(end, -1)
	assert not funds.is_expired(funds.APPROVED, date(2026, 4, 30), date(2026, 4, 30))
	assert funds.is_expired(funds.APPROVED, date(2026, 4, 30), date(2026, 5, 1))
	assert not funds.is_expired(funds.CLAIMED, date(2026, 4, 30), date(2026, 5, 1))


def test_utilisation():
	rows = [
		{"fund": "F1", "partner": "A", "allocated": D("1000"), "claimed": D("250")},
		{"fund": "F1", "partner": "A", "approved": D("400"), "paid": D("250")},
		{"fund": "F1", "partner": "B", "allocated": D("0")},
	]
	out = funds.utilisation(rows, ("fund", "partner"))
	assert [(r["partner"], r["allocated"], r["approved"], r["claimed"], r["utilisation"]) for r in out] == [
		("A", D("1000"), D("400"), D("250"), D("25.00")),
		("B", D("0"), D("0"), D("0"), D("0")),
	]
