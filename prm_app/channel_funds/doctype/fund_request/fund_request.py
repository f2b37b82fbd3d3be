"""Fund Request: a partner's plan for a marketing activity and the money it asks from a fund.

Status moves only through named actions: the partner (or staff for it) submits a Draft or a request
Returned for information; a manager approves (in full or in part: the amount is reserved), rejects with
a reason or returns it for information (``prm_app.channel_funds.funds``); a claim's approval makes it
Claimed; the daily expiry job makes it Expired after the activity's end plus the fund's claim window."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import add_days, flt, getdate

from prm_app.engine import funds as rules

EDITABLE = (rules.DRAFT, rules.RETURNED)
DECISION_FIELDS = ("status", "approved_amount", "decided_by", "decision_note", "override_reason")


class FundRequest(Document):
	def validate(self):
		self.set_fund_values()
		self.validate_dates()
		self.validate_amounts()
		self.validate_changes()
		self.set_expiry()

	def on_update(self):
		from prm_app.channel_funds.funds import refresh_for

		refresh_for(self.fund, self.partner)

	def set_fund_values(self):
		fund = frappe.db.get_value("Fund", self.fund, ["company", "status"], as_dict=True)
		if not fund or fund.status != "Active":
			frappe.throw(
				_("Fund {0} is not open for requests.").format(self.fund), title=_("Fund Not Active")
			)
		self.company = fund.company
		if frappe.db.get_value("Partner", self.partner, "company") != self.company:
			frappe.throw(_("Partner {0} does not belong to the fund's company.").format(self.partner))
		self.fund_allocation = frappe.db.get_value(
			"Fund Allocation", {"fund": self.fund, "partner": self.partner}
		)
		if not self.fund_allocation:
			frappe.throw(
				_("Partner {0} has no allocation on fund {1}.").format(self.partner, self.fund),
				title=_("No Allocation"),
			)

	def validate_dates(self):
		if getdate(self.start_date) > getdate(self.end_date):
			frappe.throw(_("The activity cannot end before it starts."), title=_("Invalid Dates"))

	def validate_amounts(self):
		from prm_app.channel_funds.funds import check_amounts

		check_amounts(
			self, ("estimated_cost", "requested_amount", "partner_contribution", "expected_pipeline")
		)
		for field in ("estimated_cost", "requested_amount", "partner_contribution", "expected_pipeline"):
			if flt(self.get(field)) < 0:
				frappe.throw(_("{0} cannot be negative.").format(_(self.meta.get_label(field))))
		if flt(self.requested_amount) <= 0:
			frappe.throw(_("The requested amount must be above zero."))
		if flt(self.requested_amount) > flt(self.estimated_cost):
			frappe.throw(_("The requested amount cannot exceed the estimated cost."))
		if int(self.expected_leads or 0) < 0:
			frappe.throw(_("Expected leads cannot be negative."))

	def validate_changes(self):
		"""Plans change only while Draft or Returned for information; decisions only through the
		managers' actions; the partner and fund never change."""
		if self.is_new():
			self.status = rules.DRAFT
			for field in DECISION_FIELDS[1:]:
				self.set(field, None)
			return
		before = self.get_doc_before_save()
		if before is None:
			return
		for field in ("partner", "fund"):
			if before.get(field) != self.get(field):
				frappe.throw(
					_("The partner and fund of a request cannot be changed."), title=_("Not Permitted")
				)
		if self.flags.deciding or self.flags.submitting:
			return
		if any(before.get(f) != self.get(f) for f in DECISION_FIELDS):
			frappe.throw(_("Use the request's actions to change its status."), title=_("Not Permitted"))
		if before.status not in EDITABLE and self.has_value_changed_any():
			frappe.throw(
				_("A fund request can be edited only while Draft or Returned for information."),
				title=_("Not Permitted"),
			)

	def has_value_changed_any(self) -> bool:
		before = self.get_doc_before_save()
		skip = {"modified", "modified_by", "expires_on", "fund_allocation", "company"}
		return any(
			before.get(df.fieldname) != self.get(df.fieldname)
			for df in self.meta.fields
			if df.fieldname not in skip and df.fieldtype not in ("Section Break", "Column Break")
		)

	def set_expiry(self):
		window = int(frappe.db.get_value("Fund", self.fund, "claim_window_days") or 0)
		self.expires_on = add_days(self.end_date, window)

	@frappe.whitelist()
	def submit_request(self):
		"""Staff (desk) send a Draft or returned request for approval for the partner."""
		self.check_permission("write")
		return send_for_approval(self.name)


def send_for_approval(name: str) -> str:
	"""Draft or Returned for information -> Submitted, on the stored record (not what a request carries).
	Callers check who may do it: the desk method (write permission), the portal (the partner's own)."""
	stored = frappe.get_doc("Fund Request", name)
	if stored.status not in EDITABLE:
		frappe.throw(_("Only a draft or returned request can be submitted."), title=_("Wrong Status"))
	stored.status = rules.SUBMITTED
	stored.flags.submitting = True
	stored.flags.ignore_permissions = True
	stored.save()
	return stored.status
