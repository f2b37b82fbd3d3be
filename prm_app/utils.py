"""Small Frappe-side helpers shared by controllers, events and the ledger."""

import frappe
from frappe import _

from prm_app.engine import EngineError

DEFAULT_ROUNDING = "Banker's Rounding (legacy)"


def engine_error_message(error: EngineError) -> str:
	"""The engine's English template, translated, with its arguments."""
	text = _(error.template).format(*error.args_)
	return f"{error.where}: {text}" if error.where else text


def rounding_method() -> str:
	return frappe.get_system_settings("rounding_method") or DEFAULT_ROUNDING


def company_currency_precision(company: str) -> int:
	"""ERPNext's precision for a company-currency amount (System Settings currency precision)."""
	return int(frappe.get_precision("Partner Commission Line", "amount") or 2)


def commit_job() -> None:
	"""A background job commits as it goes (its progress and finished chunks stay if it fails later);
	tests roll back instead."""
	if not frappe.flags.in_test:
		frappe.db.commit()  # nosemgrep: background jobs commit per chunk


def first_time(registry: str, item: str) -> bool:
	"""Whether ``item`` was never made under ``registry`` (a global default) before; remembers it. What
	install and migrate create once (permissions, notifications), so a customer's later change or removal
	of it stands."""
	import json

	made = set(json.loads(frappe.db.get_global(registry) or "[]"))
	if item in made:
		return False
	made.add(item)
	frappe.db.set_global(registry, json.dumps(sorted(made)))
	return True
