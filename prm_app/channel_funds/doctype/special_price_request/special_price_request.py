"""Special Price Request: a partner (portal, on an approved deal registration) or staff (on an Opportunity
or Quotation) asks for a unit price or discount for a customer; approval makes ERPNext Pricing Rules.

The status is the state of the "Special Price Approval" Workflow (made on install, editable): Draft ->
Pending Approval -> Approved / Rejected; Withdrawn (by the partner or staff) and Expired (daily job).
Whatever the Workflow says, the server refuses an approval by a user whose roles do not cover the
request's depth (prm_app.engine.pricing.may_approve: a Partner Manager up to the PRM Settings limit, a
Sales Manager above), and nothing but the status changes once a request has left Draft — except the
granted prices, customer and validity, which staff may set while it is Pending Approval.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, now_datetime, nowdate

from prm_app.channel_funds import special_pricing
from prm_app.engine.errors import EngineError
from prm_app.engine.pricing import (
	approval_level,
	margin_given_away,
	may_approve,
	price_line,
	request_depth,
)
from prm_app.permissions import is_partner_user, own_partner
from prm_app.security import validate_owner_unchanged
from prm_app.utils import engine_error_message, rounding_method

# fields only the server and the review write (never a partner user)
REVIEW_FIELDS = ("approved_by", "approved_on", "rejection_reason", "closed_on")
# what staff may still change while a request is Pending Approval
PENDING_EDITABLE = ("customer", "valid_from", "valid_upto", "rejection_reason")
DEAL_USABLE = ("Approved", "Won")


class SpecialPriceRequest(Document):
	def validate(self):
		self.set_partner_of_user()
		self.set_from_sources()
		self.set_partner_fields()
		self.validate_partner_user()
		self.validate_deal()
		self.validate_locked()
		self.validate_dates()
		self.price_items()
		self.validate_transition()

	def on_update(self):
		special_pricing.sync_pricing_rules(self)

	def on_trash(self):
		"""A request that made Pricing Rules stays (the invoices priced by them point at it): withdraw it."""
		if any(row.pricing_rule for row in self.items):
			frappe.throw(
				_("Special price request {0} made Pricing Rules: withdraw it instead of deleting it.").format(
					self.name
				),
				title=_("Not Allowed"),
			)

	# --- who and what ------------------------------------------------------------------------------------

	def set_partner_of_user(self):
		self.partner = self.partner or own_partner(self.doctype)

	def set_from_sources(self):
		"""Customer, partner and deal from the deal registration, opportunity or quotation given."""
		# (doctype, field, the party-type field and the value it has for a customer)
		for doctype, field, party_type_field in (
			("Quotation", "quotation", "quotation_to"),
			("Opportunity", "opportunity", "opportunity_from"),
		):
			if not self.get(field):
				continue
			source = frappe.db.get_value(
				doctype,
				self.get(field),
				[party_type_field, "party_name", "deal_registration", "company"],
				as_dict=True,
			)
			if source:
				self.company = source.company
				self.deal_registration = self.deal_registration or source.deal_registration
				if source.get(party_type_field) == "Customer" and not self.customer:
					self.customer = source.party_name
		if self.deal_registration:
			deal = frappe.db.get_value(
				"Deal Registration", self.deal_registration, ["partner", "customer"], as_dict=True
			)
			if deal:
				self.partner = self.partner or deal.partner
				self.customer = self.customer or deal.customer
		if is_partner_user():
			# a partner user never names the customer: the deal registration's while a Draft, then the
			# stored one (the vendor may have set it for a deal not yet converted to a customer)
			before = self.get_doc_before_save()
			if before and before.status != "Draft":
				self.customer = before.customer
			else:
				self.customer = (
					frappe.db.get_value("Deal Registration", self.deal_registration, "customer")
					if self.deal_registration
					else None
				)

	def set_partner_fields(self):
		if self.partner:
			values = frappe.db.get_value("Partner", self.partner, ["sales_partner", "company"], as_dict=True)
			if values:
				self.sales_partner = values.sales_partner
				self.company = values.company or self.company
		if not self.company:
			self.company = frappe.defaults.get_user_default("Company") or frappe.db.get_single_value(
				"Global Defaults", "default_company"
			)
		self.currency = frappe.get_cached_value("Company", self.company, "default_currency")

	def validate_partner_user(self):
		"""A partner user: its own partner, a deal registration, and none of the review's fields."""
		if not is_partner_user():
			return
		before = self.get_doc_before_save()
		validate_owner_unchanged(self, before, frappe.session.user)
		if not self.deal_registration:
			frappe.throw(_("Choose the deal registration the special price is for."), title=_("Missing Deal"))
		stored_rows = {row.name: row for row in (before.items if before else [])}
		changed = {
			_(self.meta.get_label(f))
			for f in REVIEW_FIELDS
			if str(self.get(f) or "") != str((before.get(f) if before else None) or "")
		}
		for row in self.items:
			old = stored_rows.get(row.name)
			if flt(row.granted_price) != flt(old.granted_price if old else 0):
				changed.add(_(row.meta.get_label("granted_price")))
		if changed:
			frappe.throw(
				_("Only the vendor sets {0}.").format(", ".join(sorted(changed))),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)

	def validate_deal(self):
		if not self.deal_registration:
			return
		deal = frappe.db.get_value(
			"Deal Registration", self.deal_registration, ["partner", "status"], as_dict=True
		)
		if not deal or (self.partner and deal.partner != self.partner):
			frappe.throw(
				_("Deal registration {0} is not one of partner {1}'s.").format(
					self.deal_registration, self.partner
				),
				title=_("Wrong Deal"),
			)
		before = self.get_doc_before_save()
		if (not before or before.status == "Draft") and self.status in ("Draft", "Pending Approval"):
			if deal.status not in DEAL_USABLE:
				frappe.throw(
					_(
						"A special price can be requested on an approved deal registration only ({0} is {1})."
					).format(self.deal_registration, _(deal.status)),
					title=_("Deal Not Approved"),
				)

	def validate_locked(self):
		"""Once out of Draft nothing but the status changes (staff: granted prices, customer, validity
		and the reason while Pending Approval)."""
		before = self.get_doc_before_save()
		if not before or before.status == "Draft":
			return
		editable = set(PENDING_EDITABLE) if before.status == "Pending Approval" else {"rejection_reason"}
		ignored = {"status", "modified", "modified_by", *REVIEW_FIELDS, *editable}
		changed = [
			df.fieldname
			for df in self.meta.fields
			if df.fieldtype not in ("Section Break", "Column Break", "Table")
			and not df.read_only
			and df.fieldname not in ignored
			and str(self.get(df.fieldname) or "") != str(before.get(df.fieldname) or "")
		]
		old_rows = {row.name: row for row in before.items}
		rows_changed = len(old_rows) != len(self.items)
		for row in self.items:
			old = old_rows.get(row.name)
			if not old:
				rows_changed = True
				continue
			if row.item_code != old.item_code or any(
				flt(row.get(field)) != flt(old.get(field))
				for field in ("qty", "min_qty", "requested_price", "requested_discount")
			):
				rows_changed = True
			if before.status != "Pending Approval" and flt(row.granted_price) != flt(old.granted_price):
				rows_changed = True
		if changed or rows_changed:
			frappe.throw(
				_("Special price request {0} is {1}: only its status can change.").format(
					self.name, _(before.status)
				),
				title=_("Not Allowed"),
			)

	def validate_dates(self):
		if not self.valid_from:
			self.valid_from = nowdate()
		if self.valid_upto and getdate(self.valid_upto) < getdate(self.valid_from):
			frappe.throw(_("Valid Upto cannot be before Valid From."), title=_("Invalid Dates"))

	# --- prices -------------------------------------------------------------------------------------------

	def price_items(self):
		precision = self.precision("list_total") or 2
		method = rounding_method()
		requested, granted = [], []
		totals = {"list_total": 0.0, "requested_total": 0.0, "granted_total": 0.0, "margin_given_away": 0.0}
		for row in self.items:
			row.currency = self.currency
			list_price = special_pricing.list_price_of(row.item_code, self.currency)
			if list_price:
				row.list_price = list_price
			if not flt(row.list_price):
				frappe.throw(
					_("Row {0}: item {1} has no list price in the selling price list.").format(
						row.idx, row.item_code
					),
					title=_("No List Price"),
				)
			try:
				asked = price_line(row.list_price, *self.requested_of(row), precision, method)
				given = (
					price_line(row.list_price, row.granted_price, None, precision, method)
					if flt(row.granted_price) > 0
					else None
				)
			except EngineError as e:
				frappe.throw(
					_("Row {0}: {1}").format(row.idx, engine_error_message(e)), title=_("Invalid Price")
				)
			row.requested_price = float(asked.price)
			row.requested_discount = float(asked.discount)
			requested.append(asked.discount)
			qty = flt(row.qty)
			totals["list_total"] += flt(row.list_price) * qty
			totals["requested_total"] += float(asked.price) * qty
			if given:
				row.granted_discount = float(given.discount)
				row.margin_given_away = flt(
					float(margin_given_away(given.list_price, given.price, qty)), precision
				)
				granted.append(given.discount)
				totals["granted_total"] += float(given.price) * qty
				totals["margin_given_away"] += row.margin_given_away
			else:
				row.granted_discount = None
				row.margin_given_away = 0
		for field, value in totals.items():
			self.set(field, flt(value, precision))
		self.requested_depth = float(request_depth(requested))
		self.granted_depth = float(request_depth(granted)) if granted else None
		self.approval_level = approval_level(self.effective_depth(), special_pricing.partner_manager_limit())

	def requested_of(self, row) -> tuple:
		"""(price, discount) the line asks for: the price when one is given, unless only the discount
		changed since the line was stored (then the discount, and the price follows it)."""
		price = row.requested_price if flt(row.requested_price) > 0 else None
		before = self.get_doc_before_save()
		old = next((r for r in before.items if r.name == row.name), None) if before else None
		if (
			price is not None
			and old is not None
			and flt(old.requested_price) == flt(row.requested_price)
			and flt(old.requested_discount) != flt(row.requested_discount)
		):
			price = None
		return price, row.requested_discount

	def effective_depth(self):
		"""The depth approval is judged on: the deepest of what is requested and what is to be granted."""
		return max(flt(self.requested_depth), flt(self.granted_depth))

	# --- status -------------------------------------------------------------------------------------------

	def validate_transition(self):
		before = self.get_doc_before_save()
		old = before.status if before else "Draft"
		if self.status == old:
			return
		if self.status == "Approved":
			self.check_approver()
			self.grant()
		elif self.status == "Rejected" and not self.rejection_reason:
			frappe.throw(_("Give the reason for the rejection."), title=_("Missing Reason"))
		elif self.status in ("Withdrawn", "Expired"):
			self.closed_on = nowdate()
		elif self.status == "Pending Approval" and not self.valid_upto:
			frappe.throw(_("Set the date the special price is valid until."), title=_("Missing Date"))

	def check_approver(self):
		roles = frappe.get_roles()
		if not may_approve(roles, self.effective_depth(), special_pricing.partner_manager_limit()):
			frappe.throw(
				_("A discount of {0} % needs the approval of a {1}.").format(
					flt(self.effective_depth(), 2), _(self.approval_level)
				),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)

	def grant(self):
		"""Approval: the requested prices are granted where staff set none; the rules need a customer and
		an end date."""
		if not self.customer:
			frappe.throw(
				_("Set the customer the special price is for before approving it."),
				title=_("Missing Customer"),
			)
		if not self.valid_upto:
			frappe.throw(_("Set the date the special price is valid until."), title=_("Missing Date"))
		for row in self.items:
			if not flt(row.granted_price):
				row.granted_price = row.requested_price
		self.price_items()
		self.check_approver()  # the granted prices may be deeper than the requested ones
		self.check_no_overlap()
		self.approved_by = frappe.session.user
		self.approved_on = now_datetime()

	def check_no_overlap(self):
		"""Two granted prices for one customer, item and period would make ERPNext refuse that customer's
		sales documents (two Pricing Rules of the same priority): the older one is withdrawn first."""
		clash = special_pricing.overlapping_request(self)
		if clash:
			frappe.throw(
				_(
					"Special price request {0} already grants customer {1} a price for item {2} in this period: withdraw it first."
				).format(clash.parent, self.customer, clash.item_code),
				title=_("Overlapping Special Price"),
			)

	@frappe.whitelist()
	def withdraw(self):
		"""The partner or staff withdraws an open or approved request (its Pricing Rules are disabled)."""
		stored = frappe.get_doc(self.doctype, self.name)  # the stored record, not what a request sent
		stored.check_permission("read")
		if stored.status not in (*special_pricing.OPEN, "Approved"):
			frappe.throw(
				_("Special price request {0} is {1}: it cannot be withdrawn.").format(
					stored.name, _(stored.status)
				),
				title=_("Not Allowed"),
			)
		stored.status = "Withdrawn"
		stored.flags.ignore_permissions = True  # read checked above; the Workflow judges the transition
		stored.save()
		self.reload()
