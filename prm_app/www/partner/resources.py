"""/partner/resources: the partner library, filtered by the partner's tier rank."""

from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	portal.page_context(context, title=_("Resources"))
	context.active_route = "/partner/resources"
	context.resources = portal.resource_rows()
	return context
