"""Fund Claim: what a partner spent on an approved request and asks back, with proof of performance.

A partner (or staff for it) makes the claim and sends it for approval; a manager approves it by
submitting, which creates the Purchase Invoice to the partner's Supplier (``prm_app.ledger``), or
rejects it with a reason. Cancelling the claim cancels its invoice, and cancelling the invoice cancels
the claim: the request's reserve and the allocation's balance are restored either way."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, nowdate

from prm_app.channel_funds import claims
from prm_app.engine import funds as rules


class FundClaim(Document):
	def validate(self):
		self.set_request_values()
		self.validate_single_claim()
		self.validate_amounts()
		claims.validate_lead_lists(self)
		self.set_status()

	def before_submit(self):
		claims.require_approver()
		claims.require_proof(self)
		self.set_request_values()
		self.validate_amounts()

	def on_submit(self):
		claims.on_claim_approved(self)

	def on_cancel(self):
		claims.on_claim_cancelled(self)

	def set_request_values(self):
		request = frappe.db.get_value(
			"Fund Request",
			self.fund_request,
			["partner", "fund", "company", "status", "approved_amount", "expires_on"],
			as_dict=True,
		)
		if not request:
			frappe.throw(_("Fund request {0} not found.").format(self.fund_request))
		if request.status not in rules.RESERVING:
			frappe.throw(
				_("Fund request {0} is {1}: only an approved request can be claimed.").format(
					self.fund_request, _(request.status)
				),
				title=_("Request Not Approved"),
			)
		if self.docstatus == 0 and request.expires_on and getdate(nowdate()) > getdate(request.expires_on):
			frappe.throw(
				_("The claim window of request {0} ended on {1}.").format(
					self.fund_request, frappe.format(request.expires_on, "Date")
				),
				title=_("Request Expired"),
			)
		self.partner, self.fund, self.company = request.partner, request.fund, request.company
		self.supplier = frappe.db.get_value("Partner", self.partner, "supplier")
		self.approved_on_request = flt(request.approved_amount)

	def validate_single_claim(self):
		other = frappe.db.get_value(
			"Fund Claim",
			{"fund_request": self.fund_request, "docstatus": ("<", 2), "name": ("!=", self.name or "")},
		)
		if other:
			frappe.throw(
				_("Request {0} already has claim {1}.").format(self.fund_request, other),
				title=_("Already Claimed"),
			)

	def validate_amounts(self):
		from prm_app.channel_funds.funds import check_amounts

		check_amounts(self, ("actual_cost", "claimed_amount"))
		coop_share = frappe.db.get_value("Fund", self.fund, "coop_share")
		precision = self.precision("claimed_amount")
		limit = claims.engine_limit(self.approved_on_request, self.actual_cost, coop_share, precision)
		self.claim_limit = flt(limit, precision)
		claims.check_claim(self, coop_share, precision)

	def set_status(self):
		if self.docstatus == 0 and self.status not in ("Draft", "Pending approval", "Rejected"):
			self.status = "Draft"
		if self.is_new():
			self.status = "Draft"
			self.rejection_reason = None


def on_doctype_update():
	"""A supplier's other partners (prm_app.reconciliation.suppliers_of_others, on every dashboard view)."""
	frappe.db.add_index("Fund Claim", ["supplier", "partner", "docstatus"], "prm_supplier_partner")
	frappe.db.add_index("Fund Claim", ["partner", "supplier"], "prm_partner_supplier")
