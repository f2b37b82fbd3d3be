"""/partner/profile: company details, bank-detail change requests, colleagues (invited by the Admin)."""

from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	partner = portal.page_context(context, title=_("Profile"))
	context.active_route = "/partner/profile"
	context.colleagues = portal.colleagues(partner.name) if partner.can["admin"] else []
	return context
