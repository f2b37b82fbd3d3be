"""A seeded, realistic demo program: 40 partners in three tiers, a year of invoices and credit notes, and
two commission plans (this year's and a proposed one) to run and compare.

Everything is generated from a seed with ``random.Random``, so the same seed and size always give the
same partners, invoices and amounts on any machine with the same Python version. Amounts are ``Decimal``
from the start (prices with two decimals, discounts in whole percents, rounded half up to the cent), so
writing the lines to CSV and reading them back gives the very same invoices.

The shape of the data:

- partners ranked by size (a long tail): the 6 largest are Gold, the next 12 Silver, the other 22 Bronze;
  each is a Reseller, an MSP or a Referral partner in one territory, with its own customers;
- sales invoices all year, busier in the last two weeks of each quarter; 1–8 lines each from a
  catalogue of hardware, software, subscriptions, services, training, accessories and freight (freight
  is not commissionable: ``grant_commission`` is off); about one in eight is a registered deal and a
  customer's first invoice is flagged ``new_customer``;
- credit notes (``ACC-SINV-RET-…``) against about one invoice in twenty: a third return everything that
  is left, the rest part of one or two lines; some invoices get two;
- the company currency is USD; European and Asia-Pacific partners invoice in EUR and AUD with a monthly
  conversion rate (line amounts are always in company currency, as ERPNext's ``base_net_amount``).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from prm_app.engine.commission import Invoice, InvoiceLine
from prm_app.engine.plans import Plan, plan_from_dict

DEFAULT_SEED = 2025
DEFAULT_SIZE = 100_000
YEAR = 2025
CENT = Decimal("0.01")

# --- the plans ------------------------------------------------------------------------------------------

#: This year's plan: marginal quarterly brackets on software, a registered-deal rate with a maximum per
#: invoice, a capped hardware rule, a vendor promotion on one brand, a public-sector rate, a minimum per
#: invoice on services and a fixed amount per unit on accessories.
DEMO_PLAN: dict[str, Any] = {
	"schema": "prm_app.plan/1",
	"name": "Partner Program 2025",
	"currency": "USD",
	"basis": "net_amount",
	"trigger": "invoice",
	"bracket_mode": "marginal",
	"period": "quarter",
	"rounding_method": "Banker's Rounding (legacy)",
	"tier_multipliers": {"Gold": "1.25", "Silver": "1.1", "Bronze": "1"},
	"rules": [
		{
			"name": "Registered deal",
			"priority": 1,
			"rate_type": "percentage",
			"rate": "12",
			"match": {"item_group": ["Software", "Subscriptions"], "registered_deal": True},
			"max_per_invoice": "2500",
		},
		{
			"name": "Northwind promotion",
			"priority": 5,
			"rate_type": "percentage",
			"rate": "4.5",
			"match": {"item_group": ["Hardware"], "brand": ["Northwind"]},
		},
		{
			"name": "Public sector services",
			"priority": 5,
			"rate_type": "percentage",
			"rate": "4",
			"match": {"item_group": ["Services", "Training"], "customer_group": ["Government", "Education"]},
		},
		{
			"name": "Software",
			"priority": 10,
			"rate_type": "percentage",
			"rate": "0",
			"match": {"item_group": ["Software", "Subscriptions"]},
			"brackets": [
				{"from": "0", "to": "150000", "rate": "5"},
				{"from": "150000", "to": "500000", "rate": "7"},
				{"from": "500000", "to": None, "rate": "9"},
			],
		},
		{
			"name": "Hardware",
			"priority": 10,
			"rate_type": "percentage",
			"rate": "3",
			"match": {"item_group": ["Hardware"]},
			"cap_per_period": "20000",
		},
		{
			"name": "Services",
			"priority": 10,
			"rate_type": "percentage",
			"rate": "6",
			"match": {"item_group": ["Services", "Training"]},
			"min_per_invoice": "50",
		},
		{
			"name": "Accessories",
			"priority": 10,
			"rate_type": "per_unit",
			"rate": "0.5",
			"match": {"item_group": ["Accessories"]},
		},
	],
}


def _proposed_plan() -> dict[str, Any]:
	"""The plan a channel manager wants to test: step brackets with true-ups, richer Gold and Silver
	multipliers, a lower hardware rate without a cap, and no minimum on services."""
	data = copy.deepcopy(DEMO_PLAN)
	data["name"] = "Partner Program 2026 (proposed)"
	data["bracket_mode"] = "step"
	data["tier_multipliers"] = {"Gold": "1.3", "Silver": "1.15", "Bronze": "1"}
	rules = {rule["name"]: rule for rule in data["rules"]}
	rules["Registered deal"]["rate"] = "14"
	rules["Software"]["brackets"] = [
		{"from": "0", "to": "200000", "rate": "5"},
		{"from": "200000", "to": "600000", "rate": "6.5"},
		{"from": "600000", "to": None, "rate": "8"},
	]
	rules["Hardware"]["rate"] = "2.5"
	del rules["Hardware"]["cap_per_period"]
	del rules["Services"]["min_per_invoice"]
	return data


PROPOSED_PLAN: dict[str, Any] = _proposed_plan()


def demo_plan() -> Plan:
	return plan_from_dict(DEMO_PLAN)


def proposed_plan() -> Plan:
	return plan_from_dict(PROPOSED_PLAN)


# --- the catalogue --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
	code: str
	group: str
	brand: str
	price: Decimal
	max_qty: int
	cost_ratio: Decimal  # cost as a share of the net amount
	grant_commission: bool = True


def _items(group: str, cost: str, max_qty: int, rows: list[tuple[str, str, str]]) -> list[Item]:
	return [Item(code, group, brand, Decimal(price), max_qty, Decimal(cost)) for code, brand, price in rows]


CATALOGUE: tuple[Item, ...] = (
	*_items(
		"Hardware",
		"0.78",
		4,
		[
			("HW-SRV-R250", "Northwind", "4200.00"),
			("HW-SRV-R450", "Contoso", "7800.00"),
			("HW-SRV-T150", "Northwind", "2100.00"),
			("HW-STO-N12", "Fabrikam", "5400.00"),
			("HW-NET-SW24", "Fabrikam", "890.00"),
			("HW-NET-SW48", "Fabrikam", "1650.00"),
			("HW-NET-FW200", "Contoso", "2400.00"),
			("HW-NET-AP6", "Northwind", "320.00"),
			("HW-LAP-14", "Contoso", "1150.00"),
			("HW-LAP-16", "Northwind", "1690.00"),
			("HW-DSK-MINI", "Contoso", "780.00"),
			("HW-MON-27", "Fabrikam", "340.00"),
			("HW-UPS-3K", "Northwind", "1250.00"),
		],
	),
	*_items(
		"Software",
		"0.3",
		6,
		[
			("SW-OS-STD", "Contoso", "980.00"),
			("SW-OS-DC", "Contoso", "6100.00"),
			("SW-DB-STD", "Contoso", "3700.00"),
			("SW-BKP-10", "Tailspin", "1450.00"),
			("SW-VIRT-2S", "Tailspin", "2300.00"),
			("SW-OFF-PRO", "Contoso", "440.00"),
		],
	),
	*_items(
		"Subscriptions",
		"0.35",
		40,
		[
			("SUB-OFFICE-SEAT", "Contoso", "22.00"),
			("SUB-EDR-SEAT", "Tailspin", "6.50"),
			("SUB-BKP-TB", "Tailspin", "15.00"),
			("SUB-CRM-SEAT", "Contoso", "45.00"),
			("SUB-MDM-DEVICE", "Tailspin", "4.00"),
			("SUB-SUPPORT-PREM", "Contoso", "150.00"),
		],
	),
	*_items(
		"Services",
		"0.55",
		8,
		[
			("SVC-IMPL-DAY", "", "1250.00"),
			("SVC-PM-DAY", "", "1100.00"),
			("SVC-MIGRATION", "", "4500.00"),
			("SVC-HEALTHCHECK", "", "2200.00"),
			("SVC-MANAGED-MONTH", "", "950.00"),
		],
	),
	*_items(
		"Training",
		"0.4",
		6,
		[
			("TRN-ADMIN", "", "150.00"),
			("TRN-SECURITY", "", "950.00"),
			("TRN-ELEARN", "", "120.00"),
		],
	),
	*_items(
		"Accessories",
		"0.6",
		30,
		[
			("ACC-CABLE-C6", "Fabrikam", "12.00"),
			("ACC-SFP-10G", "Fabrikam", "85.00"),
			("ACC-RAIL-KIT", "Northwind", "45.00"),
			("ACC-DOCK-USBC", "Contoso", "190.00"),
			("ACC-KEYB-MOUSE", "Contoso", "39.00"),
		],
	),
)
FREIGHT = Item("FREIGHT", "Freight", "", Decimal("85.00"), 3, Decimal("1"), grant_commission=False)
_BY_GROUP: dict[str, list[Item]] = {}
for _item in CATALOGUE:
	_BY_GROUP.setdefault(_item.group, []).append(_item)

#: What each kind of partner sells, as weights of item groups.
_GROUP_MIX = {
	"Reseller": {
		"Hardware": 40,
		"Software": 20,
		"Subscriptions": 15,
		"Services": 10,
		"Training": 5,
		"Accessories": 10,
	},
	"MSP": {
		"Hardware": 15,
		"Software": 10,
		"Subscriptions": 40,
		"Services": 25,
		"Training": 5,
		"Accessories": 5,
	},
	"Referral": {
		"Hardware": 5,
		"Software": 35,
		"Subscriptions": 40,
		"Services": 10,
		"Training": 10,
		"Accessories": 0,
	},
}

# --- partners and customers -----------------------------------------------------------------------------

_PARTNER_NAMES = (
	"Alder",
	"Beacon",
	"Cobalt",
	"Driftwood",
	"Ember",
	"Fjord",
	"Granite",
	"Harbor",
	"Ironwood",
	"Juniper",
	"Keystone",
	"Lumen",
	"Meridian",
	"Northgate",
	"Orchid",
	"Pinnacle",
	"Quarry",
	"Redwood",
	"Summit",
	"Tidewater",
	"Upland",
	"Vantage",
	"Willow",
	"Yarrow",
	"Zenith",
	"Atlas",
	"Bluefin",
	"Cedar",
	"Delta",
	"Evergreen",
	"Falcon",
	"Glacier",
	"Highline",
	"Inlet",
	"Jasper",
	"Kestrel",
	"Lakeside",
	"Monarch",
	"Nimbus",
	"Oakridge",
)
_PARTNER_SUFFIXES = (
	"Systems",
	"IT",
	"Networks",
	"Solutions",
	"Technologies",
	"Digital",
	"Consulting",
	"Cloud",
)
_CUSTOMER_WORDS = (
	"Acorn Apex Aurora Bayside Bright Canyon Capital Central Clear Coastal Crest Crown Eagle Echo Elm First "
	"Forge Frontier Golden Grand Green Hill Horizon Island Lake Liberty Maple Metro Mill Mountain North Oak "
	"Ocean Park Pine Pioneer Prairie Prime River Rock Silver Spring Star Stone Sun Swift Union Valley West"
).split()
_CUSTOMER_TRADES = (
	"Foods Logistics Dental Legal Motors Clinic Builders Media Hotels Pharma Retail Farms Energy Insurance "
	"Architects Brewing Textiles Marine Labs Realty Printing Plastics Transport Bakery Fitness Optics"
).split()
_CUSTOMER_FORMS = ("Ltd", "Inc", "LLC", "GmbH", "Pty Ltd", "Co", "Group", "AG")

TIERS = ("Gold", "Silver", "Bronze")
_TERRITORIES = {"North America": ("USD", 45), "Europe": ("EUR", 35), "Asia Pacific": ("AUD", 20)}
# Monthly rates of each transaction currency to USD (the company currency).
_RATES = {
	"USD": ["1"] * 12,
	"EUR": [
		"1.035",
		"1.041",
		"1.082",
		"1.123",
		"1.128",
		"1.152",
		"1.168",
		"1.164",
		"1.171",
		"1.162",
		"1.157",
		"1.165",
	],
	"AUD": [
		"0.623",
		"0.628",
		"0.631",
		"0.637",
		"0.642",
		"0.651",
		"0.655",
		"0.649",
		"0.658",
		"0.661",
		"0.653",
		"0.659",
	],
}
_CUSTOMER_GROUPS = {"Commercial": 55, "Enterprise": 25, "Government": 10, "Education": 10}


@dataclass(frozen=True, slots=True)
class Partner:
	name: str
	tier: str
	partner_type: str
	territory: str
	currency: str
	weight: float


@dataclass(frozen=True, slots=True)
class Customer:
	name: str
	partner: Partner
	customer_group: str


@dataclass
class DemoProgram:
	"""The generated program: its partners, the plan, a proposed plan and the invoices (sales and credit
	notes) in posting order."""

	seed: int
	partners: list[Partner]
	plan: Plan
	proposed: Plan
	invoices: list[Invoice] = field(default_factory=list)

	@property
	def line_count(self) -> int:
		return sum(len(inv.lines) for inv in self.invoices)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
	return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_partners(rng: random.Random, count: int = 40) -> list[Partner]:
	names = list(_PARTNER_NAMES)
	rng.shuffle(names)
	partners = []
	for rank in range(count):
		name = f"{names[rank % len(names)]} {rng.choice(_PARTNER_SUFFIXES)}"
		if rank >= len(names):
			name = f"{name} {rank // len(names) + 1}"
		tier = "Gold" if rank < count * 0.15 else "Silver" if rank < count * 0.45 else "Bronze"
		partner_type = _pick(rng, {"Reseller": 60, "MSP": 25, "Referral": 15})
		territory = _pick(rng, {t: w for t, (_, w) in _TERRITORIES.items()})
		partners.append(
			Partner(
				name=name,
				tier=tier,
				partner_type=partner_type,
				territory=territory,
				currency=_TERRITORIES[territory][0],
				weight=1 / (rank + 1) ** 0.7,
			)
		)
	return partners


def _make_customers(rng: random.Random, partners: list[Partner], total: int) -> dict[str, list[Customer]]:
	weight_sum = sum(p.weight for p in partners)
	used: set[str] = set()
	result: dict[str, list[Customer]] = {}
	for partner in partners:
		customers = []
		for _ in range(max(6, round(total * partner.weight / weight_sum))):
			while True:
				name = f"{rng.choice(_CUSTOMER_WORDS)} {rng.choice(_CUSTOMER_TRADES)} {rng.choice(_CUSTOMER_FORMS)}"
				if name not in used:
					break
			used.add(name)
			customers.append(Customer(name, partner, _pick(rng, _CUSTOMER_GROUPS)))
		result[partner.name] = customers
	return result


def _day_weights() -> tuple[list[date], list[float]]:
	"""Every working day of the year; the last two weeks of a quarter sell twice as much."""
	days, weights = [], []
	day = date(YEAR, 1, 1)
	while day.year == YEAR:
		if day.weekday() < 5:
			quarter_end = date(YEAR, (day.month - 1) // 3 * 3 + 3, 1) + timedelta(days=31)
			quarter_end = quarter_end.replace(day=1) - timedelta(days=1)
			days.append(day)
			weights.append(2.2 if (quarter_end - day).days < 14 else 1.0)
		day += timedelta(days=1)
	return days, weights


@dataclass
class _Sale:
	posting_date: date
	customer: Customer
	registered_deal: bool
	lines: list[tuple[Item, int, Decimal, Decimal]]  # item, qty, base_net_amount, cost
	returned: list[tuple[int, Decimal, Decimal]] = field(default_factory=list)  # per line: qty, base, cost
	name: str = ""


@dataclass
class _Return:
	posting_date: date
	original: _Sale
	lines: list[tuple[int, int, Decimal, Decimal]]  # original line index, qty (>0), base (>0), cost (>0)
	name: str = ""


_SEATS = (5, 5, 10, 10, 10, 15, 20, 25, 25, 40, 50, 75, 100)
_QTYS = tuple(range(1, 41))
_QTY_WEIGHTS = tuple(1 / q**1.6 for q in _QTYS)


def _sale_lines(rng: random.Random, partner: Partner, count: int) -> list[tuple[Item, int, Decimal, Decimal]]:
	mix = _GROUP_MIX[partner.partner_type]
	lines = []
	for _ in range(count):
		item = rng.choice(_BY_GROUP[_pick(rng, mix)])
		if item.group == "Subscriptions":
			qty = rng.choice(_SEATS)
		else:
			qty = rng.choices(_QTYS[: item.max_qty], weights=_QTY_WEIGHTS[: item.max_qty])[0]
		discount = Decimal(rng.choice((0, 0, 0, 2, 5, 5, 8, 10, 12, 15)))
		base = (item.price * qty * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)
		cost_ratio = item.cost_ratio + Decimal(rng.randint(-5, 5)) / 100
		lines.append((item, qty, base, (base * cost_ratio).quantize(CENT, ROUND_HALF_UP)))
	if any(item.group == "Hardware" for item, *_ in lines) and rng.random() < 0.35:
		qty = rng.randint(1, FREIGHT.max_qty)
		base = FREIGHT.price * qty
		lines.append((FREIGHT, qty, base, base))
	return lines


def _return_lines(
	rng: random.Random, sale: _Sale, full: bool, limit: int
) -> list[tuple[int, int, Decimal, Decimal]]:
	"""Lines of a credit note against ``sale``: everything still unreturned (``full``) or part of one or
	two lines. The last piece of a line takes exactly what is left, so a full return nets to zero."""
	open_lines = [i for i, (_, qty, _, _) in enumerate(sale.lines) if sale.returned[i][0] < qty]
	if not open_lines:
		return []
	if not full or len(open_lines) > limit:
		open_lines = rng.sample(open_lines, min(len(open_lines), limit, rng.choice((1, 1, 2))))
		open_lines.sort()
	result = []
	for i in open_lines:
		_, qty, base, cost = sale.lines[i]
		done_qty, done_base, done_cost = sale.returned[i]
		left = qty - done_qty
		take = left if full else rng.randint(1, left)
		if take == left:
			part_base, part_cost = base - done_base, cost - done_cost
		else:
			part_base = (base * take / qty).quantize(CENT, ROUND_HALF_UP)
			part_cost = (cost * take / qty).quantize(CENT, ROUND_HALF_UP)
		sale.returned[i] = (done_qty + take, done_base + part_base, done_cost + part_cost)
		result.append((i, take, part_base, part_cost))
	return result


def generate(size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, partners: int = 40) -> DemoProgram:
	"""The demo program with exactly ``size`` invoice lines (about 2.5% of them on credit notes)."""
	if size < 10:
		raise ValueError("the demo needs at least 10 lines")
	rng = random.Random(seed)
	people = make_partners(rng, partners)
	customers = _make_customers(rng, people, total=max(60, size // 70))
	days, day_weights = _day_weights()
	partner_weights = [p.weight for p in people]

	return_share = 0.025
	sales_target = size - max(1, round(size * return_share))
	sales: list[_Sale] = []
	count = 0
	while count < sales_target:
		partner = rng.choices(people, weights=partner_weights)[0]
		want = min(rng.choice((1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8)), sales_target - count)
		lines = _sale_lines(rng, partner, want)[: sales_target - count]
		sale = _Sale(
			posting_date=rng.choices(days, weights=day_weights)[0],
			customer=rng.choice(customers[partner.name]),
			registered_deal=rng.random() < 0.12,
			lines=lines,
			returned=[(0, Decimal(0), Decimal(0))] * len(lines),
		)
		sales.append(sale)
		count += len(lines)

	returns: list[_Return] = []
	last_day = date(YEAR, 12, 31)
	candidates = [s for s in sales if s.posting_date <= last_day - timedelta(days=3)] or sales
	while count < size:
		sale = rng.choice(candidates)
		lines = _return_lines(rng, sale, full=rng.random() < 0.33, limit=size - count)
		if not lines:
			continue
		posting_date = min(sale.posting_date + timedelta(days=rng.randint(3, 45)), last_day)
		earlier = [r.posting_date for r in returns if r.original is sale]
		if earlier:
			posting_date = max(posting_date, *earlier)
		returns.append(_Return(posting_date, sale, lines))
		count += len(lines)

	# Number documents in posting order, as ERPNext's naming series would.
	sales.sort(key=lambda s: s.posting_date)
	for n, sale in enumerate(sales, start=1):
		sale.name = f"ACC-SINV-{YEAR}-{n:05d}"
	returns.sort(key=lambda r: r.posting_date)
	for n, ret in enumerate(returns, start=1):
		ret.name = f"ACC-SINV-RET-{YEAR}-{n:05d}"

	invoices: list[Invoice] = []
	seen_customers: set[str] = set()
	for sale in sales:
		partner = sale.customer.partner
		new_customer = sale.customer.name not in seen_customers
		seen_customers.add(sale.customer.name)
		invoices.append(
			Invoice(
				name=sale.name,
				posting_date=sale.posting_date,
				partner=partner.name,
				customer=sale.customer.name,
				currency=partner.currency,
				conversion_rate=Decimal(_RATES[partner.currency][sale.posting_date.month - 1]),
				territory=partner.territory,
				customer_group=sale.customer.customer_group,
				partner_tier=partner.tier,
				partner_type=partner.partner_type,
				new_customer=new_customer,
				registered_deal=sale.registered_deal,
				lines=tuple(
					InvoiceLine(
						item_code=item.code,
						base_net_amount=base,
						qty=Decimal(qty),
						item_group=item.group,
						brand=item.brand,
						cost=cost,
						grant_commission=item.grant_commission,
						line_id=str(i + 1),
					)
					for i, (item, qty, base, cost) in enumerate(sale.lines)
				),
			)
		)
	by_name = {inv.name: inv for inv in invoices}
	for ret in returns:
		original = by_name[ret.original.name]
		invoices.append(
			Invoice(
				name=ret.name,
				posting_date=ret.posting_date,
				partner=original.partner,
				customer=original.customer,
				currency=original.currency,
				conversion_rate=Decimal(_RATES[original.currency][ret.posting_date.month - 1]),
				is_return=True,
				return_against=original.name,
				territory=original.territory,
				customer_group=original.customer_group,
				partner_tier=original.partner_tier,
				partner_type=original.partner_type,
				registered_deal=original.registered_deal,
				lines=tuple(
					InvoiceLine(
						item_code=original.lines[i].item_code,
						base_net_amount=-base,
						qty=Decimal(-qty),
						item_group=original.lines[i].item_group,
						brand=original.lines[i].brand,
						cost=-cost,
						grant_commission=original.lines[i].grant_commission,
						line_id=str(n + 1),
						return_line_id=original.lines[i].line_id,
					)
					for n, (i, qty, base, cost) in enumerate(ret.lines)
				),
			)
		)
	invoices.sort(key=lambda inv: (inv.posting_date, inv.name))
	return DemoProgram(
		seed=seed, partners=people, plan=demo_plan(), proposed=proposed_plan(), invoices=invoices
	)


__all__ = [
	"DEFAULT_SEED",
	"DEFAULT_SIZE",
	"DEMO_PLAN",
	"PROPOSED_PLAN",
	"DemoProgram",
	"Partner",
	"demo_plan",
	"generate",
	"proposed_plan",
]
