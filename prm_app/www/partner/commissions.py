"""/partner/commissions: the partner's commission statement for a period, with line explanations."""

import frappe
from frappe import _
from frappe.utils import add_months, getdate, nowdate

from prm_app import portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, area="money", title=_("Commissions"))
	context.active_route = "/partner/commissions"
	from_date, to_date = portal.period_filter(frappe.form_dict, default_from=add_months(nowdate(), -12))
	context.from_date, context.to_date = from_date, to_date
	context.rows = portal.commission_rows(partner.name, from_date, to_date)
	context.limit = portal.COMMISSION_LIMIT
	context.total = sum(r.total for r in context.rows)
	context.today = getdate(nowdate())
	return context
