"""Commission for many invoices at once (simulation, bulk recalculation), equal to the cent to
``simulate.run_stream`` — the per-invoice reference — on the same data.

The contract
------------
``compute_frame(plan, lines_df, explain=False) -> commissions_df``

- ``lines_df``: one row per invoice line, the columns of ``frames`` (``invoice, posting_date, partner,
  item_code, item_group, base_net_amount`` and the optional ones). ``frames.frame_to_invoices(lines_df)``
  gives the same data as ``Invoice`` objects for ``run_stream``.
- ``commissions_df``: one row per commission line, the columns of ``simulate.LINE_COLUMNS``, in the
  reference's order (invoices by posting date then name; within an invoice, rules in plan order; within a
  rule, the lines in the order ``commission.compute_commission`` makes them). **Money and quantities**
  (``rate``, ``base``, ``qty``, ``amount``) are exact decimals: pandas ``ArrowDtype(decimal128(38, s))``
  columns, whose values are ``decimal.Decimal`` (``df.amount.iloc[0]``, ``df.amount.sum()``, a groupby
  sum are Decimals; Parquet keeps them as decimals and CSV as exact text). **Text** columns are pandas
  ``Categorical`` (cheap to build; compare, group and write like strings). ``explanation`` is "" unless
  ``explain=True``, which adds the reference's texts (an extra pass in Python).
- ``frame_to_lines(df)`` turns such a frame into ``CommissionLine`` objects; ``lines_to_frame(lines)``
  turns the reference's lines into the same frame format.

How it stays exact
------------------
No float touches money. Every number is an integer in units of ``10**-scale`` (one scale per quantity:
bases, quantities, rates, tier multipliers, amounts) — int64 numpy arrays, or Python ints in object
arrays when a bound computed up front says int64 could overflow. A line's exact value is then an integer
product ``N / 10**E`` (what ``Decimal`` computes exactly in the reference, up to its 28 digits) and
``_round_units`` rounds it with integer arithmetic exactly as ``money.round_money`` does for each of
Frappe's three methods, including the pre-rounding of the scaled value to 8 (legacy) or 12 (banker's)
decimals, on the magnitude (``money.round_magnitude``).

Bracket volumes are cumulative sums per (partner, rule, period) over the stream (sales and returns, in
processing order): each line moves the volume from ``V_before`` to ``V_after`` and its marginal slice in
bracket ``b`` is ``clamp_b(V_after) - clamp_b(V_before)``; step mode looks both volumes up in the bracket
table and adds the true-up. Minimum / maximum per invoice are group sums per (invoice, rule); the cap per
period is a cumulative sum of each document's change per (partner, rule, period).

Credit notes: matching their lines to the original's is sequential only when it is ambiguous. When every
line of an original's credit notes names its original line (``return_line_id``) or returns an item that
occurs once on the original (and the original's line keys are unique) — the usual case — the matching,
the running returned totals per original line and per rule, and the over-return checks are array
operations; any other original goes through the reference's algorithm in a Python loop. The reversal
amounts themselves divide (share = amount × returned / whole, cumulatively rounded), so they are computed
with the same ``Decimal`` operations as the reference (one short loop over the reversal lines only).
When numbers are so large that the reference itself stops being exact (28 significant digits), the
reference is run instead (``_TooLarge``).

Input numbers may be strings, floats (read through ``repr``), ints or ``Decimal`` objects; strings and
floats are parsed with vectorised exact methods (``frames``), ``Decimal`` objects one by one.

Errors are the reference's: the same exception types and messages for bad invoices, unknown originals,
unmatched return lines and over-returns (when the data has several problems, the first in processing
order is reported, as ``run_stream`` does).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import ClassVar

import numpy as np
import pandas as pd

from prm_app.engine.commission import (
	CAP,
	COMMISSION,
	KINDS,
	MAXIMUM,
	MINIMUM,
	REVERSAL,
	RUNNING_TOTAL_NOTE,
	TRUE_UP,
	CommissionLine,
	Invoice,
	InvoiceLine,
	capped,
	validate_invoice,
)
from prm_app.engine.errors import InvoiceError, StateError, UnknownInvoiceError
from prm_app.engine.frames import (
	INT64_LIMIT,
	LineTable,
	decimal_to_int,
	decimals_of,
	first_positions,
	fit_ints,
	frame_to_invoices,
	max_abs,
	read_lines,
	rescale,
)
from prm_app.engine.money import (
	BANKERS,
	COMMERCIAL,
	CURRENCY_DECIMALS,
	HUNDRED,
	ONE,
	ZERO,
	format_amount,
	format_number,
	round_magnitude,
)
from prm_app.engine.plans import (
	FLAG_CONDITIONS,
	INVOICE_CONDITIONS,
	RATE_TYPES,
	Plan,
	period_key,
	validate_plan,
)
from prm_app.engine.simulate import LINE_COLUMNS, run_stream

K_COMMISSION, K_TRUE_UP, K_MINIMUM, K_MAXIMUM, K_CAP, K_REVERSAL = (
	KINDS.index(k) for k in (COMMISSION, TRUE_UP, MINIMUM, MAXIMUM, CAP, REVERSAL)
)
PERCENTAGE, PER_UNIT, PER_INVOICE = (RATE_TYPES.index(t) for t in ("percentage", "per_unit", "per_invoice"))
# Where a line sits among its invoice's lines of one rule (the reference's order).
PHASE_PRIMARY, PHASE_REVERSAL, PHASE_LIMIT, PHASE_CAP = 0, 1, 2, 3
DECIMAL_COLUMNS = ("rate", "base", "qty", "amount")
# Beyond this the reference's 28-digit Decimal context rounds: run the reference itself.
EXACT_LIMIT = 10**27
# Tests set this to run the Python-int (object array) path on small numbers.
FORCE_WIDE = False


class _TooLarge(Exception):
	"""Numbers too large for an exact integer emulation of the reference's Decimal context."""


# --- exact integer rounding ------------------------------------------------------------------------------


def _where(condition: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
	out = np.where(condition, a, b)
	return out.astype(np.int64) if out.dtype != object else out


def _div_half_even(a: np.ndarray, d: int) -> np.ndarray:
	"""round(a / d) for a >= 0, ties to even."""
	q = a // d
	twice = 2 * (a - q * d)
	return _where((twice > d) | ((twice == d) & (q % 2 == 1)), q + 1, q)


def _div_half_up(a: np.ndarray, d: int) -> np.ndarray:
	"""round(a / d) for a >= 0, ties away from zero."""
	q = a // d
	return _where(2 * (a - q * d) >= d, q + 1, q)


def _round_units(n: np.ndarray, exponent: int, precision: int, method: str) -> np.ndarray:
	"""``round_magnitude(n / 10**exponent, precision, method)`` in units of ``10**-precision``."""
	if len(n) == 0:
		return n
	negative = n < 0
	a = _where(negative, -n, n)
	shift = exponent - precision  # value in units = a / 10**shift
	if shift <= 0:
		r = a * 10 ** (-shift)
	elif method == COMMERCIAL:
		r = _div_half_up(a, 10**shift)
	elif method == BANKERS:
		if shift > 12:  # Frappe pre-rounds the scaled value to 12 decimals
			a, shift = _div_half_even(a, 10 ** (shift - 12)), 12
		r = _div_half_even(a, 10**shift)
	else:  # legacy: pre-round to 8 decimals; then ties up at precision > 0, to even at 0
		if shift > 8:
			a, shift = _div_half_even(a, 10 ** (shift - 8)), 8
		r = _div_half_even(a, 10**shift) if precision == 0 else _div_half_up(a, 10**shift)
	return _where(negative, -r, r)


def _group_starts(keys: np.ndarray) -> np.ndarray:
	"""Start index of each run of equal values in sorted ``keys``."""
	if len(keys) == 0:
		return np.zeros(0, dtype=np.int64)
	return np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])


def _order(*keys: np.ndarray) -> np.ndarray:
	"""Indices sorting by the keys (first key most significant); non-negative integer keys."""
	if len(keys[0]) == 0:
		return np.zeros(0, dtype=np.int64)
	combined = np.zeros(len(keys[0]), dtype=np.int64)
	span = 1
	for key in reversed(keys):
		top = int(key.max()) + 1
		if span * top >= 2**62:
			return np.lexsort(tuple(reversed(keys)))
		combined += key.astype(np.int64) * span
		span *= top
	return np.argsort(combined, kind="stable")


def _lookup(keys: np.ndarray, wanted: np.ndarray) -> np.ndarray:
	"""Index of each ``wanted`` value in the sorted ``keys`` (-1: absent)."""
	if len(keys) == 0:
		return np.full(len(wanted), -1, dtype=np.int64)
	at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
	return np.where(keys[at] == wanted, at, -1)


# --- output lines ----------------------------------------------------------------------------------------

_FIELDS = (
	"doc",
	"rule",
	"kind",
	"phase",
	"pos",
	"sub",
	"src",
	"bracket",
	"rate",
	"base",
	"qty",
	"amount",
	"aux",
)
_DEFAULTS = {"src": -1, "bracket": -1}


def _concat(parts: list[np.ndarray]) -> np.ndarray:
	if not parts:
		return np.zeros(0, dtype=np.int64)
	if any(p.dtype == object for p in parts):
		parts = [p.astype(object) for p in parts]
	return np.concatenate(parts)


class _Lines:
	"""Commission lines as columns of integers, built in chunks. ``src`` is the invoice line whose item
	code, item group and key the line shows (-1: none); ``bracket`` an index into the bracket labels;
	``aux`` on a cap line the period's earnings after the document; ``notes`` reversal explanations."""

	def __init__(self) -> None:
		self.chunks: list[dict[str, np.ndarray]] = []

	def add(self, n: int, notes: list | None = None, **columns) -> None:
		if n == 0:
			return
		chunk = {}
		for name in _FIELDS:
			value = columns.get(name, _DEFAULTS.get(name, 0))
			if np.ndim(value) == 0:
				big = isinstance(value, int) and abs(value) >= INT64_LIMIT
				value = np.full(n, value, dtype=object) if big else np.broadcast_to(np.int64(value), (n,))
			chunk[name] = value
		chunk["notes"] = (
			np.asarray(notes, dtype=object) if notes is not None else np.full(n, None, dtype=object)
		)
		self.chunks.append(chunk)

	def gather(self, fields: Iterable[str], select=None) -> dict[str, np.ndarray]:
		"""The given columns of all lines, or of the lines ``select(chunk)`` (a boolean mask) keeps."""
		parts: dict[str, list[np.ndarray]] = {name: [] for name in fields}
		for chunk in self.chunks:
			mask = None if select is None else select(chunk)
			if mask is not None and not mask.any():
				continue
			for name in parts:
				parts[name].append(chunk[name] if mask is None else chunk[name][mask])
		return {name: _concat(values) for name, values in parts.items()}


# --- the engine ------------------------------------------------------------------------------------------


class _Engine:
	def __init__(self, plan: Plan, table: LineTable, explain: bool) -> None:
		self.plan = plan
		self.t = table
		self.explain = explain
		self.lay = table.layout
		self.n = len(self.lay.doc)
		self.ndoc = self.lay.docs
		self.p = plan.money_precision
		self.method = plan.rounding_method
		self.out = _Lines()

	# -- set-up ---------------------------------------------------------------------------------------------

	def setup(self) -> None:
		plan, t = self.plan, self.t
		rules = plan.rules
		self.nr = len(rules)
		self.rule_names = np.array([r.name for r in rules], dtype=object)
		self.r_type = np.array([RATE_TYPES.index(r.rate_type) for r in rules], dtype=np.int64)
		self.r_brk = np.array([bool(r.brackets) for r in rules], dtype=bool)
		rates = [r.rate for r in rules] + [b.rate for r in rules for b in r.brackets]
		self.kr = max(decimals_of(x) for x in rates)
		limits = [
			x
			for r in rules
			for x in (r.min_per_invoice, r.max_per_invoice, r.cap_per_period)
			if x is not None
		]
		self.S = max([self.p, *(decimals_of(x) for x in limits)])
		bounds = [x for r in rules for b in r.brackets for x in (b.lower, b.upper) if x is not None]
		base, cost = t.base_net_amount, t.cost
		self.gross = plan.basis == "gross_margin"
		self.kb = max([base.scale, cost.scale if self.gross else 0, *(decimals_of(x) for x in bounds)])
		self.kq = t.qty.scale
		self.qty = t.qty.values

		# the commissionable base of every line, at scale kb
		amount = rescale(base.values, base.scale, self.kb)
		if self.gross:
			margin = amount - rescale(cost.values, cost.scale, self.kb)
			down = (amount < 0) | (self.qty < 0)
			lb = np.where(down, np.minimum(margin, 0), np.maximum(margin, 0))
		else:
			lb = amount
		self.lb = lb.astype(np.int64) if lb.dtype != object else lb
		# sums over many lines (volumes, returned totals) must not overflow before choose_width decides
		for name in ("lb", "qty"):
			values = getattr(self, name)
			if values.dtype != object and max_abs(values) * max(self.n, 1) >= INT64_LIMIT:
				setattr(self, name, values.astype(object))

		# brackets: bounds at kb, rates at kr, labels
		labels: list[str] = []
		self.bracket_rate: list[Decimal] = []
		self.r_brackets: list[list[tuple[int | None, int | None, int, int]]] = []
		for rule in rules:
			rows = []
			for i, b in enumerate(rule.brackets):
				lower = None if i == 0 else decimal_to_int(b.lower, self.kb)
				upper = None if b.upper is None else decimal_to_int(b.upper, self.kb)
				rows.append((lower, upper, decimal_to_int(b.rate, self.kr), len(labels)))
				labels.append(b.label)
				self.bracket_rate.append(b.rate)
			self.r_brackets.append(rows)
		self.labels = np.array(labels, dtype=object)
		self.r_rate_int = [decimal_to_int(r.rate, self.kr) for r in rules]
		self.r_min = [
			None if r.min_per_invoice is None else decimal_to_int(r.min_per_invoice, self.S) for r in rules
		]
		self.r_max = [
			None if r.max_per_invoice is None else decimal_to_int(r.max_per_invoice, self.S) for r in rules
		]
		self.r_cap = [
			None if r.cap_per_period is None else decimal_to_int(r.cap_per_period, self.S) for r in rules
		]

		self._setup_docs()
		self._assign_rules()

	def _setup_docs(self) -> None:
		plan, t, lay = self.plan, self.t, self.lay
		text, flags = t.invoice_text, t.invoice_flags
		self.is_return = flags["is_return"]
		self.partner_code, self.partner_names = pd.factorize(text["partner"])
		self.partner_names = np.asarray(self.partner_names, dtype=object)
		# the original of each credit note: an earlier invoice that is not itself a return
		docs = np.arange(self.ndoc)
		found = pd.Index(lay.name).get_indexer(pd.Index(text["return_against"], dtype=object))
		found_ok = found >= 0
		ok = found_ok & (found < docs)
		ok[found_ok] &= ~self.is_return[found[found_ok]]
		self.orig = np.where(self.is_return & ok, found, -1)
		self.source = np.where(self.orig >= 0, self.orig, docs)  # whose period and tier apply
		# periods
		years = lay.date.astype("datetime64[Y]").astype(np.int64) + 1970
		months = lay.date.astype("datetime64[M]").astype(np.int64) % 12 + 1
		if plan.period == "month":
			code = years * 12 + months - 1
		elif plan.period == "quarter":
			code = years * 4 + (months - 1) // 3
		else:
			code = years
		own_period, uniques = pd.factorize(code)
		first = first_positions(own_period, len(uniques), appearance_order=True)
		self.period_texts = np.array(
			[period_key(plan.period, lay.date[i].item()) for i in first], dtype=object
		)
		self.period = own_period[self.source].astype(np.int64)
		# tier multipliers, of the source invoice
		tiers = text["partner_tier"][self.source]
		tier_code, tier_names = pd.factorize(pd.Index(tiers, dtype=object))
		multipliers = [plan.multiplier(tier) for tier in tier_names]
		self.km = max(decimals_of(m) for m in [ONE, *multipliers])
		self.tier = tiers
		self.multiplier = (
			np.array(multipliers, dtype=object)[tier_code] if len(tier_names) else np.zeros(0, object)
		)
		self.mult_int = np.array([decimal_to_int(m, self.km) for m in multipliers], dtype=object)[tier_code]
		self.against = text["return_against"]

	def _assign_rules(self) -> None:
		"""The first rule (plan order) whose invoice- and line-level conditions hold, per line (-1: none)."""
		plan, t = self.plan, self.t
		rules = plan.rules
		text, flags = t.invoice_text, t.invoice_flags
		# invoice-level: combinations of the condition columns
		combo = np.zeros(self.ndoc, dtype=np.int64)
		columns = {}
		for name in INVOICE_CONDITIONS:
			codes, uniques = pd.factorize(pd.Index(text[name], dtype=object))
			columns[name] = (codes, np.asarray(uniques, dtype=object))
			combo = pd.factorize(combo * (len(uniques) + 1) + codes)[0].astype(np.int64)
		for name in FLAG_CONDITIONS:
			combo = pd.factorize(combo * 2 + flags[name].astype(np.int64))[0].astype(np.int64)
		ncombo = int(combo.max()) + 1 if self.ndoc else 0
		rep = first_positions(combo, ncombo, appearance_order=True)
		inv_ok = np.ones((ncombo, self.nr), dtype=bool)
		for k, rule in enumerate(rules):
			for name in INVOICE_CONDITIONS:
				allowed = getattr(rule, name)
				if allowed:
					codes, uniques = columns[name]
					inv_ok[:, k] &= np.isin(uniques, np.array(allowed, dtype=object))[codes[rep]]
			for name in FLAG_CONDITIONS:
				wanted = getattr(rule, name)
				if wanted is not None:
					inv_ok[:, k] &= flags[name][rep] == wanted
		# line-level: combinations of item code, item group and brand
		lcodes = {name: t.line_codes[name] for name in ("item_code", "item_group", "brand")}
		lcombo = np.zeros(self.n, dtype=np.int64)
		span = 1
		for name in ("item_code", "item_group", "brand"):
			codes, texts = lcodes[name]
			if span * (len(texts) + 1) >= 2**62:
				lcombo = pd.factorize(lcombo)[0].astype(np.int64)
				span = int(lcombo.max()) + 1
			lcombo = lcombo * (len(texts) + 1) + codes
			span *= len(texts) + 1
		# each distinct (invoice combination, line combination) pair is decided once
		if ncombo * span >= 2**62:
			lcombo = pd.factorize(lcombo)[0].astype(np.int64)
			span = int(lcombo.max()) + 1
		pair, uniq = pd.factorize(combo[self.lay.doc] * span + lcombo)
		uniq = np.asarray(uniq, dtype=np.int64)
		pair_combo = uniq // span
		lfirst = first_positions(pair, len(uniq), appearance_order=True)
		ok = inv_ok[pair_combo].copy()
		for k, rule in enumerate(rules):
			for name in ("item_code", "item_group", "brand"):
				allowed = getattr(rule, name)
				if allowed:
					codes, texts = lcodes[name]
					ok[:, k] &= np.isin(texts, np.array(allowed, dtype=object))[codes[lfirst]]
		first = np.where(ok.any(axis=1), ok.argmax(axis=1), -1) if self.nr else np.full(len(uniq), -1)
		rule = first[pair].astype(np.int64)
		rule[~self.t.grant_commission] = -1
		self.rule = rule

	# -- helpers ---------------------------------------------------------------------------------------------

	def text(self, name: str, lines: np.ndarray | int) -> np.ndarray:
		codes, texts = self.t.line_codes[name]
		return texts[codes[lines]]

	def dec(self, value: int, scale: int) -> Decimal:
		return Decimal(int(value)).scaleb(-scale)

	def invoice(self, d: int) -> Invoice:
		"""Invoice ``d`` as the engine's object (for error messages that the reference would give)."""
		t, lay = self.t, self.lay
		text, flags = t.invoice_text, t.invoice_flags
		lines = []
		for j in range(int(lay.starts[d]), int(lay.starts[d + 1])):
			lines.append(
				InvoiceLine(
					item_code=self.text("item_code", j),
					base_net_amount=t.base_net_amount.decimal(j),
					qty=t.qty.decimal(j),
					item_group=self.text("item_group", j),
					brand=self.text("brand", j),
					cost=t.cost.decimal(j),
					grant_commission=bool(t.grant_commission[j]),
					line_id=self.text("line_id", j),
					return_line_id=self.text("return_line_id", j),
				)
			)
		return Invoice(
			name=lay.name[d],
			posting_date=lay.date[d].item(),
			partner=text["partner"][d],
			lines=tuple(lines),
			customer=text["customer"][d],
			currency=text["currency"][d],
			conversion_rate=t.conversion_rate.decimal(d),
			is_return=bool(flags["is_return"][d]),
			return_against=text["return_against"][d],
			territory=text["territory"][d],
			customer_group=text["customer_group"][d],
			partner_tier=text["partner_tier"][d],
			partner_type=text["partner_type"][d],
			new_customer=bool(flags["new_customer"][d]),
			registered_deal=bool(flags["registered_deal"][d]),
		)

	# -- validation ------------------------------------------------------------------------------------------

	def first_invalid(self) -> int:
		"""The first invoice (processing order) that ``commission.validate_invoice`` rejects, or ndoc."""
		t, lay = self.t, self.lay
		text = t.invoice_text
		bad = (lay.name == "") | (text["partner"] == "")
		currency = np.where(text["currency"] == "", self.plan.currency, text["currency"])
		codes, uniques = pd.factorize(pd.Index(currency, dtype=object))
		bad |= np.array([u not in CURRENCY_DECIMALS for u in uniques], dtype=bool)[codes]
		bad |= t.conversion_rate.values <= 0
		bad |= self.is_return == (text["return_against"] == "")
		line_return = self.is_return[lay.doc]
		line_bad = (line_return & (self.qty > 0)) | (~line_return & (self.qty < 0))
		if self.gross:
			line_bad |= t.grant_commission & t.cost.missing
		bad |= np.bincount(lay.doc[line_bad], minlength=self.ndoc) > 0
		return int(np.argmax(bad)) if bad.any() else self.ndoc

	def raise_invalid(self, d: int) -> None:
		validate_invoice(self.plan, self.invoice(d))
		raise AssertionError(f"invoice {self.lay.name[d]} passed validation but was flagged")  # unreachable

	# -- credit notes: matching to the original --------------------------------------------------------------

	def returns(self, first_invalid: int) -> None:
		"""Match every credit note's lines to its original's, check over-returns, and collect the bracket
		volume changes and the reversals to make; raise the error ``run_stream`` would raise first.

		An original whose credit notes match without ambiguity — each credit-note line names its original
		line (``return_line_id``) or its item occurs once on the original, and the original's line keys are
		unique — is done with arrays (the usual case). Any other goes through the reference's algorithm in a
		Python loop."""
		lay, text = self.lay, self.t.invoice_text
		names = lay.name
		self.originals: dict[int, dict] = {}
		self.tasks: list[tuple] = []
		self.return_events: list[tuple] = []
		self.simple_events: dict[str, np.ndarray] | None = None
		self.simple_reversals: dict[str, np.ndarray] | None = None
		errors: list[tuple[int, int, Exception | None]] = []  # (invoice, stage, error)
		notes = np.flatnonzero(self.is_return)
		unknown = notes[self.orig[notes] < 0]
		if len(unknown):
			d = int(unknown[0])
			errors.append(
				(
					d,
					0,
					UnknownInvoiceError(
						"credit note {0} returns against {1}, which is not an earlier invoice in the data",
						names[d],
						text["return_against"][d],
					),
				)
			)
		if first_invalid < self.ndoc:
			errors.append((first_invalid, 1, None))
		known = notes[self.orig[notes] >= 0]
		mismatch = known[self.partner_code[known] != self.partner_code[self.orig[known]]]
		if len(mismatch):
			d = int(mismatch[0])
			o = int(self.orig[d])
			errors.append(
				(
					d,
					2,
					InvoiceError(
						"credit note {0} names partner {1!r} but invoice {2} was for partner {3!r}",
						names[d],
						text["partner"][d],
						names[o],
						text["partner"][o],
					),
				)
			)
		if len(known):
			simple, tangled = self._classify(known)
			if len(tangled):
				errors += self._python_returns(tangled)
			if simple is not None:
				errors += self._simple_returns(simple)
		if errors:
			d, _, error = min(errors, key=lambda e: (e[0], e[1]))
			if error is None:
				self.raise_invalid(d)
			raise error

	def _key_texts(self, lines: np.ndarray) -> np.ndarray:
		"""The reference's line keys (``line_id``, else the 1-based position) of ``lines``."""
		ids = self.text("line_id", lines)
		pos = self.lay.pos[lines]
		table = np.array([str(i + 1) for i in range(int(pos.max()) + 1 if len(pos) else 0)], dtype=object)
		return np.where(ids != "", ids, table[pos] if len(pos) else ids)

	def _classify(self, notes: np.ndarray) -> tuple[dict | None, np.ndarray]:
		"""Credit-note lines of unambiguous originals, matched to their original line, and the credit
		notes (of the other originals) left to the Python loop."""
		lay = self.lay
		is_note = np.zeros(self.ndoc, dtype=bool)
		is_note[notes] = True
		j = np.flatnonzero(is_note[lay.doc])  # credit-note lines, in processing order
		d = lay.doc[j]
		o = self.orig[d]
		is_orig = np.zeros(self.ndoc, dtype=bool)
		is_orig[o] = True
		lines = np.flatnonzero(is_orig[lay.doc])  # the originals' lines
		lo = lay.doc[lines]
		rids = self.text("return_line_id", j)
		codes, uniques = pd.factorize(np.concatenate([self._key_texts(lines), rids]).astype(object))
		span = len(uniques) + 1
		key_code, rid_code = codes[: len(lines)].astype(np.int64), codes[len(lines) :].astype(np.int64)
		tangled = np.zeros(self.ndoc, dtype=bool)
		by_key = pd.Index(lo * span + key_code)
		tangled[lo[by_key.duplicated(keep=False)]] = True  # an original with two lines of one key
		first = ~by_key.duplicated(keep="first")
		at_key = pd.Index(np.asarray(by_key)[first]).get_indexer(o * span + rid_code)
		at_key = np.r_[np.flatnonzero(first), -1][at_key]  # -1 (absent) picks the -1
		items = self.t.line_codes["item_code"][0]
		nitems = len(self.t.line_codes["item_code"][1]) + 1
		by_item = pd.Index(lo * nitems + items[lines])
		single = ~by_item.duplicated(keep=False)
		at_item = pd.Index(np.asarray(by_item)[single]).get_indexer(o * nitems + items[j])
		at_item = np.r_[np.flatnonzero(single), -1][at_item]
		at = np.where(rids != "", at_key, at_item)
		tangled[o[at < 0]] = True  # unknown or ambiguous lines: the Python loop decides (or raises)
		keep = ~tangled[o]
		simple = None
		if keep.any():
			simple = {
				"j": j[keep],
				"d": d[keep],
				"o": o[keep],
				"l": lines[at[keep]],
				"lines": lines[~tangled[lo]],
			}
		return simple, notes[tangled[self.orig[notes]]]

	def _simple_returns(self, s: dict) -> list[tuple[int, int, Exception]]:
		"""Credit notes of unambiguous originals, with arrays: what each returns of each original line,
		the running totals, over-returns, the volume changes of bracketed rules and the reversals."""
		j, d, o, l = s["j"], s["d"], s["o"], s["l"]
		nr = self.nr
		base_back, qty_back = -self.lb[j], -self.qty[j]
		# per (credit note, original line), in order of first appearance (the reference's ``now``)
		pair = pd.factorize(d * self.n + l)[0]
		order = np.argsort(pair, kind="stable")
		starts = _group_starts(pair[order])
		now_b = np.add.reduceat(base_back[order], starts)
		now_q = np.add.reduceat(qty_back[order], starts)
		pd_, pl, po = d[order][starts], l[order][starts], o[order][starts]
		# running totals per original line, credit notes in processing order
		k = _order(pl, pd_)
		runs = _group_starts(pl[k])
		sizes = np.diff(np.r_[runs, len(k)])
		after_b, after_q = np.empty_like(now_b), np.empty_like(now_q)
		for after, now in ((after_b, now_b), (after_q, now_q)):
			total = np.cumsum(now[k])
			after[k] = total - np.repeat(total[runs] - now[k][runs], sizes)
		errors = []
		over = np.flatnonzero(after_q > self.qty[pl])
		if len(over):
			i = int(over[0])
			line, note, source = int(pl[i]), int(pd_[i]), int(po[i])
			errors.append(
				(
					note,
					4,
					StateError(
						"credit note {0} returns {1} of {2} on invoice {3}, but only {4} were invoiced and {5} already returned",
						self.lay.name[note],
						format_number(self.dec(now_q[i], self.kq)),
						self.text("item_code", line),
						self.lay.name[source],
						format_number(self.dec(self.qty[line], self.kq)),
						format_number(self.dec(after_q[i] - now_q[i], self.kq)),
					),
				)
			)
		# rules touched: per (credit note, rule) the returned base, and its running total per original
		r = self.rule[pl]
		t = np.flatnonzero(r >= 0)
		key = pd_[t] * nr + r[t]
		order = np.argsort(key, kind="stable")
		starts = _group_starts(key[order])
		tr_d, tr_r = pd_[t][order][starts], r[t][order][starts]
		tr_o = self.orig[tr_d]
		tr_now = np.add.reduceat(now_b[t][order], starts) if len(t) else now_b[:0]
		k = _order(tr_o * nr + tr_r, tr_d)
		runs = _group_starts((tr_o * nr + tr_r)[k])
		total = np.cumsum(tr_now[k])
		tr_after = np.empty_like(tr_now)
		tr_after[k] = total - np.repeat(total[runs] - tr_now[k][runs], np.diff(np.r_[runs, len(k)]))
		# each original's base per rule
		ol = s["lines"]
		ol = ol[self.rule[ol] >= 0]
		okey = self.lay.doc[ol] * nr + self.rule[ol]
		order = np.argsort(okey, kind="stable")
		starts = _group_starts(okey[order])
		base_keys = okey[order][starts]
		base_sums = np.add.reduceat(self.lb[ol][order], starts) if len(ol) else self.lb[:0]
		rule_base = base_sums[np.searchsorted(base_keys, tr_o * nr + tr_r)] if len(tr_o) else base_sums
		# bracketed rules: volume changes, undoing the original's lines last in, first out
		rj = self.rule[l]
		b = np.flatnonzero((rj >= 0) & self.r_brk[np.maximum(rj, 0)])
		if len(b):
			top = int(self.lay.pos.max()) + 1
			k = b[_order(d[b], rj[b], top - self.lay.pos[l[b]], self.lay.pos[j[b]])]
			group = d[k] * nr + rj[k]
			runs = _group_starts(group)
			step = np.arange(len(k)) - np.repeat(runs, np.diff(np.r_[runs, len(k)]))
			self.simple_events = {
				"doc": d[k],
				"rule": rj[k],
				"delta": self.lb[j[k]],
				"qty": self.qty[j[k]],
				"src": l[k],
				"pos": step,
			}
		# reversals, resolved once the originals' lines are known
		per_line = np.flatnonzero(
			(r >= 0) & ~self.r_brk[np.maximum(r, 0)] & (self.r_type[np.maximum(r, 0)] != PER_INVOICE)
		)
		self.simple_reversals = {
			"line_doc": pd_[per_line],
			"line_rule": r[per_line],
			"line": pl[per_line],
			"now_b": now_b[per_line],
			"now_q": now_q[per_line],
			"after_b": after_b[per_line],
			"after_q": after_q[per_line],
			"doc": tr_d,
			"rule": tr_r,
			"orig": tr_o,
			"before": tr_after - tr_now,
			"after": tr_after,
			"rule_base": rule_base,
		}
		return errors

	def _credit_note_data(self, notes: np.ndarray) -> None:
		"""Python lists of the lines of the given credit notes and their originals (for the loop)."""
		lay = self.lay
		docs = np.unique(np.r_[notes, self.orig[notes]]).astype(np.int64)
		starts = lay.starts[docs]
		lengths = lay.starts[docs + 1] - starts
		offsets = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64)
		idx = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()), dtype=np.int64)
		self.py_at = dict(zip(docs.tolist(), offsets.tolist(), strict=True))
		self.py = {
			"item": self.text("item_code", idx).tolist(),
			"rid": self.text("return_line_id", idx).tolist(),
			"id": self.text("line_id", idx).tolist(),
			"qty": self.qty[idx].tolist(),
			"lb": self.lb[idx].tolist(),
			"rule": self.rule[idx].tolist(),
		}

	def _lines_of(self, d: int) -> tuple[int, int, int]:
		"""(first line, number of lines, offset into the Python lists) of invoice ``d``."""
		start = int(self.lay.starts[d])
		return start, int(self.lay.starts[d + 1]) - start, self.py_at[d]

	def _original(self, o: int) -> dict:
		start, count, at = self._lines_of(o)
		py = self.py
		ids = py["id"][at : at + count]
		keys = [ids[i] or str(i + 1) for i in range(count)]
		by_key = {}
		for i, key in enumerate(keys):
			by_key[key] = start + i
		same_item: dict[str, list[str]] = {}
		for key, item in zip(keys, py["item"][at : at + count], strict=True):
			same_item.setdefault(item, []).append(key)
		qty = py["qty"][at : at + count]
		assigned: dict[int, list[tuple[str, int]]] = {}
		for key, r, b in zip(keys, py["rule"][at : at + count], py["lb"][at : at + count], strict=True):
			if r >= 0:
				assigned.setdefault(r, []).append((key, b))
		return {
			"start": start,
			"keys": keys,
			"by_key": by_key,
			"position": {key: i for i, key in enumerate(by_key)},
			"same_item": same_item,
			"qty": {key: qty[j - start] for key, j in by_key.items()},
			"item_rule": {key: r for r, rows in assigned.items() for key, _ in rows},
			"rule_keys": {r: [key for key, _ in rows] for r, rows in assigned.items()},
			"rule_base": {r: sum(b for _, b in rows) for r, rows in assigned.items()},
			"returned": {},
		}

	def _python_returns(self, notes: np.ndarray) -> list[tuple[int, int, Exception]]:
		"""The reference's matching, one credit note at a time (originals with ambiguous lines)."""
		names = self.lay.name
		self._credit_note_data(notes)
		py = self.py
		for d in notes.tolist():
			o = int(self.orig[d])
			info = self.originals.get(o)
			if info is None:
				info = self.originals[o] = self._original(o)
			by_key, qty_of, returned = info["by_key"], info["qty"], info["returned"]
			_, count, at = self._lines_of(d)
			items = py["item"][at : at + count]
			rids = py["rid"][at : at + count]
			qtys = py["qty"][at : at + count]
			bases = py["lb"][at : at + count]
			taken: dict[str, int] = {}
			matched = []
			for i in range(count):
				rid = rids[i]
				if rid:
					if rid not in by_key:
						error = UnknownInvoiceError(
							"credit note {0} line {1} returns line {2!r}, which is not on invoice {3}",
							names[d],
							i + 1,
							rid,
							names[o],
						)
						return [(d, 3, error)]
					key = rid
				else:
					same = info["same_item"].get(items[i])
					if not same:
						error = UnknownInvoiceError(
							"credit note {0} line {1} returns item {2!r}, which is not on invoice {3}",
							names[d],
							i + 1,
							items[i],
							names[o],
						)
						return [(d, 3, error)]
					# as the reference: room for the whole quantity first, else any room
					left = {k: qty_of[k] - returned.get(k, (0, 0))[1] - taken.get(k, 0) for k in same}
					key = next(
						(k for k in same if left[k] >= -qtys[i]),
						next((k for k in same if left[k] > 0), same[-1]),
					)
				taken[key] = taken.get(key, 0) - qtys[i]
				matched.append((i, key))
			now: dict[str, tuple[int, int]] = {}
			for i, key in matched:
				b, q = now.get(key, (0, 0))
				now[key] = (b - bases[i], q - qtys[i])
			for key, (_, q) in now.items():
				before = returned.get(key, (0, 0))[1]
				if before + q > qty_of[key]:
					error = StateError(
						"credit note {0} returns {1} of {2} on invoice {3}, but only {4} were invoiced and {5} already returned",
						names[d],
						format_number(self.dec(q, self.kq)),
						self.text("item_code", by_key[key]),
						names[o],
						format_number(self.dec(qty_of[key], self.kq)),
						format_number(self.dec(before, self.kq)),
					)
					return [(d, 4, error)]
			item_rule = info["item_rule"]
			touched = sorted({item_rule[k] for k in now if k in item_rule})
			sums = {}
			for r in touched:
				before = sum(returned.get(k, (0, 0))[0] for k in info["rule_keys"][r])
				sums[r] = (before, before + sum(now[k][0] for k in now if item_rule.get(k) == r))
			for key, (b, q) in now.items():
				before_b, before_q = returned.get(key, (0, 0))
				returned[key] = (before_b + b, before_q + q)
			after = {key: returned[key] for key in now}
			for r in touched:
				if self.r_brk[r]:
					# the reference undoes the original's volume moves last in, first out
					mine = [(i, key) for i, key in matched if item_rule.get(key) == r]
					mine.sort(key=lambda m: -info["position"][m[1]])
					for step, (i, key) in enumerate(mine):
						self.return_events.append((d, r, bases[i], qtys[i], by_key[key], step))
				self.tasks.append((d, o, r, now, after, sums[r][0], sums[r][1], info["rule_base"][r]))
		return []

	# -- bracket events, and the choice of integer width ----------------------------------------------------

	def events(self) -> None:
		"""Every change of a bracketed rule's period volume (sale lines and credit-note lines), sorted by
		(partner, rule, period) group and processing order."""
		sale = ~self.is_return[self.lay.doc] & (self.rule >= 0)
		sale &= self.r_brk[np.maximum(self.rule, 0)] if self.nr else False
		j = np.flatnonzero(sale)
		cols = {
			"doc": self.lay.doc[j],
			"rule": self.rule[j],
			"delta": self.lb[j],
			"qty": self.qty[j],
			"src": j,
			"pos": self.lay.pos[j],
		}
		extra = []
		if self.return_events:
			columns = list(zip(*self.return_events, strict=True))
			extra.append({name: fit_ints(list(v)) for name, v in zip(cols, columns, strict=True)})
		if self.simple_events is not None:
			extra.append(self.simple_events)
		for more in extra:
			cols = {name: _concat([cols[name], more[name]]) for name in cols}
		doc = cols["doc"].astype(np.int64)
		group = (self.partner_code[doc].astype(np.int64) * self.nr + cols["rule"].astype(np.int64)) * (
			len(self.period_texts)
		) + self.period[doc]
		group = pd.factorize(group)[0].astype(np.int64)
		order = _order(group, doc, cols["pos"].astype(np.int64))
		self.ev = {name: values[order] for name, values in cols.items()}
		self.ev["doc"] = self.ev["doc"].astype(np.int64)
		self.ev["rule"] = self.ev["rule"].astype(np.int64)
		self.ev["src"] = self.ev["src"].astype(np.int64)
		self.ev["pos"] = self.ev["pos"].astype(np.int64)
		self.ev["group"] = group[order]

	def choose_width(self) -> None:
		"""int64 when bounds on every product and sum fit, else Python ints; the reference itself when even
		its 28-digit Decimal context would round."""
		ev = self.ev
		starts = _group_starts(ev["group"])
		delta_abs = np.abs(ev["delta"].astype(np.float64))
		group_volume = np.add.reduceat(delta_abs, starts).max() if len(starts) else 0.0
		bounds = [abs(decimal_to_int(b.lower, self.kb)) for r in self.plan.rules for b in r.brackets]
		bounds += [
			abs(decimal_to_int(b.upper, self.kb)) for r in self.plan.rules for b in r.brackets if b.upper
		]
		volume = int(group_volume * 1.001) + 1 + max(bounds, default=0) + max_abs(self.lb)
		rate = max(abs(x) for x in self.r_rate_int + [b[2] for rows in self.r_brackets for b in rows])
		mult = max((abs(int(m)) for m in self.mult_int), default=1)
		qty = max_abs(self.qty)
		qty_sum = float(np.abs(self.qty.astype(np.float64)).sum()) * 1.001 + 1
		base_sum = float(np.abs(self.lb.astype(np.float64)).sum()) * 1.001 + 1
		products = [volume * rate * mult, qty * rate * mult, rate * mult, int(qty_sum), int(base_sum)]
		# largest value of one line and of all lines together, in units of 10**-S
		scale = 10**self.S

		def value(n: float, exponent: int) -> float:
			return n / 10**exponent * scale

		one = max(
			value(volume * rate * mult, self.kb + self.kr + 2 + self.km),
			value(qty * rate * mult, self.kq + self.kr + self.km),
			value(rate * mult, self.kr + self.km),
		)
		limits = [x for x in self.r_min + self.r_max + self.r_cap if x is not None]
		lines = self.n * (max((len(r) for r in self.r_brackets), default=0) + 3) + 3 * self.ndoc * self.nr
		total = (
			value(base_sum * rate * mult, self.kb + self.kr + 2 + self.km)
			+ value(qty_sum * rate * mult, self.kq + self.kr + self.km)
			+ (one + scale + max(limits, default=0)) * lines
		) * 2
		biggest = max(products)
		if (
			biggest >= EXACT_LIMIT
			or total >= EXACT_LIMIT
			or one * 10 ** (self.p + 12 - self.S) >= EXACT_LIMIT
		):
			raise _TooLarge
		exponent = self.kb + self.kr + self.km + 2
		self.wide = (
			FORCE_WIDE
			or biggest >= INT64_LIMIT
			or total >= INT64_LIMIT
			or max(exponent, self.kq + self.kr + self.km) > 18
			or self.lb.dtype == object
			or self.qty.dtype == object
			or any(v.dtype == object for v in ev.values())
		)
		self.cast = (
			(lambda a: np.asarray(a).astype(object))
			if self.wide
			else (lambda a: np.asarray(a).astype(np.int64))
		)
		self.lb = self.cast(self.lb)
		self.qty = self.cast(self.qty)
		for name in ("delta", "qty"):
			ev[name] = self.cast(ev[name])
		self.mult_line = self.cast(self.mult_int)  # per doc
		self.to_S = 10 ** (self.S - self.p)

	def rounded(self, n: np.ndarray, exponent: int) -> np.ndarray:
		"""Rounded amounts, in units of 10**-S."""
		return _round_units(n, exponent, self.p, self.method) * self.to_S

	# -- sales: primary lines, per invoice, limits ------------------------------------------------------------

	def sale_lines(self) -> None:
		lay = self.lay
		# what credit notes reverse: each line's commission, each invoice's per-invoice line
		self.line_amount = (
			None if self.simple_reversals is None else self.cast(np.zeros(self.n, dtype=np.int64))
		)
		self.per_invoice_key = self.per_invoice_amount = np.zeros(0, dtype=np.int64)
		sale = ~self.is_return[lay.doc] & (self.rule >= 0)
		rtype = self.r_type[np.maximum(self.rule, 0)]
		plain = sale & ~self.r_brk[np.maximum(self.rule, 0)]
		rates = self.cast(self.r_rate_int)
		for kind, exponent in (
			(PERCENTAGE, self.kb + self.kr + 2 + self.km),
			(PER_UNIT, self.kq + self.kr + self.km),
		):
			j = np.flatnonzero(plain & (rtype == kind))
			if len(j) == 0:
				continue
			rule = self.rule[j]
			doc = lay.doc[j]
			n = (self.lb[j] if kind == PERCENTAGE else self.qty[j]) * rates[rule] * self.mult_line[doc]
			amount = self.rounded(n, exponent)
			if self.line_amount is not None:
				self.line_amount[j] = amount
			self.out.add(
				len(j),
				doc=doc,
				rule=rule,
				kind=K_COMMISSION,
				pos=lay.pos[j],
				src=j,
				rate=rates[rule],
				base=self.lb[j],
				qty=self.qty[j],
				amount=amount,
			)
		j = np.flatnonzero(plain & (rtype == PER_INVOICE))
		if len(j):
			key = lay.doc[j] * self.nr + self.rule[j]
			order = np.argsort(key, kind="stable")
			j, key = j[order], key[order]
			starts = _group_starts(key)
			first = j[starts]
			doc, rule = lay.doc[first], self.rule[first]
			amount = self.rounded(rates[rule] * self.mult_line[doc], self.kr + self.km)
			self.per_invoice_key, self.per_invoice_amount = key[starts], amount
			self.out.add(
				len(starts),
				doc=doc,
				rule=rule,
				kind=K_COMMISSION,
				rate=rates[rule],
				base=np.add.reduceat(self.lb[j], starts),
				qty=np.add.reduceat(self.qty[j], starts),
				amount=amount,
			)

	def bracket_lines(self) -> None:
		ev = self.ev
		if len(ev["doc"]) == 0:
			return
		delta = ev["delta"]
		cumulative = np.cumsum(delta)
		starts = _group_starts(ev["group"])
		sizes = np.diff(np.r_[starts, len(delta)])
		offset = np.repeat(cumulative[starts] - delta[starts], sizes)
		after_all = cumulative - offset
		before_all = after_all - delta
		moved = delta != 0
		exponent = self.kb + self.kr + 2 + self.km
		for r in np.flatnonzero(self.r_brk):
			i = np.flatnonzero(moved & (ev["rule"] == r))
			if len(i) == 0:
				continue
			before, after = before_all[i], after_all[i]
			doc, mult = ev["doc"][i], self.mult_line[ev["doc"][i]]
			common = {"doc": doc, "rule": r, "kind": K_COMMISSION, "pos": ev["pos"][i]}
			rows = self.r_brackets[r]
			nb = len(rows)
			up = after > before
			if self.plan.bracket_mode == "marginal":
				pieces, ends = [], []
				for lower, upper, _, _ in rows:
					a, b = after, before
					if lower is not None:
						a, b = np.maximum(a, lower), np.maximum(b, lower)
					if upper is not None:
						a, b = np.minimum(a, upper), np.minimum(b, upper)
					pieces.append(a - b)
					ends.append((b - (lower or 0), a - (lower or 0)))  # in the bracket, from its lower bound
				first = np.full(len(i), -1, dtype=np.int64)
				for k in range(nb):  # ascending: the lowest bracket moving up, the highest moving down
					nz = pieces[k] != 0
					first = np.where(nz & up & (first < 0), k, first)
					first = np.where(nz & ~up, k, first)
				for k, (_, _, rate, label) in enumerate(rows):
					m = np.flatnonzero(pieces[k] != 0)
					if len(m) == 0:
						continue
					piece = pieces[k][m]
					start, end = ends[k][0][m], ends[k][1][m]
					self.out.add(
						len(m),
						**{name: v[m] if np.ndim(v) else v for name, v in common.items()},
						sub=np.where(up[m], k, nb - 1 - k),
						src=ev["src"][i][m],
						bracket=label,
						rate=rate,
						base=piece,
						qty=self.cast(np.where(first[m] == k, ev["qty"][i][m], 0)),
						# rounded on the running total, as the reference does
						amount=self.rounded(end * rate * mult[m], exponent)
						- self.rounded(start * rate * mult[m], exponent),
					)
			else:
				lowers = self.cast([row[0] for row in rows[1:]])
				rates = self.cast([row[2] for row in rows])
				labels = np.array([row[3] for row in rows], dtype=np.int64)
				old = np.searchsorted(lowers, before, side="right") if nb > 1 else np.zeros(len(i), np.int64)
				new = np.searchsorted(lowers, after, side="right") if nb > 1 else np.zeros(len(i), np.int64)
				top = np.where(up, new, old)
				piece = after - before
				self.out.add(
					len(i),
					**common,
					src=ev["src"][i],
					bracket=labels[top],
					rate=rates[top],
					base=piece,
					qty=ev["qty"][i],
					amount=self.rounded(after * rates[top] * mult, exponent)
					- self.rounded(before * rates[top] * mult, exponent),
				)
				step = rates[new] - rates[old]
				earlier = np.minimum(before, after)
				m = np.flatnonzero((step != 0) & (earlier != 0))
				if len(m):
					self.out.add(
						len(m),
						doc=doc[m],
						rule=r,
						kind=K_TRUE_UP,
						pos=ev["pos"][i][m],
						sub=1,
						bracket=labels[new[m]],
						rate=step[m],
						base=earlier[m],
						amount=self.rounded(earlier[m] * rates[new[m]] * mult[m], exponent)
						- self.rounded(earlier[m] * rates[old[m]] * mult[m], exponent),
					)

	def limits(self) -> None:
		"""Minimum / maximum per invoice on each sale's primary lines of a rule."""
		limited = np.array(
			[a is not None or b is not None for a, b in zip(self.r_min, self.r_max, strict=True)]
		)
		self.limit_key = self.limit_kind = self.limit_amount = np.zeros(0, dtype=np.int64)
		if not limited.any():
			return
		lay = self.lay
		has = (~self.is_return[lay.doc]) & (self.rule >= 0)
		has &= limited[np.maximum(self.rule, 0)]
		pairs = np.unique(lay.doc[has] * self.nr + self.rule[has])
		if len(pairs) == 0:
			return
		is_return = self.is_return
		cols = self.out.gather(
			("doc", "rule", "amount"),
			lambda c: (c["kind"] == K_COMMISSION) & limited[c["rule"]] & ~is_return[c["doc"]],
		)
		key = cols["doc"] * self.nr + cols["rule"]
		amount = cols["amount"]
		order = np.argsort(key, kind="stable")
		key, amount = key[order], amount[order]
		starts = _group_starts(key)
		totals = self.cast(np.zeros(len(pairs), dtype=np.int64))
		if len(starts):
			sums = np.add.reduceat(amount, starts)
			at = np.minimum(np.searchsorted(pairs, key[starts]), len(pairs) - 1)
			found = pairs[at] == key[starts]
			totals[at[found]] = sums[found]
		doc, rule = pairs // self.nr, pairs % self.nr
		low = np.array([self.r_min[r] is not None for r in range(self.nr)])[rule]
		high = np.array([self.r_max[r] is not None for r in range(self.nr)])[rule]
		lows = self.cast([0 if x is None else x for x in self.r_min])[rule]
		highs = self.cast([0 if x is None else x for x in self.r_max])[rule]
		raise_ = low & (totals < lows)
		lower = ~raise_ & high & (totals > highs)
		made = np.flatnonzero(raise_ | lower)
		self.limit_key = pairs[made]
		self.limit_kind = np.where(raise_[made], K_MINIMUM, K_MAXIMUM)
		self.limit_amount = np.where(raise_[made], lows[made], highs[made]) - totals[made]
		for kind, chosen, limit in ((K_MINIMUM, raise_, lows), (K_MAXIMUM, lower, highs)):
			m = np.flatnonzero(chosen)
			self.out.add(
				len(m), doc=doc[m], rule=rule[m], kind=kind, phase=PHASE_LIMIT, amount=limit[m] - totals[m]
			)

	# -- credit notes: reversals (Decimal, like the reference) -------------------------------------------------

	def reversals(self) -> None:
		"""Reversal lines of credit notes: each returned share of an original line, cumulatively rounded
		(``Decimal`` operations exactly as in the reference: they divide)."""
		rows: list[tuple] = []
		if self.tasks:
			rows += self._python_reversals()
		if self.simple_reversals is not None:
			rows += self._simple_reversals()
		if rows:
			d, r, at, src, bracket, rate, base, qty, amount, notes = zip(*rows, strict=True)
			self.out.add(
				len(rows),
				notes=list(notes),
				doc=np.array(d, dtype=np.int64),
				rule=np.array(r, dtype=np.int64),
				kind=K_REVERSAL,
				phase=PHASE_REVERSAL,
				pos=np.array(at, dtype=np.int64),
				src=np.array(src, dtype=np.int64),
				bracket=np.array(bracket, dtype=np.int64),
				rate=fit_ints(list(rate)),
				base=fit_ints(list(base)),
				qty=fit_ints(list(qty)),
				amount=fit_ints(list(amount)),
			)

	_WHAT: ClassVar[dict[int, str]] = {
		K_COMMISSION: "commission",
		K_MINIMUM: "minimum-per-invoice adjustment",
		K_MAXIMUM: "maximum-per-invoice adjustment",
	}

	def _share(
		self,
		d: int,
		r: int,
		kind: int,
		amount: int,
		whole: int,
		after: int,
		now: int,
		scale: int,
		always: bool,
	) -> tuple[int | None, str | None]:
		"""``-(share(after) - share(before))`` of an original line's ``amount`` (units of 10**-S), as
		``commission._reverse_share`` computes it; None when the reference makes no line."""
		value = Decimal(amount).scaleb(-self.S)
		whole_ = Decimal(whole).scaleb(-scale)
		after_ = Decimal(after).scaleb(-scale)
		before_ = after_ - Decimal(now).scaleb(-scale) if now else after_
		if whole_:  # at most all of the original line, as the reference caps it
			after_, before_ = capped(after_, whole_), capped(before_, whole_)
			share_after = round_magnitude(value * after_ / whole_, self.p, self.method)
			share_before = round_magnitude(value * before_ / whole_, self.p, self.method) if before_ else ZERO
		else:
			share_after = value if after_ else ZERO
			share_before = value if before_ else ZERO
		result = -(share_after - share_before)
		if not result and not always:
			return None, None
		note = None
		if self.explain:
			part = (after_ - before_) / whole_ * HUNDRED if whole_ else HUNDRED
			note = (
				f"Return of {format_number(part.quantize(Decimal('0.01')).normalize())}% of the "
				f"{format_amount(value, self.p)} {self._WHAT[kind]} on {self.against[d]} "
				f"(rule {self.rule_names[r]})"
			)
		return decimal_to_int(result, self.S), note

	def _python_reversals(self) -> list[tuple]:
		wanted = np.zeros(self.ndoc, dtype=bool)
		wanted[list(self.originals)] = True
		fields = ("doc", "rule", "phase", "pos", "sub", "kind", "src", "amount", "base", "rate", "bracket")
		cols = self.out.gather(
			fields, lambda c: wanted[c["doc"]] & np.isin(c["kind"], (K_COMMISSION, K_MINIMUM, K_MAXIMUM))
		)
		m = _order(cols["doc"], cols["rule"], cols["phase"], cols["pos"], cols["sub"])
		by_rule: dict[tuple[int, int], list[tuple]] = {}
		fields = ("doc", "rule", "kind", "amount", "base", "rate", "src", "bracket")
		lines = zip(*(cols[name][m].tolist() for name in fields), strict=True)
		for at, (doc, rule, kind, amount, base, rate, src, bracket) in enumerate(lines):
			info = self.originals[doc]
			key = info["keys"][src - info["start"]] if src >= 0 else ""
			by_rule.setdefault((doc, rule), []).append((kind, key, amount, base, rate, src, bracket, at))
		rows = []
		for d, o, r, now, after_of, before_sum, after_sum, rule_base in self.tasks:
			per_unit = self.r_type[r] == PER_UNIT
			info = self.originals[o]
			for kind, key, amount, base, rate, src, bracket, at in by_rule.get((o, r), ()):
				if kind == K_COMMISSION and key and not self.r_brk[r]:
					if key not in now:
						continue
					index = 1 if per_unit else 0
					whole = info["qty"][key] if per_unit else base
					value, note = self._share(
						d,
						r,
						kind,
						amount,
						whole,
						after_of[key][index],
						now[key][index],
						self.kq if per_unit else self.kb,
						True,
					)
					back = (-now[key][0], -now[key][1])
				elif kind in (K_MINIMUM, K_MAXIMUM) or (kind == K_COMMISSION and not key):
					change = after_sum - before_sum
					value, note = self._share(
						d, r, kind, amount, rule_base, after_sum, change, self.kb, False
					)
					back = (-change, 0)
				else:
					continue
				if value is not None:
					rows.append((d, r, at, src, bracket, rate, back[0], back[1], value, note))
		return rows

	def _simple_reversals(self) -> list[tuple]:
		s = self.simple_reversals
		rows = []
		rates = [int(x) for x in self.r_rate_int]
		# per-line rules: each returned original line's commission line
		lines = s["line"]
		if len(lines):
			pos = self.lay.pos[lines].tolist()
			amounts = self.line_amount[lines].tolist()
			qtys, bases = self.qty[lines].tolist(), self.lb[lines].tolist()
			columns = (
				s[k].tolist() for k in ("line_doc", "line_rule", "now_b", "now_q", "after_b", "after_q")
			)
			for i, (d, r, now_b, now_q, after_b, after_q) in enumerate(zip(*columns, strict=True)):
				if self.r_type[r] == PER_UNIT:
					value, note = self._share(
						d, r, K_COMMISSION, amounts[i], qtys[i], after_q, now_q, self.kq, True
					)
				else:
					value, note = self._share(
						d, r, K_COMMISSION, amounts[i], bases[i], after_b, now_b, self.kb, True
					)
				rows.append((d, r, pos[i], int(lines[i]), -1, rates[r], -now_b, -now_q, value, note))
		# invoice-level lines of the original: per-invoice commission, minimum, maximum
		if len(s["doc"]):
			key = s["orig"] * self.nr + s["rule"]
			per_invoice = _lookup(self.per_invoice_key, key)
			limit = _lookup(self.limit_key, key)
			last = int(self.lay.pos.max()) + 1
			columns = (s[k].tolist() for k in ("doc", "rule", "before", "after", "rule_base"))
			for i, (d, r, before, after, rule_base) in enumerate(zip(*columns, strict=True)):
				change = after - before
				found = []
				if per_invoice[i] >= 0:
					found.append((K_COMMISSION, int(self.per_invoice_amount[per_invoice[i]]), rates[r], 0))
				if limit[i] >= 0:
					found.append((int(self.limit_kind[limit[i]]), int(self.limit_amount[limit[i]]), 0, last))
				for kind, amount, rate, at in found:
					value, note = self._share(d, r, kind, amount, rule_base, after, change, self.kb, False)
					if value is not None:
						rows.append((d, r, at, -1, -1, rate, -change, 0, value, note))
		return rows

	# -- caps per period --------------------------------------------------------------------------------------

	def caps(self) -> None:
		capped = np.array([c is not None for c in self.r_cap])
		if not capped.any():
			return
		cols = self.out.gather(("doc", "rule", "amount"), lambda c: capped[c["rule"]])
		if len(cols["doc"]) == 0:
			return
		doc, rule, amount = cols["doc"], cols["rule"], cols["amount"]
		key = doc * self.nr + rule
		order = np.argsort(key, kind="stable")
		key, amount = key[order], amount[order]
		starts = _group_starts(key)
		change = np.add.reduceat(amount, starts)
		doc, rule = key[starts] // self.nr, key[starts] % self.nr
		group = (self.partner_code[doc].astype(np.int64) * self.nr + rule) * len(
			self.period_texts
		) + self.period[doc]
		order = _order(pd.factorize(group)[0].astype(np.int64), doc)
		doc, rule, change, group = doc[order], rule[order], change[order], group[order]
		cumulative = np.cumsum(change)
		starts = _group_starts(group)
		sizes = np.diff(np.r_[starts, len(change)])
		after = cumulative - np.repeat(cumulative[starts] - change[starts], sizes)
		before = after - change
		cap = self.cast([0 if c is None else c for c in self.r_cap])[rule]
		adjustment = np.minimum(after, cap) - np.minimum(before, cap) - change
		m = np.flatnonzero(adjustment != 0)
		self.out.add(
			len(m), aux=after[m], doc=doc[m], rule=rule[m], kind=K_CAP, phase=PHASE_CAP, amount=adjustment[m]
		)

	# -- the frame --------------------------------------------------------------------------------------------

	def frame(self) -> pd.DataFrame:
		keys = self.out.gather(("doc", "rule", "phase", "pos", "sub"))
		order = _order(keys["doc"], keys["rule"], keys["phase"], keys["pos"], keys["sub"])
		del keys
		fields = ["doc", "rule", "kind", "src", "bracket", "rate", "base", "qty", "amount"]
		if self.explain:
			fields += ["aux", "notes"]
		cols = {name: values[order] for name, values in self.out.gather(fields).items()}
		del order
		self.out.chunks.clear()
		aux, notes = cols.get("aux"), cols.get("notes")
		doc, rule, src = cols["doc"], cols["rule"], cols["src"]
		t = self.t
		has_src = src >= 0
		srcs = np.where(has_src, src, 0)

		def line_text(name: str) -> pd.Categorical:
			codes, texts = t.line_codes[name]
			return _categorical(
				np.where(has_src, codes[srcs] if len(srcs) else srcs, len(texts)), [*texts, ""]
			)

		ids, id_texts = t.line_codes["line_id"]
		pos = self.lay.pos
		top = int(pos.max()) + 1 if self.n else 1
		own = np.array([str(i + 1) for i in range(top)], dtype=object)
		id_code = ids[srcs] if len(srcs) else srcs
		key_code = np.where(
			id_texts[id_code] != "", id_code, len(id_texts) + (pos[srcs] if len(srcs) else srcs)
		)
		key_code = np.where(has_src, key_code, len(id_texts) + top)
		data = {
			"invoice": _categorical(doc, self.lay.name, unique=True),
			"partner": _categorical(self.partner_code[doc], self.partner_names, unique=True),
			"kind": _categorical(cols["kind"], KINDS, unique=True),
			"rule": _categorical(rule, self.rule_names, unique=True),
			"period": _categorical(self.period[doc], self.period_texts, unique=True),
			"rate_type": _categorical(self.r_type[rule], RATE_TYPES, unique=True),
			"rate": _decimal_array(cols["rate"], self.kr),
			"base": _decimal_array(cols["base"], self.kb),
			"qty": _decimal_array(cols["qty"], self.kq),
			"amount": _decimal_array(cols["amount"], self.S),
			"explanation": _categorical(np.zeros(len(doc), dtype=np.int64), [""]),
			"item_code": line_text("item_code"),
			"item_group": line_text("item_group"),
			"line_key": _categorical(key_code, [*id_texts, *own, ""]),
			"bracket": _categorical(
				np.where(cols["bracket"] >= 0, cols["bracket"], len(self.labels)), [*self.labels, ""]
			),
			"against": _categorical(doc, self.against),
		}
		if self.explain:
			data["explanation"] = self.explanations(cols, aux, notes)
		return pd.DataFrame({name: data[name] for name in LINE_COLUMNS})

	def explanations(self, cols: dict, aux: np.ndarray, notes: np.ndarray) -> np.ndarray:
		"""The reference's explanation of every line (a Python pass; only with ``explain=True``)."""
		plan, p = self.plan, self.p
		out = np.empty(len(cols["doc"]), dtype=object)

		def money(v: Decimal) -> str:
			return format_amount(v, p)

		for i in range(len(out)):
			d, r, kind = int(cols["doc"][i]), int(cols["rule"][i]), int(cols["kind"][i])
			rule = plan.rules[r]
			mult = self.multiplier[d]
			scaled = "" if mult == ONE else f" × {format_number(mult)} (tier {self.tier[d]})"
			rate = self.dec(cols["rate"][i], self.kr)
			base = self.dec(cols["base"][i], self.kb)
			amount = self.dec(cols["amount"][i], self.S)
			bracket = int(cols["bracket"][i])
			label = self.labels[bracket] if bracket >= 0 else ""
			if kind == K_COMMISSION:
				if rule.brackets:
					text = (
						f"{format_number(rate)}% of {money(base)}{scaled} (rule {rule.name}, bracket {label})"
						f"{self.rounding_note(base, rate, mult, amount)}"
					)
				elif rule.rate_type == "per_invoice":
					text = f"{money(rate)} per invoice{scaled} (rule {rule.name})"
				elif rule.rate_type == "percentage":
					text = f"{format_number(rate)}% of {money(base)}{scaled} (rule {rule.name})"
				else:
					qty = self.dec(cols["qty"][i], self.kq)
					price = format_amount(rate, max(p, -rate.normalize().as_tuple().exponent))
					text = f"{price} per unit × {format_number(qty)}{scaled} (rule {rule.name})"
			elif kind == K_TRUE_UP:
				new = self.bracket_rate[bracket]
				text = (
					f"True-up: {money(base)} already in the {self.period_texts[self.period[d]]} volume moves from "
					f"{format_number(new - rate)}% to {format_number(new)}%{scaled} "
					f"(rule {rule.name}, bracket {label}){self.rounding_note(base, rate, mult, amount)}"
				)
			elif kind == K_MINIMUM:
				limit = rule.min_per_invoice
				text = (
					f"Raised from {money(limit - amount)} to the minimum of {money(limit)} "
					f"per invoice (rule {rule.name})"
				)
			elif kind == K_MAXIMUM:
				limit = rule.max_per_invoice
				text = (
					f"Lowered from {money(limit - amount)} to the maximum of {money(limit)} "
					f"per invoice (rule {rule.name})"
				)
			elif kind == K_CAP:
				cap, after = rule.cap_per_period, self.dec(aux[i], self.S)
				text = (
					f"Cap of {money(cap)} per {plan.period} ({self.period_texts[self.period[d]]}): "
					f"earned {money(min(after, cap))} of {money(after)} (rule {rule.name})"
				)
			else:
				text = notes[i]
			out[i] = text
		return out

	def rounding_note(self, base: Decimal, rate: Decimal, mult: Decimal, amount: Decimal) -> str:
		"""The reference's note on a bracket line whose running-total rounding moved a cent."""
		plain = round_magnitude(base * rate / HUNDRED * mult, self.p, self.method)
		return "" if plain == amount else RUNNING_TOTAL_NOTE

	def run(self) -> pd.DataFrame:
		if self.n == 0:
			return empty_frame()
		self.setup()
		invalid = self.first_invalid()
		self.returns(invalid)
		if invalid < self.ndoc:
			self.raise_invalid(invalid)
		self.events()
		self.choose_width()
		self.sale_lines()
		self.bracket_lines()
		self.limits()
		self.reversals()
		self.caps()
		return self.frame()


# --- frames ----------------------------------------------------------------------------------------------


def _categorical(codes: np.ndarray, texts, *, unique: bool = False) -> pd.Categorical:
	"""A Categorical of ``texts[codes]`` (``texts`` may repeat unless ``unique``)."""
	texts = np.asarray(texts, dtype=object)
	codes = np.asarray(codes)
	if not unique:
		remap, uniques = pd.factorize(texts)
		if len(uniques) < len(texts):
			codes = np.asarray(remap)[codes] if len(codes) else codes
			texts = np.asarray(uniques, dtype=object)
	return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object), validate=False)


def _decimal_array(values: np.ndarray, scale: int) -> pd.api.extensions.ExtensionArray:
	"""Exact decimals ``values / 10**scale`` as an Arrow decimal128 pandas array (Decimal on access)."""
	import pyarrow as pa

	scale = min(scale, 38)
	kind = pa.decimal128(38, scale)
	if values.dtype != object:
		words = np.empty((len(values), 2), dtype=np.int64)
		words[:, 0] = values
		words[:, 1] = values >> 63
		array = pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(words)])
	else:
		array = pa.array([Decimal(int(v)).scaleb(-scale) for v in values], type=kind)
	return pd.arrays.ArrowExtensionArray(array)


def empty_frame() -> pd.DataFrame:
	data = {name: pd.Categorical([], categories=pd.Index([], dtype=object)) for name in LINE_COLUMNS}
	for name in DECIMAL_COLUMNS:
		data[name] = _decimal_array(np.zeros(0, dtype=np.int64), 0)
	return pd.DataFrame(data)


def lines_to_frame(lines: Iterable[CommissionLine]) -> pd.DataFrame:
	"""Commission lines (e.g. ``run_stream(...).lines``) as a frame in ``compute_frame``'s format."""
	lines = list(lines)
	if not lines:
		return empty_frame()
	data = {}
	for name in LINE_COLUMNS:
		values = [getattr(ln, name) for ln in lines]
		if name in DECIMAL_COLUMNS:
			scale = max(decimals_of(v) for v in values)
			data[name] = _decimal_array(
				np.array([decimal_to_int(v, scale) for v in values], dtype=object), scale
			)
		else:
			codes, uniques = pd.factorize(pd.Index(values, dtype=object))
			data[name] = _categorical(codes, uniques)
	return pd.DataFrame(data)


def frame_to_lines(df: pd.DataFrame) -> list[CommissionLine]:
	"""The rows of a commissions frame as ``CommissionLine`` objects."""
	columns = {name: df[name].tolist() for name in LINE_COLUMNS}
	for name in DECIMAL_COLUMNS:
		columns[name] = [v if isinstance(v, Decimal) else Decimal(str(v)) for v in columns[name]]
	return [
		CommissionLine(**dict(zip(LINE_COLUMNS, row, strict=True)))
		for row in zip(*columns.values(), strict=True)
	]


def compute_frame(plan: Plan, lines: pd.DataFrame, *, explain: bool = False) -> pd.DataFrame:
	"""Commission lines for every invoice of ``lines`` (see the module docstring), equal to
	``run_stream(plan, frame_to_invoices(lines)).lines``; ``explain=True`` adds the explanations."""
	validate_plan(plan)
	table = read_lines(lines)
	try:
		return _Engine(plan, table, explain).run()
	except _TooLarge:
		result = lines_to_frame(run_stream(plan, frame_to_invoices(lines)).lines)
		if not explain and len(result):
			result["explanation"] = _categorical(np.zeros(len(result), dtype=np.int64), [""])
		return result


__all__ = ["compute_frame", "empty_frame", "frame_to_invoices", "frame_to_lines", "lines_to_frame"]
