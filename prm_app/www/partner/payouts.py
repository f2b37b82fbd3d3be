"""/partner/payouts: the partner's payouts, each with its Partner Statement PDF."""

from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, area="money", title=_("Payouts"))
	context.active_route = "/partner/payouts"
	context.payouts = portal.payout_rows(partner.name)
	context.payable_now = portal.payable_now(partner.name)
	return context
