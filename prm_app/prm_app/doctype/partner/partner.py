"""Partner: the vendor's partner master, tied to ERPNext's Sales Partner (what invoices carry) and to a
Supplier (what commissions are payable to)."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import fmt_money
from frappe.utils.nestedset import get_root_of

from prm_app.permissions import is_channel_manager, partner_managers
from prm_app.security import validate_http_url, validate_plain_name

# an application not (yet) accepted: no Sales Partner, no Supplier
APPLICATION_STATUSES = ("Applicant", "Rejected")


class Partner(Document):
	def validate(self):
		self.validate_values()
		self.validate_channel_manager()
		self.validate_sales_partner_unique()
		self.validate_users_unique()
		self.validate_supplier_change()
		self.ensure_sales_partner()
		self.ensure_supplier()

	def on_update(self):
		self.sync_portal_roles()

	def sync_portal_roles(self):
		"""A user added to the partner's users (from the desk too, not only by invitation) gets the portal's
		Partner role; one removed, and on no other partner, loses it."""
		before = self.get_doc_before_save()
		now = {row.user for row in self.users if row.user}
		gone = {row.user for row in (before.users if before else []) if row.user} - now
		for user in sorted(now):
			if "Partner" not in frappe.get_roles(user):
				doc = frappe.get_doc("User", user)
				doc.flags.ignore_permissions = True
				doc.add_roles("Partner")
		for user in sorted(gone):
			if frappe.db.exists("Partner User", {"user": user, "parenttype": "Partner"}):
				continue  # still a user of another partner
			if "Partner" in frappe.get_roles(user):
				doc = frappe.get_doc("User", user)
				doc.flags.ignore_permissions = True
				doc.remove_roles("Partner")

	@frappe.whitelist(methods=["POST"])
	def send_portal_invitations(self) -> list[str]:
		"""A manager sends the portal invitation (Frappe's welcome email, a link to set the password) to the
		partner's users who have never logged in; returns who was invited."""
		from prm_app.api.portal import send_invitation
		from prm_app.permissions import require_manager

		require_manager(_("Only a Partner Manager can invite a partner's users."))
		frappe.has_permission("Partner", "write", self.name, throw=True)
		stored = {row.user for row in frappe.get_doc("Partner", self.name).users if row.user}
		waiting = frappe.get_all(
			"User",
			filters={"name": ("in", sorted(stored) or [""]), "enabled": 1, "last_login": ("is", "not set")},
			pluck="name",
			order_by="name",
		)
		return [user for user in waiting if send_invitation(user)]

	def validate_values(self):
		"""The name becomes a Sales Partner's and a Supplier's name (no markup); the website is shown as a
		link in the desk, print formats and the portal (http and https only)."""
		self.partner_name = validate_plain_name(self.partner_name, self.meta.get_label("partner_name"))
		website = validate_http_url(self.website, self.meta.get_label("website"), require_scheme=False)
		self.website = website if not website or "://" in website else "https://" + website

	def validate_sales_partner_unique(self):
		self.validate_link_unique(
			"sales_partner",
			_("Sales Partner {0} already belongs to partner {1}."),
			_("Sales Partner in Use"),
		)
		# the supplier is whom the partner's commissions, payouts and fund claims are owed to and paid: two
		# partners on one supplier would see (dashboard balance) and be paid each other's money
		self.validate_link_unique(
			"supplier", _("Supplier {0} already belongs to partner {1}."), _("Supplier in Use")
		)

	def validate_link_unique(self, fieldname: str, message: str, title: str):
		"""A new or changed value may not be another partner's, nor carry another partner's postings. An
		unchanged one is not checked again: a site may hold partners that shared one from before this was
		refused; they still save (a tier change, a new user), the setup checklist lists them and their
		portal balance leaves that supplier out."""
		value = self.get(fieldname)
		if not value or not self.has_value_changed(fieldname):
			return
		other = frappe.db.get_value(
			"Partner", {fieldname: value, "name": ("!=", self.name or "")}
		) or partner_with_postings(fieldname, value, self.name)
		if other:
			frappe.throw(message.format(frappe.bold(value), frappe.bold(other)), title=title)

	def validate_channel_manager(self):
		"""The partner's channel manager: a Partner Manager (the one who creates the partner in the desk,
		unless another is chosen; the one who approves an application)."""
		user = frappe.session.user
		if not self.channel_manager and self.is_new() and is_channel_manager(user):
			self.channel_manager = user
		if self.channel_manager and self.has_value_changed("channel_manager"):
			if not is_channel_manager(self.channel_manager):
				frappe.throw(
					_("{0} is not an enabled user with the Partner Manager role.").format(
						frappe.bold(self.channel_manager)
					),
					title=_("Invalid Channel Manager"),
				)

	def validate_supplier_change(self):
		"""A payout pays the partner's current supplier: moving to another one while commissions or fund
		claims are still open on the old one would leave them unpaid by any payout."""
		from prm_app.reconciliation import open_on_supplier, unallocated_on_supplier

		before = None if self.is_new() else self.get_doc_before_save()
		old = before.supplier if before else None
		if not old or old == self.supplier:
			return
		currency = frappe.get_cached_value("Company", self.company, "default_currency")

		def money(value):
			return fmt_money(value, currency=currency)

		documents, amount = open_on_supplier(self.name, old)
		if documents:
			frappe.throw(
				_(
					"{0} open commission or fund claim documents ({1} net) are on supplier {2}: pay them with a "
					"Partner Payout, or settle them, before moving the partner to another supplier."
				).format(
					documents,
					money(amount),
					frappe.bold(old),
				),
				title=_("Open Balance on the Supplier"),
			)
		advance = unallocated_on_supplier(old, self.company)
		if advance:
			# not refused: the supplier may be one the vendor also buys from, with advances of its own
			frappe.msgprint(
				_(
					"{0} paid to supplier {1} is not allocated to anything. No payout of the new supplier takes it "
					"into account: allocate it to the partner's commissions in Payment Reconciliation first, or "
					"have it returned."
				).format(
					money(advance),
					frappe.bold(old),
				),
				title=_("Payments Not Allocated"),
				indicator="orange",
			)

	def validate_users_unique(self):
		seen = set()
		for row in self.users:
			if row.user in seen:
				frappe.throw(_("User {0} is listed twice.").format(frappe.bold(row.user)))
			seen.add(row.user)

	def ensure_sales_partner(self):
		"""Link the Sales Partner of the same name, or create one (commission rate 0: PRM computes it).
		Applicants (the portal's public application) get theirs when approved, rejected ones never."""
		if self.sales_partner or self.status in APPLICATION_STATUSES:
			return
		existing = frappe.db.exists("Sales Partner", self.partner_name)
		if (
			existing
			and not frappe.db.exists("Partner", {"sales_partner": existing})
			and not partner_with_postings("sales_partner", existing, self.name)
		):
			self.sales_partner = existing
			return
		sales_partner = frappe.get_doc(
			{
				"doctype": "Sales Partner",
				"partner_name": self.partner_name if not existing else f"{self.partner_name} (PRM)",
				"partner_type": self.partner_type,
				"territory": self.territory or get_root_of("Territory"),
				"commission_rate": 0,
				"partner_website": self.website,
			}
		).insert(ignore_permissions=True)
		self.sales_partner = sales_partner.name

	def ensure_supplier(self):
		"""Link or create the Supplier that commission is payable to (not for applicants)."""
		if self.supplier or self.status in APPLICATION_STATUSES:
			return
		from prm_app.reconciliation import supplier_partners

		existing = frappe.db.get_value("Supplier", {"supplier_name": self.partner_name})
		# not one another partner has, nor one it left with its postings (its balance and payments)
		if existing and not supplier_partners(existing) - {self.name}:
			self.supplier = existing
			return
		supplier = frappe.get_doc(
			{
				"doctype": "Supplier",
				"supplier_name": self.partner_name if not existing else f"{self.partner_name} (PRM)",
				"supplier_group": frappe.db.get_single_value("PRM Settings", "supplier_group")
				or get_root_of("Supplier Group"),
				"supplier_type": "Company",
				"tax_id": self.tax_id,
				"website": self.website,
			}
		).insert(ignore_permissions=True)
		self.supplier = supplier.name


def partner_with_postings(fieldname: str, value: str, partner: str | None) -> str | None:
	"""Another partner than ``partner`` that ``value`` still carries postings of, after that partner moved
	to a new one: a supplier its commissions or fund claims were posted to (its balance and payments), a
	sales partner its commissioned invoices carry (its revenue and tier progress)."""
	if fieldname == "sales_partner":
		rows = frappe.db.sql(
			"""select pc.partner from `tabPartner Commission` pc
			join `tabSales Invoice` si on si.name = pc.sales_invoice
			where si.sales_partner = %s and pc.partner != %s limit 1""",
			(value, partner or ""),
		)
		return rows[0][0] if rows else None
	from prm_app.reconciliation import supplier_partners

	return next(iter(sorted(supplier_partners(value) - {partner})), None)


def refuse_merging_partners(doc, method=None, old: str | None = None, new: str | None = None, merge=False):
	"""Supplier / Sales Partner before_rename: a merge that would join two partners' suppliers (their
	balances, payouts, fund claims) or sales partners (their invoices, revenue, tier progress) is refused,
	as choosing another partner's is (``validate_link_unique``)."""
	if not merge or not old or not new:
		return
	partners = sorted(partners_of(doc.doctype, old) | partners_of(doc.doctype, new))
	if len(partners) > 1:
		frappe.throw(
			_("{0} and {1} belong to different partners ({2}) and cannot be merged.").format(
				frappe.bold(old), frappe.bold(new), ", ".join(frappe.bold(p) for p in partners)
			),
			title=_("Cannot Merge"),
		)


def refuse_merging_partner_company(
	doc, method=None, old: str | None = None, new: str | None = None, merge=False
):
	"""Company before_rename: a company with partners is not merged into another. Its partners'
	commissions stay on its accounts (the target's after the merge), while the portal's balance reads the
	target's own commission payable account: what the partners are owed would vanish from it."""
	if merge and old and new and frappe.db.exists("Partner", {"company": old}):
		message = _(
			"Company {0} has partners, whose commissions are posted to its accounts: it cannot be merged into {1}."
		)
		frappe.throw(message.format(frappe.bold(old), frappe.bold(new)), title=_("Cannot Merge"))


def partners_of(doctype: str, name: str) -> set[str]:
	if doctype == "Supplier":
		from prm_app.reconciliation import supplier_partners

		return supplier_partners(name)
	return set(frappe.get_all("Partner", filters={"sales_partner": name}, pluck="name"))


def get_partner_by_sales_partner(sales_partner: str | None) -> str | None:
	if not sales_partner:
		return None
	return frappe.db.get_value("Partner", {"sales_partner": sales_partner})


@frappe.whitelist()
@frappe.validate_and_sanitize_search_inputs
def channel_manager_query(doctype, txt, searchfield, start, page_len, filters):
	"""The Channel Manager field's choices: enabled Partner Managers, by id or name."""
	frappe.has_permission("Partner", "write", throw=True)

	users = [u for u in partner_managers() if u != "Administrator"]
	user = frappe.qb.DocType("User")
	pattern = f"%{txt}%"
	return (
		frappe.qb.from_(user)
		.select(user.name, user.full_name)
		.where(user.name.isin(users or [""]) & (user.name.like(pattern) | user.full_name.like(pattern)))
		.orderby(user.name)
		.limit(page_len)
		.offset(start)
		.run()
	)
