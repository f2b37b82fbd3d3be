app_name = "prm_app"
app_title = "PRM App"
app_publisher = "prm_app developers"
app_description = "Partner Relationship Management for ERPNext"
app_email = "dev@prm-app.local"
app_license = "mit"

required_apps = ["frappe/erpnext"]

# Keep the auto-generated type hints in controllers (v15).
export_python_type_annotations = True

add_to_apps_screen = [
	{
		"name": "prm_app",
		"logo": "/assets/prm_app/images/prm-logo.svg",
		"title": "Partners",
		"route": "/app/partners",
		# desk users only: without it Frappe sends every website user (partners, ERPNext's customers and
		# suppliers) to /app/partners after login, where they are not permitted
		"has_permission": "prm_app.permissions.is_desk_user",
	}
]

# partner users land on their portal after login (other website users keep Frappe's default)
role_home_page = {"Partner": "partner"}

# Installation
# ------------
after_install = "prm_app.install.after_install"
after_migrate = "prm_app.install.after_migrate"
before_uninstall = "prm_app.install.before_uninstall"

# ERPNext adds a field for every accounting dimension to these doctypes
accounting_dimension_doctypes = ["Partner Commission Line"]

# Testing
# -------
before_tests = "prm_app.tests.before_tests"

# Documents
# ---------
doc_events = {
	"Sales Invoice": {
		"validate": [
			"prm_app.events.amend.clear_prm_links",
			"prm_app.events.deal_registration.sales_invoice_validate",
			"prm_app.events.sales_invoice.validate",
		],
		"before_submit": "prm_app.events.deal_registration.check_channel_conflict",
		"on_submit": [
			"prm_app.events.sales_invoice.on_submit",
			"prm_app.events.deal_registration.sales_invoice_on_submit",
			"prm_app.payment_commission.on_payment_event",
			"prm_app.daily_totals.on_invoice_change",
		],
		"on_cancel": [
			"prm_app.events.sales_invoice.on_cancel",
			"prm_app.events.deal_registration.sales_invoice_on_cancel",
			"prm_app.payment_commission.on_payment_event",
			"prm_app.daily_totals.on_invoice_change",
		],
		"on_update_after_submit": "prm_app.daily_totals.on_invoice_change",
	},
	"Quotation": {
		"validate": "prm_app.events.deal_registration.quotation_validate",
		"before_submit": "prm_app.events.deal_registration.check_channel_conflict",
		"on_update": "prm_app.deal_keys.update",
		"on_trash": "prm_app.deal_keys.remove",
	},
	"Sales Order": {
		"validate": "prm_app.events.deal_registration.sales_order_validate",
		"before_submit": "prm_app.events.deal_registration.check_channel_conflict",
	},
	# retrieval keys of what the deal-registration conflict check compares against (prm_app.deal_keys)
	"Customer": {
		"on_update": "prm_app.deal_keys.update",
		"on_trash": "prm_app.deal_keys.remove",
		"after_rename": "prm_app.deal_keys.after_rename",
	},
	"Lead": {
		"on_update": "prm_app.deal_keys.update",
		"on_trash": "prm_app.deal_keys.remove",
		"after_rename": "prm_app.deal_keys.after_rename",
	},
	"Prospect": {
		"on_update": "prm_app.deal_keys.update",
		"on_trash": "prm_app.deal_keys.remove",
		"after_rename": "prm_app.deal_keys.after_rename",
	},
	"Opportunity": {
		"on_update": "prm_app.deal_keys.update",
		"on_trash": "prm_app.deal_keys.remove",
		"after_rename": "prm_app.deal_keys.after_rename",
	},
	"Company": {
		"on_update": "prm_app.install.set_company_defaults",
		"before_rename": "prm_app.prm_app.doctype.partner.partner.refuse_merging_partner_company",
		"after_rename": "prm_app.daily_totals.on_company_rename",
	},
	"Sales Partner": {
		"before_rename": "prm_app.prm_app.doctype.partner.partner.refuse_merging_partners",
		"after_rename": "prm_app.daily_totals.on_sales_partner_rename",
	},
	"Supplier": {
		"before_rename": "prm_app.prm_app.doctype.partner.partner.refuse_merging_partners",
	},
	"Payment Entry": {
		"validate": "prm_app.events.amend.clear_prm_links",
		"before_cancel": "prm_app.payouts.refuse_reopening_a_left_supplier",
		"on_submit": ["prm_app.payouts.on_payment_change", "prm_app.payment_commission.on_payment_event"],
		"on_cancel": ["prm_app.payouts.on_payment_change", "prm_app.payment_commission.on_payment_event"],
		"on_update_after_submit": [
			"prm_app.payouts.on_payment_change",
			"prm_app.payment_commission.on_payment_event",
		],
	},
	"Journal Entry": {
		"validate": "prm_app.events.amend.clear_prm_links",
		"before_cancel": "prm_app.payouts.refuse_cancelling_a_journal_on_a_left_supplier",
		"on_submit": ["prm_app.payment_commission.on_payment_event", "prm_app.payouts.on_journal_change"],
		"on_cancel": ["prm_app.payment_commission.on_payment_event", "prm_app.payouts.on_journal_change"],
		"on_update_after_submit": [
			"prm_app.payment_commission.on_payment_event",
			"prm_app.payouts.on_journal_change",
		],
	},
	# a payment allocated in ERPNext's Payment Reconciliation: its ledger is posted again after its save
	"Payment Ledger Entry": {"on_submit": "prm_app.payouts.on_ledger_reposted"},
	"Unreconcile Payment": {
		"before_submit": "prm_app.payouts.refuse_unreconciling_a_left_supplier",
		"on_submit": ["prm_app.payment_commission.on_payment_event", "prm_app.payouts.on_unreconcile"],
	},
	# partner isolation (prm_app.security): owner and links of partner users' writes; file attachments
	"*": {"validate": "prm_app.security.validate_partner_write"},
	# file URLs never collide under MariaDB's collation (case, trailing spaces): downloads match by it
	"File": {
		"validate": [
			"prm_app.security.validate_file",
			"prm_app.security.own_copy_of_shared_content",
			"prm_app.security.keep_file_url_distinct",
		]
	},
	# history never holds what partner users cannot read; likes, assignments and comments of partner and
	# website users land only on records they may read
	"Version": {"before_insert": "prm_app.security.strip_hidden_from_version"},
	"ToDo": {"validate": "prm_app.security.validate_todo_reference"},
	"Comment": {"before_insert": "prm_app.security.validate_comment_reference"},
}

scheduler_events = {
	"daily": [
		"prm_app.payouts.mark_payable",
		"prm_app.deals.daily",
		"prm_app.payment_commission.sweep",
		# special pricing (issue 15): approved requests past their validity expire, their Pricing Rules off
		"prm_app.channel_funds.special_pricing.daily",
	],
	"monthly_long": ["prm_app.payouts.monthly_payout_run"],
	"daily_long": ["prm_app.reconciliation.check_all_companies", "prm_app.tiers.scheduled_evaluation"],
}

# The Partner Statement print format (Partner Payout) renders prm_app.statement.partner_statement.
# prm_partner_emails, prm_manager_emails: recipients in prm_app's Notification records (prm_app.notifications)
jinja = {
	"methods": [
		"prm_app.statement.partner_statement",
		"prm_app.l10n.prm_money",
		"prm_app.l10n.prm_date",
		"prm_app.notifications.prm_partner_emails",
		"prm_app.notifications.prm_manager_emails",
	]
}

# Cancelling an invoice handles its commissions itself (cancel, or a reversal when paid).
auto_cancel_exempted_doctypes = ["Partner Commission", "Partner Payout"]

permission_query_conditions = {
	"Deal Registration": "prm_app.permissions.deal_registration_query",
	"Partner": "prm_app.permissions.partner_query",
	"Partner Commission": "prm_app.permissions.owned_query",
	"Partner Payout": "prm_app.permissions.owned_query",
	"Partner Tier History": "prm_app.permissions.owned_query",
	"Partner Certification": "prm_app.permissions.owned_query",
	"Partner Resource": "prm_app.permissions.resource_query",
	"Partner User": "prm_app.permissions.partner_user_query",
	"Deal Registration Product": "prm_app.permissions.deal_product_query",
	"Deal Registration Conflict": "prm_app.permissions.hidden_from_partners_query",
	"Has Role": "prm_app.permissions.has_role_query",
	"Dynamic Link": "prm_app.permissions.dynamic_link_query",
	"User": "prm_app.permissions.user_query",
	# special pricing (issue 15)
	"Special Price Request": "prm_app.permissions.special_price_request_query",
	"Special Price Request Item": "prm_app.permissions.special_price_item_query",
}

has_permission = {
	"Deal Registration": "prm_app.permissions.deal_registration_permission",
	"Partner": "prm_app.permissions.partner_permission",
	"Partner Commission": "prm_app.permissions.owned_permission",
	"Partner Payout": "prm_app.permissions.owned_permission",
	"Partner Tier History": "prm_app.permissions.owned_permission",
	"Partner Certification": "prm_app.permissions.owned_permission",
	"Partner Resource": "prm_app.permissions.resource_permission",
	"File": "prm_app.permissions.file_permission",
	# special pricing (issue 15)
	"Special Price Request": "prm_app.permissions.special_price_request_permission",
}

# Partner isolation for every request: hidden child tables stay out of list queries, website users and
# Guest get no tracebacks (prm_app.security)
before_request = ["prm_app.security.before_request"]
after_request = ["prm_app.security.after_request"]

# frappe.client.get_count / validate_link check doctype-level permission only in v15: for partner users
# they check the records.
# Link search with ignore_user_permissions skips row rules; a link's title is read without a permission check; likes and run_doc_method act before a read
# check; open counts count doctypes the user cannot read (prm_app.api.search / prm_app.api.desk).
override_whitelisted_methods = {
	"frappe.client.get_count": "prm_app.api.client.get_count",
	"frappe.client.validate_link": "prm_app.api.client.validate_link",
	"frappe.desk.search.search_link": "prm_app.api.search.search_link",
	"frappe.desk.search.search_widget": "prm_app.api.search.search_widget",
	"frappe.desk.search.get_names_for_mentions": "prm_app.api.search.get_names_for_mentions",
	"frappe.desk.search.get_link_title": "prm_app.api.search.get_link_title",
	"frappe.desk.like.toggle_like": "prm_app.api.desk.toggle_like",
	"run_doc_method": "prm_app.api.desk.run_doc_method",
	"runserverobj": "prm_app.api.desk.run_doc_method",
	"frappe.handler.run_doc_method": "prm_app.api.desk.run_doc_method",
	"frappe.handler.runserverobj": "prm_app.api.desk.run_doc_method",
	"frappe.desk.notifications.get_open_count": "prm_app.api.desk.get_open_count",
	"frappe.desk.form.load.getdoc": "prm_app.api.desk.getdoc",
	"frappe.desk.form.load.get_docinfo": "prm_app.api.desk.get_docinfo",
}

# Partner portal (/partner): menu for the Partner role (Portal Settings drops items without a reference_doctype).
standard_portal_menu_items = [
	{"title": "Partner Dashboard", "route": "/partner", "reference_doctype": "Partner", "role": "Partner"},
	{
		"title": "Deal Registrations",
		"route": "/partner/deals",
		"reference_doctype": "Deal Registration",
		"role": "Partner",
	},
	{
		"title": "Commissions",
		"route": "/partner/commissions",
		"reference_doctype": "Partner Commission",
		"role": "Partner",
	},
	{
		"title": "Payouts",
		"route": "/partner/payouts",
		"reference_doctype": "Partner Payout",
		"role": "Partner",
	},
	{
		"title": "Partner Resources",
		"route": "/partner/resources",
		"reference_doctype": "Partner Resource",
		"role": "Partner",
	},
	{
		"title": "Partner Profile",
		"route": "/partner/profile",
		"reference_doctype": "Partner",
		"role": "Partner",
	},
]

# a partner user's portal menu: only entries for the user's roles and partner role (prm_app.portal_menu)
update_website_context = ["prm_app.portal_menu.partner_sidebar"]

# /partner/deal/<name> is the registration page (Frappe otherwise reads it as a print view of a doctype
# "partner" and answers 500)
website_route_rules = [{"from_route": "/partner/deal/<name>", "to_route": "partner/deal"}]

# special pricing (issue 15): "Create > Special Price Request" on the documents a request starts from
doctype_js = {
	"Opportunity": "public/js/special_price_request_button.js",
	"Quotation": "public/js/special_price_request_button.js",
	"Deal Registration": "public/js/special_price_request_button.js",
}

# notifications in each recipient's language (issue 12)
override_doctype_class = {"Notification": "prm_app.overrides.notification.PRMNotification"}

override_doctype_dashboards = {
	"Sales Invoice": "prm_app.overrides.dashboards.sales_invoice",
}

# --- Channel Funds (issue 15): market development funds ---------------------------------------------------------
# a claim's Purchase Invoice: cancelling it cancels the claim; payments of it (Payment Entry, a payout's,
# or a journal) update the claim's reimbursed amount
doc_events["Purchase Invoice"] = {"on_cancel": "prm_app.channel_funds.claims.on_purchase_invoice_cancel"}
for _doctype in ("Payment Entry", "Journal Entry"):
	for _event in ("on_submit", "on_cancel", "on_update_after_submit"):
		_handlers = doc_events[_doctype].get(_event) or []
		doc_events[_doctype][_event] = [
			*([_handlers] if isinstance(_handlers, str) else _handlers),
			"prm_app.channel_funds.claims.on_payment_change",
		]
scheduler_events["daily"].append("prm_app.channel_funds.funds.expire_requests")
permission_query_conditions.update(
	{
		"Fund Request": "prm_app.permissions.owned_query",
		"Fund Claim": "prm_app.permissions.owned_query",
		"Fund Allocation": "prm_app.permissions.owned_query",
		"Fund Claim Proof": "prm_app.channel_funds.permissions.claim_proof_query",
	}
)
has_permission.update(
	{
		"Fund Request": "prm_app.permissions.owned_permission",
		"Fund Claim": "prm_app.permissions.owned_permission",
		"Fund Allocation": "prm_app.permissions.owned_permission",
	}
)
auto_cancel_exempted_doctypes.append("Fund Claim")
standard_portal_menu_items.append(
	{
		"title": "Marketing Funds",
		"route": "/partner/funds",
		"reference_doctype": "Fund Request",
		"role": "Partner",
	}
)
# --- end Channel Funds -------------------------------------------------------------------------------------------
