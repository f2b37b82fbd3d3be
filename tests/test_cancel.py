"""Cancelling a posted document (``reverse_commission``): a bracketed period always equals the bracket
formula on its net volume afterwards, checked against a plain formula written here, not the engine."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from prm_app.engine.commission import reverse_commission, state_from_lines
from tests.test_commission import Book, credit, item, plan_of, sale

D = Decimal
ISSUE_BRACKETS = [
	{"from": 0, "to": 20000, "rate": 5},
	{"from": 20000, "to": 60000, "rate": 7},
	{"from": 60000, "rate": 10},
]


def formula(volume, brackets=ISSUE_BRACKETS, multiplier=1):
	"""Marginal brackets on a period's net volume, each bracket rounded to the cent: the plain model."""
	total = D(0)
	for b in brackets:
		low, high = D(b["from"]), D(b["to"]) if "to" in b else None
		piece = max(D(0), (min(volume, high) if high is not None else volume) - low)
		total += (piece * D(b["rate"]) / 100 * D(multiplier)).quantize(D("0.01"), ROUND_HALF_UP)
	return total


def cancel(book, name, tier=""):
	"""Post the cancel of document ``name`` into the book as the Frappe layer does."""
	posted = book.results[name].lines
	result = reverse_commission(
		book.plan,
		posted,
		state_from_lines(book.plan, book.lines),
		name=f"{name}-cancel",
		partner="P-ACME",
		tier=tier,
		posting_date=date(2026, 2, 1),
		cancelled=name,
	)
	book.state = result.state
	book.lines.extend(result.lines)
	for returns in book.returns.values():  # a cancelled credit note no longer counts as returned
		returns[:] = [r for r in returns if r.name != name]
	return result


def bracket_plan(**options):
	return plan_of({"name": "Products", "brackets": ISSUE_BRACKETS}, period="quarter", **options)


def test_cancel_of_a_credit_note_after_later_sales_pays_the_period_on_its_net_volume():
	# the issue's case: 50,000 -> credit note 20,000 -> 40,000 -> cancel the credit note: the period owes
	# the formula on 90,000 (6,800.00), where a mirror of the credit note's lines paid 6,200.00
	book = Book(bracket_plan())
	book.post(sale("S1", date(2026, 1, 5), item("A", 50000)))
	book.post(credit("C1", date(2026, 1, 6), "S1", item("A", -20000, qty=-1)))
	book.post(sale("S2", date(2026, 1, 7), item("A", 40000)))
	assert book.total() == formula(D(70000))
	cancel(book, "C1")
	assert book.total() == formula(D(90000)) == D("6800.00")


def test_cancel_of_a_middle_invoice_moves_the_volume_back_at_todays_brackets():
	book = Book(bracket_plan())
	for name, amount in (("S1", 15000), ("S2", 10000), ("S3", 10000)):
		book.post(sale(name, date(2026, 1, 5), item("A", amount)))
	result = cancel(book, "S2")
	assert book.total() == formula(D(25000)) == D("1350.00")
	assert result.total == D("-700.00")
	assert all(ln.explanation.startswith("Cancel of S2") for ln in result.lines)
	# the state's volume follows: a later sale is commissioned on 25,000, not 35,000
	after = book.post(sale("S4", date(2026, 1, 9), item("A", 1000)))
	assert after.total == D("70.00")


def test_cancel_of_lines_without_brackets_mirrors_them():
	plan = plan_of({"name": "All", "rate_type": "percentage", "rate": 10, "min_per_invoice": 5})
	book = Book(plan)
	posted = book.post(sale("S1", date(2026, 1, 5), item("A", 20), item("B", 1000)))
	result = cancel(book, "S1")
	assert [ln.amount for ln in result.lines] == [-ln.amount for ln in posted.lines]
	assert book.total() == 0


def test_cancel_with_a_period_cap_recomputes_the_cap():
	plan = plan_of({"name": "All", "rate_type": "percentage", "rate": 10, "cap_per_period": 150})
	book = Book(plan)
	book.post(sale("S1", date(2026, 1, 5), item("A", 1000)))  # 100
	book.post(sale("S2", date(2026, 1, 6), item("A", 1000)))  # 100, capped to 50
	assert book.total() == D("150.00")
	cancel(book, "S1")  # what is left earns 100 uncapped
	assert book.total() == D("100.00")


def test_cancel_in_step_mode_leaves_the_period_at_the_rate_of_its_volume():
	step = [{"from": 0, "to": 10000, "rate": 5}, {"from": 10000, "rate": 8}]
	plan = plan_of({"name": "Products", "brackets": step}, bracket_mode="step", period="quarter")
	book = Book(plan)
	book.post(sale("S1", date(2026, 1, 5), item("A", 6000)))
	book.post(sale("S2", date(2026, 1, 6), item("A", 6000)))  # 12,000 at 8%
	book.post(sale("S3", date(2026, 1, 7), item("A", 3000)))
	assert book.total() == D("1200.00")
	cancel(book, "S1")  # 9,000 left: all at 5%
	assert book.total() == D("450.00")


operations = st.lists(
	st.tuples(st.sampled_from(["sale", "credit", "cancel"]), st.integers(1, 40), st.integers(0, 99)),
	min_size=1,
	max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(operations, st.sampled_from(["1", "1.25"]))
def test_any_sequence_of_sales_credit_notes_and_cancels_pays_the_formula_on_net_volume(ops, tier):
	plan = bracket_plan(tier_multipliers={"Gold": tier})
	book = Book(plan)
	live: dict[str, D] = {}  # document -> signed volume it contributes while not cancelled
	returned: dict[str, D] = {}
	count = 0
	for op, thousands, pick in ops:
		count += 1
		if op == "sale":
			name = f"S{count}"
			book.post(
				sale(
					name,
					date(2026, 1, 5),
					item("A", thousands * 1000, qty=thousands * 2),
					partner_tier="Gold",
				)
			)
			live[name] = D(thousands * 1000)
			returned[name] = D(0)
		elif op == "credit":
			sales = [n for n in live if n.startswith("S") and live[n] - returned[n] > 0]
			if not sales:
				continue
			original = sales[pick % len(sales)]
			amount = min(D(thousands * 500), live[original] - returned[original])
			name = f"C{count}"
			book.post(
				credit(
					name,
					date(2026, 1, 6),
					original,
					item("A", -amount, qty=-amount / 500),
					partner_tier="Gold",
				)
			)
			live[name] = -amount
			returned[original] += amount
		else:
			# cancel: a credit note, or a sale none of whose credit notes is live
			candidates = [n for n in live if n.startswith("C") or not returned.get(n)]
			if not candidates:
				continue
			name = candidates[pick % len(candidates)]
			cancel(book, name, tier="Gold")
			if name.startswith("C"):
				original = book.results[name].lines[0].against if book.results[name].lines else ""
				returned[original] = returned.get(original, D(0)) + live[name]
			del live[name]
		assert book.total() == formula(sum(live.values(), D(0)), multiplier=D(tier)), (op, name)
