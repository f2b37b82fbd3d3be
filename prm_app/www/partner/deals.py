"""/partner/deals: the partner's deal registrations and the registration form."""

from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, area="deals", title=_("Deal Registrations"))
	context.active_route = "/partner/deals"
	context.deals = portal.deal_rows(partner.name)
	context.countries = portal.country_choices()
	return context
