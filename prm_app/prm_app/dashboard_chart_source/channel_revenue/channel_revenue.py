"""Dashboard Chart Source "Channel Revenue" (Channel Overview dashboard): see ``prm_app.analytics.channel_revenue``."""

import frappe
from frappe.utils.dashboard import cache_source

from prm_app import analytics


@frappe.whitelist()
@cache_source
def get(
	chart_name=None,
	chart=None,
	no_cache=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
	heatmap_year=None,
):
	_chart, filters = analytics.chart_filters(chart_name, chart, filters)
	return analytics.channel_revenue(filters.company, filters.get("from_date"), filters.get("to_date"))
