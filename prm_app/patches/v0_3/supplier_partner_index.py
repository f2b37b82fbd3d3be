"""The (supplier, partner, docstatus) indexes the partner dashboard's supplier check reads
(prm_app.reconciliation.suppliers_of_others); new sites get them from on_doctype_update."""

from prm_app.channel_funds.doctype.fund_claim import fund_claim
from prm_app.prm_app.doctype.partner_commission import partner_commission


def execute():
	partner_commission.on_doctype_update()
	fund_claim.on_doctype_update()
