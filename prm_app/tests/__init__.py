"""Bench test support: the version-proof base class and the ``before_tests`` hook."""

import frappe

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase as PRMTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as PRMTestCase


def before_tests():
	"""Run for ``run-tests --app prm_app`` only: make sure ERPNext is set up (company, fiscal year,
	defaults) as ERPNext's own test bootstrap does, then that prm_app's roles exist."""
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	from prm_app.install import make_roles

	make_roles()
	frappe.db.commit()  # nosemgrep: the test bootstrap commits, as ERPNext's does


class CompanyTestCase(PRMTestCase):
	"""A bench test on the shared test company (prm_app.tests.utils.make_company); every test rolls back,
	as Administrator again."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		from prm_app.tests.utils import make_company

		make_company()

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()


__all__ = ["CompanyTestCase", "PRMTestCase", "before_tests"]
