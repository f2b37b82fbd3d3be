"""doc_events along the sales chain of a registered deal: thin, the work is in prm_app.deals.

Opportunity -> Quotation -> Sales Order -> Sales Invoice keep ``deal_registration`` (same fieldname, mapped
by ERPNext); a protected registration brings its Sales Partner to documents that have none. An invoice
naming another partner than its registration is refused; the first submitted invoice wins the deal.
"""

from prm_app import deals


def quotation_validate(doc, method=None):
	deals.fill_partner(doc, "referral_sales_partner")


def sales_order_validate(doc, method=None):
	deals.fill_partner(doc, "sales_partner")


def sales_invoice_validate(doc, method=None):
	deals.fill_partner(doc, "sales_partner")
	deals.validate_invoice_partner(doc)


def sales_invoice_on_submit(doc, method=None):
	deals.mark_won(doc)  # the partner check ran in validate, which Frappe runs on submit too


def sales_invoice_on_cancel(doc, method=None):
	deals.unmark_won(doc)


def check_channel_conflict(doc, method=None):
	"""before_submit of Quotation, Sales Order and Sales Invoice: another partner's protection."""
	deals.check_channel_conflict(doc)
