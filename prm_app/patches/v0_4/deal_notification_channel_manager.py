"""Submitted deal registrations are told to the partner's channel manager (else every Partner Manager),
no longer to every Partner Manager: only where the record still has the one recipient row prm_app
shipped; a customer's own recipients stay."""

import frappe

from prm_app.notifications import MANAGER_CC

NAME = "PRM Deal Registration Submitted"


def execute():
	if not frappe.db.exists("Notification", NAME):
		return
	doc = frappe.get_doc("Notification", NAME)
	rows = [
		(r.receiver_by_role or "", r.receiver_by_document_field or "", r.cc or "", r.bcc or "")
		for r in doc.recipients
	]
	if rows != [("Partner Manager", "", "", "")]:
		return
	doc.set("recipients", [{"cc": MANAGER_CC}])
	doc.save(ignore_permissions=True)
