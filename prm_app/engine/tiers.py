"""Partner tier evaluation from dataframes: which tier each partner qualifies for, and what to do about it.

The contract
------------
``evaluate_tiers(tiers, partners, invoices, returns=None, registrations=None, certifications=None,
history=None, as_of) -> proposals_df`` — one row per partner of ``partners``, sorted by partner.

Inputs (extra columns are ignored; missing optional frames mean "no data"):

- ``tiers``: a list of ``TierCriteria`` (or a frame with their fields as columns).
- ``partners``: ``partner``, ``tier`` (current tier, may be empty), ``tier_locked`` (optional, bool),
  ``started_on`` (optional: the partnership's start date).
- ``invoices``: ``partner``, ``posting_date``, ``base_net_amount`` — invoice lines (or invoice totals) in
  company currency. Credit notes may be here with negative amounts.
- ``returns``: ``partner``, ``posting_date``, ``base_net_amount`` — credit notes; their magnitude is
  subtracted, whatever their sign, on the date of the credit note.
- ``registrations``: ``partner``, ``status``, ``won_on`` — registrations whose status is ``Won`` count
  when ``won_on`` falls in the window.
- ``certifications``: ``partner``, ``user``, ``valid_until`` (empty = no expiry), ``issued`` (optional)
  — the number of distinct users holding a certification valid on ``as_of``.
- ``history``: ``partner``, ``evaluated_on``, ``tier`` (the tier held at that evaluation), ``failed``
  (bool: the partner failed that tier) — earlier evaluations, for the grace count. Several rows of one
  partner on one day count as one evaluation (failed only if every row failed).

Rules
-----
- A tier's criteria: revenue net of returns over the trailing ``window_months`` (the window is
  ``(as_of - window_months, as_of]``), won registrations in the same window, certified users on ``as_of``.
  A criterion with a zero minimum always passes; a tier without criteria always qualifies.
- The *qualified* tier is the highest-ranked tier whose criteria all pass (equal ranks: the tier name
  sorting first wins, so the result never depends on input order).
- Promotion is immediate: qualified rank above the current rank -> the qualified tier.
- The partner keeps its tier while it passes it. When it fails, the failure counts: ``grace_count``
  consecutive failed evaluations of the same tier are tolerated, the next one demotes it to the qualified
  tier (empty when none qualifies). ``grace_count = 0`` demotes at the first failure.
- A partner without a tier (or with a tier not in ``tiers``) gets the qualified tier, if any.
- ``tier_locked`` partners are evaluated and reported but their proposed tier is their current tier.
- A partner that started less than its current tier's window ago (``started_on`` after the window's
  start) is not demoted and its failures do not count yet: a tier placed by hand holds until the partner
  has had a full window of sales. It is still promoted as soon as it qualifies higher.

Output columns: ``partner, current_tier, proposed_tier, qualified_tier, next_tier, change`` (``promotion``,
``demotion``, ``none``), ``locked, current_tier_passed, consecutive_failures, revenue, won_deals,
certified_users, metrics`` (dict: every metric by window), ``criteria`` (dict: tier -> criterion ->
``{"value", "target", "passed"}`` for the current, qualified and next tiers), ``passed`` (dict: criterion
-> bool for the proposed tier), ``reason`` (English sentence), ``reason_template`` and ``reason_args`` (the
same as a ``{0}``-style template and its arguments, for translation). Revenue is in whole cents internally, so
sums are exact and deterministic; it is reported as a float rounded to cents.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pandas as pd

from prm_app.engine.errors import EngineError

PROMOTION = "promotion"
DEMOTION = "demotion"
NONE = "none"
CRITERIA = ("revenue", "won_deals", "certified_users")
WON = "Won"


class TierError(EngineError):
	"""A tier definition is invalid (negative minimum, window under a month, duplicate name …)."""


class TierDataError(EngineError):
	"""An input frame lacks a required column."""


@dataclass(frozen=True)
class TierCriteria:
	name: str
	rank: int
	min_revenue: Decimal | float | int = 0
	min_won_deals: int = 0
	min_certified_users: int = 0
	window_months: int = 12
	grace_count: int = 0

	def validate(self) -> None:
		if not self.name:
			raise TierError("A tier needs a name.")
		if int(self.window_months) < 1:
			raise TierError("Tier {0}: the evaluation window must be at least one month.", self.name)
		for field in ("min_revenue", "min_won_deals", "min_certified_users", "grace_count"):
			if getattr(self, field) is None or Decimal(str(getattr(self, field))) < 0:
				raise TierError("Tier {0}: {1} cannot be negative.", self.name, field)

	@property
	def min_revenue_cents(self) -> int:
		return int((Decimal(str(self.min_revenue or 0)) * 100).to_integral_value())

	def has_criteria(self) -> bool:
		return bool(self.min_revenue_cents or self.min_won_deals or self.min_certified_users)


def tiers_from_frame(frame: pd.DataFrame) -> list[TierCriteria]:
	names = {f.name for f in fields(TierCriteria)}
	return [
		TierCriteria(**{k: v for k, v in row.items() if k in names and not _missing(v)})
		for row in frame.to_dict("records")
	]


def _missing(value) -> bool:
	return value is None or (isinstance(value, float) and np.isnan(value))


def _require(frame: pd.DataFrame | None, name: str, columns: tuple[str, ...]) -> pd.DataFrame | None:
	if frame is None:
		return None
	missing = [c for c in columns if c not in frame.columns]
	if missing:
		raise TierDataError("The {0} data lacks the column(s) {1}.", name, ", ".join(missing))
	return frame


def _dates(series: pd.Series) -> np.ndarray:
	"""Dates as datetime64[D] (NaT for empty values)."""
	return pd.to_datetime(series, errors="coerce").to_numpy(dtype="datetime64[D]")


def _cents(series: pd.Series) -> np.ndarray:
	if series.dtype == object:
		series = series.map(lambda v: float(v) if v is not None else 0.0)
	values = pd.to_numeric(series, errors="coerce").fillna(0).to_numpy(dtype="float64")
	scaled = np.round(values * 100, 6)  # 4000.005 * 100 is 400000.49999999994 in binary
	return (np.sign(scaled) * np.floor(np.abs(scaled) + 0.5)).astype("int64")  # half away from zero


def window_start(as_of: date, months: int) -> np.datetime64:
	"""Exclusive start of the trailing window: ``as_of`` minus ``months`` calendar months (clipped to the
	month's last day, e.g. 31 May - 3 months = 28/29 Feb)."""
	return np.datetime64((pd.Timestamp(as_of) - pd.DateOffset(months=int(months))).date(), "D")


def _codes(partner_index: pd.Index, series: pd.Series) -> np.ndarray:
	"""Position of each row's partner in the partner index (-1 for partners not evaluated)."""
	return partner_index.get_indexer(series.astype(str))


def _revenue_by_window(index, invoices, returns, windows, as_of) -> dict[int, np.ndarray]:
	parts = []
	for frame, sign in ((invoices, 1), (returns, -1)):
		if frame is None or frame.empty:
			continue
		cents = _cents(frame["base_net_amount"])
		if sign < 0:
			cents = -np.abs(cents)
		parts.append((_codes(index, frame["partner"]), _dates(frame["posting_date"]), cents))
	out = {}
	end = np.datetime64(as_of, "D")
	for months in windows:
		total = np.zeros(len(index), dtype="int64")
		start = window_start(as_of, months)
		for codes, dates, cents in parts:
			mask = (codes >= 0) & (dates > start) & (dates <= end)
			total += _sum_by(codes[mask], cents[mask], len(index))
		out[months] = total
	return out


def _sum_by(codes: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
	"""Exact int64 sums of ``values`` per code (bincount would go through float64)."""
	total = np.zeros(size, dtype="int64")
	if len(codes):
		_sum_sorted(total, codes, values)
	return total


def _sum_sorted(total: np.ndarray, codes: np.ndarray, values: np.ndarray) -> None:
	order = np.argsort(codes, kind="stable")
	codes, values = codes[order], values[order]
	starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
	total[codes[starts]] = np.add.reduceat(values, starts)


def _won_by_window(index, registrations, windows, as_of) -> dict[int, np.ndarray]:
	out = {m: np.zeros(len(index), dtype="int64") for m in windows}
	if registrations is None or registrations.empty:
		return out
	codes = _codes(index, registrations["partner"])
	won = (registrations["status"].astype(str) == WON).to_numpy()
	dates = _dates(registrations["won_on"])
	end = np.datetime64(as_of, "D")
	for months in windows:
		mask = (codes >= 0) & won & (dates > window_start(as_of, months)) & (dates <= end)
		out[months] = np.bincount(codes[mask], minlength=len(index)).astype("int64")
	return out


def _certified(index, certifications, as_of) -> np.ndarray:
	if certifications is None or certifications.empty:
		return np.zeros(len(index), dtype="int64")
	day = np.datetime64(as_of, "D")
	valid_until = _dates(certifications["valid_until"])
	valid = np.isnat(valid_until) | (valid_until >= day)
	if "issued" in certifications.columns:
		issued = _dates(certifications["issued"])
		valid &= np.isnat(issued) | (issued <= day)
	codes = _codes(index, certifications["partner"])
	valid &= codes >= 0
	held = pd.DataFrame({"code": codes[valid], "user": certifications["user"].astype(str).to_numpy()[valid]})
	counts = held.drop_duplicates().groupby("code").size()
	out = np.zeros(len(index), dtype="int64")
	out[counts.index.to_numpy()] = counts.to_numpy()
	return out


def _consecutive_failures(index, current: np.ndarray, history) -> np.ndarray:
	"""Per partner, how many of its latest evaluations in a row failed the tier it holds now."""
	out = np.zeros(len(index), dtype="int64")
	if history is None or history.empty:
		return out
	codes = _codes(index, history["partner"])
	keep = codes >= 0
	frame = pd.DataFrame(
		{
			"code": codes[keep],
			"on": _dates(history["evaluated_on"])[keep],
			"tier": history["tier"].fillna("").astype(str).to_numpy()[keep],
			"failed": history["failed"].fillna(False).astype(bool).to_numpy()[keep],
		}
	)
	if frame.empty:
		return out
	frame["streak"] = (frame["tier"].to_numpy() == current[frame["code"].to_numpy()]) & frame["failed"]
	# one evaluation per day: re-running on the same day must not count twice, and a pass that day wins
	frame = frame.groupby(["code", "on"], sort=False, as_index=False)["streak"].min()
	frame = frame.sort_values(["code", "on"], ascending=[True, False], kind="stable")
	frame["run"] = frame.groupby("code")["streak"].cumprod()
	counts = frame.groupby("code")["run"].sum()
	out[counts.index.to_numpy()] = counts.to_numpy()
	return out


def _ordered(tiers: list[TierCriteria]) -> list[TierCriteria]:
	for tier in tiers:
		tier.validate()
	names = [t.name for t in tiers]
	if len(set(names)) != len(names):
		raise TierError("Tier names must be unique.")
	return sorted(tiers, key=lambda t: (-int(t.rank), t.name))


def evaluate_tiers(
	tiers,
	partners: pd.DataFrame,
	invoices: pd.DataFrame | None = None,
	returns: pd.DataFrame | None = None,
	registrations: pd.DataFrame | None = None,
	certifications: pd.DataFrame | None = None,
	history: pd.DataFrame | None = None,
	as_of: date | None = None,
) -> pd.DataFrame:
	if as_of is None:
		raise TierDataError("The evaluation date (as_of) is required.")
	if isinstance(as_of, datetime):
		as_of = as_of.date()
	if isinstance(tiers, pd.DataFrame):
		tiers = tiers_from_frame(tiers)
	tiers = _ordered(list(tiers))
	_require(partners, "partner", ("partner", "tier"))
	_require(invoices, "invoice", ("partner", "posting_date", "base_net_amount"))
	_require(returns, "return", ("partner", "posting_date", "base_net_amount"))
	_require(registrations, "registration", ("partner", "status", "won_on"))
	_require(certifications, "certification", ("partner", "user", "valid_until"))
	_require(history, "history", ("partner", "evaluated_on", "tier", "failed"))

	partners = partners.drop_duplicates("partner").sort_values("partner", kind="stable")
	index = pd.Index(partners["partner"].astype(str).to_numpy())
	n = len(index)
	current = partners["tier"].fillna("").astype(str).to_numpy()
	locked = (
		partners["tier_locked"].fillna(False).astype(bool).to_numpy()
		if "tier_locked" in partners.columns
		else np.zeros(n, dtype=bool)
	)
	windows = sorted({int(t.window_months) for t in tiers} or {12})
	revenue = _revenue_by_window(index, invoices, returns, windows, as_of)
	won = _won_by_window(index, registrations, windows, as_of)
	certified = _certified(index, certifications, as_of)

	# pass matrix: partners x tiers (tiers best first), and each criterion's pass per tier
	checks = {}
	passes = np.ones((n, len(tiers)), dtype=bool)
	for j, tier in enumerate(tiers):
		m = int(tier.window_months)
		tier_checks = {
			"revenue": revenue[m] >= tier.min_revenue_cents,
			"won_deals": won[m] >= int(tier.min_won_deals),
			"certified_users": certified >= int(tier.min_certified_users),
		}
		checks[tier.name] = tier_checks
		passes[:, j] = tier_checks["revenue"] & tier_checks["won_deals"] & tier_checks["certified_users"]

	names = np.array([t.name for t in tiers] + [""], dtype=object)
	ranks = np.array([int(t.rank) for t in tiers] + [np.iinfo("int64").min], dtype="int64")
	position = {t.name: j for j, t in enumerate(tiers)}
	any_pass = passes.any(axis=1)
	# a sentinel column for "no tier", which never passes
	passes_ext = np.hstack([passes, np.zeros((n, 1), dtype=bool)])
	qualified_pos = np.where(any_pass, passes_ext.argmax(axis=1), len(tiers))
	current_pos = np.array([position.get(t, len(tiers)) for t in current], dtype="int64")
	known = current_pos < len(tiers)
	current_passed = passes_ext[np.arange(n), current_pos]

	# a partner that started less than its tier's window ago keeps the tier it was placed in (no failure
	# counts yet): its window holds only part of a year of sales
	window_of_current = np.array([int(t.window_months) for t in tiers] + [0], dtype="int64")[current_pos]
	new = known & _started_within(partners, window_of_current, as_of)

	prior_failures = _consecutive_failures(index, current, history)
	failures = np.where(known & ~current_passed & ~new, prior_failures + 1, 0)
	grace = np.array([int(t.grace_count) for t in tiers] + [0], dtype="int64")[current_pos]

	promote = ranks[qualified_pos] > ranks[current_pos]
	promote &= any_pass
	demote = known & ~current_passed & ~new & (failures > grace)
	unknown_change = ~known & (names[qualified_pos] != current)  # no tier, or a deleted one
	proposed_pos = np.where(promote | demote | unknown_change, qualified_pos, current_pos)
	proposed_pos = np.where(locked, current_pos, proposed_pos)
	proposed = np.where(locked, current, names[proposed_pos]).astype(object)
	change = np.full(n, NONE, dtype=object)
	moved = proposed != current
	change[moved & (ranks[proposed_pos] > ranks[current_pos])] = PROMOTION
	change[moved & (ranks[proposed_pos] <= ranks[current_pos])] = DEMOTION

	# next tier: the lowest-ranked tier above the proposed one (ties: name order)
	next_names = np.full(n, "", dtype=object)
	ascending = sorted(range(len(tiers)), key=lambda j: (int(tiers[j].rank), tiers[j].name))
	proposed_rank = np.array([ranks[position[p]] if p in position else ranks[-1] for p in proposed])
	for j in reversed(ascending):
		next_names[proposed_rank < ranks[j]] = names[j]
	# the tier above the one the partner holds now: what its progress is shown toward
	above_current = np.full(n, "", dtype=object)
	held_rank = np.array([ranks[position[c]] if c in position else ranks[-1] for c in current])
	for j in reversed(ascending):
		above_current[held_rank < ranks[j]] = names[j]

	started = _started_on(partners)
	rows = []
	for i, partner in enumerate(index):
		metrics = {
			"as_of": as_of.isoformat(),
			"revenue": {str(m): revenue[m][i] / 100 for m in windows},
			"won_deals": {str(m): int(won[m][i]) for m in windows},
			"certified_users": int(certified[i]),
		}
		shown = [
			t
			for t in (current[i], names[qualified_pos[i]], proposed[i], next_names[i], above_current[i])
			if t
		]
		criteria = {
			name: _criteria_detail(tiers[position[name]], revenue, won, certified, i, checks[name])
			for name in dict.fromkeys(shown)
			if name in position
		}
		passed = {c: v["passed"] for c, v in criteria.get(proposed[i], {}).items()}
		default_window = (
			int(tiers[position[proposed[i]]].window_months) if proposed[i] in position else windows[-1]
		)
		template, args = _reason(
			current[i],
			proposed[i],
			names[qualified_pos[i]],
			change[i],
			bool(locked[i]),
			bool(current_passed[i]),
			int(failures[i]),
			int(grace[i]),
			known[i],
			(str(started[i]), int(window_of_current[i])) if new[i] else None,
		)
		rows.append(
			{
				"partner": partner,
				"current_tier": current[i],
				"proposed_tier": proposed[i],
				"qualified_tier": names[qualified_pos[i]],
				"next_tier": next_names[i],
				"tier_above_current": above_current[i],
				"change": change[i],
				"locked": bool(locked[i]),
				"current_tier_passed": bool(current_passed[i]),
				"consecutive_failures": int(failures[i]),
				"revenue": revenue[default_window][i] / 100,
				"won_deals": int(won[default_window][i]),
				"certified_users": int(certified[i]),
				"metrics": metrics,
				"criteria": criteria,
				"passed": passed,
				"reason": template.format(*args),
				"reason_template": template,
				"reason_args": args,
			}
		)
	columns = [
		"partner",
		"current_tier",
		"proposed_tier",
		"qualified_tier",
		"next_tier",
		"tier_above_current",
		"change",
		"locked",
		"current_tier_passed",
		"consecutive_failures",
		"revenue",
		"won_deals",
		"certified_users",
		"metrics",
		"criteria",
		"passed",
		"reason",
		"reason_template",
		"reason_args",
	]
	return pd.DataFrame(rows, columns=columns)


def _criteria_detail(tier: TierCriteria, revenue, won, certified, i, checks) -> dict:
	m = int(tier.window_months)
	return {
		"revenue": {
			"value": revenue[m][i] / 100,
			"target": tier.min_revenue_cents / 100,
			"window_months": m,
			"passed": bool(checks["revenue"][i]),
		},
		"won_deals": {
			"value": int(won[m][i]),
			"target": int(tier.min_won_deals),
			"window_months": m,
			"passed": bool(checks["won_deals"][i]),
		},
		"certified_users": {
			"value": int(certified[i]),
			"target": int(tier.min_certified_users),
			"passed": bool(checks["certified_users"][i]),
		},
	}


def _started_on(partners: pd.DataFrame) -> np.ndarray:
	"""The partners' start dates (the optional ``started_on`` column), NaT where unknown."""
	if "started_on" not in partners.columns:
		return np.full(len(partners), np.datetime64("NaT"), dtype="datetime64[D]")
	return _dates(partners["started_on"])


def _started_within(partners: pd.DataFrame, window_months: np.ndarray, as_of: date) -> np.ndarray:
	"""Whether each partner started after the start of its window (less than a full window ago)."""
	started = _started_on(partners)
	cutoff = np.full(len(partners), np.datetime64("NaT"), dtype="datetime64[D]")
	for months in np.unique(window_months):
		cutoff[window_months == months] = window_start(as_of, int(months))
	return ~np.isnat(started) & ~np.isnat(cutoff) & (started > cutoff)


def _reason(
	current, proposed, qualified, change, locked, passed, failures, grace, known, new=None
) -> tuple[str, tuple]:
	"""An English message template with ``{0}``-style placeholders and its arguments (the convention of
	Frappe's ``_()``, as for engine errors), so the Frappe layer can translate it."""
	if locked:
		if qualified == current:
			return (
				("Tier locked: stays {0}.", (current,))
				if current
				else ("Tier locked: stays without a tier.", ())
			)
		if not current:
			return "Tier locked: stays without a tier (qualifies for {0}).", (qualified,)
		if not qualified:
			return "Tier locked: stays {0} (qualifies for no tier).", (current,)
		return "Tier locked: stays {0} (qualifies for {1}).", (current, qualified)
	if change == PROMOTION:
		if not current:
			return "Qualifies for {0}.", (proposed,)
		return "Promoted from {0} to {1}: all criteria of {1} met.", (current, proposed)
	if change == DEMOTION:
		if not known:
			if proposed:
				return "Tier {0} no longer exists: moved to {1}.", (current, proposed)
			return "Tier {0} no longer exists: moved to no tier.", (current,)
		if proposed:
			return (
				"Demoted from {0} to {1}: failed {0} for {2} consecutive evaluation(s), grace {3}.",
				(current, proposed, failures, grace),
			)
		return (
			"Demoted from {0} to no tier: failed {0} for {1} consecutive evaluation(s), grace {2}.",
			(current, failures, grace),
		)
	if not current:
		return "Qualifies for no tier.", ()
	if passed:
		return "Keeps {0}: its criteria are met.", (current,)
	if new:
		return "Keeps {0}: a new partner (since {1}) keeps its tier for its first {2} months.", (
			current,
			*new,
		)
	return (
		"Keeps {0} in grace: failed {1} consecutive evaluation(s) of {2} allowed.",
		(current, failures, grace),
	)
