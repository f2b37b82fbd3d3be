"""One invoice (or credit note) in, commission lines out — the per-document path every posting uses.

The contract
------------
``compute_commission(plan, invoice, state, original)`` is pure: the same plan, invoice and partner state
give the same lines, totals and new state. ``state`` is the partner's running period state (volumes of
bracket rules and earnings of capped rules, per rule and period); the Frappe layer rebuilds it from
stored commission lines with ``state_from_lines``. A credit note also needs its original invoice, the
original's commission lines and the credit notes already made against it (``OriginalInvoice``).

Per rule, in plan order, a document's commission is:

1. **primary lines** — for a rule without brackets, one line per invoice line (percentage of the base,
   fixed per unit) or one per invoice (fixed per invoice); for a bracketed rule, the difference the
   document makes to ``f(period volume)``: marginal mode splits the line into slices at each bracket's
   own rate; step mode puts the line at the rate of the bracket reached and adds a **true-up** line for
   the volume already commissioned in the period at the old rate. Tier multipliers scale these lines.
2. a **minimum / maximum per invoice** adjustment (not counting true-ups), after the multiplier;
3. a **cap per period** adjustment so the rule's earnings in the period never exceed the cap.

Every line is rounded once, on its magnitude (``money.round_magnitude``), so a reversal mirrors its
accrual to the cent. A bracketed rule's lines are rounded on the period's running total (the rounded
commission on the bracket's volume after the document less the rounded one before it), so a period's
documents (at one tier multiplier) add up to the rounded commission on its whole volume whatever their
order, and several partial credit notes with nothing in between give back exactly what the sale earned.

Returns (``is_return`` with ``return_against``) belong to the period of the original invoice and use the
plan and attributes of the original (the caller passes the original and its commission lines). Without
brackets a return reverses, per item, the share of the original line that it returns — cumulatively, so
a full return (in one credit note or several) nets to exactly zero. With brackets it lowers the period
volume and commissions the difference, undoing the original's lines in reverse order so that it mirrors
the original's slices. The original's per-invoice, minimum and maximum lines are reversed in proportion
to the returned base of the rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from prm_app.engine.errors import EngineError, InvoiceError, StateError, UnknownInvoiceError
from prm_app.engine.money import (
	HUNDRED,
	ONE,
	ZERO,
	check_currency,
	format_amount,
	format_number,
	round_magnitude,
	to_decimal,
)
from prm_app.engine.plans import Bracket, Plan, Rule, period_key

# Kinds of commission line
COMMISSION = "commission"  # a primary line: an item's base (or a slice of it) at a rate
TRUE_UP = "true_up"  # step brackets: earlier volume re-rated to the bracket reached
MINIMUM = "minimum"  # raised to the rule's minimum per invoice
MAXIMUM = "maximum"  # lowered to the rule's maximum per invoice
CAP = "cap"  # held to the rule's cap per period
REVERSAL = "reversal"  # a return's share of an original line (rules without brackets)
KINDS = (COMMISSION, TRUE_UP, MINIMUM, MAXIMUM, CAP, REVERSAL)


@dataclass(frozen=True, slots=True)
class InvoiceLine:
	item_code: str
	base_net_amount: Decimal
	qty: Decimal = ONE
	item_group: str = ""
	brand: str = ""
	cost: Decimal | None = None
	grant_commission: bool = True
	line_id: str = ""  # e.g. the Sales Invoice Item name; defaults to the 1-based position
	return_line_id: str = ""  # on a credit note: the line_id of the original line it returns


@dataclass(frozen=True, slots=True)
class Invoice:
	name: str
	posting_date: date
	partner: str
	lines: tuple[InvoiceLine, ...]
	customer: str = ""
	currency: str = ""  # transaction currency; amounts on lines are already in company currency
	conversion_rate: Decimal = ONE
	is_return: bool = False
	return_against: str = ""
	territory: str = ""
	customer_group: str = ""
	partner_tier: str = ""
	partner_type: str = ""
	new_customer: bool = False
	registered_deal: bool = False

	def context(self) -> dict[str, Any]:
		return {
			"territory": self.territory,
			"customer_group": self.customer_group,
			"partner_tier": self.partner_tier,
			"partner_type": self.partner_type,
			"new_customer": self.new_customer,
			"registered_deal": self.registered_deal,
		}


@dataclass(frozen=True, slots=True)
class CommissionLine:
	invoice: str
	partner: str
	kind: str
	rule: str
	period: str
	rate_type: str
	rate: Decimal  # percent for percentage rules, an amount for fixed rules; 0 on adjustments
	base: Decimal  # company-currency base of this line (negative on credit notes)
	qty: Decimal
	amount: Decimal  # rounded, company currency
	explanation: str
	item_code: str = ""
	item_group: str = ""
	line_key: str = ""  # the source invoice line ("" for invoice-level lines)
	bracket: str = ""
	against: str = ""  # on a credit note: the original invoice


@dataclass(frozen=True, slots=True)
class PartnerState:
	"""A partner's running state per (rule, period): the base volume of bracketed rules and the
	uncapped earnings of capped rules."""

	volume: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
	earned: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OriginalInvoice:
	"""What a credit note is computed against: the original invoice, its commission lines and the credit
	notes already made against it (oldest first)."""

	invoice: Invoice
	lines: tuple[CommissionLine, ...]
	prior_returns: tuple[Invoice, ...] = ()


@dataclass(frozen=True, slots=True)
class CommissionResult:
	invoice: str
	partner: str
	period: str
	lines: tuple[CommissionLine, ...]
	total: Decimal
	state: PartnerState

	@property
	def is_clawback(self) -> bool:
		return self.total < 0


# --- input checks --------------------------------------------------------------------------------------


def line_key(line: InvoiceLine, index: int) -> str:
	return line.line_id or str(index + 1)


def validate_invoice(plan: Plan, invoice: Invoice) -> None:
	"""Raise ``InvoiceError`` (or ``CurrencyError``) for bad input; nothing is computed before this."""
	where = f"invoice {invoice.name}" if invoice.name else "invoice"
	if not invoice.name:
		raise InvoiceError("an invoice needs a name")
	if not invoice.partner:
		raise InvoiceError("{0} has no partner", where)
	if not isinstance(invoice.posting_date, date):
		raise InvoiceError("{0} posting_date must be a date, not {1!r}", where, invoice.posting_date)
	try:
		check_currency(invoice.currency or plan.currency)
	except EngineError as e:
		raise e.located(where)
	if invoice.conversion_rate <= 0:
		raise InvoiceError("{0} conversion_rate must be above 0, got {1}", where, invoice.conversion_rate)
	if invoice.is_return and not invoice.return_against:
		raise InvoiceError("{0} is a return but names no invoice in return_against", where)
	if not invoice.is_return and invoice.return_against:
		raise InvoiceError("{0} names return_against {1} but is not a return", where, invoice.return_against)
	for i, line in enumerate(invoice.lines):
		if invoice.is_return and line.qty > 0:
			raise InvoiceError(
				"{0} line {1} ({2}): a return must have a negative quantity, got {3}",
				where,
				i + 1,
				line.item_code,
				format_number(line.qty),
			)
		if not invoice.is_return and line.qty < 0:
			raise InvoiceError(
				"{0} line {1} ({2}): negative quantity {3} on an invoice that is not a return",
				where,
				i + 1,
				line.item_code,
				format_number(line.qty),
			)
		if plan.basis == "gross_margin" and line.grant_commission and line.cost is None:
			raise InvoiceError(
				"{0} line {1} ({2}) has no cost, but plan {3!r} pays on gross margin",
				where,
				i + 1,
				line.item_code,
				plan.name,
			)


def line_base(plan: Plan, line: InvoiceLine) -> Decimal:
	"""The commissionable base: ``base_net_amount``, or its margin over cost (never below zero; on a
	credit note never above zero)."""
	if plan.basis == "net_amount":
		return line.base_net_amount
	margin = line.base_net_amount - (line.cost or ZERO)
	if line.base_net_amount < 0 or line.qty < 0:
		return min(margin, ZERO)
	return max(margin, ZERO)


# --- the computation -----------------------------------------------------------------------------------


RUNNING_TOTAL_NOTE = " (rounded on the period's running total)"


class _Document:
	"""Accumulates one document's lines and state changes (copy-on-write of the partner state)."""

	def __init__(self, plan: Plan, invoice: Invoice, state: PartnerState, period: str, tier: str) -> None:
		self.plan = plan
		self.invoice = invoice
		self.state = state
		self.period = period
		self.tier = tier
		self.multiplier = plan.multiplier(tier)
		self.factor = self.multiplier / HUNDRED  # a rate in % times this is the fraction to pay
		self._scaled = "" if self.multiplier == ONE else f" × {format_number(self.multiplier)} (tier {tier})"
		self.precision = plan.money_precision
		self.lines: list[CommissionLine] = []
		self.volume: dict[tuple[str, str], Decimal] = {}
		self.earned: dict[tuple[str, str], Decimal] = {}
		self.returned: dict[str, tuple[Decimal, Decimal]] = {}  # original line key -> (base, qty) returned
		self.against = invoice.return_against

	# helpers
	def round(self, value: Decimal) -> Decimal:
		return round_magnitude(value, self.precision, self.plan.rounding_method)

	def money(self, value: Decimal) -> str:
		return format_amount(value, self.precision)

	def price(self, value: Decimal) -> str:
		"""A rate per unit: money decimals, or more when the rate has them (1.255 stays 1.255)."""
		return format_amount(value, max(self.precision, -value.normalize().as_tuple().exponent))

	def scaled(self) -> str:
		return self._scaled

	def add(self, rule: Rule, kind: str, amount: Decimal, explanation: str, **values: Any) -> CommissionLine:
		line = CommissionLine(
			invoice=self.invoice.name,
			partner=self.invoice.partner,
			kind=kind,
			rule=rule.name,
			period=self.period,
			rate_type=rule.rate_type,
			rate=values.pop("rate", ZERO),
			base=values.pop("base", ZERO),
			qty=values.pop("qty", ZERO),
			amount=amount + ZERO,  # never -0.00
			explanation=explanation,
			against=self.against,
			**values,
		)
		self.lines.append(line)
		return line

	def on_running_total(
		self, start: Decimal, end: Decimal, rate: Decimal, start_rate: Decimal | None = None
	) -> tuple[Decimal, str]:
		"""Commission on a bracket's volume moving from ``start`` to ``end`` (``rate`` at the end,
		``start_rate`` at the start, default the same): the rounded commission on the running total at
		the end less the rounded one at the start. Rounded this way the documents of a period always add
		up to the rounded commission on its whole volume, so several credit notes that return a sale give
		back exactly what it earned (rounding each slice on its own could leave a cent). Returns the
		amount and a note for the explanation when this moved a cent against rounding the line alone."""
		at_end = self.round(end * rate * self.factor)
		if not start:
			return at_end, ""
		start_rate = rate if start_rate is None else start_rate
		amount = at_end - self.round(start * start_rate * self.factor)
		if self.round((end * rate - start * start_rate) * self.factor) == amount:
			return amount, ""
		return amount, RUNNING_TOTAL_NOTE

	def get_volume(self, key: tuple[str, str]) -> Decimal:
		return self.volume.get(key, self.state.volume.get(key, ZERO))

	def get_returned(self, key: str) -> tuple[Decimal, Decimal]:
		return self.returned.get(key, (ZERO, ZERO))

	# rule-level pieces
	def bracket_lines(
		self, rule: Rule, before: Decimal, after: Decimal, item: dict[str, Any], qty: Decimal
	) -> None:
		"""Lines for moving the rule's period volume from ``before`` to ``after``."""
		if after == before:
			return
		if self.plan.bracket_mode == "marginal":
			self._marginal(rule, before, after, item, qty)
		else:
			self._step(rule, before, after, item, qty)

	def _marginal(
		self, rule: Rule, before: Decimal, after: Decimal, item: dict[str, Any], qty: Decimal
	) -> None:
		brackets: Sequence[Bracket] = rule.brackets if after > before else rule.brackets[::-1]
		first = True
		for bracket in brackets:
			lower = None if bracket is rule.brackets[0] else bracket.lower
			end, start = _clamp(after, lower, bracket.upper), _clamp(before, lower, bracket.upper)
			piece = end - start
			if not piece:
				continue
			offset = lower or ZERO
			amount, note = self.on_running_total(start - offset, end - offset, bracket.rate)
			self.add(
				rule,
				COMMISSION,
				amount,
				f"{format_number(bracket.rate)}% of {self.money(piece)}{self.scaled()} "
				f"(rule {rule.name}, bracket {bracket.label}){note}",
				rate=bracket.rate,
				base=piece,
				qty=qty if first else ZERO,
				bracket=bracket.label,
				**item,
			)
			first = False

	def _step(self, rule: Rule, before: Decimal, after: Decimal, item: dict[str, Any], qty: Decimal) -> None:
		old, new = rule.bracket_for(before), rule.bracket_for(after)
		top = new if after > before else old
		piece = after - before
		amount, note = self.on_running_total(before, after, top.rate)
		self.add(
			rule,
			COMMISSION,
			amount,
			f"{format_number(top.rate)}% of {self.money(piece)}{self.scaled()} (rule {rule.name}, bracket {top.label})"
			f"{note}",
			rate=top.rate,
			base=piece,
			qty=qty,
			bracket=top.label,
			**item,
		)
		if new.rate != old.rate:
			earlier = min(before, after)
			delta = new.rate - old.rate
			if earlier:
				amount, note = self.on_running_total(earlier, earlier, new.rate, old.rate)
				self.add(
					rule,
					TRUE_UP,
					amount,
					f"True-up: {self.money(earlier)} already in the {self.period} volume moves from "
					f"{format_number(old.rate)}% to {format_number(new.rate)}%{self.scaled()} "
					f"(rule {rule.name}, bracket {new.label}){note}",
					rate=delta,
					base=earlier,
					bracket=new.label,
				)

	def per_invoice_limits(self, rule: Rule, first_line: int) -> None:
		"""Minimum / maximum per invoice on this document's primary lines of the rule (not true-ups)."""
		total = sum((ln.amount for ln in self.lines[first_line:] if ln.kind == COMMISSION), ZERO)
		if rule.min_per_invoice is not None and total < rule.min_per_invoice:
			self.add(
				rule,
				MINIMUM,
				rule.min_per_invoice - total,
				f"Raised from {self.money(total)} to the minimum of {self.money(rule.min_per_invoice)} "
				f"per invoice (rule {rule.name})",
			)
		elif rule.max_per_invoice is not None and total > rule.max_per_invoice:
			self.add(
				rule,
				MAXIMUM,
				rule.max_per_invoice - total,
				f"Lowered from {self.money(total)} to the maximum of {self.money(rule.max_per_invoice)} "
				f"per invoice (rule {rule.name})",
			)

	def period_cap(self, rule: Rule, first_line: int) -> None:
		if rule.cap_per_period is None:
			return
		key = (rule.name, self.period)
		change = sum((ln.amount for ln in self.lines[first_line:]), ZERO)
		before = self.earned.get(key, self.state.earned.get(key, ZERO))
		after = before + change
		self.earned[key] = after
		cap = rule.cap_per_period
		adjustment = min(after, cap) - min(before, cap) - change
		if adjustment:
			self.add(
				rule,
				CAP,
				adjustment,
				f"Cap of {self.money(cap)} per {self.plan.period} ({self.period}): "
				f"earned {self.money(min(after, cap))} of {self.money(after)} (rule {rule.name})",
			)

	def result(self) -> CommissionResult:
		state = self.state
		if self.volume or self.earned:
			state = PartnerState(
				volume={**state.volume, **self.volume} if self.volume else state.volume,
				earned={**state.earned, **self.earned} if self.earned else state.earned,
			)
		total = sum((ln.amount for ln in self.lines), ZERO)
		return CommissionResult(
			invoice=self.invoice.name,
			partner=self.invoice.partner,
			period=self.period,
			lines=tuple(self.lines),
			total=total,
			state=state,
		)


def _clamp(value: Decimal, lower: Decimal | None, upper: Decimal | None) -> Decimal:
	if lower is not None and value < lower:
		value = lower
	if upper is not None and value > upper:
		value = upper
	return value


def compute_commission(
	plan: Plan,
	invoice: Invoice,
	state: PartnerState | None = None,
	original: OriginalInvoice | None = None,
) -> CommissionResult:
	"""Commission lines, total and the partner's new state for one invoice or credit note."""
	validate_invoice(plan, invoice)
	state = state or PartnerState()
	if invoice.is_return:
		if original is None or original.invoice.name != invoice.return_against:
			raise UnknownInvoiceError(
				"credit note {0} returns against {1}, which the engine was not given (unknown invoice)",
				invoice.name,
				invoice.return_against,
			)
		return _compute_return(plan, invoice, state, original)
	return _compute_sale(plan, invoice, state)


def assign_rules(
	plan: Plan, invoice: Invoice, candidates: tuple[Rule, ...] | None = None
) -> dict[str, list[tuple[str, InvoiceLine, Decimal]]]:
	"""Each commissionable line under the first rule that matches it: rule name -> (key, line, base).
	``candidates``: the plan's rules whose invoice-level conditions hold, when the caller has them."""
	if candidates is None:
		candidates = plan.rules_for_invoice(invoice.context())
	grouped: dict[str, list[tuple[str, InvoiceLine, Decimal]]] = {}
	chosen: dict[tuple[str, str, str], Rule | None] = {}
	# remember the first matching rule per the line attributes some rule looks at (not per item code
	# when no rule names item codes: a plan by item group then decides once per group)
	by_code = any(r.item_code for r in candidates)
	by_group = any(r.item_group for r in candidates)
	by_brand = any(r.brand for r in candidates)
	for index, line in enumerate(invoice.lines):
		if not line.grant_commission:
			continue
		attrs = (
			line.item_code if by_code else "",
			line.item_group if by_group else "",
			line.brand if by_brand else "",
		)
		if attrs not in chosen:
			chosen[attrs] = next((r for r in candidates if r.matches_line(*attrs)), None)
		rule = chosen[attrs]
		if rule is not None:
			grouped.setdefault(rule.name, []).append((line_key(line, index), line, line_base(plan, line)))
	return grouped


def _compute_sale(plan: Plan, invoice: Invoice, state: PartnerState) -> CommissionResult:
	doc = _Document(plan, invoice, state, period_key(plan.period, invoice.posting_date), invoice.partner_tier)
	candidates = plan.rules_for_invoice(invoice.context())
	grouped = assign_rules(plan, invoice, candidates)

	for rule in candidates:
		items = grouped.get(rule.name)
		if not items:
			continue
		first = len(doc.lines)
		if rule.brackets:
			key = (rule.name, doc.period)
			volume = doc.get_volume(key)
			for key_, line, base in items:
				item = {"item_code": line.item_code, "item_group": line.item_group, "line_key": key_}
				doc.bracket_lines(rule, volume, volume + base, item, line.qty)
				volume += base
			doc.volume[key] = volume
		elif rule.rate_type == "per_invoice":
			base = sum((b for _, _, b in items), ZERO)
			qty = sum((ln.qty for _, ln, _ in items), ZERO)
			doc.add(
				rule,
				COMMISSION,
				doc.round(rule.rate * doc.multiplier),
				f"{doc.money(rule.rate)} per invoice{doc.scaled()} (rule {rule.name})",
				rate=rule.rate,
				base=base,
				qty=qty,
			)
		else:
			for key_, line, base in items:
				if rule.rate_type == "percentage":
					exact = base * rule.rate / HUNDRED * doc.multiplier
					text = f"{format_number(rule.rate)}% of {doc.money(base)}"
				else:
					exact = line.qty * rule.rate * doc.multiplier
					text = f"{doc.price(rule.rate)} per unit × {format_number(line.qty)}"
				doc.add(
					rule,
					COMMISSION,
					doc.round(exact),
					f"{text}{doc.scaled()} (rule {rule.name})",
					rate=rule.rate,
					base=base,
					qty=line.qty,
					item_code=line.item_code,
					item_group=line.item_group,
					line_key=key_,
				)
		doc.per_invoice_limits(rule, first)
		doc.period_cap(rule, first)
	return doc.result()


def _match_return_lines(
	plan: Plan, invoice: Invoice, original: Invoice, returned: Mapping[str, tuple[Decimal, Decimal]]
) -> list[tuple[str, InvoiceLine, Decimal, Decimal]]:
	"""Pair each credit-note line with the original line it returns: (key, original line, base, qty),
	base and qty as positive magnitudes."""
	originals = [(line_key(ln, i), ln) for i, ln in enumerate(original.lines)]
	by_key = dict(originals)
	taken: dict[str, Decimal] = {}
	matched = []
	for i, line in enumerate(invoice.lines):
		if line.return_line_id:
			if line.return_line_id not in by_key:
				raise UnknownInvoiceError(
					"credit note {0} line {1} returns line {2!r}, which is not on invoice {3}",
					invoice.name,
					i + 1,
					line.return_line_id,
					original.name,
				)
			key = line.return_line_id
		else:
			same_item = [k for k, ln in originals if ln.item_code == line.item_code]
			if not same_item:
				raise UnknownInvoiceError(
					"credit note {0} line {1} returns item {2!r}, which is not on invoice {3}",
					invoice.name,
					i + 1,
					line.item_code,
					original.name,
				)
			# the first line of that item with room for the whole quantity, else the first with any room
			left = {
				k: by_key[k].qty - returned.get(k, (ZERO, ZERO))[1] - taken.get(k, ZERO) for k in same_item
			}
			key = next(
				(k for k in same_item if left[k] >= -line.qty),
				next((k for k in same_item if left[k] > 0), same_item[-1]),
			)
		qty = -line.qty
		taken[key] = taken.get(key, ZERO) + qty
		matched.append((key, by_key[key], -line_base(plan, line), qty))
	return matched


def _compute_return(
	plan: Plan, invoice: Invoice, state: PartnerState, original: OriginalInvoice
) -> CommissionResult:
	source = original.invoice
	if source.partner != invoice.partner:
		raise InvoiceError(
			"credit note {0} names partner {1!r} but invoice {2} was for partner {3!r}",
			invoice.name,
			invoice.partner,
			source.name,
			source.partner,
		)
	doc = _Document(plan, invoice, state, period_key(plan.period, source.posting_date), source.partner_tier)
	for prior in original.prior_returns:
		for key, _line, base, qty in _match_return_lines(plan, prior, source, doc.returned):
			b, q = doc.get_returned(key)
			doc.returned[key] = (b + base, q + qty)
	before_returns = dict(doc.returned)
	matched = _match_return_lines(plan, invoice, source, doc.returned)

	# What this credit note returns of each original line, and the running totals after it.
	now: dict[str, tuple[Decimal, Decimal]] = {}
	for key, _line, base, qty in matched:
		b, q = now.get(key, (ZERO, ZERO))
		now[key] = (b + base, q + qty)
	totals = {line_key(ln, i): ln for i, ln in enumerate(source.lines)}
	position = {key: i for i, key in enumerate(totals)}
	for key, (base, qty) in now.items():
		before_base, before_qty = doc.get_returned(key)
		if before_qty + qty > totals[key].qty:
			raise StateError(
				"credit note {0} returns {1} of {2} on invoice {3}, but only {4} were invoiced and {5} already returned",
				invoice.name,
				format_number(qty),
				totals[key].item_code,
				source.name,
				format_number(totals[key].qty),
				format_number(before_qty),
			)
		doc.returned[key] = (before_base + base, before_qty + qty)

	# Which rule each original line fell under (the original's plan decides), and its commission lines.
	assigned = assign_rules(plan, source)
	item_rule = {key: name for name, items in assigned.items() for key, _, _ in items}
	by_rule: dict[str, list[CommissionLine]] = {}
	for cl in original.lines:
		by_rule.setdefault(cl.rule, []).append(cl)

	for rule in plan.rules:
		lines = by_rule.get(rule.name, [])
		keys = [k for k in now if item_rule.get(k) == rule.name]
		if not keys:
			continue
		first = len(doc.lines)
		rule_base = sum((b for _, _, b in assigned[rule.name]), ZERO)
		returned_before = sum(
			(before_returns.get(k, (ZERO, ZERO))[0] for k, _, _ in assigned[rule.name]),
			ZERO,
		)
		returned_after = returned_before + sum((now[k][0] for k in keys), ZERO)
		if rule.brackets:
			key = (rule.name, doc.period)
			volume = doc.get_volume(key)
			# Undo the original's volume moves last in, first out (its lines in reverse order), so that a
			# full return mirrors the original's slices and true-ups and nets to exactly zero.
			for key_, line, base, qty in sorted(matched, key=lambda m: -position[m[0]]):
				if item_rule.get(key_) != rule.name:
					continue
				item = {"item_code": line.item_code, "item_group": line.item_group, "line_key": key_}
				doc.bracket_lines(rule, volume, volume - base, item, -qty)
				volume -= base
			doc.volume[key] = volume
		for cl in lines:
			if cl.kind == COMMISSION and cl.line_key and not rule.brackets:
				if cl.line_key not in now:
					continue
				whole = totals[cl.line_key].qty if cl.rate_type == "per_unit" else cl.base
				index = 1 if cl.rate_type == "per_unit" else 0
				after = doc.returned[cl.line_key][index]
				before = after - now[cl.line_key][index]
				_reverse_share(doc, rule, cl, whole, before, after, now[cl.line_key])
			elif cl.kind in (MINIMUM, MAXIMUM) or (cl.kind == COMMISSION and not cl.line_key):
				_reverse_share(doc, rule, cl, rule_base, returned_before, returned_after, None)
		doc.period_cap(rule, first)
	return doc.result()


def capped(part: Decimal, whole: Decimal) -> Decimal:
	"""``part`` of ``whole``, at most all of it: a credit note whose base exceeds the original line's
	(ERPNext's return checks prevent it; data given to the simulator need not) reverses 100% of the line,
	never more."""
	return min(part, whole) if whole >= 0 else max(part, whole)


def _share(amount: Decimal, whole: Decimal, part: Decimal, doc: _Document) -> Decimal:
	if not whole:
		return amount if part else ZERO
	return doc.round(amount * capped(part, whole) / whole)


def _reverse_share(
	doc: _Document,
	rule: Rule,
	original: CommissionLine,
	whole: Decimal,
	before: Decimal,
	after: Decimal,
	returned: tuple[Decimal, Decimal] | None,
) -> None:
	"""Reverse the share ``before``→``after`` of ``whole`` of an original line, cumulatively rounded so the
	shares of all credit notes add up to exactly the original amount."""
	amount = -(_share(original.amount, whole, after, doc) - _share(original.amount, whole, before, doc))
	if not amount and not returned:
		return
	part = (capped(after, whole) - capped(before, whole)) / whole * HUNDRED if whole else HUNDRED
	base, qty = returned if returned else (after - before, ZERO)
	what = {
		COMMISSION: "commission",
		MINIMUM: "minimum-per-invoice adjustment",
		MAXIMUM: "maximum-per-invoice adjustment",
	}[original.kind]
	doc.add(
		rule,
		REVERSAL,
		amount,
		f"Return of {format_number(part.quantize(Decimal('0.01')).normalize())}% of the "
		f"{doc.money(original.amount)} {what} on {doc.against} (rule {rule.name})",
		rate=original.rate,
		base=-base,
		qty=-qty,
		item_code=original.item_code,
		item_group=original.item_group,
		line_key=original.line_key,
		bracket=original.bracket,
	)


# --- cancelling a posted document ----------------------------------------------------------------------


def reverse_commission(
	plan: Plan,
	lines: Sequence[CommissionLine],
	state: PartnerState,
	*,
	name: str,
	partner: str,
	tier: str,
	posting_date: date,
	cancelled: str,
) -> CommissionResult:
	"""What cancelling a posted document (invoice or credit note) must post, given the commission lines
	it posted and the partner's period state now, which still includes them.

	Lines of rules without brackets or caps are mirrored: they did not depend on other documents. A
	bracketed rule's volume is moved back by the document's base at the brackets as they stand now
	(later documents included), exactly as a credit note for the same lines would, so the period always
	equals the bracket formula on its net volume (a mirror of lines computed at an older volume would
	not); its true-ups are recomputed, not mirrored. A capped rule's cap adjustment is recomputed on the
	period's earnings after the cancel. ``cancelled`` names the document in the explanations."""
	period = next((ln.period for ln in lines if ln.period), "") or period_key(plan.period, posting_date)
	invoice = Invoice(name=name, posting_date=posting_date, partner=partner, lines=(), partner_tier=tier)
	doc = _Document(plan, invoice, state, period, tier)
	doc.against = lines[0].against if lines else ""
	by_rule: dict[str, list[CommissionLine]] = {}
	for ln in lines:
		by_rule.setdefault(ln.rule, []).append(ln)
	rules = {r.name: r for r in plan.rules}
	for rule_name in [r.name for r in plan.rules if r.name in by_rule] + [
		n for n in by_rule if n not in rules
	]:
		rule = rules.get(rule_name)
		first = len(doc.lines)
		moves: dict[str, list] = {}  # line key -> [item, base, qty], in the order posted
		for ln in by_rule[rule_name]:
			if rule is not None and rule.brackets and ln.kind in (COMMISSION, TRUE_UP):
				if ln.kind == COMMISSION:
					item = {"item_code": ln.item_code, "item_group": ln.item_group, "line_key": ln.line_key}
					move = moves.setdefault(ln.line_key, [item, ZERO, ZERO])
					move[1] += ln.base
					move[2] += ln.qty
				continue
			if rule is not None and rule.cap_per_period is not None and ln.kind == CAP:
				continue
			doc.lines.append(_mirrored(ln, doc, cancelled))
		if rule is not None and rule.brackets:
			key = (rule.name, period)
			volume = doc.get_volume(key)
			moved = len(doc.lines)
			for item, base, qty in reversed(list(moves.values())):  # last in, first out
				doc.bracket_lines(rule, volume, volume - base, item, -qty)
				volume -= base
			doc.volume[key] = volume
			doc.lines[moved:] = [
				replace(ln, explanation=f"Cancel of {cancelled}: {ln.explanation}")
				for ln in doc.lines[moved:]
			]
		if rule is not None:
			doc.period_cap(rule, first)
	return doc.result()


def _mirrored(line: CommissionLine, doc: _Document, cancelled: str) -> CommissionLine:
	return CommissionLine(
		invoice=doc.invoice.name,
		partner=doc.invoice.partner,
		kind=line.kind,
		rule=line.rule,
		period=line.period or doc.period,
		rate_type=line.rate_type,
		rate=line.rate,
		base=-line.base + ZERO,
		qty=-line.qty + ZERO,
		amount=-line.amount + ZERO,
		explanation=f"Cancel of {cancelled}: {line.explanation}",
		item_code=line.item_code,
		item_group=line.item_group,
		line_key=line.line_key,
		bracket=line.bracket,
		against=line.against,
	)


# --- rebuilding state from stored lines ------------------------------------------------------------------


def state_from_lines(plan: Plan, lines: Iterable[CommissionLine]) -> PartnerState:
	"""The partner state implied by its stored commission lines (what the Frappe layer keeps)."""
	bracketed = {r.name for r in plan.rules if r.brackets}
	capped = {r.name for r in plan.rules if r.cap_per_period is not None}
	volume: dict[tuple[str, str], Decimal] = {}
	earned: dict[tuple[str, str], Decimal] = {}
	for ln in lines:
		key = (ln.rule, ln.period)
		if ln.rule in bracketed and ln.kind == COMMISSION:
			volume[key] = volume.get(key, ZERO) + ln.base
		if ln.rule in capped and ln.kind != CAP:
			earned[key] = earned.get(key, ZERO) + ln.amount
	return PartnerState(volume=volume, earned=earned)


def make_invoice(**values: Any) -> Invoice:
	"""An ``Invoice`` from plain values (strings, floats, dicts for lines), numbers made ``Decimal``."""
	lines = []
	for i, raw in enumerate(values.pop("lines", ())):
		if isinstance(raw, InvoiceLine):
			lines.append(raw)
			continue
		data = dict(raw)
		for name in ("base_net_amount", "qty", "cost"):
			if data.get(name) is not None:
				data[name] = to_decimal(data[name], f"line {i + 1} {name}")
		lines.append(InvoiceLine(**data))
	if "conversion_rate" in values:
		values["conversion_rate"] = to_decimal(values["conversion_rate"], "conversion_rate")
	if isinstance(values.get("posting_date"), str):
		values["posting_date"] = date.fromisoformat(values["posting_date"])
	return Invoice(lines=tuple(lines), **values)


__all__ = [
	"CAP",
	"COMMISSION",
	"KINDS",
	"MAXIMUM",
	"MINIMUM",
	"REVERSAL",
	"TRUE_UP",
	"CommissionLine",
	"CommissionResult",
	"Invoice",
	"InvoiceLine",
	"OriginalInvoice",
	"PartnerState",
	"compute_commission",
	"line_base",
	"make_invoice",
	"state_from_lines",
	"validate_invoice",
]
