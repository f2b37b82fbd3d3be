"""Sales Invoice doc_events: thin, idempotent; the work is in prm_app.commissions."""

import frappe
from frappe import _
from frappe.utils import flt

from prm_app import commissions
from prm_app.prm_app.doctype.partner.partner import get_partner_by_sales_partner

RETRY = "Queue for retry"


def validate(doc, method=None):
	"""Keep the Partner link on the invoice (list filters, dashboards, portal) in step with its Sales Partner."""
	doc.prm_partner = get_partner_by_sales_partner(doc.get("sales_partner"))


def on_submit(doc, method=None):
	if not commissions.is_commissionable(doc):
		return
	if frappe.db.get_single_value("PRM Settings", "on_posting_failure") == RETRY:
		_accrue_or_queue(doc)
	else:
		_accrue(doc)


def _accrue(doc):
	commission = commissions.accrue_for_invoice(doc)
	if commission:
		commissions.sync_invoice_commission_fields(doc, commission)
	elif flt(doc.total_commission) and commissions.manages_commission(doc):
		# ERPNext computed a commission from the Sales Partner's own rate, but PRM's plan decides, and it
		# accrued nothing now (a plan paying on payment, or nothing eligible): the invoice says so
		commissions.sync_invoice_earned_so_far(doc, none_is_zero=True)
	else:
		commissions.store_plan(doc)


def _accrue_or_queue(doc):
	"""Posting failures don't block the invoice: roll back to before the posting, log, retry later."""
	savepoint = "prm_commission"
	frappe.db.savepoint(savepoint)
	try:
		_accrue(doc)
	except Exception:
		frappe.db.rollback(save_point=savepoint)
		frappe.clear_last_message()
		frappe.log_error(
			title=_("Partner commission not posted for {0}").format(doc.name),
			reference_doctype="Sales Invoice",
			reference_name=doc.name,
		)
		frappe.enqueue(
			"prm_app.events.sales_invoice.retry_commission",
			queue="short",
			invoice=doc.name,
			job_id=f"prm-commission-{doc.name}",
			deduplicate=True,
			enqueue_after_commit=True,
		)
		frappe.msgprint(
			_("Partner commission could not be posted now; it was logged and will be retried."),
			indicator="orange",
			alert=True,
		)
	else:
		frappe.db.release_savepoint(savepoint)


def retry_commission(invoice: str):
	"""Background retry (and the daily sweep): idempotent, so running it again posts nothing new."""
	doc = frappe.get_doc("Sales Invoice", invoice)
	if doc.docstatus != 1:
		return
	_accrue(doc)


def on_cancel(doc, method=None):
	if not doc.get("sales_partner"):
		return
	commissions.reverse_for_invoice(doc)
	linked = doc.get("prm_partner_commission")
	if linked and frappe.db.get_value("Partner Commission", linked, "docstatus") == 2:
		# a cancelled invoice links no cancelled commission, so its Amend (which copies every field)
		# starts clean; the commission still names the invoice
		doc.db_set("prm_partner_commission", None, update_modified=False)
	# commissions kept (paid, or with later ones on top) stay linked, and so do the payouts that paid
	# them: reversals were posted for them, ERPNext's cancel of the invoice goes through
	doc.ignore_linked_doctypes = (
		*tuple(doc.get("ignore_linked_doctypes") or ()),
		"Partner Commission",
		"Partner Payout",
	)
