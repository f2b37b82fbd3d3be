"""Versions stored before prm_app stripped them held the conflict rows of registrations (permlevel 1),
which Frappe serves to everyone who reads the registration: strip them as new versions are."""

import frappe

from prm_app.security import is_prm_doctype, strip_hidden_from_version_data


def execute():
	doctypes = [
		d
		for d in frappe.get_all("DocType", filters={"istable": 0}, pluck="name")
		if is_prm_doctype(d) and any((df.permlevel or 0) > 0 for df in frappe.get_meta(d).fields)
	]
	for version in frappe.get_all(
		"Version", filters={"ref_doctype": ("in", doctypes or [""])}, fields=["name", "ref_doctype", "data"]
	):
		try:
			data = frappe.parse_json(version.data)
		except Exception:
			continue
		if not isinstance(data, dict):
			continue
		stripped = strip_hidden_from_version_data(version.ref_doctype, data)
		if stripped != data:
			frappe.db.set_value(
				"Version",
				version.name,
				"data",
				frappe.as_json(stripped, indent=None, separators=(",", ":")),
				update_modified=False,
			)
