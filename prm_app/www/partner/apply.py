"""/partner/apply: the public partner application form (Guest allowed)."""

from frappe import _

from prm_app import portal

no_cache = 1


def get_context(context):
	context.no_cache = 1
	context.title = _("Become a Partner")
	context.countries = portal.country_choices()
	return context
