"""Deal Registration: a partner claims a prospect; the vendor checks conflicts, approves and protects it.

Statuses move only through the guarded methods below (a partner: submit_registration, withdraw,
request_extension; a Partner Manager: start_review, approve, reject, return_for_information,
approve_extension, decline_extension, mark_lost). Saving the form never changes the status.
"""

import math
from datetime import date

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import add_days, escape_html, flt, getdate, now_datetime, nowdate

from prm_app import deal_keys as deals_keys
from prm_app import deal_products, deals
from prm_app.engine import deal_lines
from prm_app.engine.matching import MatchingError, host_of, validate_email
from prm_app.permissions import is_partner_user, own_partner, partners_seeing, require_manager
from prm_app.security import validate_http_url, validate_plain_name
from prm_app.utils import engine_error_message

PARTNER_EDITABLE = ("Draft", "Returned for information")
MAX_AMOUNT = 999_999_999_999  # a Currency column holds 12 digits before the decimal point
MAX_NAME_LENGTH = 140  # a Prospect's name
MAX_QTY = int(deal_lines.MAX_QTY)  # of one product


def deals_name_has_letters(name: str) -> bool:
	return any(c.isalnum() for c in name)


# fields only the status methods write
SYSTEM_FIELDS = (
	"status",
	"submitted_on",
	"approved_by",
	"approved_on",
	"expires_on",
	"rejection_reason",
	"extension_requested_until",
	"extension_reason",
	"first_invoice",
	"won_on",
	"lost_on",
	"has_hard_conflict",
	"conflicts_checked_on",
)


class DealRegistration(Document):
	def _validate_links(self):
		"""Frappe validates the links (v16: of a new document, before any controller hook) ahead of
		``validate``, on insert and save alike: a partner user's products are checked here, first, so a missing
		item gets the same refusal as one the partner may not register (no oracle of the vendor's item
		codes) on v15 and v16."""
		self.validate_partner_products()
		super()._validate_links()

	def validate(self):
		self.set_partner_of_user()
		self.set_partner_fields()
		self.validate_partner_user()
		self.validate_system_fields()
		self.validate_prospect()
		self.validate_deal()
		self.validate_products()

	# --- validation -----------------------------------------------------------------------------------

	def set_partner_of_user(self):
		self.partner = self.partner or own_partner(self.doctype)

	def set_partner_fields(self):
		"""Sales Partner and company always follow the partner (a user default must not win)."""
		if self.partner:
			values = frappe.db.get_value("Partner", self.partner, ["sales_partner", "company"], as_dict=True)
			if values:
				self.sales_partner = values.sales_partner
				self.company = values.company or self.company

	def validate_partner_user(self):
		if not is_partner_user():
			return
		before = self.get_doc_before_save()
		if before and before.partner != self.partner:
			# the owner is the stored one, whatever path the write came through (status methods too)
			frappe.throw(
				_("The partner of a deal registration cannot be changed."),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
		if self.flags.status_change:
			return
		if self.partner not in partners_seeing(frappe.session.user, self.doctype):
			frappe.throw(
				_("You can only register deals for your own partner."),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
		before = self.get_doc_before_save()
		if before and before.status not in PARTNER_EDITABLE:
			frappe.throw(
				_("Deal registration {0} is {1}: it can no longer be edited.").format(
					self.name, _(before.status)
				),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)

	def validate_system_fields(self):
		"""Status, dates and review fields change only through the status methods."""
		if self.flags.status_change:
			return
		before = self.get_doc_before_save()
		if not before:
			if self.status != "Draft" and not self.flags.in_import:
				self.status = "Draft"
			for field in SYSTEM_FIELDS[1:]:
				self.set(field, None if field not in ("has_hard_conflict",) else 0)
			return
		changed = [f for f in SYSTEM_FIELDS if str(before.get(f) or "") != str(self.get(f) or "")]
		if changed:
			frappe.throw(
				_("{0} can only be changed with the registration's actions (Submit, Approve …).").format(
					", ".join(_(self.meta.get_label(f)) for f in changed)
				),
				title=_("Not Allowed"),
			)

	def on_update(self):
		deals_keys.update(self)

	def on_trash(self):
		deals_keys.remove(self)

	def validate_prospect(self):
		# the prospect name becomes a Prospect / Customer name on approval: no markup
		self.prospect_name = validate_plain_name(self.prospect_name, self.meta.get_label("prospect_name"))
		self.validate_prospect_can_be_named()
		if self.website:
			self.website = validate_http_url(
				self.website, self.meta.get_label("website"), require_scheme=False
			)
			try:
				host_of(self.website)
			except MatchingError as e:
				frappe.throw(engine_error_message(e), title=_("Invalid Website"))
		if self.contact_email:
			try:
				self.contact_email = validate_email(self.contact_email)
			except MatchingError as e:
				frappe.throw(engine_error_message(e), title=_("Invalid Email"))

	def validate_prospect_can_be_named(self):
		"""Approval creates a Prospect named after the prospect: refuse now what could not name one."""
		label = _(self.meta.get_label("prospect_name"))
		name = self.prospect_name or ""
		if not name:
			frappe.throw(_("{0} is required.").format(label), title=_("Invalid Name"))
		if len(name) > MAX_NAME_LENGTH:
			frappe.throw(
				_("{0} is too long: at most {1} characters.").format(label, MAX_NAME_LENGTH),
				title=_("Invalid Name"),
			)
		if name.startswith(("New Prospect", "New Customer")) or name in ("Prospect", "Customer"):
			frappe.throw(_("{0} cannot be {1}.").format(label, frappe.bold(name)), title=_("Invalid Name"))
		if not deals_name_has_letters(name):
			frappe.throw(
				_("{0} must contain at least one letter or digit.").format(label), title=_("Invalid Name")
			)

	def validate_deal(self):
		if math.isnan(flt(self.expected_amount)) or flt(self.expected_amount) <= 0:  # NaN passes a comparison
			frappe.throw(_("The expected amount must be greater than zero."), title=_("Invalid Amount"))
		if flt(self.expected_amount) > MAX_AMOUNT:
			frappe.throw(
				_("The expected amount {0} is too large: at most {1}.").format(
					frappe.format(flt(self.expected_amount), "Float"), frappe.format(MAX_AMOUNT, "Float")
				),
				title=_("Invalid Amount"),
			)
		if (
			self.status in PARTNER_EDITABLE
			and self.expected_close_date
			and getdate(self.expected_close_date) < getdate(nowdate())
		):
			frappe.throw(
				_("The expected close date {0} is in the past.").format(
					frappe.format(self.expected_close_date, "Date")
				),
				title=_("Invalid Close Date"),
			)

	def validate_products(self):
		if not self.products:
			frappe.throw(_("Add at least one product (an item or an item group)."), title=_("No Products"))
		for row in self.products:
			if not row.item_code and not row.item_group:
				frappe.throw(
					_("Row {0}: choose an item or an item group.").format(row.idx), title=_("Invalid Product")
				)
			if row.item_code and not frappe.db.exists("Item", row.item_code):
				frappe.throw(
					_("Row {0}: item {1} does not exist.").format(row.idx, frappe.bold(row.item_code)),
					title=_("Unknown Item"),
				)
			if row.item_group and not frappe.db.exists("Item Group", row.item_group):
				frappe.throw(
					_("Row {0}: item group {1} does not exist.").format(row.idx, frappe.bold(row.item_group)),
					title=_("Unknown Item Group"),
				)
			if row.item_code and not row.item_group:
				row.item_group = frappe.db.get_value("Item", row.item_code, "item_group")
			qty = flt(row.qty)
			if not math.isfinite(qty) or qty <= 0 or qty > MAX_QTY:
				frappe.throw(
					_("Row {0}: the quantity must be greater than zero and at most {1}.").format(
						row.idx, frappe.format(MAX_QTY, "Int")
					),
					title=_("Invalid Quantity"),
				)

	def validate_partner_products(self):
		"""A partner user registers only what the portal offers (enabled sales items, the portal's limits on
		lines and quantities, a product's rows added up, the same refusal whether an item is missing or not
		registrable), whatever path its write came through (the portal, REST); the status actions
		(withdraw …) need no new check."""
		if not is_partner_user() or self.flags.status_change:
			return
		if len(self.products) > deal_lines.MAX_ENTRIES:  # refused unread
			problems = [_(deal_lines.TOO_MANY)]
		else:
			_rows, problems = deal_products.lines_from_form(
				{"item_code": row.item_code, "qty": row.qty} for row in self.products if row.item_code
			)
		problems += self.partner_group_problems()
		if problems:
			frappe.throw("<br>".join(problems), title=_("Invalid Product"))

	def partner_group_problems(self) -> list[str]:
		"""A partner picks items; an item's row takes the item's own group, and item-group rows (a group
		overlaps every product in it) are only the ones the vendor put on the stored registration."""
		stored = [] if self.is_new() else frappe.get_all(
			"Deal Registration Product",
			filters={"parent": self.name, "parenttype": self.doctype, "item_code": ("is", "not set")},
			fields=["item_group", "qty"],
			ignore_permissions=True,  # the rows of the registration being validated
		)  # fmt: skip
		kept = {(r.item_group, flt(r.qty)) for r in stored}
		problems = []
		for row in self.products:
			if row.item_code:
				row.item_group = None  # set from the item below
			elif row.item_group and (row.item_group, flt(row.qty)) not in kept:
				problems.append(
					_("{0} is not a product you can register.").format(escape_html(str(row.item_group)))
				)
		return problems

	# --- guards -----------------------------------------------------------------------------------------

	def require_status(self, *allowed):
		if self.status not in allowed:
			frappe.throw(
				_("Deal registration {0} is {1}; this needs it to be {2}.").format(
					self.name, _(self.status), _(" or ").join(_(s) for s in allowed)
				),
				title=_("Not Allowed in This Status"),
			)

	def require_own_partner(self):
		"""A partner's action works on the stored registration: what a request sent along with the
		document (``run_doc_method`` with a changed partner, opportunity or customer) is discarded."""
		if is_partner_user() and not self.is_new() and frappe.db.exists(self.doctype, self.name):
			self.reload()
		if not frappe.has_permission(self.doctype, "read", self):
			frappe.throw(_("Not permitted."), frappe.PermissionError)
		if is_partner_user() and self.partner not in partners_seeing(frappe.session.user, self.doctype):
			frappe.throw(_("This is another partner's registration."), frappe.PermissionError)

	def require_manager(self):
		require_manager(_("Only a Partner Manager can do this."))

	def set_status(self, status, **values):
		"""The one place a status is written."""
		self.status = status
		self.update(values)
		self.flags.status_change = True
		self.flags.ignore_permissions = True
		self.flags.ignore_links = bool(self.flags.conflict_rows_fresh)
		try:
			self.save()
		finally:
			self.flags.status_change = False
			self.flags.ignore_links = self.flags.conflict_rows_fresh = False

	# --- partner actions ----------------------------------------------------------------------------------

	@frappe.whitelist(methods=["POST"])
	def submit_registration(self):
		self.require_own_partner()
		self.require_status("Draft", "Returned for information")
		if self.is_new():
			self.insert()
		self.validate()  # bad input fails before anything is written
		self.set_conflicts()
		self.warn_duplicates()
		self.set_status("Submitted", submitted_on=self.submitted_on or now_datetime(), rejection_reason=None)
		if deals.auto_approves(self):
			self.approve_now(approved_by="Administrator")
		return self.status

	@frappe.whitelist(methods=["POST"])
	def withdraw(self):
		self.require_own_partner()
		self.require_status("Draft", "Submitted", "Under Review", "Returned for information")
		self.set_status("Withdrawn")
		return self.status

	@frappe.whitelist(methods=["POST"])
	def request_extension(self, until: str | date, reason: str | None = None):
		self.require_own_partner()
		self.require_status("Approved")
		if not until or getdate(until) <= getdate(self.expires_on):
			frappe.throw(
				_("The requested date must be after the current protection date {0}.").format(
					frappe.format(self.expires_on, "Date")
				),
				title=_("Invalid Extension"),
			)
		self.set_status("Approved", extension_requested_until=getdate(until), extension_reason=reason)
		return self.extension_requested_until

	# --- manager actions ----------------------------------------------------------------------------------

	@frappe.whitelist(methods=["POST"])
	def start_review(self):
		self.require_manager()
		self.require_status("Submitted")
		self.set_status("Under Review")
		return self.status

	@frappe.whitelist(methods=["POST"])
	def check_conflicts(self):
		self.require_manager()
		self.set_conflicts()
		self.set_status(self.status)
		return [row.as_dict() for row in self.conflicts]

	@frappe.whitelist(methods=["POST"])
	def approve(self):
		self.require_manager()
		self.require_status("Submitted", "Under Review")
		self.set_conflicts()
		if self.has_hard_conflict:
			self.throw_hard_conflicts()
		self.approve_now(approved_by=frappe.session.user)
		return self.status

	def approve_now(self, approved_by: str):
		self.validate_prospect()  # stored data may predate the checks: fail clearly, not in Prospect naming
		self.opportunity = deals.link_opportunity(self)
		self.set_status(
			"Approved",
			approved_by=approved_by,
			approved_on=now_datetime(),
			expires_on=add_days(getdate(nowdate()), deals.protection_days(self.partner)),
			rejection_reason=None,
		)

	def throw_hard_conflicts(self):
		rows = [row for row in self.conflicts if row.is_hard]
		frappe.throw(
			_(
				"Deal registration {0} cannot be approved: {1} of another partner already protects {2} for the same products."
			).format(
				self.name,
				", ".join(frappe.bold(row.matched_record) for row in rows),
				frappe.bold(self.prospect_name),
			),
			title=_("Hard Conflict"),
		)

	@frappe.whitelist(methods=["POST"])
	def reject(self, reason: str):
		self.require_manager()
		self.require_status("Submitted", "Under Review")
		self.require_reason(reason)
		self.set_status("Rejected", rejection_reason=reason)
		return self.status

	@frappe.whitelist(methods=["POST"])
	def return_for_information(self, reason: str):
		self.require_manager()
		self.require_status("Submitted", "Under Review")
		self.require_reason(reason)
		self.set_status("Returned for information", rejection_reason=reason)
		return self.status

	@frappe.whitelist(methods=["POST"])
	def approve_extension(self, until: str | date | None = None):
		"""Extend the protection to the requested date (or ``until``)."""
		self.require_manager()
		self.require_status("Approved", "Expired")
		new_date = (
			getdate(until or self.extension_requested_until)
			if (until or self.extension_requested_until)
			else None
		)
		if not new_date or new_date <= getdate(self.expires_on):
			frappe.throw(
				_("Give a date after the current protection date {0}.").format(
					frappe.format(self.expires_on, "Date")
				),
				title=_("Invalid Extension"),
			)
		if new_date < getdate(nowdate()):
			frappe.throw(_("The new protection date is in the past."), title=_("Invalid Extension"))
		if self.status == "Expired" and self.opportunity:
			frappe.db.set_value("Opportunity", self.opportunity, "prm_sales_partner", self.sales_partner)
		self.set_status(
			"Approved", expires_on=new_date, extension_requested_until=None, extension_reason=None
		)
		return self.expires_on

	@frappe.whitelist(methods=["POST"])
	def decline_extension(self):
		self.require_manager()
		self.require_status("Approved")
		self.set_status("Approved", extension_requested_until=None, extension_reason=None)

	@frappe.whitelist(methods=["POST"])
	def mark_lost(self, reason: str | None = None):
		self.require_manager()
		self.require_status("Approved", "Expired")
		self.set_status("Lost", rejection_reason=reason, lost_on=getdate(nowdate()))
		return self.status

	def require_reason(self, reason):
		if not (reason or "").strip():
			frappe.throw(_("Give a reason: the partner sees it."), title=_("Reason Required"))

	# --- conflicts ----------------------------------------------------------------------------------------

	def warn_duplicates(self):
		"""The same partner's pending registration of the same prospect: shown, not blocking."""
		rows = [
			row
			for row in self.conflicts
			if row.matched_doctype == self.doctype and row.matched_partner == self.partner
		]
		if rows:
			frappe.msgprint(
				_(
					"Your partner already registered this prospect in {0}, still pending: this may be a duplicate."
				).format(", ".join(frappe.bold(row.matched_record) for row in rows)),
				title=_("Possible Duplicate"),
				indicator="orange",
			)

	def validate_links_now(self):
		"""Frappe's link validation of the registration and its rows as they are (what ``save`` does)."""
		invalid = list(self.get_invalid_links()[0])
		for row in self.get_all_children():
			invalid.extend(row.get_invalid_links()[0])
		if invalid:
			frappe.throw(
				_("Could not find {0}").format(", ".join(each[2] for each in invalid)),
				frappe.LinkValidationError,
			)

	def set_conflicts(self):
		"""The conflict rows, found by locking reads (``deals.find_conflicts``): they may name a record a
		concurrent request committed after this transaction's snapshot, which link validation (a
		snapshot read) would not find. So the user's links are validated first, and the save that
		stores the rows (the next ``set_status``) skips link validation."""
		self.set("conflicts", [])
		self.validate_links_now()
		self.flags.conflict_rows_fresh = True
		result = deals.find_conflicts(self)
		self.set(
			"conflicts",
			[
				{
					"matched_doctype": m.doctype,
					"matched_record": m.name,
					"matched_name": m.company_name,
					"score": m.score,
					"is_hard": 1 if m.hard else 0,
					"matched_partner": m.partner or None,
					"reason": deals.reason_text(m),
				}
				for m in result.matches
			],
		)
		self.has_hard_conflict = 1 if result.hard else 0
		self.conflicts_checked_on = now_datetime()
