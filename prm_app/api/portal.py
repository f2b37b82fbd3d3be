"""Whitelisted endpoints of the partner portal (/partner pages). Every one resolves the partner from the
session user (``prm_app.portal.current_partner``); no endpoint takes a partner name from the browser.

register_deal / withdraw_deal                 Sales, Admin
search_products                               Sales, Admin: the deal form's product picker (rate-limited)
update_deal / request_deal_extension          Sales, Admin: edit and resubmit, ask for more protection
upload_deal_attachment                        Sales, Admin: a file on one of the partner's registrations
commissions_csv / statement_pdf               Finance, Admin (GET downloads, read only)
update_profile / invite_colleague / remove_colleague   Admin
apply                                         Guest: the public application (rate-limited, honeypot)
approve_application                           Partner Manager: Applicant -> Active, portal user, invite
"""

from __future__ import annotations

import csv
import io
import json
import math

import frappe
from frappe import _
from frappe.utils import add_months, cint, escape_html, flt, getdate, nowdate, validate_email_address

from prm_app import deal_products, portal
from prm_app.permissions import managers_of
from prm_app.security import client_address, validate_plain_name

PARTNER_ROLES = ("Admin", "Sales", "Finance")


def _as_list(value) -> list:
	if value in (None, ""):
		return []
	if isinstance(value, str):
		try:
			value = json.loads(value)
		except (ValueError, RecursionError):  # not JSON, or nested too deep to read: one (unknown) entry
			value = [value]
	return [v for v in (value if isinstance(value, list | tuple) else [value]) if v]


def _clean(value, length: int = 140, label: str | None = None) -> str:
	"""The value, stripped; an over-long one is refused (never cut short silently)."""
	value = (value if isinstance(value, str) else str(value or "")).strip()
	if len(value) > length:
		frappe.throw(
			_("{0} is too long: {1} characters, at most {2}.").format(
				_(label) if label else _("A value"), len(value), length
			),
			title=_("Value Too Long"),
		)
	return value


# --- deals ---------------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def register_deal(
	prospect_name: str,
	expected_amount: float | str,
	products: list | str | None = None,
	website: str | None = None,
	country: str | None = None,
	contact_name: str | None = None,
	contact_email: str | None = None,
	expected_close_date: str | None = None,
	notes: str | None = None,
) -> dict:
	"""Create and submit a Deal Registration for the session user's partner (the controller checks the
	prospect, products and conflicts)."""
	partner = portal.current_partner("deals")
	values = deal_values(
		partner, prospect_name, expected_amount, products, website, country, contact_name, contact_email,
		expected_close_date, notes,
	)  # fmt: skip
	doc = frappe.get_doc({"doctype": "Deal Registration", "partner": partner.name, **values})
	for attempt in (1, 2):
		try:
			registration = frappe.copy_doc(doc) if attempt == 2 else doc
			registration.insert()
			registration.submit_registration()
			return {"name": registration.name, "status": registration.status}
		except frappe.QueryDeadlockError:
			# two registrations of the same prospect at the same moment (their conflict checks lock the
			# same keys): the database gave this one up; once more, now seeing the other
			frappe.db.rollback()
			if attempt == 2:
				raise


def deal_values(
	partner, prospect_name, expected_amount, products, website, country, contact_name, contact_email,
	expected_close_date, notes,
) -> dict:  # fmt: skip
	"""The registration's fields from the portal form, every problem of the form reported at once (one
	message listing them), the rest checked by the controller."""
	items = _as_list(products)
	rows, product_problems = deal_products.lines_from_form(items)
	problems = []
	if not (prospect_name or "").strip():
		problems.append(_("Enter the prospect's company name."))
	if math.isnan(flt(expected_amount)) or flt(expected_amount) <= 0:  # NaN passes a comparison
		problems.append(_("The expected amount must be greater than zero."))
	if not expected_close_date:
		problems.append(_("Enter the expected close date."))
	if not items:
		problems.append(_("Choose at least one product."))
	problems += product_problems
	if problems:
		frappe.throw("<br>".join(problems), title=_("Check the Registration"))
	return {
		"prospect_name": _clean(prospect_name, label="Prospect Company Name"),
		"website": _clean(website, label="Website") or None,
		"country": country or None,
		"contact_name": _clean(contact_name, label="Contact Name") or None,
		"contact_email": _clean(contact_email, label="Contact Email") or None,
		"expected_amount": flt(expected_amount),
		"currency": partner.currency,
		"expected_close_date": expected_close_date or None,
		"notes": _clean(notes, 2000, label="Notes") or None,
		"products": rows,
	}


@frappe.whitelist(methods=["GET"])
def search_products(txt: str | None = None, limit: int | str = deal_products.SEARCH_LIMIT) -> list[dict]:
	"""The deal form's product picker: products the partner may register (code, name, item group) whose
	code or name holds the typed words. Sales and Admin partner users only, rate-limited per user."""
	portal.current_partner("deals")
	limit_requests(
		"search", frappe.session.user, SEARCH_RATE, 60, _("Too many searches. Please wait a minute.")
	)
	txt = _clean(txt, deal_products.MAX_SEARCH_LENGTH, label="Search")
	limit = cint(limit)
	if not 1 <= limit <= deal_products.SEARCH_LIMIT:
		frappe.throw(
			_("Ask for 1 to {0} results.").format(deal_products.SEARCH_LIMIT), title=_("Invalid Request")
		)
	return deal_products.search(txt, limit)


def own_deal(name: str, partner: frappe._dict):
	"""One of the partner's registrations, or the same refusal as a missing one."""
	if not name or frappe.db.get_value("Deal Registration", name, "partner") != partner.name:
		frappe.throw(_("Deal registration not found."), frappe.PermissionError)
	return frappe.get_doc("Deal Registration", name)


# --- returned for information: edit, resubmit ----------------------------------------------------------------

DEAL_FORM_FIELDS = (
	"prospect_name",
	"website",
	"country",
	"contact_name",
	"contact_email",
	"expected_amount",
	"expected_close_date",
	"notes",
)


@frappe.whitelist(methods=["POST"])
def update_deal(
	name: str,
	prospect_name: str,
	expected_amount: float | str,
	products: list | str | None = None,
	website: str | None = None,
	country: str | None = None,
	contact_name: str | None = None,
	contact_email: str | None = None,
	expected_close_date: str | None = None,
	notes: str | None = None,
	resubmit: int | str = 1,
) -> dict:
	"""The partner edits its Draft or Returned-for-information registration through the document (the
	permission hook and the controller refuse any other status or partner) and, by default, resubmits
	it: status Submitted, the conflict check run again. The vendor sees what changed: the document's
	Version and a comment listing the changed fields, old and new."""
	partner = portal.current_partner("deals")
	doc = own_deal(name, partner)
	values = deal_values(
		partner, prospect_name, expected_amount, products, website, country, contact_name, contact_email,
		expected_close_date, notes,
	)  # fmt: skip
	before = {field: doc.get(field) for field in DEAL_FORM_FIELDS}
	before_products = product_list(doc)
	kept_groups = [{"item_group": r.item_group, "qty": r.qty} for r in doc.products if not r.item_code]
	products_rows = values.pop("products")
	values.pop("currency")
	doc.update(values)
	doc.set("products", products_rows + kept_groups)
	# as the partner user: write permission on the stored record, then the controller; the Version is the
	# manager's record of what changed, always kept (v16 skips versions whenever frappe.in_test is set)
	doc.save(ignore_version=False)
	changes = changed_fields(doc, before, before_products)
	if changes:
		doc.add_comment(
			"Edit",
			_("Changed by {0}: {1}").format(escape_html(frappe.session.user), "; ".join(changes)),
		)
	if cint(resubmit):
		doc.submit_registration()
	return {"name": doc.name, "status": doc.status, "changed": len(changes)}


def product_list(doc) -> str:
	"""The products and their quantities, as the change comment shows them ("A × 2, B × 1")."""
	return ", ".join(
		sorted(f"{r.item_code or r.item_group or ''} × {portal.quantity_text(r.qty)}" for r in doc.products)
	)


def changed_fields(doc, before: dict, before_products: str) -> list[str]:
	"""'Label: old → new' for each field the partner changed (escaped: a comment is HTML in the desk)."""
	changes = []
	for field, old in before.items():
		new = doc.get(field)
		if str(old if old is not None else "") != str(new if new is not None else ""):
			if field == "expected_amount" and flt(old) == flt(new):
				continue
			changes.append(
				"{}: {} → {}".format(
					_(doc.meta.get_label(field)), escape_html(str(old or "–")), escape_html(str(new or "–"))
				)
			)
	if product_list(doc) != before_products:
		changes.append(
			"{}: {} → {}".format(
				_("Products"), escape_html(before_products or "–"), escape_html(product_list(doc))
			)
		)
	return changes


@frappe.whitelist(methods=["POST"])
def request_deal_extension(name: str, until: str, reason: str | None = None) -> dict:
	"""The partner asks to extend the protection of its approved registration; a Partner Manager
	approves (or declines) it on the registration, from the review task made here."""
	partner = portal.current_partner("deals")
	doc = own_deal(name, partner)
	if not (reason or "").strip():
		frappe.throw(_("Say why the deal needs more time."), title=_("Reason Required"))
	doc.request_extension(until, _clean(reason, 1000, label="Reason"))
	assign_to_managers(
		"Deal Registration",
		doc.name,
		_("{0} asks to extend the protection of {1} ({2}) until {3}.").format(
			escape_html(partner.partner_name),
			escape_html(doc.name),
			escape_html(doc.prospect_name),
			frappe.format(doc.extension_requested_until, "Date"),
		),
		partner.name,
	)
	return {
		"name": doc.name,
		"status": doc.status,
		"extension_requested_until": str(doc.extension_requested_until),
	}


@frappe.whitelist(methods=["POST"])
def withdraw_deal(name: str) -> dict:
	doc = own_deal(name, portal.current_partner("deals"))
	doc.withdraw()
	return {"name": doc.name, "status": doc.status}


# --- money ---------------------------------------------------------------------------------------------------


@frappe.whitelist(methods=["GET"])
def commissions_csv(from_date: str | None = None, to_date: str | None = None) -> None:
	"""The period's commissions and their lines as CSV (all of them, no page limit)."""
	partner = portal.current_partner("money")
	from_date, to_date = portal.period_filter(
		{"from_date": from_date, "to_date": to_date}, default_from=add_months(nowdate(), -12)
	)
	rows = portal.commission_rows(partner.name, from_date, to_date, limit=0)
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow(
		[
			_("Commission"),
			_("Date"),
			_("Customer"),
			_("Invoice"),
			_("Status"),
			_("Payable On"),
			_("Total"),
			_("Paid"),
			_("Outstanding"),
			_("Item"),
			_("Rule"),
			_("Line Amount"),
			_("Explanation"),
		]
	)
	for row in rows:
		head = [
			row.name,
			row.posting_date,
			row.customer_name,
			row.sales_invoice or "",
			_(row.status),
			row.payable_on or "",
			flt(row.total, 2),
			flt(row.paid_amount, 2),
			flt(row.outstanding_amount, 2),
		]
		for line in row.lines or [frappe._dict()]:
			writer.writerow(
				[
					*(_csv_safe(v) for v in head),
					_csv_safe(line.item_code or ""),
					_csv_safe(line.rule or ""),
					flt(line.amount, 2) if line else "",
					_csv_safe(line.explanation or ""),
				]
			)
	frappe.local.response.filename = "{}-{}-{}.csv".format(_("commissions"), from_date, to_date)
	frappe.local.response.filecontent = out.getvalue()
	frappe.local.response.type = "download"


def _csv_safe(value):
	"""No spreadsheet formulas from data (=, +, -, @ at the start of a text cell)."""
	if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
		return "'" + value
	return value


@frappe.whitelist(methods=["GET"])
def statement_pdf(
	payout: str | None = None, from_date: str | None = None, to_date: str | None = None
) -> None:
	"""The Partner Statement PDF of the session user's partner: for one of its payouts' periods, or for
	a period."""
	from prm_app.statement import get_statement_pdf

	partner = portal.current_partner("money")
	if payout:
		row = frappe.db.get_value(
			"Partner Payout", payout, ["partner", "from_date", "to_date", "docstatus"], as_dict=True
		)
		if not row or row.partner != partner.name or row.docstatus != 1:
			frappe.throw(_("Payout not found."), frappe.PermissionError)
		from_date, to_date = row.from_date, row.to_date
	else:
		from_date, to_date = portal.period_filter({"from_date": from_date, "to_date": to_date})
	pdf = get_statement_pdf(partner.name, from_date, to_date, partner.company)
	frappe.local.response.filename = "{}-{}-{}.pdf".format(
		_("Statement"), frappe.scrub(partner.name), getdate(to_date).isoformat()
	)
	frappe.local.response.filecontent = pdf
	# a download (Content-Disposition: attachment, application/pdf), not the inline viewer
	frappe.local.response.type = "download"


# --- profile and colleagues ------------------------------------------------------------------------------------


@frappe.whitelist(methods=["POST"])
def update_profile(
	website: str | None = None,
	bank_name: str | None = None,
	iban: str | None = None,
	swift: str | None = None,
) -> str:
	"""The Admin updates the website (through the Partner document: validated, http(s) only); bank-detail
	changes become a ToDo for Partner Managers. A field left out of the request is left as it is."""
	partner = portal.current_partner("admin")
	if website is not None and _clean(website, 255) != (partner.website or ""):
		doc = frappe.get_doc("Partner", partner.name)
		doc.website = _clean(website, 255) or None
		doc.flags.ignore_permissions = True  # partner users never write a Partner themselves: only this field
		doc.save()
	bank = {"bank_name": _clean(bank_name), "iban": _clean(iban, 64), "swift": _clean(swift, 16)}
	if any(bank.values()):
		description = _(
			"Bank detail change requested by {0} for partner {1}: bank {2}, account {3}, SWIFT {4}."
		).format(
			escape_html(frappe.session.user),
			escape_html(partner.partner_name),
			escape_html(bank["bank_name"]),
			escape_html(bank["iban"]),
			escape_html(bank["swift"]),
		)
		assign_to_managers("Partner", partner.name, description, partner.name)
		return _("Saved. Your bank-detail change was sent to your partner manager for approval.")
	return _("Saved.")


def assign_to_managers(doctype: str, name: str, description: str, partner: str | None = None) -> list[str]:
	"""The review task: one ToDo for the partner's channel manager, else for each enabled Partner Manager
	(an application has no channel manager yet)."""
	managers = managers_of(partner)
	for user in managers:
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": user,
				"reference_type": doctype,
				"reference_name": name,
				"description": description,
				"priority": "Medium",
				"assigned_by": "Administrator",
			}
		).insert(ignore_permissions=True)
	return managers


@frappe.whitelist(methods=["POST"])
def invite_colleague(email: str, full_name: str, partner_role: str = "Sales") -> str:
	"""The partner's Admin invites a colleague: a website user with role Partner, a contact, a row in the
	partner's users table and the welcome (set your password) email."""
	partner = portal.current_partner("admin")
	email = (validate_email_address(_clean(email)) or "").lower()
	if not email:
		frappe.throw(_("Enter a valid email address."), title=_("Invalid Email"))
	if partner_role not in PARTNER_ROLES:
		frappe.throw(_("Choose Admin, Sales or Finance."), title=_("Invalid Role"))
	if frappe.db.exists("User", email):
		# never attach an existing account (another partner's user, or vendor staff) to this partner
		refuse_invitation(email)
	add_portal_user(partner.name, email, _clean(full_name), partner_role)
	return _("Invitation sent to {0}.").format(email)


def add_portal_user(partner: str, email: str, full_name: str, partner_role: str) -> str:
	"""Website user (role Partner) + contact linked to the partner + Partner.users row + welcome email."""
	first, _sep, last = (full_name or email.split("@")[0]).partition(" ")
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first,
				"last_name": last,
				"user_type": "Website User",
				"send_welcome_email": 0,  # sent below, once the user is on the partner
				"roles": [{"role": "Partner"}],
			}
		)
		user.flags.ignore_permissions = True
		user.insert()
	contact = own_contact(partner, email)
	if not contact:
		contact_doc = frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": first,
				"last_name": last,
				"email_ids": [{"email_id": email, "is_primary": 1}],
				"links": [{"link_doctype": "Partner", "link_name": partner}],
			}
		)
	else:
		contact_doc = frappe.get_doc("Contact", contact)
		if not any(
			link.link_doctype == "Partner" and link.link_name == partner for link in contact_doc.links
		):
			contact_doc.append("links", {"link_doctype": "Partner", "link_name": partner})
	contact_doc.user = email
	contact_doc.flags.ignore_permissions = True
	contact_doc.save()  # inserts a new contact
	contact = contact_doc.name
	doc = frappe.get_doc("Partner", partner)
	if not any(row.user == email for row in doc.users):
		doc.append("users", {"user": email, "contact": contact, "partner_role": partner_role})
		doc.flags.ignore_permissions = True
		doc.save()
	send_invitation(email)
	return email


def own_contact(partner: str, email: str) -> str | None:
	"""The Contact with this email that belongs to the partner alone (linked to it, no other party, no
	other user); None when there is none. A contact of anyone else (another partner, a customer) is
	never taken over: the invitation is refused."""
	for name in frappe.get_all(
		"Contact Email", filters={"email_id": email, "parenttype": "Contact"}, pluck="parent", distinct=True
	):
		links = frappe.get_all(
			"Dynamic Link",
			filters={"parenttype": "Contact", "parent": name},
			fields=["link_doctype", "link_name"],
		)
		user = frappe.db.get_value("Contact", name, "user")
		if (
			links
			and all(link.link_doctype == "Partner" and link.link_name == partner for link in links)
			and (not user or user == email)
		):
			return name
		if not links and user == email:
			# the contact Frappe makes for a new user (User.on_update's create_contact): after the commit
			# on a deployed server, at once in tests and installs — and in v16 whenever frappe.in_test is
			# set; it is the invited user's own, linked to no one: linked to the partner below
			return name
		refuse_invitation(email)
	return None


def refuse_invitation(email: str) -> None:
	"""One answer whether the email is a user, another party's contact or anything else that cannot be
	invited: the message must not tell a partner who else exists in the vendor's system."""
	frappe.throw(
		_("{0} cannot be invited from the portal: ask your partner manager.").format(email),
		frappe.PermissionError,
		title=_("Cannot Invite"),
	)


def send_invitation(user: str) -> bool:
	"""Frappe's welcome email (a link to set the password), queued: sent now, Frappe would commit in the
	middle of the request (before an approval is complete). A mail server that is down must not undo the
	invitation: the error is logged and a Partner Manager can resend it from the User."""
	try:
		doc = frappe.get_doc("User", user)
		doc.flags.delay_emails = True
		doc.send_welcome_mail_to_user()
		return True
	except Exception:
		frappe.log_error(title=_("Partner portal: invitation email to {0}").format(user))
		return False


@frappe.whitelist(methods=["POST"])
def remove_colleague(user: str) -> str:
	"""The Admin removes a colleague from the partner; the user is disabled when no partner lists it."""
	partner = portal.current_partner("admin")
	if user == frappe.session.user:
		frappe.throw(_("You cannot remove yourself."))
	doc = frappe.get_doc("Partner", partner.name)
	rows = [row for row in doc.users if row.user == user]
	if not rows:
		frappe.throw(_("{0} is not one of your colleagues.").format(user), frappe.PermissionError)
	for row in rows:
		doc.remove(row)
	doc.flags.ignore_permissions = True
	doc.save()
	if not frappe.db.exists("Partner User", {"user": user, "parenttype": "Partner"}):
		disable_user(user)
	return _("{0} was removed.").format(user)


def disable_user(user: str) -> None:
	"""Disable a former colleague through the User document (its validation and hooks run). Saved as
	Administrator: Frappe's User.on_update touches the user's Notification Settings, which a partner user
	may not write; the partner Admin's right to remove this colleague was checked by the caller."""
	current = frappe.session.user
	try:
		frappe.set_user("Administrator")
		doc = frappe.get_doc("User", user)
		doc.enabled = 0
		doc.save(ignore_permissions=True)
	finally:
		frappe.set_user(current)


# --- application -------------------------------------------------------------------------------------------------


APPLY_LIMIT = 5  # applications per client address and hour
SEARCH_RATE = 120  # product searches per partner user and minute (the picker asks as the user types)


def limit_applications(limit: int = APPLY_LIMIT, seconds: int = 60 * 60) -> None:
	"""Frappe's rate_limit keys on ``request_ip`` (the first X-Forwarded-For value: any client sets it);
	this keys on the client address behind the trusted proxies (prm_app.security.client_address)."""
	limit_requests(
		"apply",
		client_address(),
		limit,
		seconds,
		_("Too many applications from your address. Please try again later."),
	)


def limit_requests(action: str, who: str, limit: int, seconds: int, message: str) -> None:
	"""At most ``limit`` calls of ``action`` by ``who`` (an address or a user) in ``seconds``."""
	key = frappe.cache.make_key(f"prm:{action}:{who}")
	count = frappe.cache.incrby(key, 1)
	if count == 1:
		frappe.cache.expire(key, seconds)
	if count > limit:
		frappe.throw(message, frappe.TooManyRequestsError, title=_("Too Many Requests"))


@frappe.whitelist(allow_guest=True, methods=["POST"])
def apply(
	partner_name: str,
	email: str,
	full_name: str,
	website: str | None = None,
	phone: str | None = None,
	country: str | None = None,
	message: str | None = None,
	company_url: str | None = None,
) -> str:
	"""The public application: a Partner (status Applicant), its contact and a review ToDo for the
	Partner Managers. ``company_url`` is the honeypot: humans leave it empty, bots get a quiet thank-you."""
	limit_applications()
	thanks = _("Thank you! We will be in touch.")
	if company_url:
		return thanks
	partner_name = validate_plain_name(_clean(partner_name), _("Company Name"))
	validate_plain_name(_clean(full_name), _("Your Name"))
	email = (validate_email_address(_clean(email)) or "").lower()
	if not partner_name or not email or not _clean(full_name):
		frappe.throw(_("Company name, your name and a valid email are required."), title=_("Missing Details"))
	if frappe.db.exists("Partner", partner_name):
		return thanks  # do not reveal which partners exist
	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	doc = frappe.get_doc(
		{
			"doctype": "Partner",
			"partner_name": partner_name,
			"status": "Applicant",
			"company": company,
			"website": _clean(website) or None,
		}
	)
	doc.flags.ignore_permissions = True
	doc.insert()
	first, _sep, last = _clean(full_name).partition(" ")
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": first,
			"last_name": last,
			"email_ids": [{"email_id": email, "is_primary": 1}],
			"phone_nos": [{"phone": _clean(phone, 40), "is_primary_phone": 1}] if _clean(phone, 40) else [],
			"links": [{"link_doctype": "Partner", "link_name": doc.name}],
		}
	)
	contact.insert(ignore_permissions=True)
	doc.add_comment(
		"Comment",
		escape_html(
			_("Application from {0} <{1}>, country {2}: {3}").format(
				_clean(full_name), email, country or "-", _clean(message, 2000)
			)
		),
	)
	assign_to_managers(
		"Partner",
		doc.name,
		_("Review the partner application of {0}.").format(escape_html(partner_name)),
	)
	return thanks


@frappe.whitelist(methods=["POST"])
def approve_application(partner: str) -> dict:
	"""A Partner Manager approves an applicant as it stands, the applicant an Admin portal user (the desk's
	dialog calls ``prm_app.api.applications.approve`` with a tier, plan and portal role)."""
	from prm_app.api.applications import approve

	return approve(partner)


def checked_upload(upload, allowed: set | frozenset) -> tuple[str, bytes]:
	"""(file name, content) of an uploaded file whose type is allowed and size at most MAX_UPLOAD; a PDF
	must be readable (v16's File parses every PDF, looking for JavaScript, and fails with a server error on
	one it cannot read; v15 stored it as it came: on both, an unreadable PDF is refused with a message)."""
	filename = (upload.filename or "").strip()
	extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
	if extension not in allowed:
		frappe.throw(
			_("Files of type {0} are not allowed. Allowed: {1}.").format(
				escape_html(extension or "-"), ", ".join(sorted(allowed))
			),
			title=_("File Type Not Allowed"),
		)
	content = upload.stream.read(MAX_UPLOAD + 1)
	if len(content) > MAX_UPLOAD:
		frappe.throw(
			_("The file is larger than {0} MB.").format(cint(MAX_UPLOAD / 1048576)), title=_("File Too Large")
		)
	if extension == "pdf" and not readable_pdf(content):
		frappe.throw(_("The file is not a readable PDF."), title=_("Invalid File"))
	return filename, content


@frappe.whitelist(methods=["POST"])
def upload_deal_attachment(name: str) -> dict:
	"""Attach a file (PDF, image, office document; at most MAX_UPLOAD bytes) to one of the partner's own
	registrations, as a private file."""
	partner = portal.current_partner("deals")
	if frappe.db.get_value("Deal Registration", name, "partner") != partner.name:
		frappe.throw(_("Deal registration not found."), frappe.PermissionError)
	files = frappe.request.files if frappe.request else {}
	upload = files.get("file") if files else None
	if not upload:
		frappe.throw(_("Choose a file."))
	filename, content = checked_upload(upload, ALLOWED_EXTENSIONS)
	file = frappe.get_doc(
		{
			"doctype": "File",
			"file_name": filename,
			"attached_to_doctype": "Deal Registration",
			"attached_to_name": name,
			"is_private": 1,
			"content": content,
		}
	)
	file.insert(ignore_permissions=True)
	return {"name": file.name, "file_url": file.file_url}


def readable_pdf(content: bytes) -> bool:
	"""Whether pypdf (Frappe's PDF library on v15 and v16) can open the content as a PDF."""
	from pypdf import PdfReader
	from pypdf.errors import PyPdfError

	try:
		PdfReader(io.BytesIO(content))
	except (PyPdfError, ValueError, TypeError, KeyError):
		return False
	return True


ALLOWED_EXTENSIONS = frozenset({"pdf", "png", "jpg", "jpeg", "docx", "xlsx", "pptx", "csv", "txt"})
MAX_UPLOAD = 5 * 1024 * 1024
