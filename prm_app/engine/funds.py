"""Market development funds: pure rules (``Decimal`` money, no frappe).

- **Allocation** of a fund to partners: a fixed amount per partner, a fixed amount per tier, or a
  percentage of each partner's revenue in a previous period with a cap per partner. When the
  allocations exceed the fund's total they are scaled down pro rata, and the cents that rounding leaves
  go to the largest remainders, so the allocations add up to the total exactly.
- **Balance** of one allocation, derived from documents only: allocated (allocation plus logged
  adjustments), requested (pending requests), approved (reserved: approved requests not yet claimed),
  claimed (approved claims), reimbursed (what the claims' invoices have been paid) and available =
  allocated - reserved - claimed. Available never goes below zero unless a manager overrides with a
  reason.
- **Limits** of a claim: at most what the request approved (less earlier claims) and at most the fund's
  co-op share of the actual cost.
- **Expiry**: a request expires when its activity ends plus the claim window, releasing its reserve.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

from prm_app.engine.errors import EngineError
from prm_app.engine.money import DEFAULT_ROUNDING, HUNDRED, ZERO, round_money, to_decimal

FIXED_PER_PARTNER = "Fixed per partner"
FIXED_PER_TIER = "Fixed per tier"
PERCENT_OF_REVENUE = "Percentage of revenue"
ALLOCATION_METHODS = (FIXED_PER_PARTNER, FIXED_PER_TIER, PERCENT_OF_REVENUE)

# request statuses
DRAFT = "Draft"
SUBMITTED = "Submitted"
RETURNED = "Returned for information"
APPROVED = "Approved"
PARTIALLY_APPROVED = "Partially approved"
REJECTED = "Rejected"
EXPIRED = "Expired"
CLAIMED = "Claimed"
REQUEST_STATUSES = (DRAFT, SUBMITTED, RETURNED, APPROVED, PARTIALLY_APPROVED, REJECTED, EXPIRED, CLAIMED)
PENDING = (SUBMITTED, RETURNED)
RESERVING = (APPROVED, PARTIALLY_APPROVED)


class FundError(EngineError):
	"""A fund rule is broken (bad allocation rule, an amount above what is available or claimable)."""


class FundLimitError(FundError):
	"""An amount exceeds a limit (available balance, approved amount, co-op share)."""


# --- allocation --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AllocationRule:
	method: str
	amount: Decimal = ZERO  # fixed per partner
	tier_amounts: dict[str, Decimal] = field(default_factory=dict)  # fixed per tier
	percentage: Decimal = ZERO  # of previous-period revenue
	cap: Decimal | None = None  # per partner (any method); None or 0: no cap
	total: Decimal | None = None  # the fund's total; allocations are scaled down to it
	precision: int = 2
	rounding_method: str = DEFAULT_ROUNDING

	def __post_init__(self):
		if self.method not in ALLOCATION_METHODS:
			raise FundError(
				"unknown allocation method {0!r} (expected one of: {1})",
				self.method,
				", ".join(ALLOCATION_METHODS),
			)
		for what, value in (("amount", self.amount), ("percentage", self.percentage)):
			if to_decimal(value, what) < 0:
				raise FundError("the {0} of an allocation rule cannot be negative, got {1}", what, value)
		if to_decimal(self.percentage) > HUNDRED:
			raise FundError("the percentage of revenue must be between 0 and 100, got {0}", self.percentage)
		for tier, value in self.tier_amounts.items():
			if to_decimal(value, "tier amount") < 0:
				raise FundError("the amount for tier {0} cannot be negative, got {1}", tier, value)
		if self.cap is not None and to_decimal(self.cap, "cap") < 0:
			raise FundError("the cap per partner cannot be negative, got {0}", self.cap)
		if self.total is not None and to_decimal(self.total, "total") < 0:
			raise FundError("the fund's total cannot be negative, got {0}", self.total)


@dataclass(frozen=True)
class PartnerInput:
	partner: str
	tier: str | None = None
	revenue: Decimal = ZERO  # previous-period revenue (company currency, net of credit notes)


@dataclass(frozen=True)
class Allocation:
	partner: str
	amount: Decimal
	explanation: str


def _fmt(value: Decimal, precision: int) -> str:
	return f"{value:,.{precision}f}"


def raw_allocation(rule: AllocationRule, p: PartnerInput) -> tuple[Decimal, str]:
	"""One partner's allocation before the fund's total is applied, with the sentence that explains it."""
	precision = rule.precision
	if rule.method == FIXED_PER_PARTNER:
		amount = to_decimal(rule.amount)
		text = f"fixed {_fmt(amount, precision)} per partner"
	elif rule.method == FIXED_PER_TIER:
		amount = to_decimal(rule.tier_amounts.get(p.tier or "", ZERO))
		text = f"fixed {_fmt(amount, precision)} for tier {p.tier or '(none)'}"
	else:
		revenue = max(to_decimal(p.revenue, "revenue"), ZERO)  # a net return gives nothing, never less
		amount = round_money(revenue * to_decimal(rule.percentage) / HUNDRED, precision, rule.rounding_method)
		text = f"{rule.percentage}% of revenue {_fmt(revenue, precision)}"
	cap = to_decimal(rule.cap) if rule.cap else None
	if cap is not None and amount > cap:
		amount = cap
		text += f", capped at {_fmt(cap, precision)}"
	return round_money(amount, precision, rule.rounding_method), text


def allocate(rule: AllocationRule, partners: Iterable[PartnerInput]) -> list[Allocation]:
	"""The allocation of each partner (in input order). Partners appear once; zero allocations are kept
	(the preview shows why a partner gets nothing)."""
	partners = list(partners)
	seen: set[str] = set()
	for p in partners:
		if p.partner in seen:
			raise FundError("partner {0} is listed twice", p.partner)
		seen.add(p.partner)
	raw = [raw_allocation(rule, p) for p in partners]
	amounts = [a for a, _ in raw]
	texts = [t for _, t in raw]
	total = to_decimal(rule.total) if rule.total is not None else None
	wanted = sum(amounts, ZERO)
	if total is not None and wanted > total and wanted > 0:
		amounts = scale_to_total(amounts, total, rule.precision)
		texts = [f"{t}; scaled by {total / wanted:.6f} to the fund's total" for t in texts]
	return [Allocation(p.partner, a, t) for p, a, t in zip(partners, amounts, texts, strict=True)]


def scale_to_total(amounts: list[Decimal], total: Decimal, precision: int) -> list[Decimal]:
	"""Scale ``amounts`` down pro rata so they add up to ``total`` exactly: each is rounded down to the
	precision, then the cents left go one by one to the largest remainders (ties: first listed)."""
	quantum = Decimal(1).scaleb(-precision)
	wanted = sum(amounts, ZERO)
	exact = [a * total / wanted for a in amounts]
	floors = [e.quantize(quantum, rounding=ROUND_FLOOR) for e in exact]
	left = int(((total - sum(floors, ZERO)) / quantum).to_integral_value())
	order = sorted(range(len(amounts)), key=lambda i: (-(exact[i] - floors[i]), i))
	for i in order[:left]:
		floors[i] += quantum
	return floors


def keep_commitments(allocation: Allocation, committed: Decimal, adjustments: Decimal = ZERO) -> Allocation:
	"""A re-allocation never takes a partner below what it has already been promised (approved and
	claimed): the rule's amount plus the logged adjustments stays at least ``committed``."""
	floor = to_decimal(committed) - to_decimal(adjustments)
	if allocation.amount >= floor:
		return allocation
	return Allocation(
		allocation.partner,
		floor,
		f"{allocation.explanation}; kept at {floor:,.2f}: already approved or claimed",
	)


def allocate_frame(rule: AllocationRule, partners, lines):
	"""The same allocation for many partners with pandas: ``partners`` has columns partner, tier;
	``lines`` has partner, base_net_amount (previous-period invoice lines, credit notes negative).
	Returns a list of ``Allocation`` equal to ``allocate`` on the summed revenues."""
	revenue = lines.groupby("partner", sort=False)["base_net_amount"].sum()
	inputs = [
		PartnerInput(
			partner=row.partner,
			tier=row.tier,
			revenue=Decimal(repr(float(revenue.get(row.partner, 0.0)))),
		)
		for row in partners.itertuples(index=False)
	]
	return allocate(rule, inputs)


# --- balances ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestFigures:
	name: str
	status: str
	requested: Decimal = ZERO
	approved: Decimal = ZERO


@dataclass(frozen=True)
class ClaimFigures:
	request: str
	claimed: Decimal = ZERO  # an approved (submitted) claim's amount
	reimbursed: Decimal = ZERO  # what its Purchase Invoice has been paid


@dataclass(frozen=True)
class Balance:
	allocated: Decimal
	requested: Decimal
	reserved: Decimal
	claimed: Decimal
	reimbursed: Decimal
	available: Decimal

	def as_dict(self) -> dict[str, Decimal]:
		return {
			"allocated": self.allocated,
			"requested": self.requested,
			"reserved": self.reserved,
			"claimed": self.claimed,
			"reimbursed": self.reimbursed,
			"available": self.available,
		}


def request_reserve(status: str, approved: Decimal, claimed: Decimal = ZERO) -> Decimal:
	"""What an approved request still holds: its approved amount less what has been claimed on it. A
	request that is claimed, expired, rejected or not yet approved holds nothing."""
	if status not in RESERVING:
		return ZERO
	return max(to_decimal(approved) - to_decimal(claimed), ZERO)


def balance(
	allocated: Decimal, requests: Iterable[RequestFigures], claims: Iterable[ClaimFigures]
) -> Balance:
	"""The balance of one allocation from its requests and approved claims."""
	claims = list(claims)
	claimed_by_request: dict[str, Decimal] = {}
	for c in claims:
		claimed_by_request[c.request] = claimed_by_request.get(c.request, ZERO) + to_decimal(c.claimed)
	requested = reserved = ZERO
	for r in requests:
		if r.status not in REQUEST_STATUSES:
			raise FundError("request {0} has an unknown status {1!r}", r.name, r.status)
		if r.status in PENDING:
			requested += to_decimal(r.requested)
		reserved += request_reserve(r.status, r.approved, claimed_by_request.get(r.name, ZERO))
	claimed = sum((to_decimal(c.claimed) for c in claims), ZERO)
	reimbursed = sum((to_decimal(c.reimbursed) for c in claims), ZERO)
	allocated = to_decimal(allocated)
	return Balance(
		allocated=allocated,
		requested=requested,
		reserved=reserved,
		claimed=claimed,
		reimbursed=reimbursed,
		available=allocated - reserved - claimed,
	)


def check_reserve(available: Decimal, amount: Decimal, override_reason: str | None = None) -> Decimal:
	"""Approving ``amount`` must leave the balance at zero or above, unless a manager overrides with a
	reason. Returns the available balance after it."""
	after = to_decimal(available) - to_decimal(amount)
	if to_decimal(amount) < 0:
		raise FundError("an approved amount cannot be negative, got {0}", amount)
	if after < 0 and not (override_reason or "").strip():
		raise FundLimitError(
			"approving {0} leaves the allocation at {1}: only {2} is available (a manager may override with a reason)",
			amount,
			after,
			available,
		)
	return after


def check_approval(requested: Decimal, approved: Decimal) -> str:
	"""The status an approval gives: Approved for the full requested amount, Partially approved below
	it. An approval above the request or of nothing is refused (reject instead)."""
	requested, approved = to_decimal(requested), to_decimal(approved)
	if approved <= 0:
		raise FundError("an approved amount must be above zero (reject the request instead)")
	if approved > requested:
		raise FundLimitError("the approved amount {0} exceeds the requested amount {1}", approved, requested)
	return APPROVED if approved == requested else PARTIALLY_APPROVED


# --- claims ------------------------------------------------------------------------------------------------


def claim_limit(
	approved: Decimal,
	actual_cost: Decimal,
	coop_share: Decimal,
	already_claimed: Decimal = ZERO,
	precision: int = 2,
) -> Decimal:
	"""The most a claim may ask: what the request approved less earlier claims, and the fund's co-op share
	(percent) of the actual cost, rounded down to the precision (the vendor never pays a cent above its
	share)."""
	share = to_decimal(coop_share, "co-op share")
	if not ZERO <= share <= HUNDRED:
		raise FundError("the co-op share must be between 0 and 100 percent, got {0}", coop_share)
	if to_decimal(actual_cost, "actual cost") < 0:
		raise FundError("the actual cost cannot be negative, got {0}", actual_cost)
	quantum = Decimal(1).scaleb(-precision)
	of_cost = (to_decimal(actual_cost) * share / HUNDRED).quantize(quantum, rounding=ROUND_FLOOR)
	left = max(to_decimal(approved) - to_decimal(already_claimed), ZERO)
	return min(left, of_cost)


def check_claim(
	claimed: Decimal,
	approved: Decimal,
	actual_cost: Decimal,
	coop_share: Decimal,
	already_claimed: Decimal = ZERO,
	precision: int = 2,
) -> Decimal:
	"""Refuse a claim above its limit; returns the limit."""
	claimed = to_decimal(claimed, "claimed amount")
	if claimed <= 0:
		raise FundError("the claimed amount must be above zero, got {0}", claimed)
	limit = claim_limit(approved, actual_cost, coop_share, already_claimed, precision)
	left = max(to_decimal(approved) - to_decimal(already_claimed), ZERO)
	if claimed > left:
		raise FundLimitError(
			"the claimed amount {0} exceeds what the request approved and has not claimed: {1}", claimed, left
		)
	if claimed > limit:
		raise FundLimitError(
			"the claimed amount {0} exceeds the co-op share ({1}%) of the actual cost {2}: at most {3}",
			claimed,
			coop_share,
			actual_cost,
			limit,
		)
	return limit


# --- expiry ------------------------------------------------------------------------------------------------


def expiry_date(activity_end: date, claim_window_days: int) -> date:
	"""The last day a claim may be made: the activity's end plus the claim window."""
	if claim_window_days is None or int(claim_window_days) < 0:
		raise FundError("the claim window cannot be negative, got {0}", claim_window_days)
	return activity_end + timedelta(days=int(claim_window_days))


def is_expired(status: str, expires_on: date | None, today: date) -> bool:
	"""An approved request whose claim window has passed (the day after its expiry date)."""
	return status in RESERVING + PENDING and expires_on is not None and today > expires_on


# --- utilisation -------------------------------------------------------------------------------------------

FUNNEL = ("allocated", "requested", "approved", "claimed", "paid", "expired")


def utilisation(rows: Iterable[dict], keys: tuple[str, ...]) -> list[dict]:
	"""Sum the funnel columns of ``rows`` (dicts with ``keys`` and any of FUNNEL) per key, sorted by key,
	with the utilisation rate: claimed / allocated in percent."""
	totals: dict[tuple, dict] = {}
	for row in rows:
		key = tuple(row.get(k) or "" for k in keys)
		out = totals.setdefault(key, {**dict(zip(keys, key, strict=True)), **{f: ZERO for f in FUNNEL}})
		for f in FUNNEL:
			if row.get(f):
				out[f] += to_decimal(row[f])
	result = []
	for key in sorted(totals):
		out = totals[key]
		out["utilisation"] = (
			(out["claimed"] * HUNDRED / out["allocated"]).quantize(Decimal("0.01"))
			if out["allocated"]
			else ZERO
		)
		result.append(out)
	return result
