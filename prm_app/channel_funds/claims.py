"""Fund claims: limits, approval into a Purchase Invoice, cancel paths, reimbursement from the Payment
Ledger, netting in the partner's payout, and the proof lead list imported as ERPNext Leads."""

from __future__ import annotations

import csv
import io
import re

import frappe
from frappe import _
from frappe.query_builder.functions import Sum
from frappe.utils import escape_html, flt, validate_email_address

from prm_app.channel_funds.funds import dec, engine_call, refresh_for
from prm_app.engine import funds as rules
from prm_app.ledger import fund_invoice
from prm_app.permissions import require_manager
from prm_app.utils import commit_job, company_currency_precision


def require_approver() -> None:
	require_manager(_("Only a Partner Manager can approve a fund claim."))


def engine_limit(approved, actual_cost, coop_share, precision):
	return engine_call(
		rules.claim_limit, dec(approved), dec(actual_cost), dec(coop_share), precision=precision
	)


def check_claim(claim, coop_share, precision) -> None:
	engine_call(
		rules.check_claim,
		dec(claim.claimed_amount),
		dec(claim.approved_on_request),
		dec(claim.actual_cost),
		dec(coop_share),
		precision=precision,
		title=_("Claim Above Its Limit"),
	)


# --- approval and cancel -------------------------------------------------------------------------------------


def on_claim_approved(claim) -> None:
	fund = frappe.get_cached_doc("Fund", claim.fund)
	invoice = fund_invoice.make_claim_invoice(claim, fund)
	claim.db_set({"purchase_invoice": invoice, "status": "Approved"})
	set_request_claimed(claim.fund_request, flt(claim.claimed_amount))
	queue_lead_import(claim)
	refresh_for(claim.fund, claim.partner)


def on_claim_cancelled(claim) -> None:
	fund_invoice.cancel_claim_invoice(claim)
	claim.db_set({"status": "Cancelled", "reimbursed_amount": 0})
	set_request_claimed(claim.fund_request, 0)
	refresh_for(claim.fund, claim.partner)


def set_request_claimed(request: str, amount: float) -> None:
	"""A request with an approved claim is Claimed (what it reserved beyond the claim is released); when
	the claim is cancelled it is approved again (its reserve is back), or Expired past its window."""
	values = frappe.db.get_value(
		"Fund Request", request, ["requested_amount", "approved_amount", "expires_on"], as_dict=True
	)
	if amount:
		status = rules.CLAIMED
	else:
		status = engine_call(rules.check_approval, dec(values.requested_amount), dec(values.approved_amount))
		if rules.is_expired(
			status, values.expires_on and frappe.utils.getdate(values.expires_on), frappe.utils.getdate()
		):
			status = rules.EXPIRED
	frappe.db.set_value("Fund Request", request, {"status": status, "claimed_amount": amount})


@frappe.whitelist(methods=["POST"])
def reject_claim(name: str, reason: str) -> str:
	require_approver()
	claim = frappe.get_doc("Fund Claim", name)
	claim.check_permission("write")
	if claim.docstatus != 0:
		frappe.throw(_("Only a claim awaiting approval can be rejected."), title=_("Wrong Status"))
	if not (reason or "").strip():
		frappe.throw(_("Give a reason."), title=_("Reason Required"))
	claim.status = "Rejected"
	claim.rejection_reason = reason
	claim.save()
	return claim.status


def require_proof(claim) -> None:
	if not [row for row in claim.proofs if row.file]:
		frappe.throw(_("Attach the proof of performance to the claim."), title=_("Proof Missing"))


def send_for_approval(claim) -> None:
	if claim.docstatus != 0 or claim.status not in ("Draft", "Rejected"):
		frappe.throw(_("Only a draft claim can be sent for approval."), title=_("Wrong Status"))
	require_proof(claim)
	claim.status = "Pending approval"
	claim.save()


# --- the Purchase Invoice's own events -------------------------------------------------------------------------


def on_purchase_invoice_cancel(pi, method=None) -> None:
	"""Cancelling a claim's invoice cancels the claim (balances restored); the claim's link does not
	block ERPNext's cancel."""
	if not pi.get("prm_fund_claim"):
		return
	pi.ignore_linked_doctypes = (*tuple(pi.get("ignore_linked_doctypes") or ()), "Fund Claim")
	if pi.flags.from_fund_claim:
		return
	claim = frappe.get_doc("Fund Claim", pi.prm_fund_claim)
	if claim.docstatus == 1:
		claim.flags.ignore_permissions = True
		claim.cancel()  # its own cancel finds the invoice already cancelled


def paid_on_invoice(invoice: str) -> float:
	"""What payments (Payment Entries, journals, a payout's netting) have settled of an invoice, from the
	Payment Ledger; a debit note of it is a return, not a reimbursement: the return itself, or the "Debit
	Note" journal ERPNext's Payment Reconciliation books to set a return standing on its own against it (a
	debit note of another invoice set against it is a set-off, paid)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	conditions = [ple.voucher_type != "Purchase Invoice"]
	returns = frappe.get_all(
		"Purchase Invoice", {"return_against": invoice, "is_return": 1, "docstatus": 1}, pluck="name"
	)
	if returns:
		row = frappe.qb.DocType("Journal Entry Account")
		netting = (
			frappe.qb.from_(row)
			.select(row.parent)
			.where(
				(row.reference_type == "Purchase Invoice")
				& (row.reference_name.isin(returns))
				& (row.docstatus == 1)
			)
		)
		conditions.append((ple.voucher_type != "Journal Entry") | ple.voucher_no.notin(netting))
	return -ledger_against_invoice(invoice, *conditions)


def open_on_invoice(invoice: str) -> float:
	"""What the Payment Ledger still holds open against an invoice (the invoice's own row and everything
	settling it, in the company currency, as the claim's amounts)."""
	return ledger_against_invoice(invoice)


def ledger_against_invoice(invoice: str, *conditions) -> float:
	"""The sum of the live Payment Ledger rows against a Purchase Invoice (and ``conditions``)."""
	ple = frappe.qb.DocType("Payment Ledger Entry")
	where = (
		(ple.against_voucher_type == "Purchase Invoice")
		& (ple.against_voucher_no == invoice)
		& (ple.delinked == 0)
	)
	for condition in conditions:
		where &= condition
	return flt(frappe.qb.from_(ple).select(Sum(ple.amount)).where(where).run()[0][0])


def refresh_reimbursed(invoices: list[str]) -> None:
	"""A claim's reimbursed amount is what its invoice has been paid (by the Payment Ledger, that ERPNext
	keeps the outstanding from); fully settled claims are Paid."""
	for invoice in set(filter(None, invoices)):
		claim = frappe.db.get_value("Purchase Invoice", invoice, "prm_fund_claim")
		if not claim:
			continue
		values = frappe.db.get_value("Purchase Invoice", invoice, ["docstatus", "company"], as_dict=True)
		stored = frappe.db.get_value("Fund Claim", claim, ["docstatus", "fund", "partner"], as_dict=True)
		if stored.docstatus != 1:
			continue
		precision = company_currency_precision(values.company)
		paid = flt(paid_on_invoice(invoice), precision) if values.docstatus == 1 else 0
		# settled by the Payment Ledger itself: the invoice's stored outstanding lags it while ERPNext's
		# Payment Reconciliation posts a payment's ledger again (it updates the outstanding afterwards)
		settled = flt(open_on_invoice(invoice), precision) <= 0
		status = "Paid" if paid > 0 and settled else "Approved"
		frappe.db.set_value("Fund Claim", claim, {"reimbursed_amount": paid, "status": status})
		refresh_for(stored.fund, stored.partner)


def on_payment_change(doc, method=None) -> None:
	"""Payment Entry / Journal Entry events: the claims whose invoices they pay follow."""
	rows = doc.get("references") or doc.get("accounts") or []
	refresh_reimbursed(
		[
			r.get("reference_name")
			for r in rows
			if (r.get("reference_doctype") or r.get("reference_type")) == "Purchase Invoice"
		]
	)


# --- netting in the partner's payout -----------------------------------------------------------------------------


def payout_claim_rows(partner: str, company: str, supplier: str, to_date, exclude_payout=None) -> list[dict]:
	"""Approved claims of the partner whose invoices are still open and not held by another submitted
	payout: a payout pays them together with the commissions."""
	claims = frappe.get_all(
		"Fund Claim",
		filters={
			"partner": partner,
			"company": company,
			"docstatus": 1,
			"purchase_invoice": ("is", "set"),
			"posting_date": ("<=", to_date),
		},
		fields=["name", "purchase_invoice", "partner_payout"],
		order_by="posting_date, name",
	)
	held = set(
		frappe.get_all(
			"Partner Payout",
			filters={"docstatus": 1, "status": ("!=", "Paid"), "name": ("!=", exclude_payout or "")},
			pluck="name",
		)
	)
	rows = []
	for c in claims:
		if c.partner_payout and c.partner_payout in held:
			continue
		pi = frappe.db.get_value(
			"Purchase Invoice",
			c.purchase_invoice,
			["docstatus", "outstanding_amount", "supplier"],
			as_dict=True,
		)
		if pi.docstatus != 1 or pi.supplier != supplier or flt(pi.outstanding_amount) <= 0.005:
			continue
		rows.append(
			{
				"fund_claim": c.name,
				"purchase_invoice": c.purchase_invoice,
				"amount": flt(pi.outstanding_amount, 2),
			}
		)
	return rows


def link_payout(payout, value) -> None:
	names = [r.fund_claim for r in payout.get("fund_claims") or []]
	if names:
		frappe.db.set_value(
			"Fund Claim", {"name": ("in", names)}, "partner_payout", value, update_modified=False
		)


# --- proof: the lead list ------------------------------------------------------------------------------------------

LEAD_COLUMNS = {
	"email": "email_id",
	"email_id": "email_id",
	"first_name": "first_name",
	"last_name": "last_name",
	"lead_name": "lead_name",
	"name": "lead_name",
	"company": "company_name",
	"company_name": "company_name",
	"phone": "phone",
	"mobile_no": "mobile_no",
	"country": "country",
	"job_title": "job_title",
}


MAX_LEAD_ROWS = 5000
PHONE_LIKE = re.compile(r"^[+-][\d\s().-]*$")


def column_key(header: str | None) -> str:
	"""A lead list's column as a field key: "First Name", "first-name" and "first_name" alike."""
	return re.sub(r"[\s-]+", "_", (header or "").strip().lower())


def is_formula(value: str) -> bool:
	"""A cell a spreadsheet would run as a formula when the leads are exported (CSV injection)."""
	if not value:
		return False
	if value[0] in "=@\t\r":
		return True
	return value[0] in "+-" and not PHONE_LIKE.match(value)


def lead_rows(content: bytes | str):
	"""(line, lead values) of a lead list CSV, each checked: no formula, a valid email, at most
	``MAX_LEAD_ROWS`` rows. Rows with no email and no name are skipped."""
	if isinstance(content, bytes):
		try:
			content = content.decode("utf-8-sig")
		except UnicodeDecodeError:
			frappe.throw(_("The lead list is not a UTF-8 CSV file."), title=_("Invalid File"))
	reader = csv.DictReader(io.StringIO(content))
	count = 0
	for row in reader:
		count += 1
		if count > MAX_LEAD_ROWS:
			frappe.throw(
				_("The lead list has more than {0} rows: split it.").format(MAX_LEAD_ROWS),
				title=_("Invalid File"),
			)
		cells = {column_key(k): (v or "").strip() for k, v in row.items() if isinstance(v, str | None)}
		values = {LEAD_COLUMNS[k]: v for k, v in cells.items() if k in LEAD_COLUMNS}
		for value in cells.values():  # the whole file: the manager opens it as proof
			if is_formula(value):
				frappe.throw(
					_("Line {0} of the lead list: {1} starts like a spreadsheet formula; remove it.").format(
						reader.line_num, escape_html(value[:60])
					),
					title=_("Invalid File"),
				)
		if values.get("email_id") and not validate_email_address(values["email_id"]):
			frappe.throw(
				_("Line {0} of the lead list: {1} is not a valid email address.").format(
					reader.line_num, escape_html(values["email_id"][:60])
				),
				title=_("Invalid File"),
			)
		if not (values.get("email_id") or values.get("lead_name") or values.get("first_name")):
			continue
		yield reader.line_num, values


def lead_list_files(claim):
	for proof in claim.proofs:
		if proof.proof_type == "Lead list (CSV)" and proof.file:
			yield frappe.get_doc("File", {"file_url": proof.file})


def validate_lead_lists(claim) -> None:
	"""Check the claim's lead lists when the claim is saved, so that its approval never stops on them."""
	for file_doc in lead_list_files(claim):
		for _row in lead_rows(file_doc.get_content()):
			pass


LEADS_NOW = 100  # a longer lead list is imported by a background job after the approval


def queue_lead_import(claim) -> None:
	"""Import the claim's lead lists now when they are short, else in a background job (with progress)
	once the approval is committed."""
	rows = sum(1 for file_doc in lead_list_files(claim) for _row in lead_rows(file_doc.get_content()))
	if rows <= LEADS_NOW:
		import_proof_leads(claim)
		return
	frappe.enqueue(
		"prm_app.channel_funds.claims.import_claim_leads",
		queue="long",
		timeout=3600,
		job_id=f"prm-fund-claim-leads-{claim.name}",
		deduplicate=True,
		enqueue_after_commit=True,
		claim=claim.name,
	)
	frappe.msgprint(
		_("The {0} leads of the lead list are imported in the background.").format(rows), alert=True
	)


def import_claim_leads(claim: str) -> int:
	"""Background job: the approved claim's lead lists become Leads (idempotent: run again, it adds
	nothing)."""
	doc = frappe.get_doc("Fund Claim", claim)
	if doc.docstatus != 1:
		return 0
	return import_proof_leads(doc, progress=True)


def lead_exists(claim, values: dict) -> bool:
	if values.get("email_id"):
		return bool(frappe.db.exists("Lead", {"email_id": values["email_id"]}))
	# ERPNext names a lead from its first and last name
	name = values.get("lead_name") or " ".join(
		filter(None, (values.get("first_name"), values.get("last_name")))
	)
	return bool(
		frappe.db.exists(
			"Lead",
			{"prm_fund_request": claim.fund_request, "lead_name": name, "email_id": ("is", "not set")},
		)
	)


def import_proof_leads(claim, progress: bool = False) -> int:
	"""Each row of the claim's lead list (CSV) becomes an ERPNext Lead tagged with the activity (fund
	request) and the partner, unless that lead exists (same email; without email, same name on the same
	activity). Returns the number created."""
	created = 0
	campaign = frappe.db.get_value("Fund Request", claim.fund_request, "campaign")
	for file_doc in lead_list_files(claim):
		for line, values in lead_rows(file_doc.get_content()):
			if progress and line % 100 == 0:
				frappe.publish_progress(
					min(line * 100 / MAX_LEAD_ROWS, 99),
					title=_("Importing the leads of claim {0}").format(claim.name),
					description=str(line),
				)
			if lead_exists(claim, values):
				continue
			if not values.get("first_name") and not values.get("lead_name"):
				values["first_name"] = values["email_id"]
			lead = frappe.get_doc(
				{
					"doctype": "Lead",
					**values,
					"company": claim.company,
					"prm_fund_request": claim.fund_request,
					"prm_partner": claim.partner,
				}
			)
			if campaign and lead.meta.has_field("campaign_name"):
				lead.campaign_name = campaign
			lead.flags.ignore_permissions = True
			lead.insert()
			created += 1
			if progress and created % 500 == 0:
				commit_job()
	if created:
		claim.db_set("leads_imported", frappe.db.count("Lead", {"prm_fund_request": claim.fund_request}))
	return created
