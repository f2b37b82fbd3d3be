"""A registered prospect that is an existing customer (issue 12): approving the registration links the
Opportunity to that Customer instead of creating a second Prospect of the same company."""

import frappe

from prm_app.tests import CompanyTestCase
from prm_app.tests.utils import make_customer, make_partner, make_registration

CUSTOMER = "Vandelay Industries Corp"


class TestDealOfAnExistingCustomer(CompanyTestCase):
	def test_the_opportunity_is_the_customers(self):
		make_customer(CUSTOMER)
		partner = make_partner("_PRM Vandelay Partner")
		registration = make_registration(
			partner,
			prospect_name=CUSTOMER,
			website="vandelay-industries.example",
			contact_email="art@vandelay-industries.example",
			submit=True,
		)
		registration.approve()
		registration.reload()
		self.assertEqual(registration.status, "Approved")
		self.assertEqual(registration.customer, CUSTOMER)
		opportunity = frappe.get_doc("Opportunity", registration.opportunity)
		self.assertEqual((opportunity.opportunity_from, opportunity.party_name), ("Customer", CUSTOMER))
		self.assertFalse(frappe.db.exists("Prospect", CUSTOMER))

	def test_a_prospect_like_no_customer_still_becomes_a_prospect(self):
		partner = make_partner("_PRM Vandelay Partner")
		registration = make_registration(
			partner,
			prospect_name="Kramerica Labs",
			website="kramerica.example",
			contact_email="k@kramerica.example",
			submit=True,
		)
		registration.approve()
		registration.reload()
		opportunity = frappe.get_doc("Opportunity", registration.opportunity)
		self.assertEqual(
			(opportunity.opportunity_from, opportunity.party_name), ("Prospect", "Kramerica Labs")
		)
