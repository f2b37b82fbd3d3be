"""Fund: a company's market development budget for a period, how it is allocated to partners, and the
log of manual adjustments (appended by ``adjust_allocation`` with reason and user, never edited)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate

MAX_CLAIM_WINDOW_DAYS = 3660  # ten years: a request's claim-by date stays a date


class Fund(Document):
	def validate(self):
		self.set_claim_window()
		self.validate_period()
		self.validate_company()
		self.validate_amounts()
		self.validate_accounts()
		self.keep_adjustment_log()

	def set_claim_window(self):
		"""A new fund without its own claim window takes PRM Settings' default."""
		if self.is_new() and self.get("claim_window_days") in (None, ""):
			self.claim_window_days = frappe.db.get_single_value("PRM Settings", "fund_claim_window_days") or 0

	def validate_period(self):
		if getdate(self.from_date) > getdate(self.to_date):
			frappe.throw(_("Period From cannot be after Period To."), title=_("Invalid Period"))
		if (
			self.revenue_from_date
			and self.revenue_to_date
			and getdate(self.revenue_from_date) > getdate(self.revenue_to_date)
		):
			frappe.throw(_("Revenue From cannot be after Revenue To."), title=_("Invalid Period"))

	def validate_company(self):
		"""A fund's allocations, requests and claims are its company's: the company never changes under them."""
		if self.is_new() or not self.has_value_changed("company"):
			return
		if frappe.db.exists("Fund Allocation", {"fund": self.name}):
			frappe.throw(
				_("The company of a fund with allocations cannot be changed."), title=_("Not Permitted")
			)

	def validate_amounts(self):
		from prm_app.channel_funds.funds import check_amount_size, check_amounts

		check_amounts(self, ("total_amount", "amount_per_partner", "cap_per_partner"))
		for row in self.tier_amounts:
			check_amount_size("Amount", row.amount)
		if flt(self.total_amount) < 0:
			frappe.throw(_("The total amount of a fund cannot be negative."))
		if not 0 <= flt(self.coop_share) <= 100:
			frappe.throw(_("The co-op share must be between 0 and 100 percent."))
		if int(self.claim_window_days or 0) < 0:
			frappe.throw(_("The claim window cannot be negative."))
		if int(self.claim_window_days or 0) > MAX_CLAIM_WINDOW_DAYS:
			frappe.throw(_("The claim window cannot be longer than {0} days.").format(MAX_CLAIM_WINDOW_DAYS))

	def validate_accounts(self):
		for field, root_type in (("expense_account", "Expense"), ("cost_center", None)):
			doctype = "Account" if root_type else "Cost Center"
			company = frappe.get_cached_value(doctype, self.get(field), "company")
			if company != self.company:
				frappe.throw(
					_("{0} {1} does not belong to company {2}.").format(
						_(doctype), self.get(field), self.company
					)
				)
		if frappe.get_cached_value("Account", self.expense_account, "root_type") != "Expense":
			frappe.throw(_("The fund's expense account must be an Expense account."))

	def keep_adjustment_log(self):
		"""Adjustments are a log: rows already stored never change or disappear, new rows come only
		through Adjust Allocation."""
		stored = (
			{
				r.name: (r.partner, flt(r.amount), r.reason)
				for r in frappe.get_all(
					"Fund Adjustment",
					filters={"parent": self.name, "parenttype": "Fund"},
					fields=["name", "partner", "amount", "reason"],
				)
			}
			if not self.is_new()
			else {}
		)
		current = {r.name: (r.partner, flt(r.amount), r.reason) for r in self.adjustments if r.name in stored}
		new_rows = [r for r in self.adjustments if r.name not in stored]
		if current != stored or (new_rows and not self.flags.adjusting):
			frappe.throw(
				_("Adjustments are logged with Adjust Allocation and cannot be edited."),
				title=_("Not Permitted"),
			)
