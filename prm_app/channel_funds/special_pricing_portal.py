"""Special pricing on the partner portal (issue 15): the requests of a deal and the endpoints a partner user
calls. The partner comes from the session, never from the request; requests are written through the
document (DocPerms, permission hooks, the controller and the Workflow judge them)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import flt

from prm_app import portal
from prm_app.channel_funds.special_pricing import DOCTYPE, OPEN


def requests_of_deal(partner: str, deal: str) -> list[frappe._dict]:
	rows = frappe.get_all(
		DOCTYPE,
		filters={"partner": partner, "deal_registration": deal},
		fields=[
			"name",
			"status",
			"valid_from",
			"valid_upto",
			"requested_total",
			"granted_total",
			"currency",
			"rejection_reason",
		],
		order_by="creation desc",
	)
	for row in rows:
		row.can_withdraw = row.status in (*OPEN, "Approved")
	return rows


def can_request(deal_status: str | None) -> bool:
	return deal_status in ("Approved", "Won")


@frappe.whitelist(methods=["POST"])
def request_special_price(
	deal: str,
	items: str | list,
	competitor: str | None = None,
	justification: str | None = None,
	valid_from: str | None = None,
	valid_upto: str | None = None,
) -> dict:
	"""A partner user asks for a special price on one of its approved deal registrations; the request is
	submitted for approval at once."""
	partner = portal.current_partner("deals")
	if frappe.db.get_value("Deal Registration", deal, "partner") != partner.name:
		frappe.throw(_("Deal registration not found."), frappe.PermissionError)
	rows = frappe.parse_json(items) if isinstance(items, str) else items
	if not isinstance(rows, list) or not rows:
		frappe.throw(_("Add at least one item."), title=_("Missing Items"))
	doc = frappe.get_doc(
		{
			"doctype": DOCTYPE,
			"partner": partner.name,
			"deal_registration": deal,
			"competitor": competitor,
			"justification": justification,
			"valid_from": valid_from or None,
			"valid_upto": valid_upto or None,
			"items": [
				{
					"item_code": str(row.get("item_code") or ""),
					"qty": flt(row.get("qty")) or 1,
					"requested_price": row.get("requested_price") or None,
					"requested_discount": row.get("requested_discount") or None,
				}
				for row in rows
				if isinstance(row, dict)
			],
		}
	)
	doc.insert()  # as the partner user: DocPerms, hooks and the controller judge it
	doc.status = "Pending Approval"
	doc.save()
	return {"name": doc.name, "status": doc.status}


@frappe.whitelist(methods=["POST"])
def withdraw_special_price(name: str) -> dict:
	"""A partner user withdraws one of its own requests (open or approved)."""
	partner = portal.current_partner("deals")
	if not name or frappe.db.get_value(DOCTYPE, name, "partner") != partner.name:
		frappe.throw(_("Special price request not found."), frappe.PermissionError)
	doc = frappe.get_doc(DOCTYPE, name)
	doc.withdraw()
	return {"name": doc.name, "status": doc.status}
