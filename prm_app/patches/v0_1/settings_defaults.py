"""PRM Settings fields added during 0.1 development were saved empty on sites that existed before them;
give the ones still empty their defaults (once)."""

import frappe


def execute():
	settings = frappe.get_single("PRM Settings")
	changed = False
	for field in settings.meta.fields:
		if field.fieldtype in frappe.model.numeric_fieldtypes:
			continue  # 0 is a value someone chose (no holding period, no notifications), not a missing one
		if field.default and not settings.get(field.fieldname):
			settings.set(field.fieldname, field.default)
			changed = True
	if changed:
		settings.flags.ignore_permissions = True
		settings.save()
