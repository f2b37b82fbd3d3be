"""The (partner, supplier) indexes a partner's dashboard reads its suppliers from
(prm_app.reconciliation.partner_suppliers); new sites get them from on_doctype_update."""

from prm_app.channel_funds.doctype.fund_claim import fund_claim
from prm_app.prm_app.doctype.partner_commission import partner_commission


def execute():
	partner_commission.on_doctype_update()
	fund_claim.on_doctype_update()
