"""Messages Frappe translates at display time but that are defined where ``_()`` cannot be called (hooks,
custom fields made in install.py, the JSON of dashboards, charts and number cards). Listing them here
with ``_lt`` (lazy: nothing is translated at import) puts them into ``locale/main.pot`` through
``generate-pot-file``. tests/test_translations.py checks the list is complete.
"""

from frappe import _lt

MESSAGES = (
	# hooks.py: the apps screen and the portal menu (Frappe shows them through _())
	_lt("Partners"),
	_lt("Partner Dashboard"),
	_lt("Deal Registrations"),
	_lt("Commissions"),
	_lt("Payouts"),
	_lt("Partner Resources"),
	_lt("Partner Profile"),
	# tiers.CRITERION_LABELS: a tier's criteria, shown on the portal's progress and in the scorecard
	_lt("Won Deal Registrations"),
	_lt("Certified Users"),
	# roles prm_app makes (install.py)
	_lt("Partner Manager"),
	# install.py: labels and descriptions of the custom fields on ERPNext's doctypes
	_lt("Deal Registration"),
	_lt("Partner Commission"),
	_lt("Commission Expense Account"),
	_lt("Debited when partner commission accrues (default: Commission on Sales)."),
	_lt("Commission Payable Account"),
	_lt("A Payable account; credited with the partner's supplier as party."),
	_lt("Commission Cost Center"),
	_lt("Used when an invoice line has no cost center."),
	_lt("Partner Payout Account"),
	_lt("Bank or cash account partner payouts are paid from (default: the company's bank account)."),
	# install.py: the channel conflict fields on Quotation, Sales Order and Sales Invoice
	_lt("Channel Conflict"),
	_lt("Protected by Deal Registration"),
	_lt("Channel Override Reason"),
	_lt("A Partner Manager's reason to submit although another partner's approved deal registration protects this customer."),
	_lt("Overridden By"),
	_lt("Overridden On"),
	# dashboard, dashboard charts, chart sources and number cards (no Frappe extractor reads their JSON)
	_lt("Channel Revenue by Month"),
	_lt("Partner Commission by Month"),
	_lt("Partner Revenue by Month"),
	_lt("Partner Revenue by Tier"),
	_lt("Partners by Tier"),
	_lt("Channel Revenue"),
	_lt("Active Partners"),
	_lt("Commission Accrued This Month"),
	_lt("Commission Payable"),
	_lt("Direct Revenue This Month"),
	_lt("Revenue Through Partners This Month"),
	_lt("Tier Changes Awaiting Approval"),
	_lt("Channel Overview"),
)
