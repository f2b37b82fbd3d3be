"""The partner portal's server side: who the session user is (``current_partner``) and the data each
page shows. Every read resolves the partner from the session user here; nothing trusts a partner name
sent by the browser.

current_partner(area=None)      the user's partner and partner_role, or PermissionError
dashboard(partner)              tier progress, this period's revenue and commission, recent rows, chart
commission_rows / payout_rows   the money pages (Finance and Admin)
deal_rows / deal_detail         the deal pages (Sales and Admin), conflicts without other partners' data
resource_rows                   the library, filtered by tier rank (permission_query_conditions)
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, add_months, flt, get_first_day, getdate, nowdate

from prm_app import deal_products
from prm_app.commissions import lines_by_commission
from prm_app.l10n import prm_date, prm_money, prm_month, prm_number
from prm_app.permissions import is_channel_manager, is_partner_user, partner_managers, partner_roles_of
from prm_app.statement import STATEMENT_LINE_FIELDS

# which partner_role may open which area of the portal (Admin: all)
AREAS = {"deals": ("Admin", "Sales"), "money": ("Admin", "Finance"), "admin": ("Admin",)}
COMMISSION_LIMIT = 500


def current_partner(area: str | None = None) -> frappe._dict:
	"""The session user's partner (the first one listed if several) with the user's ``partner_role``.
	Throws PermissionError for Guest, staff, users of no partner, and roles outside ``area``."""
	user = frappe.session.user
	if user == "Guest":
		frappe.throw(_("Log in to open the partner portal."), frappe.PermissionError)
	if not is_partner_user(user):
		frappe.throw(_("The partner portal is for partner users."), frappe.PermissionError)
	roles = partner_roles_of(user)
	if not roles:
		frappe.throw(_("Your user is not linked to a partner."), frappe.PermissionError)
	name, role = next(iter(roles.items()))
	if area and role not in AREAS[area]:
		frappe.throw(
			_("Your partner role {0} cannot open this page.").format(_(role)), frappe.PermissionError
		)
	partner = frappe.db.get_value(
		"Partner",
		name,
		[
			"name",
			"partner_name",
			"status",
			"tier",
			"company",
			"sales_partner",
			"supplier",
			"website",
			"tax_id",
			"channel_manager",
		],
		as_dict=True,
	)
	if partner.status != "Active":
		frappe.throw(_("Partner {0} is not active.").format(partner.partner_name), frappe.PermissionError)
	partner.role = role
	partner.can = {area: role in roles_ for area, roles_ in AREAS.items()}
	partner.currency = frappe.get_cached_value("Company", partner.company, "default_currency") or "USD"
	return partner


def page_context(context, area: str | None = None, title: str | None = None) -> frappe._dict:
	"""What every portal page sets: no cache, the partner, the title. The navigation is the base
	template's (prm_app/templates/includes/partner_base.html), not Frappe's website sidebar."""
	context.no_cache = 1
	context.show_sidebar = False
	partner = current_partner(area)
	context.partner = partner
	context.title = title
	context.money = money
	context.fmt_date = prm_date
	context.fmt_number = prm_number
	context.csrf_token = frappe.sessions.get_csrf_token()
	frappe.db.commit()  # nosemgrep: the CSRF token is stored with the session (as frappe/www/me.py)
	return partner


def money(value, currency: str | None = None) -> str:
	"""Money in the user's locale (prm_app.l10n)."""
	return prm_money(value, currency)


# --- dashboard ---------------------------------------------------------------------------------------------


def period_bounds(day=None) -> tuple:
	"""This period: the current month."""
	day = getdate(day or nowdate())
	return get_first_day(day), day


TIER_PROGRESS_SECONDS = 10 * 60


def tier_progress(partner: frappe._dict) -> dict:
	"""The partner's progress to its next tier. Evaluating it sums a year of the partner's invoices, so
	the result is kept for ``TIER_PROGRESS_SECONDS`` per partner, tier and day (the daily evaluation
	decides tiers; the portal only shows the way there)."""
	from prm_app.tiers import get_tier_progress

	# ``partner`` is the session user's own (current_partner): the evaluation checks read permission
	key = f"prm:portal:tier_progress:{partner.name}:{partner.tier or ''}:{nowdate()}"
	cached = frappe.cache.get_value(key, expires=True)  # not kept as None in frappe.local on a miss
	if cached is not None:
		return cached
	try:
		progress = get_tier_progress(partner.name)
	except frappe.PermissionError:
		raise
	except Exception:
		frappe.log_error(title=_("Partner portal: tier progress"))
		return {"active": False}
	frappe.cache.set_value(key, progress, expires_in_sec=TIER_PROGRESS_SECONDS)
	return progress


def commission_summary(partner: frappe._dict, from_date, to_date) -> frappe._dict:
	"""The period's money as the Partner Statement of the same period states it: earned (commissions
	posted in the period), clawed back (clawbacks posted in it), paid (payments posted in it, from the
	Payment Ledger: what was paid this month, whatever month the commission was earned in), the balance
	owed to the partner (``supplier_balance``). Aggregates only, read from the partner's per-day totals
	(``prm_app.daily_totals``) and the Payment Ledger's party index. What is payable now (a sum over
	every unpaid commission) is on the payouts page, not on the dashboard."""
	from prm_app.daily_totals import commission_split
	from prm_app.reconciliation import payments_against_commissions

	earned, clawed_back = commission_split(partner.name, from_date, to_date)
	paid = sum(
		r.amount for r in payments_against_commissions(partner.company, partner.name, from_date, to_date)
	)
	return frappe._dict(
		earned=flt(earned, 2),
		clawed_back=flt(clawed_back, 2),
		accrued=flt(flt(earned) + flt(clawed_back), 2),
		paid=flt(paid, 2) + 0.0,
		balance=supplier_balance(partner, to_date),
	)


def supplier_balance(partner: frappe._dict, to_date) -> float:
	"""What the vendor owes the partner at ``to_date``: the Payment Ledger balance of its suppliers (today's
	and earlier ones its postings went to) on the commission payable account (the party index)."""
	from prm_app.reconciliation import partner_suppliers

	account = frappe.get_cached_value("Company", partner.company, "prm_commission_payable_account")
	suppliers = partner_suppliers(partner.name)
	if not account or not suppliers:
		return 0.0
	ple = frappe.qb.DocType("Payment Ledger Entry")
	total = (
		frappe.qb.from_(ple)
		.select(frappe.query_builder.functions.Sum(ple.amount))
		.where(
			(ple.party_type == "Supplier")
			& ple.party.isin(suppliers)
			& (ple.company == partner.company)
			& (ple.account == account)
			& (ple.delinked == 0)
			& (ple.posting_date <= to_date)
		)
		.run()[0][0]
	)
	return flt(total, 2) + 0.0


def revenue(sales_partner: str | None, from_date, to_date) -> float:
	if not sales_partner:
		return 0.0
	return flt(
		frappe.db.sql(
			"""select coalesce(sum(base_net_total), 0) from `tabSales Invoice`
			where sales_partner = %s and docstatus = 1 and posting_date between %s and %s""",
			(sales_partner, from_date, to_date),
		)[0][0],
		2,
	)


def monthly_chart(partner: str, this_month: float, months: int = 12) -> list[dict]:
	"""Commission by month for the last ``months`` months, with a bar height in percent. This month's
	total is the dashboard's own (earned + clawed back); the earlier months, which change only when a
	commission is back-dated, are summed once per partner and ``PAST_MONTHS_SECONDS``."""
	start = get_first_day(add_months(nowdate(), -(months - 1)))
	this_key = getdate(nowdate()).strftime("%Y-%m")
	by_month = {**past_months(partner, start), this_key: flt(this_month, 2)}
	keys = [getdate(add_months(start, i)).strftime("%Y-%m") for i in range(months)]
	top = max([abs(v) for v in by_month.values()] or [0]) or 1
	return [
		{
			"month": key,
			"label": prm_month(key + "-01"),
			"total": by_month.get(key, 0.0),
			"height": round(max(by_month.get(key, 0.0), 0) * 100 / top, 1),
		}
		for key in keys
	]


PAST_MONTHS_SECONDS = 10 * 60


def past_months(partner: str, start) -> dict[str, float]:
	"""{YYYY-MM: commission} from ``start`` to the end of last month: the partner's per-day totals
	(``prm_app.daily_totals``, at most one row a day), summed per month."""
	key = f"prm:portal:past_months:{partner}:{start}:{nowdate()}"
	cached = frappe.cache.get_value(key, expires=True)  # not kept as None in frappe.local on a miss
	if cached is not None:
		return cached
	from prm_app.daily_totals import commission_by_day

	rows = commission_by_day(partner, start, add_days(get_first_day(nowdate()), -1))
	by_month: dict[str, float] = {}
	for day, total in rows:
		month = getdate(day).strftime("%Y-%m")
		by_month[month] = by_month.get(month, 0.0) + flt(total)
	by_month = {month: flt(value, 2) for month, value in by_month.items()}
	frappe.cache.set_value(key, by_month, expires_in_sec=PAST_MONTHS_SECONDS)
	return by_month


def payable_now(partner: str) -> float:
	"""What the next payout would pay: the outstanding of the partner's Payable and Partly Paid
	commissions (one index range each)."""
	return flt(
		sum(
			flt(
				frappe.db.sql(
					"""select coalesce(sum(outstanding_amount), 0) from `tabPartner Commission`
					where partner = %s and status = %s and docstatus = 1""",
					(partner, status),
				)[0][0]
			)
			for status in ("Payable", "Partly Paid")
		),
		2,
	)


def dashboard(partner: frappe._dict) -> frappe._dict:
	from_date, to_date = period_bounds()
	data = frappe._dict(
		from_date=from_date,
		to_date=to_date,
		tier=partner.tier,
		progress=tier_progress(partner),
		revenue=revenue(partner.sales_partner, from_date, to_date),
	)
	if partner.can["money"]:
		data.commission = commission_summary(partner, from_date, to_date)
		data.chart = monthly_chart(partner.name, data.commission.accrued)
		data.payouts = payout_rows(partner.name, limit=5)
	if partner.can["deals"]:
		data.deals = deal_rows(partner.name, limit=5)
	data.onboarding = onboarding(partner, data)
	data.contact = channel_manager(partner.channel_manager)
	return data


def onboarding(partner: frappe._dict, data: frappe._dict) -> list[dict]:
	"""A new partner's first steps, each ticked when done; nothing once all are done."""
	steps = [
		{
			"label": _("Complete your company profile"),
			"route": "/partner/profile",
			"done": bool(partner.website),
		},
	]
	if partner.can["deals"]:
		steps.append(
			{
				"label": _("Register your first deal"),
				"route": "/partner/deals",
				"done": bool(data.get("deals")),
			}
		)
	if partner.can["admin"]:
		colleagues = frappe.db.count("Partner User", {"parent": partner.name, "parenttype": "Partner"})
		steps.append(
			{"label": _("Invite your colleagues"), "route": "/partner/profile", "done": colleagues > 1}
		)
	steps.append({"label": _("Read the partner resources"), "route": "/partner/resources", "done": False})
	if all(step["done"] for step in steps[:-1]):
		return []
	return steps


CONTACT_SECONDS = 10 * 60  # a renamed or disabled manager shows within ten minutes


def channel_manager(user: str | None = None) -> frappe._dict | None:
	"""Who the partner can write to: its channel manager (Partner.channel_manager) while an enabled Partner
	Manager (as ``managers_of``: who reviews its deals), else the first enabled Partner Manager (staff, not
	Administrator)."""
	key = f"prm:portal:channel_manager:{user or ''}"
	cached = frappe.cache.get_value(key, expires=True)  # not kept as None in frappe.local on a miss
	if cached is None:
		if not is_channel_manager(user):
			user = next((u for u in partner_managers() if u != "Administrator"), None)
		values = frappe.db.get_value("User", user, ["full_name", "email"], as_dict=True) if user else None
		cached = dict(values) if values else {}
		frappe.cache.set_value(key, cached, expires_in_sec=CONTACT_SECONDS)
	return frappe._dict(cached) if cached else None


# --- lists ---------------------------------------------------------------------------------------------------


def deal_rows(partner: str, limit: int = 100) -> list:
	return frappe.get_all(
		"Deal Registration",
		filters={"partner": partner},
		fields=["name", "prospect_name", "status", "expected_amount", "currency", "expires_on", "creation"],
		order_by="creation desc",
		limit=limit,
	)


def deal_detail(partner: str, name: str) -> frappe._dict:
	"""One of the partner's registrations; conflicts only as an outcome (never the other party)."""
	if not name or frappe.db.get_value("Deal Registration", name, "partner") != partner:
		frappe.throw(_("Deal registration not found."), frappe.PermissionError)
	doc = frappe.get_doc("Deal Registration", name)
	return frappe._dict(
		name=doc.name,
		status=doc.status,
		prospect_name=doc.prospect_name,
		website=doc.website,
		country=doc.country,
		contact_name=doc.contact_name,
		contact_email=doc.contact_email,
		expected_amount=doc.expected_amount,
		currency=doc.currency,
		expected_close_date=doc.expected_close_date,
		expires_on=doc.expires_on,
		submitted_on=doc.submitted_on,
		notes=doc.notes,
		rejection_reason=doc.rejection_reason,
		products=product_rows(doc),
		conflict_count=len(doc.conflicts),
		has_hard_conflict=doc.has_hard_conflict,
		conflicts_checked_on=doc.conflicts_checked_on,
		can_withdraw=doc.status in ("Draft", "Submitted", "Under Review", "Returned for information"),
		**deal_follow_up(doc),
	)


def product_rows(doc) -> list[dict]:
	"""The registration's products as the partner sees them: item (code and name) or item group, and the
	quantity."""
	names = deal_products.names_of(r.item_code for r in doc.products)
	return [
		frappe._dict(
			item_code=r.item_code,
			item_name=names.get(r.item_code) or r.item_code,
			item_group=r.item_group,
			qty=flt(r.qty),
			qty_text=quantity_text(r.qty),
			qty_value=f"{flt(r.qty):.6f}".rstrip("0").rstrip("."),  # for a number input
		)
		for r in doc.products
	]


def quantity_text(qty) -> str:
	"""A quantity in the user's number format with the decimals it has (3, 2.5; not 3.000)."""
	qty = flt(qty)
	decimals = len(f"{qty:.6f}".rstrip("0").partition(".")[2])
	return prm_number(qty, decimals)


def deal_follow_up(doc) -> dict:
	"""What the partner can still do with its registration: edit and resubmit it (Draft, Returned for
	information), ask to extend its protection (Approved, no request pending), attach files (while it is
	open); and its attachments."""
	return {
		"can_edit": doc.status in ("Draft", "Returned for information"),
		"can_request_extension": doc.status == "Approved" and not doc.extension_requested_until,
		"extension_requested_until": doc.extension_requested_until,
		"extension_reason": doc.extension_reason,
		"can_attach": doc.status not in ("Rejected", "Withdrawn", "Lost", "Won", "Expired"),
		"tax_id": doc.tax_id,
		"attachments": frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Deal Registration", "attached_to_name": doc.name},
			fields=["name", "file_name", "file_url", "creation"],
			order_by="creation asc",
		),
	}


def commission_rows(partner: str, from_date, to_date, limit: int = COMMISSION_LIMIT) -> list:
	rows = frappe.get_all(
		"Partner Commission",
		filters={"partner": partner, "docstatus": 1, "posting_date": ("between", [from_date, to_date])},
		fields=[
			"name",
			"posting_date",
			"sales_invoice",
			"status",
			"payable_on",
			"total",
			"paid_amount",
			"outstanding_amount",
		],
		order_by="posting_date desc, creation desc",
		limit=limit,
	)
	by_parent = lines_by_commission([r.name for r in rows], STATEMENT_LINE_FIELDS)
	customers = customer_names([r.sales_invoice for r in rows if r.sales_invoice])
	for row in rows:
		row.lines = by_parent.get(row.name, [])
		row.customer_name = customers.get(row.sales_invoice) or ""
	return rows


def customer_names(invoices: list[str]) -> dict[str, str]:
	"""{invoice: customer name} for the partner's own commissions' invoices (their customers are the
	partner's customers)."""
	names = {}
	for chunk in range(0, len(invoices), 1000):
		names.update(
			frappe.get_all(
				"Sales Invoice",
				filters={"name": ("in", invoices[chunk : chunk + 1000])},
				fields=["name", "customer_name"],
				as_list=True,
			)
		)
	return names


def payout_rows(partner: str, limit: int = 100) -> list:
	return frappe.get_all(
		"Partner Payout",
		filters={"partner": partner, "docstatus": 1},
		fields=[
			"name",
			"posting_date",
			"from_date",
			"to_date",
			"status",
			"total_commission",
			"total_clawback",
			"net_amount",
			"tax_withheld",
			"paid_amount",
			"currency",
		],
		order_by="posting_date desc, creation desc",
		limit=limit,
	)


def resource_rows() -> list:
	"""Resources the session user may see: permission_query_conditions filter by published and tier rank."""
	return frappe.get_list(
		"Partner Resource",
		fields=["name", "title", "description", "category", "file", "link", "minimum_tier"],
		order_by="category asc, title asc",
		limit_page_length=500,
	)


def colleagues(partner: str) -> list:
	return frappe.get_all(
		"Partner User",
		filters={"parent": partner, "parenttype": "Partner"},
		fields=["user", "partner_role", "contact"],
		order_by="idx asc",
	)


def country_choices() -> list[str]:
	return frappe.get_all("Country", pluck="name", order_by="name asc")


def period_filter(args, default_from=None) -> tuple:
	"""(from_date, to_date) from request arguments; defaults: ``default_from`` (or the month start), today."""
	try:
		from_date = getdate(args.get("from_date") or default_from or get_first_day(nowdate()))
		to_date = getdate(args.get("to_date") or nowdate())
	except Exception:
		frappe.throw(_("Enter dates as YYYY-MM-DD."), title=_("Invalid Date"))
	if from_date > to_date:
		frappe.throw(_("From Date must be before To Date."), title=_("Invalid Period"))
	return from_date, to_date
