frappe.ui.form.on("Partner Resource", {});
