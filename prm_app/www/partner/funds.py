"""/partner/funds: market development funds — the partner's balance, requests and claims, and the forms
to request funds and claim them with proof (Finance and Admin partner roles)."""

from frappe import _

from prm_app import portal
from prm_app.channel_funds import portal_api

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, area=portal_api.AREA, title=_("Marketing Funds"))
	context.active_route = "/partner/funds"
	context.update(portal_api.page_data(partner.name))
	return context
