"""One place to build what bench tests need: a company, customers, items, partners, plans, invoices,
payments — and to read back GL rows."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, flt, getdate, nowdate

COMPANY = "_PRM Test Company"
ABBR = "_PRM"
CUSTOMER = "_PRM Test Customer"
ITEMS = {"_PRM Hardware": "_PRM Hardware Group", "_PRM Software": "_PRM Software Group"}


def account(name: str) -> str:
	return f"{name} - {ABBR}"


def make_company() -> str:
	"""A USD company with ERPNext's standard chart (committed once: creating a chart is slow)."""
	if not frappe.db.exists("Company", COMPANY):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": COMPANY,
				"abbr": ABBR,
				"default_currency": "USD",
				"country": "United States",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	make_fiscal_years()
	for currency in ("USD", "EUR"):
		frappe.db.set_value("Currency", currency, "enabled", 1)
	for item, group in ITEMS.items():
		make_item(item, group)
	if not frappe.db.exists("Customer", CUSTOMER):
		make_customer(CUSTOMER)
	make_outgoing_email_account()  # notification emails get queued (never sent in tests)
	frappe.db.commit()  # nosemgrep: shared, slow-to-build fixtures persist across test runs
	return COMPANY


def make_fiscal_years():
	"""Last, this and next calendar year. Named as ERPNext's own test records name them, so that ERPNext
	(which builds its records when a test class starts on v16) finds them made, instead of refusing an
	overlapping year."""
	year = getdate(nowdate()).year
	for y in range(year - 1, year + 2):
		if frappe.db.exists("Fiscal Year", {"year_start_date": f"{y}-01-01"}):
			continue
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": f"_Test Fiscal Year {y}",
				"year_start_date": f"{y}-01-01",
				"year_end_date": f"{y}-12-31",
			}
		).insert(ignore_permissions=True)


def make_item(item_code: str, item_group: str, parent: str = "All Item Groups") -> str:
	if not frappe.db.exists("Item Group", item_group):
		frappe.get_doc(
			{"doctype": "Item Group", "item_group_name": item_group, "parent_item_group": parent}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("Item", item_code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": item_code,
				"item_name": item_code,
				"item_group": item_group,
				"is_stock_item": 0,
				"stock_uom": "Nos",
				"grant_commission": 1,
			}
		).insert(ignore_permissions=True)
	return item_code


def make_customer(name: str) -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0})
				or "All Customer Groups",
				"territory": frappe.db.get_value("Territory", {"is_group": 0}) or "All Territories",
			}
		).insert(ignore_permissions=True)
	return name


def make_tier(name: str, rank: int, multiplier: float = 1, plan: str | None = None) -> str:
	if frappe.db.exists("Partner Tier", name):
		frappe.db.set_value(
			"Partner Tier", name, {"commission_multiplier": multiplier, "commission_plan": plan}
		)
		return name
	return (
		frappe.get_doc(
			{
				"doctype": "Partner Tier",
				"tier_name": name,
				"rank": rank,
				"commission_multiplier": multiplier,
				"commission_plan": plan,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def only_these_tiers(*names: str) -> None:
	"""Take every other tier on the site out of reach for this test's transaction (rolled back with it).
	All tiers form one ladder: a tier another test or a journey left on a long-lived site, ranked above the
	test's own and without criteria, would be where its partners are promoted."""
	tier = frappe.qb.DocType("Partner Tier")
	frappe.qb.update(tier).set(tier.min_won_deals, 10**9).where(tier.name.notin(list(names))).run()


def make_plan(name: str, rules: list[dict], brackets: list[dict] | None = None, **values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Commission Plan",
			"plan_name": name,
			"company": values.pop("company", COMPANY),
			"rules": rules,
			"brackets": brackets or [],
			**values,
		}
	)
	doc.insert(ignore_permissions=True)
	return doc.name


def make_partner(name: str, plan: str | None = None, **values) -> frappe._dict:
	doc = frappe.get_doc(
		{
			"doctype": "Partner",
			"partner_name": name,
			"company": COMPANY,
			"status": values.pop("status", "Active"),
			"commission_plan": plan,
			**values,
		}
	).insert(ignore_permissions=True)
	return doc


def make_invoice(partner=None, lines=None, submit=True, **values):
	"""A Sales Invoice; ``lines`` are (item_code, qty, rate) tuples."""
	posting_date = values.pop("posting_date", nowdate())
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": COMPANY,
			"customer": values.pop("customer", CUSTOMER),
			"posting_date": posting_date,
			"set_posting_time": 1,
			"due_date": add_days(posting_date, 30),
			"currency": values.pop("currency", "USD"),
			"conversion_rate": values.pop("conversion_rate", 1),
			"debit_to": account("Debtors"),
			"sales_partner": partner.sales_partner if partner else None,
			"items": [
				{
					"item_code": item,
					"qty": qty,
					"rate": rate,
					"income_account": account("Sales"),
					"cost_center": account("Main"),
				}
				for item, qty, rate in (lines or [("_PRM Hardware", 1, 1000)])
			],
			**values,
		}
	)
	si.insert(ignore_permissions=True)
	if submit:
		si.submit()
	return si


def make_return(si, qty_by_item: dict[str, float] | None = None, submit=True):
	"""A credit note for all of ``si`` or, with ``qty_by_item``, for those (positive) quantities."""
	from erpnext.controllers.sales_and_purchase_return import make_return_doc

	cn = make_return_doc("Sales Invoice", si.name)
	if qty_by_item is not None:
		cn.items = [row for row in cn.items if row.item_code in qty_by_item]
		for row in cn.items:
			row.qty = -abs(qty_by_item[row.item_code])
	cn.insert(ignore_permissions=True)
	if submit:
		cn.submit()
	return cn


def supplier_payment(
	supplier: str, amount: float, paid_to: str | None = None, references=(), submit: bool = True, **values
) -> str:
	"""A Payment Entry paying the supplier, to Creditors or ``paid_to``: without ``references`` an advance
	(allocated to nothing); a draft unless ``submit``; ``values`` override the fields."""
	pe = frappe.get_doc(
		{
			"doctype": "Payment Entry",
			"payment_type": "Pay",
			"company": COMPANY,
			"posting_date": nowdate(),
			"party_type": "Supplier",
			"party": supplier,
			"paid_from": account("Cash"),
			"paid_to": paid_to or account("Creditors"),
			"paid_amount": amount,
			"received_amount": amount,
			"source_exchange_rate": 1,
			"target_exchange_rate": 1,
			"reference_no": "PRM-PAY",
			"reference_date": nowdate(),
			"references": list(references),
			**values,
		}
	)
	pe.insert(ignore_permissions=True)
	if submit:
		pe.submit()
	return pe.name


def pay_journal(journal_entry: str, supplier: str, amount: float):
	"""A Payment Entry paying the supplier against a commission Journal Entry."""
	reference = {
		"reference_doctype": "Journal Entry",
		"reference_name": journal_entry,
		"allocated_amount": amount,
	}
	return frappe.get_doc("Payment Entry", supplier_payment(supplier, amount, references=[reference]))


def gl_rows(voucher_no: str, voucher_type: str = "Journal Entry") -> list[tuple]:
	"""(account, debit, credit, party) of a voucher's live GL entries, sorted."""
	rows = frappe.get_all(
		"GL Entry",
		filters={"voucher_type": voucher_type, "voucher_no": voucher_no, "is_cancelled": 0},
		fields=["account", "debit", "credit", "party"],
	)
	return sorted((r.account, flt(r.debit, 2), flt(r.credit, 2), r.party or None) for r in rows)


def make_outgoing_email_account() -> str:
	"""A default outgoing email account, so notification emails are queued (nothing is sent in tests)."""
	name = frappe.db.get_value("Email Account", {"default_outgoing": 1, "enable_outgoing": 1})
	if name:
		return name
	return (
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": "_PRM Test Outgoing",
				"email_id": "prm-test@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"no_smtp_authentication": 1,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def receive_payment(si, amount: float, posting_date=None, exchange_rate: float | None = None):
	"""A customer's Payment Entry against a Sales Invoice, ``amount`` in the receivable's currency; on a
	foreign-currency receivable at ``exchange_rate`` (default: the invoice's)."""
	rate = flt(exchange_rate or si.conversion_rate) if si.party_account_currency != "USD" else 1
	pe = frappe.get_doc(
		{
			"doctype": "Payment Entry",
			"payment_type": "Receive",
			"company": COMPANY,
			"posting_date": posting_date or nowdate(),
			"party_type": "Customer",
			"party": si.customer,
			"paid_from": si.debit_to,
			"paid_from_account_currency": si.party_account_currency,
			"paid_to": account("Cash"),
			"paid_amount": amount,
			"received_amount": flt(amount * rate, 2),
			"source_exchange_rate": rate,
			"target_exchange_rate": 1,
			"references": [
				{"reference_doctype": "Sales Invoice", "reference_name": si.name, "allocated_amount": amount}
			],
		}
	)
	pe.insert(ignore_permissions=True)
	pe.submit()
	return pe


def gl_totals(voucher_no: str, voucher_type: str = "Payment Entry") -> list[tuple]:
	"""Like ``gl_rows`` but summed per (account, party): a payment against several journals posts a
	party row per journal."""
	totals: dict[tuple, list[float]] = {}
	for acc, debit, credit, party in gl_rows(voucher_no, voucher_type):
		row = totals.setdefault((acc, party), [0.0, 0.0])
		row[0] += debit
		row[1] += credit
	return sorted((acc, flt(d, 2), flt(c, 2), party) for (acc, party), (d, c) in totals.items())


def supplier_payable(supplier: str) -> float:
	"""The supplier's outstanding payable per the Payment Ledger (positive = we owe the partner; the
	Payment Ledger keeps a payable's outstanding as a positive amount)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	total = (
		frappe.qb.from_(ple)
		.select(frappe.query_builder.functions.Sum(ple.amount))
		.where(
			(ple.party_type == "Supplier")
			& (ple.party == supplier)
			& (ple.company == COMPANY)
			& (ple.delinked == 0)
			& (ple.account == account("Creditors"))
		)
		.run()[0][0]
	)
	return flt(total, 2)


def commissions_of(invoice: str, docstatus: int | None = 1) -> list[frappe._dict]:
	filters = {"sales_invoice": invoice}
	if docstatus is not None:
		filters["docstatus"] = docstatus
	return frappe.get_all(
		"Partner Commission",
		filters=filters,
		fields=["name", "total", "status", "journal_entry", "is_clawback", "against_commission", "docstatus"],
		order_by="creation",
	)


def make_user(email: str, roles: list[str]) -> str:
	"""A desk user with exactly these roles."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [{"role": role} for role in roles])
	user.save(ignore_permissions=True)
	return email


def make_portal_user(email: str, partner) -> str:
	"""A website user with the Partner role, listed on the partner's users table."""
	make_user(email, ["Partner"])
	if not any(row.user == email for row in partner.users):
		partner.append("users", {"user": email})
		partner.save(ignore_permissions=True)
	return email


def make_registration(partner, prospect_name: str = "Globex Corporation", submit: bool = False, **values):
	"""A Deal Registration of ``partner`` (as the current user); ``products`` are item codes or
	``("group", item_group)`` pairs."""
	products = values.pop("products", ["_PRM Hardware"])
	doc = frappe.get_doc(
		{
			"doctype": "Deal Registration",
			"partner": partner.name,
			"prospect_name": prospect_name,
			"website": values.pop("website", "globex.com"),
			"country": values.pop("country", "United States"),
			"contact_name": "Hank Scorpio",
			"contact_email": values.pop("contact_email", "hank@globex.com"),
			"expected_amount": values.pop("expected_amount", 5000),
			"currency": values.pop("currency", "USD"),
			"expected_close_date": values.pop("expected_close_date", add_days(nowdate(), 30)),
			"products": [
				{"item_group": p[1]} if isinstance(p, tuple) else {"item_code": p, "qty": 1} for p in products
			],
			**values,
		}
	)
	doc.insert()
	if submit:
		doc.submit_registration()
	return doc


# --- special pricing (issue 15) -------------------------------------------------------------------------------


def set_list_price(item_code: str, rate: float, currency: str = "USD") -> str:
	"""The item's price in the default selling price list (what a special price request starts from)."""
	price_list = frappe.db.get_single_value("Selling Settings", "selling_price_list")
	name = frappe.db.get_value(
		"Item Price", {"item_code": item_code, "price_list": price_list, "customer": ("is", "not set")}
	)
	doc = frappe.get_doc("Item Price", name) if name else frappe.new_doc("Item Price")
	doc.update({"item_code": item_code, "price_list": price_list, "price_list_rate": rate, "currency": currency})
	doc.save(ignore_permissions=True)
	return doc.name


def approve_registration_for_test(name: str, customer: str) -> None:
	"""A registration as approval and conversion leave it (Approved, linked to its customer), without
	going through the conflict check and the Opportunity it creates."""
	frappe.db.set_value("Deal Registration", name, {"status": "Approved", "customer": customer})


def make_special_price_request(deal: str, item_code: str, qty: float = 1, **values):
	"""A Special Price Request on an approved registration (as the current user, or with
	``ignore_permissions``); ``values`` may carry the row's ``requested_price`` / ``requested_discount``."""
	ignore = values.pop("ignore_permissions", False)
	row = {k: values.pop(k) for k in ("requested_price", "requested_discount", "min_qty") if k in values}
	doc = frappe.get_doc(
		{
			"doctype": "Special Price Request",
			"deal_registration": deal,
			"valid_upto": values.pop("valid_upto", add_days(nowdate(), 30)),
			"items": [{"item_code": item_code, "qty": qty, **(row or {"requested_price": None, "requested_discount": 10})}],
			**values,
		}
	)
	doc.insert(ignore_permissions=ignore)
	return doc
