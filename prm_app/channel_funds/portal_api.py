"""Portal endpoints and page data of /partner/funds: a partner's Finance and Admin users see their
balances, requests and claims, make requests and claims with proof. The partner comes from the session;
every write goes through the documents (validation) with the server's own permission."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import cint, escape_html, flt

from prm_app import portal
from prm_app.api.portal import ALLOWED_EXTENSIONS, _clean, checked_upload
from prm_app.channel_funds import claims
from prm_app.channel_funds.doctype.fund_request.fund_request import send_for_approval
from prm_app.engine import funds as rules

AREA = "money"  # Finance and Admin partner roles
ACTIVITY_TYPES = ("Event", "Webinar", "Digital campaign", "Trade show", "Content", "Other")
PROOF_EXTENSIONS = frozenset({"pdf", "png", "jpg", "jpeg", "csv"})


# --- page data ---------------------------------------------------------------------------------------------


def page_data(partner: str) -> dict:
	allocations = frappe.get_all(
		"Fund Allocation",
		filters={"partner": partner},
		fields=["name", "fund", "allocated", "requested", "reserved", "claimed", "reimbursed", "available"],
		order_by="creation desc",
	)
	funds = {
		f.name: f
		for f in frappe.get_all(
			"Fund",
			filters={"name": ("in", [a.fund for a in allocations] or [""])},
			fields=["name", "fund_name", "status", "from_date", "to_date", "coop_share", "claim_window_days"],
		)
	}
	for a in allocations:
		a.fund_name, a.fund_status = funds[a.fund].fund_name, funds[a.fund].status
		a.coop_share, a.claim_window_days = funds[a.fund].coop_share, funds[a.fund].claim_window_days
	requests = frappe.get_all(
		"Fund Request",
		filters={"partner": partner},
		fields=[
			"name",
			"fund",
			"activity_type",
			"activity_title",
			"status",
			"requested_amount",
			"approved_amount",
			"claimed_amount",
			"expires_on",
			"decision_note",
		],
		order_by="creation desc",
	)
	open_claims = set(
		frappe.get_all(
			"Fund Claim", filters={"partner": partner, "docstatus": ("<", 2)}, pluck="fund_request"
		)
	)
	claimable = []
	for r in requests:
		r.fund_name = funds.get(r.fund, frappe._dict()).get("fund_name") or r.fund
		if r.status in rules.RESERVING and r.name not in open_claims:
			r.coop_share = funds.get(r.fund, frappe._dict()).get("coop_share")
			claimable.append(r)
	claims_ = frappe.get_all(
		"Fund Claim",
		filters={"partner": partner, "docstatus": ("<", 2)},
		fields=[
			"name",
			"fund_request",
			"status",
			"actual_cost",
			"claimed_amount",
			"reimbursed_amount",
			"rejection_reason",
			"posting_date",
		],
		order_by="creation desc",
	)
	return {
		"allocations": allocations,
		"requestable": [a for a in allocations if a.fund_status == "Active"],
		"requests": requests,
		"claimable": claimable,
		"claims": claims_,
		"activity_types": ACTIVITY_TYPES,
	}


# --- requests ----------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def create_request(
	fund: str,
	activity_type: str,
	activity_title: str,
	start_date: str,
	end_date: str,
	description: str,
	estimated_cost: float | str,
	requested_amount: float | str,
	partner_contribution: float | str | None = None,
	expected_leads: int | str | None = None,
	expected_pipeline: float | str | None = None,
	utm_campaign: str | None = None,
) -> dict:
	"""A request of the session user's partner on a fund it has an allocation on, sent for approval."""
	partner = portal.current_partner(AREA)
	if not frappe.db.exists("Fund Allocation", {"fund": fund, "partner": partner.name}):
		frappe.throw(_("Fund not found."), frappe.PermissionError)
	if activity_type not in ACTIVITY_TYPES:
		frappe.throw(_("Choose an activity type."))
	doc = frappe.get_doc(
		{
			"doctype": "Fund Request",
			"partner": partner.name,
			"fund": fund,
			"activity_type": activity_type,
			"activity_title": _clean(activity_title, label="Activity"),
			"start_date": start_date,
			"end_date": end_date,
			"description": _clean(description, 2000, label="Description"),
			"estimated_cost": flt(estimated_cost),
			"requested_amount": flt(requested_amount),
			"partner_contribution": flt(partner_contribution),
			"expected_leads": cint(expected_leads),
			"expected_pipeline": flt(expected_pipeline),
			"utm_campaign": _clean(utm_campaign, label="UTM Campaign") or None,
		}
	)
	doc.flags.ignore_permissions = True
	doc.insert()
	status = send_for_approval(doc.name)
	return {"name": doc.name, "status": status}


@frappe.whitelist(methods=["POST"])
def resubmit_request(name: str) -> dict:
	"""Send a request Returned for information back for approval (the partner's own only)."""
	partner = portal.current_partner(AREA)
	if frappe.db.get_value("Fund Request", name, "partner") != partner.name:
		frappe.throw(_("Fund request not found."), frappe.PermissionError)
	return {"name": name, "status": send_for_approval(name)}


# --- claims ------------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def create_claim(fund_request: str, actual_cost: float | str, claimed_amount: float | str) -> dict:
	"""A claim on one of the partner's approved requests with its proof files (multipart: ``invoice``
	required, ``photos`` and ``lead_list`` (CSV) optional), sent for approval."""
	partner = portal.current_partner(AREA)
	if frappe.db.get_value("Fund Request", fund_request, "partner") != partner.name:
		frappe.throw(_("Fund request not found."), frappe.PermissionError)
	uploads = proof_uploads()
	claim = frappe.get_doc(
		{
			"doctype": "Fund Claim",
			"fund_request": fund_request,
			"actual_cost": flt(actual_cost),
			"claimed_amount": flt(claimed_amount),
			"posting_date": frappe.utils.nowdate(),
		}
	)
	claim.flags.ignore_permissions = True
	claim.insert()
	for proof_type, filename, content in uploads:
		file = frappe.get_doc(
			{
				"doctype": "File",
				"file_name": filename,
				"attached_to_doctype": "Fund Claim",
				"attached_to_name": claim.name,
				"is_private": 1,
				"content": content,
			}
		).insert(ignore_permissions=True)
		claim.append("proofs", {"proof_type": proof_type, "file": file.file_url, "description": filename})
	claim.flags.ignore_permissions = True
	claims.send_for_approval(claim)
	return {"name": claim.name, "status": claim.status}


def proof_uploads() -> list[tuple[str, str, bytes]]:
	"""(proof type, file name, content) of the request's files, each checked (type, size, readable PDF)."""
	files = frappe.request.files if frappe.request else {}
	wanted = (("invoice", "Invoice"), ("photo", "Photo"), ("lead_list", "Lead list (CSV)"))
	out = []
	for key, proof_type in wanted:
		upload = files.get(key) if files else None
		if not upload:
			continue
		allowed = {"csv"} if key == "lead_list" else PROOF_EXTENSIONS & ALLOWED_EXTENSIONS - {"csv"}
		filename, content = checked_upload(upload, allowed)
		out.append((proof_type, filename, content))
	if not any(proof_type == "Invoice" for proof_type, _name, _content in out):
		frappe.throw(_("Attach the proof of performance to the claim."), title=_("Proof Missing"))
	return out
