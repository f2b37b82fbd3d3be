"""The portal menu (Portal Settings: the website sidebar of /me on v15, of /portal on v16, and of
Frappe's portal list pages) as a partner user sees it: only the entries meant for one of the user's roles
(prm_app's Partner entries, and a Customer's or Supplier's entries when the user is one too), and of
prm_app's entries only those the user's partner role opens, as the portal's own navigation
(templates/includes/partner_base.html). Entries without a role (ERPNext's Addresses, Newsletter, a
customer's own role-less custom entries) are left out for partner users; every other user's menu is
Frappe's, untouched. Portal Settings rows are not changed: the menu is filtered as the page is built
(hooks.py update_website_context)."""

from __future__ import annotations

import frappe

from prm_app.channel_funds.portal_api import AREA as FUNDS_AREA
from prm_app.permissions import PARTNER_ROLE, is_partner_user, partner_roles_of
from prm_app.portal import AREAS

# prm_app's menu routes that only some partner roles open (portal.page_context's ``area``)
ROUTE_AREAS = {
	"/partner/deals": "deals",
	"/partner/commissions": "money",
	"/partner/payouts": "money",
	"/partner/funds": FUNDS_AREA,
}


def partner_sidebar(context) -> dict | None:
	"""update_website_context: a partner user's portal menu (see the module's docstring)."""
	items = context.get("sidebar_items")
	user = frappe.session.user
	if not items or user == "Guest":
		return None
	from frappe.website.utils import get_portal_sidebar_items

	if list(items) != list(get_portal_sidebar_items()):
		return None  # a page's own sidebar (Website Sidebar of a web page or web form), not the portal menu
	# the menu is this user's: v16 caches a page's HTML by path for everyone (/portal has no no_cache), so
	# the next user, a customer, would get a partner's menu (or a partner the customer's)
	update = {"no_cache": 1}
	if is_partner_user(user):
		update["sidebar_items"] = partner_menu(items, user)
	return update


def partner_menu(items: list, user: str) -> list:
	roles = set(frappe.get_roles(user))
	partner_role = next(iter(partner_roles_of(user).values()), None)
	menu = []
	for item in items:
		role = item.get("role")
		if not role or role not in roles:
			continue
		area = ROUTE_AREAS.get((item.get("route") or "").rstrip("/"))
		if role == PARTNER_ROLE and area and partner_role not in AREAS[area]:
			continue
		menu.append(item)
	return menu
