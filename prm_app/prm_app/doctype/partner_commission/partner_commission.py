"""Partner Commission: one per source document and partner; its submit posts the Journal Entry."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

from prm_app.ledger.commission_journal import (
	cancel_commission_journal,
	journal_allocated_amount,
	post_commission_journal,
)


class PartnerCommission(Document):
	def validate(self):
		self.set_totals()
		self.set_status()

	def on_submit(self):
		self.post_journal_entry()
		self.update_reversed_commission()

	def on_cancel(self):
		self.validate_not_paid()
		cancel_commission_journal(self)
		self.set_status(update=True)
		self.update_reversed_commission()

	def db_insert(self, *args, **kwargs):
		"""Insert the lines in one statement: a 50-line invoice's commission costs one INSERT, not 50
		(Partner Commission Line.db_insert skips rows written here)."""
		super().db_insert(*args, **kwargs)
		rows = [row.get_valid_dict(convert_dates_to_str=True, ignore_virtual=True) for row in self.lines]
		if not rows:
			return
		columns = list(rows[0])
		frappe.db.bulk_insert("Partner Commission Line", columns, [[r.get(c) for c in columns] for r in rows])
		for row in self.lines:
			row.flags.inserted_with_parent = True

	def set_totals(self):
		precision = self.precision("total")
		self.total = flt(sum(flt(row.amount) for row in self.lines), precision)
		self.base_total = flt(
			sum(flt(row.base) for row in self.lines if row.kind in ("Commission", "Reversal")), precision
		)

	def set_status(self, update=False):
		if self.docstatus == 0:
			status = "Draft"
		elif self.docstatus == 2:
			status = "Cancelled"
		elif not self.is_new() and self.is_fully_reversed():
			status = "Reversed"
		else:
			status = "Accrued"
		if update:
			self.db_set("status", status, update_modified=False)
		else:
			self.status = status

	def is_fully_reversed(self) -> bool:
		if not self.total:
			return False
		pc = frappe.qb.DocType("Partner Commission")
		reversed_total = (
			frappe.qb.from_(pc)
			.select(frappe.query_builder.functions.Sum(pc.total))
			.where((pc.against_commission == self.name) & (pc.docstatus == 1))
			.run()[0][0]
		)
		return (
			flt(reversed_total) != 0 and flt(self.total + flt(reversed_total), self.precision("total")) == 0
		)

	def post_journal_entry(self):
		journal_entry = post_commission_journal(self)
		if journal_entry:
			self.db_set("journal_entry", journal_entry, update_modified=False)

	def update_reversed_commission(self):
		if self.against_commission:
			frappe.get_doc("Partner Commission", self.against_commission).set_status(update=True)

	def paid_amount(self) -> float:
		return journal_allocated_amount(self.journal_entry)

	def validate_not_paid(self):
		if self.paid_amount():
			frappe.throw(
				_(
					"Commission {0} is already paid through its Journal Entry {1}; cancel the source document instead, which posts a clawback."
				).format(self.name, self.journal_entry),
				title=_("Commission Paid"),
			)

	def can_be_cancelled(self) -> bool:
		"""Unpaid, and no later commission of the partner was computed on top of it (brackets and caps
		of the same plan and period), so cancelling it leaves every other commission right."""
		if self.paid_amount():
			return False
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
