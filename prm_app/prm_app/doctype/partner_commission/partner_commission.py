"""Partner Commission: one per source document and partner; its submit posts the Journal Entry."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.naming import make_autoname
from frappe.utils import flt, getdate

from prm_app import daily_totals, payouts
from prm_app.ledger.commission_journal import (
	accrual_journal_of,
	cancel_commission_journal,
	clawback_netted,
	journal_allocated_amount,
	post_commission_journal,
)


class PartnerCommission(Document):
	def db_insert(self, *args, **kwargs):
		"""Insert the lines in one statement: a 50-line invoice's commission costs one INSERT, not 50
		(Partner Commission Line.db_insert skips rows written here)."""
		super().db_insert(*args, **kwargs)
		rows = [row.get_valid_dict(convert_dates_to_str=True, ignore_virtual=True) for row in self.lines]
		if not rows:
			return
		columns = list(rows[0])
		placeholders = "({})".format(", ".join(["%s"] * len(columns)))
		frappe.db.sql(
			"insert into `tabPartner Commission Line` ({}) values {}".format(
				", ".join(f"`{c}`" for c in columns), ", ".join([placeholders] * len(rows))
			),
			[r.get(c) for r in rows for c in columns],
		)
		for row in self.lines:
			row.flags.inserted_with_parent = True

	def set_new_name(self, force=False, set_name=None, set_child_names=True):
		"""The lines get their random names directly: Frappe's per-row naming (hooks, naming rules,
		validation) cost a millisecond per 15 lines on every posting."""
		super().set_new_name(force=force, set_name=set_name, set_child_names=False)
		if set_child_names:
			for row in self.get_all_children():
				row.name = make_autoname("hash", row.doctype)

	def validate(self):
		if not self.idempotency_key or (self.is_new() and not self.flags.prm_posting):
			# only posting (prm_app.commissions, payment_commission) makes commissions, each keyed by its
			# source document: one made or amended by hand would post a journal for nothing
			frappe.throw(
				_(
					"Partner Commissions are posted from their Sales Invoice, credit note or payment and cannot be created or amended by hand."
				),
				title=_("Not Allowed"),
			)
		self.set_totals()
		self.set_payable_on()
		self.set_status()

	def on_submit(self):
		self.post_journal_entry()
		daily_totals.on_commission_change(self)
		if self.total < 0 or self.against_commission:
			self.refresh_payment_status()  # a clawback settles against an accrual: both change
		# a new accrual is all outstanding: its status was set in validate, no ledger read needed

	def on_cancel(self):
		self.validate_not_paid()
		cancel_commission_journal(self)
		self.set_status(update=True)
		self.refresh_payment_status()
		daily_totals.on_commission_change(self)

	def set_totals(self):
		precision = self.precision("total")
		self.total = flt(sum(flt(row.amount) for row in self.lines), precision)
		self.base_total = flt(
			sum(flt(row.base) for row in self.lines if row.kind in ("Commission", "Reversal")), precision
		)
		if self.docstatus < 2 and self.is_new():
			self.outstanding_amount, self.paid_amount = self.total, 0

	def set_payable_on(self):
		if not self.payable_on:
			self.payable_on = payouts.payable_on(self.posting_date)

	def set_status(self, update=False):
		status = {0: "Draft", 2: "Cancelled"}.get(self.docstatus)
		if not status:
			status = "Payable" if payouts.is_payable(self) else "Accrued"
		if update:
			self.db_set("status", status, update_modified=False)
		else:
			self.status = status

	def refresh_payment_status(self):
		"""Paid / outstanding / status from the Payment Ledger, for this commission and, for a clawback,
		every accrual its journal settles against."""
		payouts.refresh_commission(self.name)
		settled = set()
		if self.journal_entry:
			journals = frappe.get_all(
				"Journal Entry Account",
				filters={"parent": self.journal_entry, "reference_type": "Journal Entry"},
				pluck="reference_name",
			)
			if journals:
				settled.update(
					frappe.get_all(
						"Partner Commission", filters={"journal_entry": ("in", journals)}, pluck="name"
					)
				)
		if self.against_commission:
			settled.add(self.against_commission)
		for name in sorted(settled - {self.name}):
			payouts.refresh_commission(name)

	def post_journal_entry(self):
		journal_entry = post_commission_journal(self)
		if journal_entry:
			# a plain update: db_set would reload the just-inserted commission and its lines first
			frappe.db.set_value(
				self.doctype, self.name, "journal_entry", journal_entry, update_modified=False
			)
			self.journal_entry = journal_entry

	def amount_paid(self) -> float:
		"""Paid to the partner (an accrual) or netted in a payout (a clawback): either way the partner's
		money moved, so the commission stays and a cancel of its document posts a reversal."""
		if flt(self.total) < 0:
			return clawback_netted(self.journal_entry, accrual_journal_of(self.against_commission))
		return journal_allocated_amount(self.journal_entry)

	def validate_not_paid(self):
		if self.amount_paid():
			frappe.throw(
				_(
					"Commission {0} is already paid through its Journal Entry {1}; cancel the source document instead, which posts a clawback."
				).format(self.name, self.journal_entry),
				title=_("Commission Paid"),
			)

	def can_be_cancelled(self) -> bool:
		"""Unpaid, and no later commission of the partner was computed on top of it (brackets and caps
		of the same plan and period), so cancelling it leaves every other commission right."""
		if self.amount_paid() or self.partner_payout:
			return False  # paid, netted, or listed in a payout
		from prm_app.commissions import open_posting_date

		if str(getdate(self.posting_date)) != open_posting_date(self.company, self.posting_date):
			return False  # the books are closed on its date: a reversal is booked on the first open date
		if frappe.db.exists("Partner Commission", {"against_commission": self.name, "docstatus": 1}):
			return False  # a credit note's clawback settles against its journal entry
		periods = {row.period for row in self.lines if row.period}
		if not periods:
			return True
		pc = frappe.qb.DocType("Partner Commission")
		line = frappe.qb.DocType("Partner Commission Line")
		later = (
			frappe.qb.from_(pc)
			.join(line)
			.on(line.parent == pc.name)
			.select(pc.name)
			.where(
				(pc.partner == self.partner)
				& (pc.commission_plan == self.commission_plan)
				& (pc.docstatus == 1)
				& (pc.name != self.name)
				& (pc.creation > self.creation)
				& (line.period.isin(list(periods)))
				& (line.rule.isin([row.rule for row in self.lines]))
			)
			.limit(1)
			.run()
		)
		return not (later and self.plan_has_period_rules())

	def plan_has_period_rules(self) -> bool:
		from prm_app.engine import plan_from_json

		if not self.plan_snapshot:
			return False
		plan = plan_from_json(self.plan_snapshot)
		names = {row.rule for row in self.lines}
		return any((r.brackets or r.cap_per_period is not None) for r in plan.rules if r.name in names)


def on_doctype_update():
	"""Composite indexes for the partner portal's aggregates (prm_app.portal), so a partner with many
	commissions is summed from the index alone: the period's earned / clawed back and the monthly chart
	read (partner, docstatus, posting_date, total); "payable now" (the payouts page) reads (partner,
	status, docstatus, outstanding_amount). Frappe runs this when the doctype is installed or migrated."""
	frappe.db.add_index(
		"Partner Commission", ["partner", "docstatus", "posting_date", "total"], "prm_partner_period_total"
	)
	# one partner's commissions and invoices per day (prm_app.daily_totals)
	daily_totals.ensure_table()
	# a supplier's other partners (prm_app.reconciliation.suppliers_of_others, on every dashboard view)
	frappe.db.add_index("Partner Commission", ["supplier", "partner", "docstatus"], "prm_supplier_partner")
	# a partner's suppliers (prm_app.reconciliation.partner_suppliers, on every dashboard view)
	frappe.db.add_index("Partner Commission", ["partner", "supplier"], "prm_partner_supplier")
	frappe.db.add_index(
		"Partner Commission",
		["partner", "status", "docstatus", "outstanding_amount"],
		"prm_partner_status_outstanding",
	)
	# the dashboard's "revenue this month" (prm_app.portal.revenue): one partner's invoices of a month,
	# summed from the index (ERPNext indexes Sales Invoice by posting date alone)
	frappe.db.add_index(
		"Sales Invoice",
		["sales_partner", "posting_date", "docstatus", "base_net_total"],
		"prm_sales_partner_period",
	)
