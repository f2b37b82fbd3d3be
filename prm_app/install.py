"""Install, migrate and uninstall: roles, custom fields on ERPNext doctypes and defaults.

Custom fields are defined in code (``CUSTOM_FIELDS``) and synced idempotently on install and on every
migrate, so they stay reviewable and in step with the app; they are removed on uninstall.
"""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from prm_app import deal_keys, personas
from prm_app.api.setup import make_checklist_block
from prm_app.api.workspace import make_empty_state_block
from prm_app.channel_funds.setup import CUSTOM_FIELDS as FUNDS_CUSTOM_FIELDS
from prm_app.notifications import make_notifications

# Roles: desk roles for the vendor's staff; "Partner" is a portal role (no desk access).
DESK_ROLES = ("Partner Manager",)
PORTAL_ROLES = ("Partner",)


def _link(fieldname, label, options, **extra):
	return {
		"fieldname": fieldname,
		"label": label,
		"fieldtype": "Link",
		"options": options,
		"read_only": 1,
		"no_copy": 1,
		**extra,
	}


def _deal_registration(insert_after):
	"""The link back to a Deal Registration: the same fieldname on Opportunity, Quotation, Sales Order and
	Sales Invoice and no_copy 0, so ERPNext's mappers carry it along the chain (``get_mapped_doc`` copies
	fields of the same name)."""
	return {
		"fieldname": "deal_registration",
		"label": "Deal Registration",
		"fieldtype": "Link",
		"options": "Deal Registration",
		"insert_after": insert_after,
		"no_copy": 0,
		"search_index": 1,
	}


def _channel_override(insert_after):
	"""Protection of another partner's registration (prm_app.deals.check_channel_conflict): the protecting
	registration found on submit, and a Partner Manager's override with its reason."""
	return [
		{
			"fieldname": "prm_channel_section",
			"label": "Channel Conflict",
			"fieldtype": "Section Break",
			"insert_after": insert_after,
			"collapsible": 1,
			"depends_on": "eval:doc.prm_protected_by || doc.prm_channel_override_reason",
		},
		{
			"fieldname": "prm_protected_by",
			"label": "Protected by Deal Registration",
			"fieldtype": "Link",
			"options": "Deal Registration",
			"insert_after": "prm_channel_section",
			"read_only": 1,
			"no_copy": 1,
			"search_index": 1,
		},
		{
			"fieldname": "prm_channel_override_reason",
			"label": "Channel Override Reason",
			"fieldtype": "Small Text",
			"insert_after": "prm_protected_by",
			"no_copy": 1,
			"description": "A Partner Manager's reason to submit although another partner's approved deal registration protects this customer.",
		},
		{
			"fieldname": "prm_channel_override_by",
			"label": "Overridden By",
			"fieldtype": "Link",
			"options": "User",
			"insert_after": "prm_channel_override_reason",
			"read_only": 1,
			"no_copy": 1,
		},
		{
			"fieldname": "prm_channel_override_on",
			"label": "Overridden On",
			"fieldtype": "Datetime",
			"insert_after": "prm_channel_override_by",
			"read_only": 1,
			"no_copy": 1,
		},
	]


# doctype -> custom field definitions; every fieldname starts with prm_ except ``deal_registration``
# (the name issue 5 fixes); uninstall removes exactly the fields listed here.
CUSTOM_FIELDS: dict[str, list[dict]] = {
	"Company": [
		{
			"fieldname": "prm_section",
			"label": "Partner Commission",
			"fieldtype": "Section Break",
			"insert_after": "default_finance_book",
			"collapsible": 1,
		},
		{
			"fieldname": "prm_commission_expense_account",
			"label": "Commission Expense Account",
			"fieldtype": "Link",
			"options": "Account",
			"insert_after": "prm_section",
			"description": "Debited when partner commission accrues (default: Commission on Sales).",
		},
		{
			"fieldname": "prm_commission_payable_account",
			"label": "Commission Payable Account",
			"fieldtype": "Link",
			"options": "Account",
			"insert_after": "prm_commission_expense_account",
			"description": "A Payable account; credited with the partner's supplier as party.",
		},
		{
			"fieldname": "prm_column_break",
			"fieldtype": "Column Break",
			"insert_after": "prm_commission_payable_account",
		},
		{
			"fieldname": "prm_commission_cost_center",
			"label": "Commission Cost Center",
			"fieldtype": "Link",
			"options": "Cost Center",
			"insert_after": "prm_column_break",
			"description": "Used when an invoice line has no cost center.",
		},
		{
			"fieldname": "prm_payout_account",
			"label": "Partner Payout Account",
			"fieldtype": "Link",
			"options": "Account",
			"insert_after": "prm_commission_cost_center",
			"description": "Bank or cash account partner payouts are paid from (default: the company's bank account).",
		},
	],
	"Opportunity": [
		_deal_registration("opportunity_owner"),
		_link("prm_sales_partner", "Sales Partner", "Sales Partner", insert_after="deal_registration"),
	],
	"Quotation": [_deal_registration("referral_sales_partner"), *_channel_override("deal_registration")],
	"Sales Order": [_deal_registration("sales_partner"), *_channel_override("deal_registration")],
	"Sales Invoice": [
		_deal_registration("sales_partner"),
		*_channel_override("prm_partner_tier"),
		_link("prm_partner", "Partner", "Partner", insert_after="sales_partner", search_index=1),
		_link(
			"prm_partner_commission",
			"Partner Commission",
			"Partner Commission",
			insert_after="total_commission",
			allow_on_submit=1,
		),
		# the plan and tier in force when the invoice was submitted: its payments, returns and cancel
		# follow them, whatever the partner's plan, tier or status becomes later
		_link(
			"prm_commission_plan",
			"Commission Plan",
			"Commission Plan",
			insert_after="prm_partner_commission",
			allow_on_submit=1,
		),
		_link(
			"prm_partner_tier",
			"Partner Tier",
			"Partner Tier",
			insert_after="prm_commission_plan",
			allow_on_submit=1,
		),
	],
	"Payment Entry": [
		_link("prm_partner_payout", "Partner Payout", "Partner Payout", insert_after="reference_date"),
	],
	"Journal Entry": [
		_link(
			"prm_partner_commission",
			"Partner Commission",
			"Partner Commission",
			insert_after="reversal_of",
			search_index=1,
		),
	],
}


# --- Channel Funds (issue 15): market development funds -------------------------------------------------------
def _merge_custom_fields(extra: dict[str, list[dict]]) -> None:
	for doctype, fields in extra.items():
		CUSTOM_FIELDS.setdefault(doctype, []).extend(fields)


_merge_custom_fields(FUNDS_CUSTOM_FIELDS)
# --- end Channel Funds ------------------------------------------------------------------------------------------


def after_install():
	make_roles()
	sync_custom_fields()
	make_dimension_fields()
	for company in frappe.get_all("Company", pluck="name"):
		set_company_defaults(frappe.get_doc("Company", company))
	make_default_settings()
	make_special_price_workflow()
	personas.setup()  # what each persona's roles need outside prm_app's doctypes, and Role Profiles
	make_checklist_block()  # the Partners workspace's setup checklist
	make_empty_state_block()  # and what its charts say while they have no data
	make_notifications()  # managers and partners notified both ways (the customer's to edit)
	compile_translations()
	deal_keys.rebuild()  # records made before the app: the conflict check finds them by key


def after_migrate():
	make_roles()
	sync_custom_fields()
	make_dimension_fields()
	# an install that stopped midway left the accounts empty: fill what is empty, never overwrite a choice
	for company in frappe.get_all("Company", pluck="name"):
		set_company_defaults(frappe.get_doc("Company", company))
	make_default_settings()
	make_special_price_workflow()
	personas.setup()
	make_checklist_block()
	make_empty_state_block()
	make_notifications()
	compile_translations()


# --- special pricing (issue 15) ---


def make_special_price_workflow():
	"""The approval Workflow of Special Price Requests, made once (a customer may edit it afterwards)."""
	from prm_app.channel_funds.special_pricing import make_workflow

	make_workflow()


def compile_translations():
	from prm_app.l10n import compile_translations

	compile_translations()


def before_uninstall():
	delete_custom_fields()
	frappe.db.sql_ddl("drop table if exists `prm_daily_total`")  # prm_app.daily_totals: no DocType of its own
	frappe.delete_doc_if_exists("Workflow", "Special Price Approval")  # special pricing (issue 15)
	remove_desk_records()
	for name in frappe.get_all("Custom Field", filters={"dt": ("in", DIMENSION_DOCTYPES)}, pluck="name"):
		frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)


def remove_desk_records():
	"""The notifications and the workspace block install made (on prm_app's doctypes and methods, useless
	without the app). The read permissions and Role Profiles stay: they name roles that stay too."""
	from prm_app.api.setup import CHECKLIST_BLOCK
	from prm_app.api.workspace import EMPTY_STATE_BLOCK
	from prm_app.notifications import NOTIFICATIONS

	for name in [n["name"] for n in NOTIFICATIONS]:
		if frappe.db.exists("Notification", name):
			frappe.delete_doc("Notification", name, ignore_permissions=True, force=True)
	for block in (CHECKLIST_BLOCK, EMPTY_STATE_BLOCK):
		if frappe.db.exists("Custom HTML Block", block):
			frappe.delete_doc("Custom HTML Block", block, ignore_permissions=True, force=True)


# Commission lines carry the invoice line's accounting dimensions to the commission expense; ERPNext adds
# a field for each new dimension to the doctypes its hook lists (prm_app's hooks list these).
DIMENSION_DOCTYPES = ("Partner Commission Line",)


def make_dimension_fields():
	"""Fields for the accounting dimensions that existed before the app (ERPNext adds later ones)."""
	from erpnext.accounts.doctype.accounting_dimension.accounting_dimension import (
		create_accounting_dimensions_for_doctype,
	)

	for doctype in DIMENSION_DOCTYPES:
		create_accounting_dimensions_for_doctype(doctype)


def make_roles():
	for role in DESK_ROLES + PORTAL_ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role}).insert(ignore_permissions=True)
	for role in PORTAL_ROLES:
		# Roles named in DocPerms are created with desk access; a partner user must stay a website user.
		frappe.db.set_value("Role", role, "desk_access", 0)


def sync_custom_fields():
	if CUSTOM_FIELDS:
		create_custom_fields(CUSTOM_FIELDS, ignore_validate=True)


def delete_custom_fields():
	"""Remove the custom fields and their columns (an uninstalled app leaves no trace in ERPNext)."""
	for doctype, fields in CUSTOM_FIELDS.items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
		frappe.clear_cache(doctype=doctype)


def set_company_defaults(company, method=None):
	"""Fill a company's empty commission accounts from its chart: "Commission on Sales" for the expense,
	the default payable account, the default cost center. Runs on install and whenever a company is
	saved (a new company's chart exists only after its first save)."""
	if not frappe.get_meta("Company").has_field("prm_commission_expense_account"):
		return
	values = {}
	if not company.get("prm_commission_expense_account"):
		expense = frappe.db.get_value(
			"Account", {"company": company.name, "account_name": "Commission on Sales", "is_group": 0}
		)
		if expense:
			values["prm_commission_expense_account"] = expense
	if not company.get("prm_commission_payable_account") and company.get("default_payable_account"):
		values["prm_commission_payable_account"] = company.default_payable_account
	if not company.get("prm_commission_cost_center") and company.get("cost_center"):
		values["prm_commission_cost_center"] = company.cost_center
	if values:
		frappe.db.set_value("Company", company.name, values, update_modified=False)


def make_default_settings():
	"""PRM Settings fields that were never saved get their defaults (a field added by an upgrade has no
	value on an existing site until someone saves the settings)."""
	settings = frappe.get_single("PRM Settings")
	singles = frappe.qb.DocType("Singles")
	stored = set(
		frappe.qb.from_(singles)
		.select(singles.field)
		.where(singles.doctype == "PRM Settings")
		.run(pluck=True)
	)
	for field in settings.meta.fields:
		if field.default and field.fieldname not in stored:
			settings.set(field.fieldname, field.default)
	if not settings.supplier_group:
		settings.supplier_group = (
			frappe.db.get_value("Supplier Group", {"is_group": 0}, order_by="lft") or None
		)
	settings.flags.ignore_permissions = True
	settings.save()
