"""/partner/deal?name=…: one of the partner's registrations, its conflict check outcome, withdraw."""

import frappe
from frappe import _

from prm_app import portal
from prm_app.channel_funds import special_pricing_portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, area="deals", title=_("Deal Registration"))
	context.active_route = "/partner/deals"
	context.deal = portal.deal_detail(partner.name, frappe.form_dict.get("name"))
	context.title = _("Deal Registration {0}").format(context.deal.name)
	# edit and resubmit, extension, attachments (prm_app/templates/includes/deal_follow_up.html)
	if context.deal.can_edit:
		context.countries = portal.country_choices()
	# special pricing (issue 15): the partner's requests on this deal, and the form on an approved deal
	context.special_prices = special_pricing_portal.requests_of_deal(partner.name, context.deal.name)
	context.can_request_special_price = special_pricing_portal.can_request(context.deal.status)
	context.special_price_items = [p for p in context.deal.products if p.get("item_code")]
	return context
