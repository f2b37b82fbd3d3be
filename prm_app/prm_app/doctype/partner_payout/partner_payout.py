"""Partner Payout: the partner's payable commissions (clawbacks netted) paid through one Payment Entry
to its supplier, allocated against the commission Journal Entries."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate

from prm_app import payouts
from prm_app.channel_funds import claims


class PartnerPayout(Document):
	def validate(self):
		self.validate_partner()
		self.validate_period()
		if self.docstatus == 0:
			self.set_commissions()
		self.set_totals()
		self.set_payment_account()
		self.set_status()

	def before_submit(self):
		self.set_commissions()  # what is payable now, not when the draft was saved
		self.set_totals()
		self.validate_amount()

	def on_submit(self):
		self.make_payment_entry()
		self.link_commissions(self.name)
		claims.link_payout(self, self.name)

	def before_cancel(self):
		if self.payment_entry and frappe.db.get_value("Payment Entry", self.payment_entry, "docstatus") == 1:
			payouts.refuse_reopening_a_left_supplier(frappe.get_doc("Payment Entry", self.payment_entry))

	def on_cancel(self):
		claims.link_payout(self, None)  # before ERPNext's link check: the claims stay, open again
		self.cancel_payment_entry()
		self.link_commissions(None)
		self.set_status(update=True)

	@frappe.whitelist()
	def get_commissions(self):
		"""The form's Get Commissions: what this payout would pay, shown before it is saved (nothing is
		written; saving and submitting take what is payable then)."""
		self.validate_partner()
		self.validate_period()
		self.set_commissions()
		self.set_totals()

	def validate_partner(self):
		partner = frappe.db.get_value(
			"Partner", self.partner, ["status", "supplier", "company"], as_dict=True
		)
		if partner.status != "Active":
			frappe.throw(
				_("Partner {0} is {1}: no payout can be made.").format(
					frappe.bold(self.partner), _(partner.status)
				),
				title=_("Partner Not Active"),
			)
		if partner.company != self.company:
			frappe.throw(
				_("Partner {0} belongs to company {1}; this payout is for company {2}.").format(
					frappe.bold(self.partner), partner.company, self.company
				),
				title=_("Wrong Company"),
			)
		if not partner.supplier:
			frappe.throw(_("Partner {0} has no Supplier to pay.").format(frappe.bold(self.partner)))
		self.supplier = partner.supplier
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")

	def validate_period(self):
		if getdate(self.from_date) > getdate(self.to_date):
			frappe.throw(_("Period From cannot be after Period To."), title=_("Invalid Period"))
		overlap = frappe.db.get_value(
			"Partner Payout",
			{
				"partner": self.partner,
				"company": self.company,
				"docstatus": 1,
				"name": ("!=", self.name or ""),
				"from_date": ("<=", self.to_date),
				"to_date": (">=", self.from_date),
			},
		)
		if overlap:
			frappe.throw(
				_("Payout {0} of partner {1} already covers part of this period.").format(
					frappe.bold(overlap), self.partner
				),
				title=_("Period Already Paid"),
			)

	def set_commissions(self):
		self.commissions = []
		for row in payouts.payout_candidates(
			self.partner,
			self.company,
			self.supplier,
			self.to_date,
			self.posting_date,
			exclude_payout=self.name,
		):
			self.append("commissions", row)
		self.fund_claims = []
		for row in claims.payout_claim_rows(
			self.partner, self.company, self.supplier, self.to_date, exclude_payout=self.name
		):
			self.append("fund_claims", row)

	def set_totals(self):
		precision = self.precision("net_amount")
		self.total_commission = flt(
			sum(flt(r.amount) for r in self.commissions if flt(r.amount) > 0), precision
		)
		self.total_clawback = flt(
			sum(flt(r.amount) for r in self.commissions if flt(r.amount) < 0), precision
		)
		self.total_fund_claims = flt(sum(flt(r.amount) for r in self.fund_claims), precision)
		self.net_amount = flt(self.total_commission + self.total_clawback + self.total_fund_claims, precision)

	def set_payment_account(self):
		if not self.payment_account:
			self.payment_account = frappe.get_cached_value(
				"Company", self.company, "prm_payout_account"
			) or frappe.get_cached_value("Company", self.company, "default_bank_account")
		if not self.payment_account:
			frappe.throw(
				_(
					"Set a Pay From Account, or a Payout Account (or default bank account) on Company {0}."
				).format(frappe.bold(self.company)),
				title=_("No Bank Account"),
			)

	def validate_amount(self):
		if not self.commissions and not self.fund_claims:
			frappe.throw(_("Nothing is payable to partner {0} for this period.").format(self.partner))
		if self.net_amount <= 0:
			frappe.throw(
				_(
					"Clawbacks of {0} exceed the commission of {1}: the net is {2}, so no payout is made and the balance carries forward."
				).format(
					frappe.format(-self.total_clawback, "Currency"),
					frappe.format(self.total_commission, "Currency"),
					frappe.format(self.net_amount, "Currency"),
				),
				title=_("Negative Payout"),
			)
		minimum = flt(payouts.settings().minimum_payout)
		if self.net_amount < minimum:
			frappe.throw(
				_("The net payout of {0} is below the minimum payout of {1}; it carries forward.").format(
					frappe.format(self.net_amount, "Currency"), frappe.format(minimum, "Currency")
				),
				title=_("Below Minimum Payout"),
			)

	def set_status(self, update=False):
		if self.docstatus == 0:
			status = "Draft"
		elif self.docstatus == 2:
			status = "Cancelled"
		elif (
			self.payment_entry and frappe.db.get_value("Payment Entry", self.payment_entry, "docstatus") == 1
		):
			status = "Paid"
		else:
			status = "Submitted"
		if update:
			paid_now = status == "Paid" and self.status != "Paid"
			self.db_set("status", status, update_modified=False)
			if paid_now:
				# notifications and doc_events on "on_paid" (the partner hears of its payment), on a copy:
				# a notification reloads the document it runs on
				frappe.get_doc(self.doctype, self.name).run_method("on_paid")
		else:
			self.status = status

	def make_payment_entry(self):
		pe = payouts.make_payment_entry(self)
		self.db_set("payment_entry", pe.name)
		self.refresh_payment()

	def refresh_payment(self):
		"""Status and paid amount follow the Payment Entry."""
		values = frappe.db.get_value(
			"Payment Entry", self.payment_entry, ["docstatus", "paid_amount", "received_amount"], as_dict=True
		)
		taxes = frappe.qb.DocType("Advance Taxes and Charges")
		tax = flt(
			frappe.qb.from_(taxes)
			.select(frappe.query_builder.functions.Sum(taxes.tax_amount))
			.where((taxes.parent == self.payment_entry) & (taxes.parenttype == "Payment Entry"))
			.run()[0][0]
		)
		self.db_set(
			{
				"tax_withheld": tax,
				"paid_amount": flt(values.paid_amount) - tax if values and values.docstatus == 1 else 0,
			},
			update_modified=False,
		)
		self.set_status(update=True)

	def cancel_payment_entry(self):
		if not self.payment_entry:
			return
		pe = frappe.get_doc("Payment Entry", self.payment_entry)
		pe.flags.ignore_permissions = True
		if pe.docstatus == 1:
			pe.cancel()
		elif pe.docstatus == 0:
			self.db_set("payment_entry", None)
			frappe.delete_doc("Payment Entry", pe.name, ignore_permissions=True, force=True)

	def link_commissions(self, payout):
		names = [r.partner_commission for r in self.commissions]
		if names:
			frappe.db.set_value(
				"Partner Commission", {"name": ("in", names)}, "partner_payout", payout, update_modified=False
			)
		payouts.refresh_for_journals([r.journal_entry for r in self.commissions])
