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
from frappe.utils import add_months, flt, get_first_day, getdate, nowdate

from prm_app.commissions import lines_by_commission
from prm_app.l10n import prm_date, prm_money, prm_month, prm_number
from prm_app.permissions import is_partner_user, partner_roles_of
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
	"""What every portal page sets: no cache, the partner, the title, the nav."""
	context.no_cache = 1
	context.show_sidebar = True
	partner = current_partner(area)
	context.partner = partner
	context.title = title
	context.money = money
	context.fmt_date = prm_date
	context.fmt_number = prm_number
	context.csrf_token = frappe.sessions.get_csrf_token()
	frappe.db.commit()  # nosemgrep: the CSRF token is stored with the session (as frappe/www/me.py)
	context.nav = [
		item
		for item in (
			{"route": "/partner", "label": _("Dashboard"), "show": True},
			{"route": "/partner/deals", "label": _("Deals"), "show": partner.can["deals"]},
			{"route": "/partner/commissions", "label": _("Commissions"), "show": partner.can["money"]},
			{"route": "/partner/payouts", "label": _("Payouts"), "show": partner.can["money"]},
			{"route": "/partner/resources", "label": _("Resources"), "show": True},
			{"route": "/partner/profile", "label": _("Profile"), "show": True},
		)
		if item["show"]
	]
	return partner


def money(value, currency: str | None = None) -> str:
	"""Money in the user's locale (prm_app.l10n)."""
	return prm_money(value, currency)


# --- dashboard ---------------------------------------------------------------------------------------------


def period_bounds(day=None) -> tuple:
	"""This period: the current month."""
	day = getdate(day or nowdate())
	return get_first_day(day), day


def tier_progress(partner: frappe._dict) -> dict:
	from prm_app.tiers import get_tier_progress

	try:
		return get_tier_progress(partner.name)
	except frappe.PermissionError:
		raise
	except Exception:
		frappe.log_error(title=_("Partner portal: tier progress"))
		return {"active": False}


def commission_summary(partner: frappe._dict, from_date, to_date) -> frappe._dict:
	"""The period's money as the Partner Statement of the same period states it: earned (commissions
	posted in the period), clawed back (clawbacks posted in it), paid (payments posted in it, from the
	Payment Ledger: what was paid this month, whatever month the commission was earned in), the balance
	owed to the partner now (the Payment Ledger's outstanding of its commission journals) and the part of
	it that is payable now. Aggregates only: the period's rows on the (partner, posting_date) index, the
	payable ones on (partner, status)."""
	from prm_app.reconciliation import payment_ledger_totals, payments_against_commissions

	row = frappe.db.sql(
		"""select
			coalesce(sum(case when total > 0 then total end), 0) as earned,
			coalesce(sum(case when total < 0 then total end), 0) as clawed_back
		from `tabPartner Commission`
		where partner = %(partner)s and docstatus = 1 and posting_date between %(from)s and %(to)s""",
		{"partner": partner.name, "from": from_date, "to": to_date},
		as_dict=True,
	)[0]
	payable = frappe.db.sql(
		"""select coalesce(sum(outstanding_amount), 0) from `tabPartner Commission`
		where partner = %s and status in ('Payable', 'Partly Paid') and docstatus = 1""",
		partner.name,
	)[0][0]
	paid = sum(
		r.amount for r in payments_against_commissions(partner.company, partner.name, from_date, to_date)
	)
	account = frappe.get_cached_value("Company", partner.company, "prm_commission_payable_account")
	ledger = (
		payment_ledger_totals(partner.company, account, [partner.name], None, to_date).get(partner.name)
		if account
		else None
	)
	return frappe._dict(
		earned=flt(row.earned, 2),
		clawed_back=flt(row.clawed_back, 2),
		accrued=flt(flt(row.earned) + flt(row.clawed_back), 2),
		paid=flt(paid, 2) + 0.0,
		payable=flt(payable, 2),
		balance=flt(ledger["ledger_outstanding"], 2) + 0.0 if ledger else 0.0,
	)


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


def monthly_chart(partner: str, months: int = 12) -> list[dict]:
	"""Commission by month for the last ``months`` months, with a bar height in percent."""
	start = get_first_day(add_months(nowdate(), -(months - 1)))
	rows = frappe.db.sql(
		"""select date_format(posting_date, '%%Y-%%m') as month, sum(total) as total
		from `tabPartner Commission`
		where partner = %s and docstatus = 1 and posting_date >= %s
		group by month""",
		(partner, start),
		as_dict=True,
	)
	by_month = {r.month: flt(r.total, 2) for r in rows}
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
		data.chart = monthly_chart(partner.name)
		data.payouts = payout_rows(partner.name, limit=5)
	if partner.can["deals"]:
		data.deals = deal_rows(partner.name, limit=5)
	return data


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
		products=[{"item_code": r.item_code, "item_group": r.item_group, "qty": r.qty} for r in doc.products],
		conflict_count=len(doc.conflicts),
		has_hard_conflict=doc.has_hard_conflict,
		conflicts_checked_on=doc.conflicts_checked_on,
		can_withdraw=doc.status in ("Draft", "Submitted", "Under Review", "Returned for information"),
		**deal_follow_up(doc),
	)


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
		"item_codes": [r.item_code for r in doc.products if r.item_code],
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
			"total",
			"paid_amount",
			"outstanding_amount",
		],
		order_by="posting_date desc, creation desc",
		limit=limit,
	)
	by_parent = lines_by_commission([r.name for r in rows], STATEMENT_LINE_FIELDS)
	for row in rows:
		row.lines = by_parent.get(row.name, [])
	return rows


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


def product_choices() -> list:
	"""The product picker: sales items (code and name)."""
	return frappe.get_all(
		"Item",
		filters={"disabled": 0, "is_sales_item": 1, "has_variants": 0},
		fields=["item_code", "item_name", "item_group"],
		order_by="item_name asc",
		limit=500,
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
