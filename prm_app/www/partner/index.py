"""/partner: the partner's dashboard."""

import frappe
from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, title=_("Partner Dashboard"))
	context.active_route = "/partner"
	context.data = portal.dashboard(partner)
	return context
