"""Per-day totals of commissions and invoices (prm_app.daily_totals), computed from the documents."""

from prm_app import daily_totals


def execute():
	daily_totals.ensure_table()
	daily_totals.rebuild()
