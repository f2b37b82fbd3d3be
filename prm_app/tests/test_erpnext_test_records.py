"""Safe beside ERPNext's own tests: Frappe builds a doctype's test records by walking its Link fields, and
prm_app's custom fields (deal_registration, prm_partner, prm_partner_commission, prm_partner_payout) lead
that walk into prm_app's doctypes. Their test modules declare ``test_ignore`` so the walk stops there and
ERPNext's records are built in ERPNext's order (else: "Could not find Customer: _Test Customer")."""

from collections import defaultdict

import frappe

from prm_app.tests import PRMTestCase

try:  # Frappe v15
	from frappe.test_runner import make_test_records
except ImportError:  # Frappe v16
	from frappe.tests.utils import make_test_records


class TestERPNextTestRecords(PRMTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_erpnext_builds_its_test_records_with_prm_app_installed(self):
		skip, objects = frappe.flags.skip_test_records, getattr(frappe.local, "test_objects", None)
		frappe.flags.skip_test_records = False  # the suite runs with --skip-test-records
		frappe.local.test_objects = defaultdict(list)
		try:
			# v15 logs what it made in .test_log and skips it next time unless forced; v16 checks each record
			# (forcing it there re-inserts ERPNext's items with their defaults twice)
			force = int(frappe.__version__.split(".")[0]) < 16
			for doctype in ("Customer", "Item", "Sales Invoice", "Payment Entry"):
				make_test_records(doctype, force=force, commit=False)
		finally:
			frappe.flags.skip_test_records = skip
			frappe.local.test_objects = objects if objects is not None else defaultdict(list)
		for doctype, name in (("Customer", "_Test Customer"), ("Item", "_Test Item")):
			self.assertTrue(frappe.db.exists(doctype, name), (doctype, name))
