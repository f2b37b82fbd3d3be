"""A seeded random sequence of document operations — invoice submit (some in EUR on a EUR receivable),
cancel, amend, credit note, credit-note cancel, customer payment (several per invoice, EUR at another
rate than the invoice's), payment cancel, payout, payout cancel — over three partners on three kinds of
plan (flat on invoice, step brackets on invoice, on payment).

At checkpoints and at the end, an independent model (``expected``, below: the plans' rates written out
plainly, applied to ERPNext's own documents, never to prm_app's commissions or engine) says what each
partner should have earned and is owed; prm_app's commissions and the Payment Ledger must agree with it
to the cent. The Commission Reconciliation must also show 0.00 and the GL balance.

CI runs about 300 operations; ``PRM_LONG=1`` runs 3,000 (or ``PRM_OPERATIONS``) and prints the operation
mix, the checks made and the time."""

import os
import random
import time
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import frappe
from frappe.tests.utils import change_settings
from frappe.utils import add_days, flt, getdate, nowdate

from prm_app.reconciliation import reconcile
from prm_app.tests import PRMTestCase
from prm_app.tests.test_accounting_steps import eur_customer
from prm_app.tests.utils import (
	COMPANY,
	account,
	make_company,
	make_invoice,
	make_item,
	make_partner,
	make_plan,
	make_return,
	receive_payment,
	supplier_payable,
)

OPERATIONS = int(
	os.environ.get("PRM_OPERATIONS")
	or (3000 if os.environ.get("PRM_LONG") else frappe.conf.get("prm_random_operations") or 300)
)
CHECK_EVERY = 100
EUR_RATE, EUR_PAYMENT_RATE = 1.1, 1.12
SEED = 20261127
SETTINGS = {"holding_days": 0, "require_approval": 0, "minimum_payout": 0, "submit_payment_entries": 1}


class TestRandomSequence(PRMTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		make_company()

	def tearDown(self):
		frappe.db.rollback()

	def setUp(self):
		frappe.db.set_value("Company", COMPANY, "prm_payout_account", account("Cash"))
		frappe.clear_cache(doctype="Company")
		make_item("_PRM Service", "_PRM Software Group")
		flat = make_plan("_PRM Seq Flat", [{"rule_name": "All", "rate_type": "Percentage", "rate": 7.5}])
		step = make_plan(
			"_PRM Seq Step",
			[
				{
					"rule_name": "Hardware",
					"rate_type": "Percentage",
					"rate": 0,
					"item_group": "_PRM Hardware Group",
				},
				{"rule_name": "Other", "rate_type": "Per Unit", "rate": 3.25},
			],
			[
				{"rule_name": "Hardware", "from_amount": 0, "to_amount": 5000, "rate": 4},
				{"rule_name": "Hardware", "from_amount": 5000, "to_amount": 20000, "rate": 6},
				{"rule_name": "Hardware", "from_amount": 20000, "rate": 9},
			],
			bracket_mode="Step",
			period="Month",
		)
		on_payment = make_plan(
			"_PRM Seq Paid",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 12.5}],
			trigger="On Payment",
		)
		paid_brackets = make_plan(
			"_PRM Seq Paid Brackets",
			[{"rule_name": "All", "rate_type": "Percentage", "rate": 0}],
			[
				{"rule_name": "All", "from_amount": 0, "to_amount": 3000, "rate": 4},
				{"rule_name": "All", "from_amount": 3000, "to_amount": 10000, "rate": 8},
				{"rule_name": "All", "from_amount": 10000, "rate": 12},
			],
			bracket_mode="Marginal",
			period="Month",
			trigger="On Payment",
		)
		self.partners = [
			make_partner("_PRM Seq Flat Partner", plan=flat),
			make_partner("_PRM Seq Step Partner", plan=step),
			make_partner("_PRM Seq Paid Partner", plan=on_payment),
			make_partner("_PRM Seq Paid Brackets Partner", plan=paid_brackets),
		]
		self.kinds = dict(
			zip((p.name for p in self.partners), ("flat", "step", "paid", "paid_brackets"), strict=True)
		)
		self.eur_customer = eur_customer()

	@change_settings("PRM Settings", SETTINGS)
	def test_books_agree_after_a_random_sequence(self):
		rng = random.Random(SEED)
		began = time.monotonic()
		checks = defaultdict(int)
		start = add_days(nowdate(), -min(OPERATIONS // 2, 300))
		state = {"invoices": [], "payments": [], "payouts": [], "cancelled": []}
		last_payout_end = {p.name: add_days(start, -1) for p in self.partners}
		done, refusals, first_errors = {}, {}, []
		for step in range(OPERATIONS):
			day = min(getdate(add_days(start, step * 300 // OPERATIONS)), getdate(nowdate()))
			kind = rng.choices(
				[
					"invoice",
					"cancel",
					"amend",
					"return",
					"return_cancel",
					"payment",
					"payment_cancel",
					"payout",
					"payout_cancel",
				],
				weights=[30, 6, 4, 8, 3, 20, 5, 7, 3],
			)[0]
			savepoint = f"op{step}"
			frappe.db.savepoint(savepoint)
			try:
				ran = getattr(self, f"op_{kind}")(rng, day, state, last_payout_end)
			except frappe.ValidationError as e:
				# ERPNext or prm_app refused (nothing payable, already paid, …): nothing may be half-written
				frappe.db.rollback(save_point=savepoint)
				ran = None
				refusals[kind] = refusals.get(kind, 0) + 1
				if len(first_errors) < 5:
					first_errors.append((kind, str(e)[:200]))
			done[kind] = done.get(kind, 0) + (1 if ran else 0)
			if (step + 1) % CHECK_EVERY == 0:
				self.assert_model_agrees(checks, f"after operation {step + 1}")
		self.assert_model_agrees(checks, "at the end")
		print(
			f"\nrandom sequence (seed {SEED}): {OPERATIONS} operations in {time.monotonic() - began:.0f} s; "
			f"done {dict(sorted(done.items()))}; refused {dict(sorted(refusals.items()))}; "
			f"EUR invoices {state.get('eur', 0)}, EUR payments {state.get('eur_payments', 0)}; "
			f"model checks {dict(checks)}; first refusals {first_errors}"
		)
		self.assertGreaterEqual(sum(done.values()), OPERATIONS * 0.6, (done, refusals, first_errors))
		# normal accounting steps are never refused (a payout may be: nothing payable, or a negative net)
		for kind in ("cancel", "amend", "return_cancel", "payment", "payment_cancel", "payout_cancel"):
			self.assertFalse(refusals.get(kind), (kind, first_errors))
		for kind in ("invoice", "cancel", "return", "payment", "payout"):
			self.assertGreater(done.get(kind, 0), 0, done)

		rows = {r.partner: r for r in reconcile(COMPANY, ignore_permissions=True)}
		for partner in self.partners:
			row = rows[partner.name]
			self.assertEqual(
				(row.difference, row.gl_difference, row.records_difference),
				(0.0, 0.0, 0.0),
				(partner.name, row),
			)
		gl = frappe.db.sql(
			"select sum(debit), sum(credit) from `tabGL Entry` where company = %s and is_cancelled = 0",
			COMPANY,
		)[0]
		self.assertEqual(flt(gl[0], 2), flt(gl[1], 2))

	def assert_model_agrees(self, checks, when):
		"""prm_app's commissions and the supplier's Payment Ledger equal the independent model."""
		for partner in self.partners:
			want = expected(partner, self.kinds[partner.name])
			posted = flt(
				sum(
					flt(t)
					for t in frappe.get_all(
						"Partner Commission",
						filters={"partner": partner.name, "docstatus": 1},
						pluck="total",
					)
				),
				2,
			)
			self.assertEqual(posted, want.earned, f"{partner.name} earned, {when}")
			self.assertEqual(supplier_payable(partner.supplier), want.owed, f"{partner.name} owed, {when}")
			checks["earned"] += 1
			checks["owed"] += 1

	# --- operations (each returns a truthy value when it did something) ---------------------------------

	def op_invoice(self, rng, day, state, _):
		partner = rng.choice(self.partners)
		lines = [
			(
				rng.choice(["_PRM Hardware", "_PRM Software", "_PRM Service"]),
				rng.randint(1, 5),
				round(rng.uniform(50, 4000), 2),
			)
			for _ in range(rng.randint(1, 3))
		]
		eur = {}
		if rng.random() < 0.2:  # one in five in EUR, on the customer's EUR receivable
			eur = {
				"customer": self.eur_customer,
				"currency": "EUR",
				"conversion_rate": EUR_RATE,
				"debit_to": account("Debtors EUR"),
			}
		si = make_invoice(partner, lines, posting_date=day, **eur)
		state["invoices"].append(si.name)
		state["eur"] = state.get("eur", 0) + bool(eur)
		return si.name

	def live_invoice(self, rng, state, unpaid=False):
		names = [n for n in state["invoices"] if frappe.db.get_value("Sales Invoice", n, "docstatus") == 1]
		if unpaid:
			names = [
				n for n in names if flt(frappe.db.get_value("Sales Invoice", n, "outstanding_amount")) > 0
			]
		return rng.choice(names) if names else None

	def op_cancel(self, rng, day, state, _):
		name = self.live_invoice(rng, state)
		if not name or frappe.db.exists("Sales Invoice", {"return_against": name, "docstatus": 1}):
			return None
		frappe.get_doc("Sales Invoice", name).cancel()
		state["cancelled"].append(name)
		return name

	def op_amend(self, rng, day, state, _):
		if not state["cancelled"]:
			return None
		name = state["cancelled"].pop(rng.randrange(len(state["cancelled"])))
		old = frappe.get_doc("Sales Invoice", name)
		amended = frappe.copy_doc(old, ignore_no_copy=False)
		amended.docstatus = 0
		amended.amended_from = old.name
		amended.posting_date = day
		amended.due_date = add_days(day, 30)
		amended.items[0].qty = amended.items[0].qty + 1
		amended.insert()
		amended.submit()
		state["invoices"].append(amended.name)
		return amended.name

	def op_return(self, rng, day, state, _):
		name = self.live_invoice(rng, state)
		if not name:
			return None
		si = frappe.get_doc("Sales Invoice", name)
		if si.is_return or frappe.db.exists("Sales Invoice", {"return_against": name, "docstatus": 1}):
			return None
		item = rng.choice(si.items)
		qty = item.qty if rng.random() < 0.4 else rng.randint(1, int(item.qty))
		cn = make_return(si, {item.item_code: qty}, submit=False)
		cn.posting_date, cn.set_posting_time = max(getdate(si.posting_date), day), 1
		cn.save()
		cn.submit()
		return cn.name

	def op_payment(self, rng, day, state, _):
		name = self.live_invoice(rng, state, unpaid=True)
		if not name:
			return None
		si = frappe.get_doc("Sales Invoice", name)
		if si.is_return:
			return None
		amount = flt(si.outstanding_amount * rng.choice([0.3, 0.5, 1.0, 1.0]), 2)
		on = max(getdate(si.posting_date), day)
		if si.currency == "EUR":
			pe = receive_payment(si, amount, posting_date=on, exchange_rate=EUR_PAYMENT_RATE)
			state["eur_payments"] = state.get("eur_payments", 0) + 1
		else:
			pe = receive_payment(si, amount, posting_date=on)
		state["payments"].append(pe.name)
		return pe.name

	def op_return_cancel(self, rng, day, state, _):
		live = frappe.get_all(
			"Sales Invoice",
			filters={
				"is_return": 1,
				"docstatus": 1,
				"company": COMPANY,
				"return_against": ("in", state["invoices"]),
			},
			pluck="name",
		)
		if not live:
			return None
		frappe.get_doc("Sales Invoice", rng.choice(sorted(live))).cancel()
		return True

	def op_payment_cancel(self, rng, day, state, _):
		live = [p for p in state["payments"] if frappe.db.get_value("Payment Entry", p, "docstatus") == 1]
		if not live:
			return None
		frappe.get_doc("Payment Entry", rng.choice(live)).cancel()
		return True

	def op_payout(self, rng, day, state, last_payout_end):
		partner = rng.choice(self.partners)
		from_date = add_days(last_payout_end[partner.name], 1)
		if getdate(from_date) > getdate(day):
			return None
		payout = frappe.get_doc(
			{
				"doctype": "Partner Payout",
				"partner": partner.name,
				"company": COMPANY,
				"from_date": from_date,
				"to_date": day,
				"posting_date": day,
			}
		).insert()
		payout.submit()
		last_payout_end[partner.name] = day
		state["payouts"].append(payout.name)
		return payout.name

	def op_payout_cancel(self, rng, day, state, _):
		live = [p for p in state["payouts"] if frappe.db.get_value("Partner Payout", p, "docstatus") == 1]
		if not live:
			return None
		frappe.get_doc("Partner Payout", rng.choice(live)).cancel()
		return True


# --- the independent model -----------------------------------------------------------------------------
# What each partner should have earned, from ERPNext's documents (live invoices, credit notes, customer
# payments, partner payouts) and the three plans' terms, written out without prm_app's engine:
#   flat  7.5 % of each line, rounded to the cent as the site rounds; a credit note gives back the share of the line's
#         commission that it returns (cumulatively: the line ends at c - round(c x returned / sold));
#   step  Hardware: per month of the original invoice, round(V x rate(V)), V the month's net Hardware
#         volume and rate(V) the bracket V falls in (4 % below 5,000, 6 % below 20,000, 9 % above); every
#         other line 3.25 per unit, given back per unit returned, as above;
#   paid  12.5 % of each line net of its returns, times the share of the invoice paid (in the receivable's
#         currency: what the customer paid over the invoice total less its credit notes, at most 1);
#   paid_brackets  marginal brackets (4 % to 3,000, 8 % to 10,000, 12 % above) on each month's paid volume:
#         the lines net of returns times their invoice's paid share, summed over the month of the invoice.
# Owed = earned - what live payouts paid (the net of their submitted Payment Entries).

CENT = Decimal("0.01")
PAID_BRACKETS = (
	(Decimal(0), Decimal(3000), Decimal(4)),
	(Decimal(3000), Decimal(10000), Decimal(8)),
	(Decimal(10000), None, Decimal(12)),
)
STEP_BRACKETS = ((Decimal(5000), Decimal(4)), (Decimal(20000), Decimal(6)), (None, Decimal(9)))


def cents(value: Decimal) -> Decimal:
	"""To the cent as the site rounds (System Settings' rounding method, which the plans follow): ties to
	even for Banker's Rounding, else away from zero."""
	method = (
		ROUND_HALF_EVEN
		if frappe.get_system_settings("rounding_method") == "Banker's Rounding"
		else ROUND_HALF_UP
	)
	return value.quantize(CENT, method)


def dec(value) -> Decimal:
	return Decimal(str(flt(value, 6)))


def step_rate(volume: Decimal) -> Decimal:
	for upper, rate in STEP_BRACKETS:
		if upper is None or volume < upper:
			return rate
	return STEP_BRACKETS[-1][1]


def expected(partner, kind: str) -> frappe._dict:
	sales_partner = partner.sales_partner
	invoices = frappe.get_all(
		"Sales Invoice",
		filters={"sales_partner": sales_partner, "docstatus": 1, "is_return": 0, "company": COMPANY},
		fields=["name", "posting_date", "rounded_total", "grand_total"],
	)
	names = [i.name for i in invoices]
	items = frappe.get_all(
		"Sales Invoice Item",
		filters={"parent": ("in", names or [""]), "parenttype": "Sales Invoice"},
		fields=["name", "parent", "item_code", "item_group", "qty", "base_net_amount"],
	)
	notes = frappe.get_all(
		"Sales Invoice",
		filters={"return_against": ("in", names or [""]), "docstatus": 1, "is_return": 1},
		fields=["name", "return_against", "rounded_total", "grand_total"],
	)
	returned_items = frappe.get_all(
		"Sales Invoice Item",
		filters={"parent": ("in", [n.name for n in notes] or [""]), "parenttype": "Sales Invoice"},
		fields=["sales_invoice_item", "qty", "base_net_amount"],
	)
	returned = defaultdict(lambda: [Decimal(0), Decimal(0)])  # original line -> [qty, base] returned
	for r in returned_items:
		returned[r.sales_invoice_item][0] += -dec(r.qty)
		returned[r.sales_invoice_item][1] += -dec(r.base_net_amount)
	month = {i.name: str(i.posting_date)[:7] for i in invoices}

	earned = Decimal(0)
	if kind == "flat":
		for line in items:
			c = cents(dec(line.base_net_amount) * Decimal("7.5") / 100)
			sold, back = dec(line.base_net_amount), returned[line.name][1]
			earned += c - (cents(c * min(back, sold) / sold) if sold else Decimal(0))
	elif kind == "step":
		volume = defaultdict(Decimal)
		for line in items:
			if line.item_group == "_PRM Hardware Group":
				volume[month[line.parent]] += dec(line.base_net_amount) - returned[line.name][1]
			else:
				c = cents(dec(line.qty) * Decimal("3.25"))
				sold, back = dec(line.qty), returned[line.name][0]
				earned += c - (cents(c * min(back, sold) / sold) if sold else Decimal(0))
		for v in volume.values():
			earned += cents(v * step_rate(v) / 100)
	else:  # paid, paid_brackets
		paid = defaultdict(Decimal)
		for ref in frappe.get_all(
			"Payment Entry Reference",
			filters={
				"reference_doctype": "Sales Invoice",
				"reference_name": ("in", names or [""]),
				"docstatus": 1,
			},
			fields=["reference_name", "allocated_amount"],
		):
			paid[ref.reference_name] += dec(ref.allocated_amount)
		back_total = defaultdict(Decimal)
		for n in notes:
			back_total[n.return_against] += -dec(n.rounded_total or n.grand_total)
		paid_volume = defaultdict(Decimal)
		for invoice in invoices:
			collectable = dec(invoice.rounded_total or invoice.grand_total) - back_total[invoice.name]
			share = min(Decimal(1), paid[invoice.name] / collectable) if collectable > 0 else Decimal(0)
			for line in (x for x in items if x.parent == invoice.name):
				sold = dec(line.qty)
				net = dec(line.base_net_amount) * (sold - min(returned[line.name][0], sold)) / sold
				if kind == "paid":
					earned += cents(cents(net * Decimal("12.5") / 100) * share)
				else:
					paid_volume[month[invoice.name]] += net * share
		for v in paid_volume.values():
			for low, high, rate in PAID_BRACKETS:
				piece = max(Decimal(0), (min(v, high) if high is not None else v) - low)
				earned += cents(piece * rate / 100)

	paid_out = Decimal(0)
	for payout in frappe.get_all(
		"Partner Payout", filters={"partner": partner.name, "docstatus": 1}, fields=["payment_entry"]
	):
		if (
			payout.payment_entry
			and frappe.db.get_value("Payment Entry", payout.payment_entry, "docstatus") == 1
		):
			paid_out += dec(frappe.db.get_value("Payment Entry", payout.payment_entry, "paid_amount"))
	return frappe._dict(earned=float(earned), owed=float(cents(earned - paid_out)))
