"""Row rules of Channel Funds for partner users. Allocations, requests and claims are partner-owned
(``prm_app.permissions.owned_query`` / ``owned_permission``: the partner's Finance and Admin users read
them; they write through the portal's endpoints); the proof rows of a claim follow their claim."""

import frappe

from prm_app.permissions import _in_partners, is_partner_user, partners_seeing


def claim_proof_query(user: str | None = None, doctype: str | None = None) -> str:
	"""Proof rows of a claim (Frappe's child list queries check the parent doctype only): the rows of
	the user's partners' claims only."""
	user = user or frappe.session.user
	if not is_partner_user(user):
		return ""
	return "`tabFund Claim Proof`.`parent` in (select `name` from `tabFund Claim` where {})".format(
		_in_partners("`partner`", partners_seeing(user, "Fund Claim"))
	)
