"""Commission Journal Entries posted before 0.1's fix were inserted as submitted without ERPNext's
"against" accounts, so the General Ledger showed no Against Account for them: fill them in (once), on the
journal rows and their GL Entries, as ERPNext would have."""

import frappe


def execute():
	rows = frappe.qb.DocType("Journal Entry Account")
	journal = frappe.qb.DocType("Journal Entry")
	names = (
		frappe.qb.from_(rows)
		.join(journal)
		.on(rows.parent == journal.name)
		.select(journal.name)
		.distinct()
		.where(
			journal.prm_partner_commission.isnotnull()
			& (journal.prm_partner_commission != "")
			& (rows.parenttype == "Journal Entry")
			& (rows.against_account.isnull() | (rows.against_account == ""))
		)
		.run(pluck=True)
	)
	for name in names:
		fill_against(frappe.get_doc("Journal Entry", name))


def fill_against(je) -> None:
	je.set_against_account()
	gl = frappe.qb.DocType("GL Entry")
	for row in je.accounts:
		frappe.db.set_value(
			"Journal Entry Account", row.name, "against_account", row.against_account, update_modified=False
		)
		(
			frappe.qb.update(gl)
			.set(gl.against, row.against_account)
			.where(
				(gl.voucher_type == "Journal Entry")
				& (gl.voucher_no == je.name)
				& (gl.account == row.account)
				& (frappe.query_builder.functions.IfNull(gl.party, "") == (row.party or ""))
				& (gl.against.isnull() | (gl.against == ""))
			)
			.run()
		)
