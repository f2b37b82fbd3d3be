"""Channel Funds: market development funds and special pricing (issue 15). Doctypes, reports and the
domain's service code live here; pure rules in prm_app.engine; postings through prm_app.ledger."""
