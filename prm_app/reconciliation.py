"""Does prm_app agree with the books? Per partner: what its Partner Commissions say is owed, against
what the Payment Ledger and the General Ledger hold on the commission payable account for the
commission Journal Entries.

reconcile(company, partner=None, from_date=None, to_date=None)   one row per partner (the report, the job)
payments_against_commissions(company, partner, from_date, to_date) the payouts of a partner (the statement)
check_all_companies()                                           the daily job: log and notify differences

Each submitted Partner Commission has a Journal Entry crediting (a clawback: debiting) the payable with
party = the partner's supplier and no reference, so in the Payment Ledger the entry is its own voucher;
payments are allocated against it. On a consistent ledger, for every partner:

	prm outstanding = accrued + clawed back - paid
	                = sum of live Payment Ledger amounts against its commission Journal Entries
	                = sum of GL credit - debit on the payable for those vouchers, party = supplier

"Paid" is what other vouchers (Payment Entries, reconciliations) allocated against the commission Journal
Entries; a commission Journal Entry reconciled against another one (a clawback netted with an accrual) is
not a payment. The commissions' own outstanding amounts (kept from the Payment Ledger as payments come
in) must add up to the same figure: "records outstanding", compared when the report runs up to today.
Amounts are in company currency.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import flt, get_link_to_form, getdate, nowdate
from pypika.functions import NullIf

AMOUNT_FIELDS = (
	"opening",
	"accrued",
	"clawed_back",
	"paid",
	"prm_outstanding",
	"ledger_outstanding",
	"gl_outstanding",
	"difference",
	"gl_difference",
	"records_outstanding",
	"records_difference",
)


def reconcile(
	company: str,
	partner: str | None = None,
	from_date=None,
	to_date=None,
	ignore_permissions: bool = False,
) -> list[dict]:
	"""One row per partner with commissions in ``company``: the opening outstanding (before
	``from_date``), what was accrued, clawed back and paid from ``from_date`` to ``to_date``, the
	outstanding per prm_app, per the Payment Ledger and per the GL at ``to_date``, and the differences
	(0.00 on a consistent ledger). Only partners the user may read are included unless
	``ignore_permissions`` (the scheduler)."""
	to_date = getdate(to_date or nowdate())
	from_date = getdate(from_date) if from_date else None
	payable = frappe.get_cached_value("Company", company, "prm_commission_payable_account")
	partners = visible_partners(company, partner, ignore_permissions)
	if not partners:
		return []
	precision = frappe.get_precision("Partner Commission", "total") or 2
	rows = {
		name: frappe._dict(
			partner=name,
			partner_name=info.partner_name,
			supplier=info.supplier,
			company=company,
			payable_account=payable,
			**{field: 0.0 for field in AMOUNT_FIELDS},
		)
		for name, info in partners.items()
	}
	for name, values in commission_totals(company, list(rows), from_date, to_date).items():
		rows[name].update(values)
	if payable:
		for name, values in payment_ledger_totals(company, payable, list(rows), from_date, to_date).items():
			rows[name].update(values)
		for name, value in gl_totals(company, payable, list(rows), to_date).items():
			rows[name].gl_outstanding = value
	# the commissions' own paid / outstanding fields hold the state after every posting, future-dated
	# payouts included: a partner's are comparable only up to a date that covers all of its postings
	last = last_posting_dates(company, payable, [r.supplier for r in rows.values() if r.supplier])
	today = getdate(nowdate())
	out = []
	for row in rows.values():
		row.opening -= row.pop("paid_before", 0.0)
		row.prm_outstanding = row.opening + row.accrued + row.clawed_back - row.paid
		row.difference = row.prm_outstanding - row.ledger_outstanding
		row.gl_difference = row.prm_outstanding - row.gl_outstanding
		if to_date >= max(today, last.get(row.supplier) or today):
			row.records_difference = row.records_outstanding - row.ledger_outstanding
		else:
			row.records_outstanding = row.records_difference = 0.0
		for field in AMOUNT_FIELDS:
			row[field] = flt(row[field], precision) + 0.0  # no -0.0
		out.append(row)
	return sorted(out, key=lambda r: r.partner)


def visible_partners(company: str, partner: str | None, ignore_permissions: bool) -> dict:
	"""Partners with commissions in the company, read with the user's permissions on Partner
	Commission (so user permissions on Company / Partner apply)."""
	filters = {"company": company, "docstatus": ("in", (1, 2))}
	if partner:
		filters["partner"] = partner
	reader = frappe.get_all if ignore_permissions else frappe.get_list
	names = reader(
		"Partner Commission", filters=filters, fields=["partner"], group_by="partner", pluck="partner"
	)
	if not names:
		return {}
	partners = frappe.get_all(
		"Partner", filters={"name": ("in", names)}, fields=["name", "partner_name", "supplier"]
	)
	return {p.name: p for p in partners}


def last_posting_dates(company: str, payable: str | None, suppliers: list[str]) -> dict:
	"""Per supplier, the latest posting date on the commission payable in the Payment Ledger."""
	if not payable or not suppliers:
		return {}
	ple = frappe.qb.DocType("Payment Ledger Entry")
	rows = (
		frappe.qb.from_(ple)
		.select(ple.party, frappe.query_builder.functions.Max(ple.posting_date))
		.where(
			(ple.company == company)
			& (ple.account == payable)
			& (ple.party_type == "Supplier")
			& (ple.party.isin(suppliers))
			& (ple.delinked == 0)
		)
		.groupby(ple.party)
		.run()
	)
	return {party: getdate(last) for party, last in rows if last}


def commission_totals(company: str, partners: list[str], from_date, to_date) -> dict[str, dict]:
	"""Opening, accrued and clawed back from the submitted Partner Commissions, and the sum of their
	stored outstanding amounts (kept from the Payment Ledger as payments come in)."""
	pc = frappe.qb.DocType("Partner Commission")
	in_period = pc.posting_date >= from_date if from_date else pc.posting_date.isnotnull()
	before = pc.posting_date < from_date if from_date else pc.posting_date.isnull()
	rows = (
		frappe.qb.from_(pc)
		.select(
			pc.partner,
			Sum(Case().when(before, pc.total).else_(0)).as_("opening"),
			Sum(Case().when(in_period & (pc.total > 0), pc.total).else_(0)).as_("accrued"),
			Sum(Case().when(in_period & (pc.total < 0), pc.total).else_(0)).as_("clawed_back"),
			Sum(pc.outstanding_amount).as_("records_outstanding"),
		)
		.where(
			(pc.company == company)
			& (pc.docstatus == 1)
			& (pc.partner.isin(partners))
			& (pc.posting_date <= to_date)
		)
		.groupby(pc.partner)
		.run(as_dict=True)
	)
	return {
		r.partner: {
			"opening": flt(r.opening),
			"accrued": flt(r.accrued),
			"clawed_back": flt(r.clawed_back),
			"records_outstanding": flt(r.records_outstanding),
		}
		for r in rows
	}


def commission_journals(company: str):
	"""Subquery: every commission Journal Entry of the company (also of cancelled commissions, whose
	entries must be cancelled too: a live one shows up as a difference)."""
	pc = frappe.qb.DocType("Partner Commission")
	return (
		frappe.qb.from_(pc)
		.select(pc.journal_entry)
		.where((pc.company == company) & (pc.docstatus > 0) & pc.journal_entry.isnotnull())
	)


def payment_ledger_totals(
	company: str, payable: str, partners: list[str], from_date, to_date
) -> dict[str, dict]:
	"""From the Payment Ledger: the outstanding of each partner's commission Journal Entries at
	``to_date``, what other vouchers paid against them in the period, and before it (for the opening)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	pc = frappe.qb.DocType("Partner Commission")
	is_payment = payment_criterion(ple, company)
	in_period = ple.posting_date >= from_date if from_date else ple.posting_date.isnotnull()
	before = ple.posting_date < from_date if from_date else ple.posting_date.isnull()
	rows = (
		frappe.qb.from_(ple)
		.join(pc)
		.on(against_commission_journal(ple, pc))
		.select(
			pc.partner,
			Sum(ple.amount).as_("ledger_outstanding"),
			Sum(Case().when(is_payment & in_period, -ple.amount).else_(0)).as_("paid"),
			Sum(Case().when(is_payment & before, -ple.amount).else_(0)).as_("paid_before"),
		)
		.where(
			(ple.company == company)
			& (ple.account == payable)
			& (ple.party_type == "Supplier")
			& (ple.delinked == 0)
			& (ple.posting_date <= to_date)
			& (pc.docstatus > 0)
			& (pc.partner.isin(partners))
		)
		.groupby(pc.partner)
		.run(as_dict=True)
	)
	return {
		r.partner: {
			"ledger_outstanding": flt(r.ledger_outstanding),
			"paid": flt(r.paid),
			"paid_before": flt(r.paid_before),
		}
		for r in rows
	}


def against_commission_journal(ple, pc):
	"""Join condition: a Payment Ledger row against the partner commission's own Journal Entry."""
	return (
		(pc.journal_entry == ple.against_voucher_no)
		& (ple.against_voucher_type == "Journal Entry")
		& (pc.company == ple.company)
		& (pc.supplier == ple.party)
	)


def payment_criterion(ple, company: str):
	"""A Payment Ledger row allocating another voucher against a commission Journal Entry, that voucher
	not being a commission Journal Entry itself (a clawback netted with an accrual pays nothing)."""
	return (ple.voucher_no != ple.against_voucher_no) & (
		(ple.voucher_type != "Journal Entry") | ple.voucher_no.notin(commission_journals(company))
	)


def partner_suppliers(partner: str) -> list[str]:
	"""The partner's suppliers: today's and any its commissions or fund claims were posted to (a partner
	may move to a new supplier; none of them is another partner's, ``Partner.validate_link_unique``)."""
	suppliers = {frappe.db.get_value("Partner", partner, "supplier")}
	for doctype in ("Partner Commission", "Fund Claim"):
		suppliers.update(distinct_suppliers(doctype, partner))
	suppliers.discard(None)
	# one left shared by a site from before that was refused carries another partner's money too: not
	# counted for either (the setup checklist lists it, ``shared_suppliers``)
	return sorted(suppliers - suppliers_of_others(partner, suppliers))


def distinct_suppliers(doctype: str, partner: str) -> list[str]:
	"""The suppliers of ``partner``'s documents of ``doctype``, one index lookup each on (partner, supplier)
	(a skip scan: a DISTINCT read every one of a partner's 500,000 commissions)."""
	found, last = [], ""
	while True:
		supplier = frappe.db.sql(
			f"select min(supplier) from `tab{doctype}` where partner = %s and supplier > %s", (partner, last)
		)[0][0]
		if supplier is None:
			return found
		found.append(supplier)
		last = supplier


# where a supplier's partners are read from: (table, partner column, only submitted documents)
SUPPLIER_SOURCES = (("Partner", "name", False), ("Partner Commission", "partner", True), ("Fund Claim", "partner", True))


def suppliers_of_others(partner: str, suppliers) -> set[str]:
	"""Those of ``suppliers`` that another partner has or had postings on (index (supplier, partner))."""
	if not suppliers:
		return set()
	found = set()
	for doctype, column, submitted in SUPPLIER_SOURCES:
		found.update(
			frappe.db.sql(
				f"""select distinct supplier from `tab{doctype}`
				where supplier in %(suppliers)s and {column} != %(partner)s{" and docstatus = 1" if submitted else ""}""",
				{"suppliers": tuple(suppliers), "partner": partner},
				pluck=True,
			)
		)
	return found


def open_on_supplier(partner: str, supplier: str) -> tuple[int, float]:
	"""(documents, net amount) still open between the vendor and ``partner`` on ``supplier``: its submitted
	Partner Commissions with an outstanding amount (clawbacks negative) and the Purchase Invoices of its
	Fund Claims not fully paid. A payout pays the partner's current supplier only, so these must be paid
	or settled before the partner moves to another supplier."""
	commissions = frappe.db.sql(
		"""select count(*), coalesce(sum(outstanding_amount), 0) from `tabPartner Commission`
		where partner = %s and supplier = %s and docstatus = 1 and outstanding_amount != 0""",
		(partner, supplier),
	)[0]
	claims = frappe.db.sql(
		"""select count(*), coalesce(sum(pi.outstanding_amount), 0) from `tabFund Claim` fc
		join `tabPurchase Invoice` pi on pi.name = fc.purchase_invoice
		where fc.partner = %s and fc.supplier = %s and fc.docstatus = 1 and pi.docstatus = 1
			and pi.outstanding_amount != 0""",
		(partner, supplier),
	)[0]
	return int(commissions[0] + claims[0]), flt(commissions[1] + claims[1], 2)


def unallocated_on_supplier(supplier: str, company: str) -> float:
	"""What has been paid to ``supplier`` in ``company`` and not allocated to anything yet (advances:
	debits of Payment Entries and journals whose Payment Ledger rows still stand against themselves; a
	commission's journal stands against itself too, as a credit), positive."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	total = (
		frappe.qb.from_(ple)
		.select(Sum(ple.amount))
		.where(
			(ple.company == company)
			& (ple.party_type == "Supplier")
			& (ple.party == supplier)
			& (ple.delinked == 0)
			& ple.voucher_type.isin(["Payment Entry", "Journal Entry"])
			& (ple.against_voucher_type == ple.voucher_type)
			& (ple.against_voucher_no == ple.voucher_no)
			& (ple.amount < 0)
		)
		.run()[0][0]
	)
	return -flt(total, 2)


def supplier_partners(supplier: str) -> set[str]:
	"""The partners that have ``supplier`` or have postings on it."""
	found = set()
	for doctype, column, submitted in SUPPLIER_SOURCES:
		found.update(
			frappe.db.sql(
				f"""select distinct {column} from `tab{doctype}`
				where supplier = %(supplier)s{" and docstatus = 1" if submitted else ""}""",
				{"supplier": supplier},
				pluck=True,
			)
		)
	return found


def shared_suppliers() -> dict[str, list[str]]:
	"""Partners' current suppliers that another partner has too, or has postings on: {supplier: [partners]}.
	Refused since ``Partner.validate_link_unique``; a site may hold some from before (the setup checklist)."""
	partners: dict[str, set] = {}
	for doctype, column, submitted in SUPPLIER_SOURCES:
		for supplier, mine, other in frappe.db.sql(
			f"""select p.supplier, p.name, o.{column} from `tabPartner` p
			join `tab{doctype}` o on o.supplier = p.supplier and o.{column} != p.name
			where ifnull(p.supplier, '') != ''{" and o.docstatus = 1" if submitted else ""}
			group by p.supplier, p.name, o.{column}"""
		):
			partners.setdefault(supplier, set()).update((mine, other))
	return {s: sorted(p) for s, p in sorted(partners.items())}


def payments_against_commissions(company: str, partner: str, from_date, to_date) -> list[frappe._dict]:
	"""The payments (Payment Entries, reconciliations …) allocated against the partner's commission
	Journal Entries in the period, one row per voucher: voucher_type, voucher_no, posting_date, amount
	(positive = paid to the partner)."""
	payable = frappe.get_cached_value("Company", company, "prm_commission_payable_account")
	suppliers = partner_suppliers(partner)
	if not payable or not suppliers:
		return []
	ple = frappe.qb.DocType("Payment Ledger Entry")
	pc = frappe.qb.DocType("Partner Commission")
	rows = (
		frappe.qb.from_(ple)
		.join(pc)
		.on(against_commission_journal(ple, pc))
		.select(
			ple.voucher_type,
			ple.voucher_no,
			ple.posting_date,
			Sum(-ple.amount).as_("amount"),
		)
		.where(
			(ple.company == company)
			& (ple.account == payable)
			& (ple.party_type == "Supplier")
			& (ple.party.isin(suppliers))  # the partner's own rows first (the party index), then the join
			& (ple.delinked == 0)
			& (ple.posting_date >= from_date)
			& (ple.posting_date <= to_date)
			& (pc.docstatus > 0)
			& (pc.partner == partner)
			& payment_criterion(ple, company)
		)
		.groupby(ple.voucher_type, ple.voucher_no, ple.posting_date)
		.orderby(ple.posting_date)
		.orderby(ple.voucher_no)
		.run(as_dict=True)
	)
	for row in rows:
		row.amount = flt(row.amount)
	return rows


def gl_totals(company: str, payable: str, partners: list[str], to_date) -> dict[str, float]:
	"""From the GL: credit - debit on the payable, party = the partner's supplier, of the commission
	Journal Entries and of what was allocated against them (its against voucher, as the Payment Ledger
	derives it: the reference, else the voucher itself)."""
	gle = frappe.qb.DocType("GL Entry")
	pc = frappe.qb.DocType("Partner Commission")
	against = Coalesce(NullIf(gle.against_voucher, ""), gle.voucher_no)
	against_type = (
		Case().when(Coalesce(gle.against_voucher, "") == "", gle.voucher_type).else_(gle.against_voucher_type)
	)
	rows = (
		frappe.qb.from_(gle)
		.join(pc)
		.on((pc.journal_entry == against) & (pc.company == gle.company) & (pc.supplier == gle.party))
		.select(pc.partner, Sum(gle.credit - gle.debit).as_("outstanding"))
		.where(
			(gle.company == company)
			& (gle.account == payable)
			& (gle.party_type == "Supplier")
			& (gle.is_cancelled == 0)
			& (gle.posting_date <= to_date)
			& (against_type == "Journal Entry")
			& (pc.docstatus > 0)
			& (pc.partner.isin(partners))
		)
		.groupby(pc.partner)
		.run(as_dict=True)
	)
	return {r.partner: flt(r.outstanding) for r in rows}


# --- the daily job ----------------------------------------------------------------------------------------


def check_all_companies() -> list[dict]:
	"""Scheduler (daily_long): reconcile every company with commissions; log the partners whose
	figures differ to the Error Log and notify Accounts / System Managers. Nothing when all is 0.00.
	Returns the rows that differ."""
	differences = []
	companies = frappe.get_all(
		"Partner Commission", filters={"docstatus": ("in", (1, 2))}, pluck="company", distinct=True
	)
	for company in sorted(set(companies)):
		try:
			rows = reconcile(company, ignore_permissions=True)
		except Exception:
			# one company that cannot be reconciled must not hide the others
			frappe.log_error(title=_("Partner commission reconciliation failed for {0}").format(company))
			continue
		differences.extend(r for r in rows if has_difference(r))
	if differences:
		report_differences(differences)
	return differences


def has_difference(row: dict) -> bool:
	return bool(row.difference or row.gl_difference or row.records_difference)


def report_differences(rows: list[dict]) -> None:
	title = _("Partner commission reconciliation: {0} partner(s) differ").format(len(rows))
	lines = [
		_(
			"Company {0}, partner {1}: outstanding per prm_app {2}, per Payment Ledger {3}, per GL {4}, per commission records {5} (difference {6}, GL difference {7}, records difference {8})"
		).format(
			r.company,
			r.partner,
			r.prm_outstanding,
			r.ledger_outstanding,
			r.gl_outstanding,
			r.records_outstanding,
			r.difference,
			r.gl_difference,
			r.records_difference,
		)
		for r in rows
	]
	error_log = frappe.log_error(
		title=title, message="\n".join(lines), reference_doctype="Partner Commission"
	)
	notify(title, lines, error_log)


def notify(subject: str, lines: list[str], error_log) -> None:
	"""A Notification Log (bell icon) for every enabled Accounts Manager and System Manager."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

	users = recipients()
	if not users:
		return
	link = get_link_to_form("Error Log", error_log.name) if error_log else ""
	make_notification_logs(
		frappe._dict(
			{
				"type": "Alert",
				"document_type": "Error Log" if error_log else None,
				"document_name": error_log.name if error_log else None,
				"subject": subject,
				"email_content": "<br>".join(frappe.utils.escape_html(line) for line in lines)
				+ "<br>"
				+ link,
			}
		),
		users,
	)


def recipients() -> list[str]:
	"""Emails of the enabled desk users with Accounts Manager or System Manager."""
	has_role = frappe.qb.DocType("Has Role")
	user = frappe.qb.DocType("User")
	rows = (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.email)
		.distinct()
		.where(
			(has_role.parenttype == "User")
			& (has_role.role.isin(["Accounts Manager", "System Manager"]))
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& (user.name.notin(["Guest"]))
		)
		.run(pluck=True)
	)
	return sorted(rows)
