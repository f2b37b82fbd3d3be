"""Dashboard connections on ERPNext doctypes."""

from frappe import _


def sales_invoice(data):
	data.setdefault("non_standard_fieldnames", {})["Partner Commission"] = "sales_invoice"
	data["transactions"].append({"label": _("Partner"), "items": ["Partner Commission"]})
	return data
