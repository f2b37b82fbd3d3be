"""What prm_app enforces for partner (portal) users beyond DocPerms and the permission hooks in
``prm_app.permissions`` — one place, named after the class of problem each function closes (issue 11).

validate_partner_write (doc_events "*" validate)   on prm_app's own doctypes, for a partner user:
    the owning partner never changes after insert, and every Link / Dynamic Link / Attach value the
    user changes points to something that partner may read
validate_file (File validate)                       a partner user attaches files only to records it may write
hidden_child_join_guard (DatabaseQuery)             child tables hidden from partners (a table field of a
    higher permlevel than the user can read) are not joined into the parent's list/report queries
before_request / after_request                      no tracebacks for website users and Guest
client_address                                      the client address behind trusted proxies (rate limits)
validate_http_url / validate_plain_name             URLs are http(s) only; names carry no markup
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlparse

import frappe
from frappe import _

from prm_app.permissions import is_partner_user, partners_seeing, quietly_permitted

# the field naming the owning partner of each partner-owned doctype ("name": the Partner itself)
OWNER_FIELD = {
	"Deal Registration": "partner",
	"Partner Commission": "partner",
	"Partner Payout": "partner",
	"Partner Tier History": "partner",
	"Partner Certification": "partner",
	"Special Price Request": "partner",  # special pricing (issue 15)
}
# fields the server sets on every save whatever a request sent (the controller derives them from the
# partner, or only the status methods write them): not the user's links
SERVER_SET_FIELDS = {
	"Deal Registration": {"sales_partner", "company", "approved_by", "first_invoice"},
	# special pricing (issue 15): customer from the deal registration, the rest from the partner / approval
	"Special Price Request": {"sales_partner", "company", "currency", "customer", "approved_by"},
	"Special Price Request Item": {"pricing_rule", "currency"},
}
LINK_TYPES = ("Link", "Dynamic Link")
ATTACH_TYPES = ("Attach", "Attach Image")


# --- who may do what: quiet permission checks ---------------------------------------------------------------


def partner_may_link(doctype: str, name: str, user: str) -> bool:
	"""May a partner user make one of its documents point to ``doctype`` ``name``?

	Reference data the portal offers (sales items, item groups, countries, currencies) is open; any
	other record must be one the user may read — so Opportunities and Customers (no DocPerm for the
	Partner role) and every record of another partner are refused."""
	if not name or not frappe.db.exists(doctype, name):
		return False
	if doctype == "Item":
		return bool(frappe.db.get_value("Item", name, "is_sales_item")) and not frappe.db.get_value(
			"Item", name, "disabled"
		)
	if doctype in ("Item Group", "Country"):
		return True
	if doctype == "Currency":
		return bool(frappe.db.get_value("Currency", name, "enabled"))
	return quietly_permitted(doctype, name, "read", user)


def is_prm_doctype(doctype: str) -> bool:
	module = frappe.get_meta(doctype).module
	return bool(module) and frappe.get_cached_value("Module Def", module, "app_name") == "prm_app"


# --- writes of partner users on prm_app's doctypes ----------------------------------------------------------


def validate_partner_write(doc, method=None):
	"""doc_events "*" validate: for a partner user writing one of prm_app's doctypes, the stored owner
	stays and every reference the user changes must be readable by the user. Server code writing for
	the user (``ignore_permissions``: portal endpoints; ``status_change``: the status methods, which work
	on the reloaded stored record) sets its own values and is not judged here."""
	if (
		doc.flags.status_change
		or doc.flags.ignore_permissions
		or frappe.flags.in_install
		or frappe.flags.in_migrate
	):
		return  # server code writing for the user (portal endpoints, status methods) decides itself
	if not is_prm_doctype(doc.doctype) or frappe.get_meta(doc.doctype).istable:
		return
	user = frappe.session.user
	if not is_partner_user(user):
		return
	before = stored_doc(doc)
	validate_owner_unchanged(doc, before, user)
	validate_own_rows(doc, before)
	validate_links(doc, before, user)


def validate_own_rows(doc, before) -> None:
	"""Frappe saves a child row that comes with a name by that name (UPDATE ... WHERE name = ...), whatever
	document it belongs to: a row posted with the name of a row the stored document does not have (another
	partner's registration's product, say) would be taken from that document. Refused as a row that does
	not exist; new rows come without a name (or flagged new, from the desk)."""
	if before is None:
		return  # an insert: Frappe gives every row a new name
	for row, old in rows_with_before(doc, before):
		if row is not doc and old is None and not row.is_new():
			frappe.throw(
				_("Could not find {0}").format(f"{_('Row')} #{row.idx}: {row.name}"),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)


def stored_doc(doc):
	if doc.is_new() or not frappe.db.exists(doc.doctype, doc.name):
		return None
	return doc.get_doc_before_save() or frappe.get_doc(doc.doctype, doc.name)


def validate_owner_unchanged(doc, before, user: str) -> None:
	field = OWNER_FIELD.get(doc.doctype)
	if not field:
		return
	if before is not None and (doc.get(field) or None) != (before.get(field) or None):
		frappe.throw(
			_("The partner of {0} {1} cannot be changed.").format(_(doc.doctype), doc.name),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)
	if doc.get(field) not in partners_seeing(user, doc.doctype):
		frappe.throw(
			_("You can only write records of your own partner."),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)


def validate_links(doc, before, user: str) -> None:
	"""Every Link, Dynamic Link and Attach value of the document and its child rows that differs from
	the stored record must point to something the partner may read."""
	for row, old in rows_with_before(doc, before):
		meta = frappe.get_meta(row.doctype)
		server_set = SERVER_SET_FIELDS.get(row.doctype, ())
		for df in meta.fields:
			if df.fieldtype not in LINK_TYPES + ATTACH_TYPES or df.fieldname in server_set:
				continue
			value = row.get(df.fieldname)
			if not value or (old is not None and old.get(df.fieldname) == value):
				continue
			if df.fieldtype in ATTACH_TYPES:
				allowed = attachment_readable(value, user)
				target = _("File")
			else:
				target = df.options if df.fieldtype == "Link" else row.get(df.options)
				allowed = bool(target) and partner_may_link(target, value, user)
			if not allowed and df.fieldtype in LINK_TYPES:
				throw_missing_link(row, df, value)
			if not allowed:
				frappe.throw(
					_("{0}: you cannot link {1} {2}.").format(
						_(meta.get_label(df.fieldname)), _(target or ""), frappe.bold(value)
					),
					frappe.PermissionError,
					title=_("Not Permitted"),
				)


def throw_missing_link(row, df, value) -> None:
	"""A record the partner may not read is answered as Frappe answers a record that does not exist (the
	same status, type and words): else linking a name told a partner whether, say, a Customer of that
	name exists."""
	label = _(df.label, context=df.parent)
	target = f"{_('Row')} #{row.idx}: {label}: {value}" if row.get("parentfield") else f"{label}: {value}"
	frappe.throw(_("Could not find {0}").format(target), frappe.LinkValidationError)


def rows_with_before(doc, before):
	"""(row, stored row or None) for the document and each of its child rows."""
	yield doc, before
	stored_rows = {}
	if before is not None:
		for df in before.meta.get_table_fields():
			for row in before.get(df.fieldname) or []:
				stored_rows[(row.doctype, row.name)] = row
	for df in doc.meta.get_table_fields():
		for row in doc.get(df.fieldname) or []:
			yield row, stored_rows.get((row.doctype, row.name))


def attachment_readable(file_url: str, user: str) -> bool:
	name = frappe.db.get_value("File", {"file_url": file_url})
	return bool(name) and quietly_permitted("File", name, "read", user)


# --- files ------------------------------------------------------------------------------------------------


def validate_file(doc, method=None):
	"""File validate: a partner user attaches only to records it may write (Frappe checks create on File
	only). Server code attaching for the user (``ignore_permissions``) decides itself."""
	if doc.flags.ignore_permissions or not (doc.attached_to_doctype and doc.attached_to_name):
		return
	if not is_partner_user():
		return
	before = None if doc.is_new() else doc.get_doc_before_save()
	if before and (before.attached_to_doctype, before.attached_to_name) == (
		doc.attached_to_doctype,
		doc.attached_to_name,
	):
		return
	if not quietly_permitted(doc.attached_to_doctype, doc.attached_to_name, "write"):
		frappe.throw(
			_("You cannot attach files to {0} {1}.").format(_(doc.attached_to_doctype), doc.attached_to_name),
			frappe.PermissionError,
			title=_("Not Permitted"),
		)


def own_copy_of_shared_content(doc, method=None):
	"""File validate: Frappe stores an upload whose bytes equal an existing file's (same content hash and
	privacy) as one more row on that file's URL. For a partner or website user whose upload
	would so land on a file none of its readable rows stands for (another partner's), the bytes are written
	to a file of its own: the answer, its pages and its row then never name, nor stand for, that file."""
	from prm_app.permissions import is_local_file_url, is_portal_user, readable_file_url

	if (
		doc.is_folder
		or not doc.flags.in_insert
		or not doc.get("_content")
		or not is_local_file_url(doc.file_url)
		or not is_portal_user(frappe.session.user)
		or not frappe.db.exists("File", {"file_url": doc.file_url})
		or readable_file_url(doc.file_url, frappe.session.user)
	):
		return
	doc.file_url = None
	doc.save_file(content=doc._content, ignore_existing_file_check=True)


def keep_file_url_distinct(doc, method=None):
	"""File validate: no two File rows have URLs that MariaDB's collation finds equal but that name
	different files on disk (letter case, trailing spaces: ``/private/files/B.txt`` and ``b.txt``).
	Frappe serves a private file when *any* row matching the requested URL under the collation is
	readable, so a look-alike upload of A would serve B's file. Frappe renames an upload whose exact
	name exists on disk; a new upload whose URL collides only under the collation is renamed here
	too (the file it has just written is moved). A row taking an existing file's URL that collides
	(rows made before this rule) is refused."""
	from prm_app.permissions import is_local_file_url

	if doc.is_folder or not is_local_file_url(doc.file_url):
		return
	inserting = bool(doc.flags.in_insert)
	if not inserting and not doc.has_value_changed("file_url"):
		return
	rows = frappe.get_all(
		"File", filters={"file_url": doc.file_url, "name": ("!=", doc.name or "")}, pluck="file_url"
	)
	if all(url == doc.file_url for url in rows):
		return
	if inserting and doc.flags.new_file and doc.file_url not in rows and _rename_new_file(doc):
		return
	frappe.throw(
		_("A file named {0} exists already. Rename your file and upload it again.").format(
			frappe.bold(doc.file_name or doc.file_url)
		),
		frappe.DuplicateEntryError,
		title=_("File Exists"),
	)


def _rename_new_file(doc) -> bool:
	"""Move the file the inserting row has just written to a name no row's URL matches under the
	collation (Frappe's suffix scheme); False when the file is not on this site's disk."""
	import os

	from frappe.core.doctype.file.utils import get_file_name
	from frappe.utils import get_hook_method

	if get_hook_method("write_file") or not doc.get("_content"):
		return False  # stored elsewhere (a write_file hook) or not written by this insert
	old_path = doc.get_full_path()
	if not os.path.isfile(old_path):
		return False
	folder_url = doc.file_url.rsplit("/", 1)[0]
	base_name = (doc.file_name or doc.file_url.rsplit("/", 1)[1]).strip()
	for _attempt in range(10):
		candidate = re.sub(r"[/\\%?#]", "_", get_file_name(base_name))
		url = f"{folder_url}/{candidate}"
		new_path = os.path.join(os.path.dirname(old_path), candidate)
		if not os.path.exists(new_path) and not frappe.db.exists("File", {"file_url": url}):
			os.rename(old_path, new_path)
			doc.file_name, doc.file_url = candidate, url
			return True
	return False


def find_file_by_exact_url(path: str, name: str | None = None):
	"""Frappe's find_file_by_url (private downloads, PDFs), matching ``file_url`` byte for byte: the
	database's collation matches letter-case and trailing-space variants, and Frappe serves the
	requested path when any matching row is readable."""
	filters = {"file_url": str(path)}
	if name:
		filters["name"] = str(name)
	for file_data in frappe.get_all("File", filters=filters, fields="*"):
		if file_data.file_url != str(path):
			continue
		file = frappe.get_doc(doctype="File", **file_data)
		if file.is_downloadable():
			return file
	return None


def install_exact_file_lookup() -> None:
	"""Replace Frappe's find_file_by_url where it is looked up (download_private_file imports it at each
	call; frappe.utils.pdf and v16's frappe.handler at import)."""
	import importlib

	for module_name in ("frappe.core.doctype.file.utils", "frappe.utils.pdf", "frappe.handler"):
		try:
			module = importlib.import_module(module_name)
		except ImportError:
			continue
		if getattr(module, "find_file_by_url", None) not in (None, find_file_by_exact_url):
			module.find_file_by_url = find_file_by_exact_url


# --- hidden child tables --------------------------------------------------------------------------------------


def hidden_child_doctypes(parent: str, user: str) -> set[str]:
	"""Child doctypes of ``parent`` whose table field has a permlevel the user cannot read."""
	meta = frappe.get_meta(parent)
	levels = set(meta.get_permlevel_access("read", user=user))
	return {df.options for df in meta.get_table_fields() if df.permlevel not in levels}


def install_hidden_child_join_guard() -> None:
	"""Frappe v15 joins a child table into a parent's list query (a child column in ``fields``, a filter
	on a child field, even a bare child fieldname in ``filters``) after checking read on the parent
	only: the permlevel of the parent's table field is not looked at, nor the child's own query
	conditions. For partner users, joining a child table whose table field they cannot read is
	refused — in the one place every list channel passes (REST v1/v2, frappe.client, reportview)."""
	from frappe.model.db_query import DatabaseQuery

	install_query_engine_guard()
	if getattr(DatabaseQuery.check_read_permission, "_prm_guarded", False):
		return
	original = DatabaseQuery.check_read_permission

	def check_read_permission(self, doctype, parent_doctype=None):
		result = original(self, doctype, parent_doctype)
		if (
			not self.flags.ignore_permissions
			and doctype != self.doctype
			and frappe.get_meta(doctype).istable
			and is_partner_user(self.user or frappe.session.user)
			and doctype in hidden_child_doctypes(self.doctype, self.user or frappe.session.user)
		):
			frappe.throw(
				_("You cannot query {0} through {1}.").format(_(doctype), _(self.doctype)),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
		return result

	check_read_permission._prm_guarded = True
	DatabaseQuery.check_read_permission = check_read_permission


def install_query_engine_guard() -> None:
	"""The same guard for Frappe v16's query engine (frappe.database.query.Engine), through which v16's
	get_list builds every list query: it checks a child field's permission with the child's own
	permlevels, never the permlevel of the parent's table field."""
	try:
		from frappe.database.query import Engine
	except ImportError:
		return
	original = getattr(Engine, "_check_field_permission", None)
	if original is None or getattr(original, "_prm_guarded", False):
		return

	def _check_field_permission(self, doctype, fieldname, parent_doctype=None, for_filtering=False):
		# `tabChild`.`field` notation is checked without its parent: the query's doctype is the parent
		parent = parent_doctype or getattr(self, "doctype", None)
		if parent and doctype != parent and getattr(self, "apply_permissions", False):
			user = getattr(self, "user", None) or frappe.session.user
			if (
				frappe.get_meta(doctype).istable
				and is_partner_user(user)
				and doctype in hidden_child_doctypes(parent, user)
			):
				frappe.throw(
					_("You cannot query {0} through {1}.").format(_(doctype), _(parent)),
					frappe.PermissionError,
					title=_("Not Permitted"),
				)
		return original(self, doctype, fieldname, parent_doctype, for_filtering)

	_check_field_permission._prm_guarded = True
	Engine._check_field_permission = _check_field_permission

	# selected child fields and a child doctype listed with its parent are filtered through these
	for name in ("_get_cached_permitted_fields", "_get_filterable_fields"):
		method = getattr(Engine, name, None)
		if method is not None and not getattr(method, "_prm_guarded", False):
			setattr(Engine, name, _refusing_hidden_children(method))


def _refusing_hidden_children(method):
	def guarded(self, doctype, parenttype=None, permission_type=None):
		if parenttype and doctype != parenttype and getattr(self, "apply_permissions", False):
			user = getattr(self, "user", None) or frappe.session.user
			if (
				frappe.get_meta(doctype).istable
				and is_partner_user(user)
				and doctype in hidden_child_doctypes(parenttype, user)
			):
				frappe.throw(
					_("You cannot query {0} through {1}.").format(_(doctype), _(parenttype)),
					frappe.PermissionError,
					title=_("Not Permitted"),
				)
		return method(self, doctype, parenttype, permission_type)

	guarded._prm_guarded = True
	return guarded


# --- requests -------------------------------------------------------------------------------------------------


def before_request():
	"""Every request: the query guard is in place; website users and Guest never get tracebacks."""
	install_hidden_child_join_guard()
	install_exact_file_lookup()
	if is_website_user():
		frappe.local.flags.disable_traceback = True


def after_request(response=None, request=None):
	"""A server error (5xx) answered to a website user or Guest as JSON carries a plain message, never
	the exception's text (which can name records and code). A partner user's API request for a record
	that does not exist is answered as one for a record it may not read (403): names are sequential, and
	Frappe's 404 / 403 tell which of another partner's records exist."""
	if response is None:
		return
	if is_refusal(response) and is_partner_api_request(request):
		refuse_as_not_permitted(response)
		return
	if response.status_code < 500 or not is_website_user():
		return
	if "json" not in (response.content_type or ""):
		return
	response.set_data(
		frappe.as_json(
			{
				"exc_type": "ServerError",
				"_server_messages": frappe.as_json(
					[
						frappe.as_json(
							{
								"message": _(
									"Something went wrong on our side; it has been logged. Please try again later or contact your partner manager."
								),
								"title": _("Server Error"),
								"indicator": "red",
							}
						)
					]
				),
			}
		)
	)


# exceptions that refuse a record (missing, or not the user's): answered alike
REFUSAL_EXC_TYPES = frozenset({"PermissionError", "DoesNotExistError"})


def is_refusal(response) -> bool:
	"""403 and 404, and any answer whose exception is a permission or does-not-exist error (Frappe's
	``has_permission(throw=True)`` names the record it found; a missing one gets another text).
	Validation errors (417) of the user's own documents are not refusals and keep their message."""
	if response.status_code in (403, 404):
		return True
	if response.status_code < 400 or "json" not in (response.content_type or ""):
		return False
	try:
		body = frappe.parse_json(response.get_data(as_text=True))
	except Exception:
		return False
	if not isinstance(body, dict):
		return False
	exc_types = {body.get("exc_type")} | {
		e.get("type") for e in body.get("errors") or [] if isinstance(e, dict)
	}  # v2 answers carry "errors"
	return bool(exc_types & REFUSAL_EXC_TYPES)


def is_partner_api_request(request=None) -> bool:
	"""An /api/ request of a partner user or another logged-in website user."""
	from prm_app.permissions import is_portal_user

	request = request or getattr(frappe.local, "request", None)
	path = getattr(request, "path", "") or ""
	return path.startswith("/api/") and is_portal_user()


def refuse_as_not_permitted(response) -> None:
	response.status_code = 403
	response.content_type = "application/json"
	response.set_data(
		frappe.as_json(
			{
				"exc_type": "PermissionError",
				"_server_messages": frappe.as_json(
					[
						frappe.as_json(
							{"message": _("Not permitted"), "title": _("Not Permitted"), "indicator": "red"}
						)
					]
				),
			}
		)
	)


def is_website_user(user: str | None = None) -> bool:
	user = user or getattr(frappe.session, "user", None) or "Guest"
	if user == "Guest":
		return True
	return frappe.get_cached_value("User", user, "user_type") == "Website User"


def client_address() -> str:
	"""The client's address for rate limits. Frappe's ``request_ip`` is the first X-Forwarded-For value,
	which any client can set. Here the TCP peer is the client unless it is a trusted proxy (site config
	``prm_trusted_proxies``: addresses or networks, e.g. ``["127.0.0.1", "::1"]`` behind a local nginx
	that sets ``X-Forwarded-For $remote_addr``); then the right-most untrusted X-Forwarded-For entry."""
	request = getattr(frappe.local, "request", None)
	if not request:
		return "127.0.0.1"
	peer = request.environ.get("REMOTE_ADDR") or "127.0.0.1"
	trusted = [_network(p) for p in frappe.local.conf.get("prm_trusted_proxies") or []]
	trusted = [net for net in trusted if net]
	if not trusted or not _in_networks(peer, trusted):
		return peer
	forwarded = [a.strip() for a in (request.headers.get("X-Forwarded-For") or "").split(",") if a.strip()]
	for address in reversed(forwarded):
		if not _in_networks(address, trusted):
			return address
	return peer


def _network(value):
	try:
		return ipaddress.ip_network(str(value).strip(), strict=False)
	except ValueError:
		return None


def _in_networks(address: str, networks) -> bool:
	try:
		ip = ipaddress.ip_address(address)
	except ValueError:
		return False
	return any(ip in net for net in networks)


# --- values -------------------------------------------------------------------------------------------------

UNSAFE_URL_CHARS = re.compile(r"[\s<>\"'`\\{}|^]")
MARKUP_CHARS = re.compile(r"[<>]")


def validate_http_url(value: str | None, label: str, require_scheme: bool = True) -> str | None:
	"""The URL stripped, or an error: http(s) only (a bare domain when ``require_scheme`` is off), no
	characters that could leave an attribute or a tag."""
	value = (value or "").strip()
	if not value:
		return None
	parsed = urlparse(value if "://" in value or require_scheme else "https://" + value)
	if (
		UNSAFE_URL_CHARS.search(value)
		or parsed.scheme.lower() not in ("http", "https")
		or not parsed.netloc
		or (not require_scheme and ":" in value.split("/", 1)[0] and "://" not in value)
	):
		frappe.throw(
			_("{0}: enter a web address starting with http:// or https://.").format(_(label)),
			title=_("Invalid URL"),
		)
	return value


def validate_plain_name(value: str | None, label: str) -> str:
	"""Names become document names (Customer, Supplier, Sales Partner): no markup characters."""
	value = (value or "").strip()
	if MARKUP_CHARS.search(value):
		frappe.throw(
			_("{0} cannot contain < or >.").format(_(label)),
			title=_("Invalid Name"),
		)
	return value


# --- history -------------------------------------------------------------------------------------------------


def hidden_fieldnames(doctype: str) -> set[str]:
	"""Fields (table fields included) of ``doctype`` above permlevel 0: what partner users never read."""
	return {df.fieldname for df in frappe.get_meta(doctype).fields if (df.permlevel or 0) > 0}


def strip_hidden_from_version_data(ref_doctype: str, data: dict) -> dict:
	"""A Version's diff without the fields and child tables of a higher permlevel (``changed``, ``added``,
	``removed``, ``row_changed``; a row's own fields of a higher permlevel too)."""
	hidden = hidden_fieldnames(ref_doctype)
	if not hidden and not frappe.get_meta(ref_doctype).get_table_fields():
		return data
	child_hidden = {
		df.fieldname: hidden_fieldnames(df.options) for df in frappe.get_meta(ref_doctype).get_table_fields()
	}
	out = dict(data)
	if isinstance(out.get("changed"), list):
		out["changed"] = [c for c in out["changed"] if c and c[0] not in hidden]
	for key in ("added", "removed"):
		if isinstance(out.get(key), list):
			out[key] = [r for r in out[key] if r and r[0] not in hidden]
	if isinstance(out.get("row_changed"), list):
		rows = []
		for row in out["row_changed"]:
			if not row or row[0] in hidden:
				continue
			if len(row) > 3 and isinstance(row[3], list):
				row = [*row[:3], [c for c in row[3] if c and c[0] not in child_hidden.get(row[0], ())]]
				if not row[3]:
					continue
			rows.append(row)
		out["row_changed"] = rows
	return out


def strip_hidden_from_version(doc, method=None):
	"""Version before_insert: the history of prm_app's doctypes never holds fields or child tables above
	permlevel 0 (the conflict rows of a registration name other partners). Frappe serves versions to
	anyone who reads the document (getdoc / get_docinfo read them with frappe.get_all), so what a
	partner user may not read must not be in them."""
	if not doc.ref_doctype or not doc.data or not is_prm_doctype(doc.ref_doctype):
		return
	try:
		data = frappe.parse_json(doc.data)
	except Exception:
		return
	if not isinstance(data, dict):
		return
	stripped = strip_hidden_from_version_data(doc.ref_doctype, data)
	if stripped != data:
		doc.data = frappe.as_json(stripped, indent=None, separators=(",", ":"))


# --- assignments, likes, comments -----------------------------------------------------------------------------

# comment types a user's request creates on the record it names (likes, assignments, comments)
# ("Shared" is not among them: Frappe shares a new User with itself, as the inviting partner user)
USER_COMMENT_TYPES = frozenset({"Like", "Comment", "Assigned", "Unassigned", "Assignment Completed"})


def refuse_unreadable_reference(doctype, name, label: str) -> None:
	"""The same refusal Frappe gives for a reference that does not exist (``_validate_links``), so that
	an existing record of another partner cannot be told from a missing one."""
	frappe.throw(
		_("Could not find {0}").format(f"{_(label)}: {name}"),
		frappe.LinkValidationError,
	)


def validate_todo_reference(doc, method=None):
	"""ToDo validate: a partner or website user assigns only records it may read (Frappe checks the ToDo,
	not the record it names; assigning writes ``_assign`` and an "Assigned" comment on that record)."""
	from prm_app.permissions import is_portal_user

	if not (doc.reference_type and doc.reference_name) or not is_portal_user():
		return
	before = None if doc.is_new() else doc.get_doc_before_save()
	if before and (before.reference_type, before.reference_name) == (doc.reference_type, doc.reference_name):
		return
	if not frappe.db.exists("DocType", doc.reference_type) or not quietly_permitted(
		doc.reference_type, doc.reference_name, "read"
	):
		refuse_unreadable_reference(doc.reference_type, doc.reference_name, "Reference Name")


def validate_comment_reference(doc, method=None):
	"""Comment before_insert: likes, assignments, shares and comments a partner or website user's request
	creates land only on records that user may read (whatever Frappe endpoint made them)."""
	from prm_app.permissions import is_portal_user

	if doc.comment_type not in USER_COMMENT_TYPES or not (doc.reference_doctype and doc.reference_name):
		return
	if not is_portal_user():
		return
	if not quietly_permitted(doc.reference_doctype, doc.reference_name, "read"):
		frappe.throw(_("Not permitted"), frappe.PermissionError, title=_("Not Permitted"))
