"""Automatic partner tiers in ERPNext: ERPNext data in, ``engine.tiers`` decides, history and tiers out.

load_frames(as_of, partners)   Sales Invoices, credit notes, deal registrations, certifications, history
evaluate(as_of, partners)      the engine's proposals (a DataFrame, one row per active partner)
run_evaluation(...)            background job (long queue): writes Partner Tier History in chunks, applies
                               or proposes tier changes, emails partner users, publishes progress
scheduled_evaluation()         daily scheduler entry: runs when PRM Settings' frequency says it is due
evaluate_now / approve_proposals / reject_proposals / get_tier_progress   whitelisted

A partner's tier selects its commission plan (``commissions.resolve_plan_name``: partner plan, then tier
plan, then default), so a tier change applies to the partner's next invoices.
"""

from __future__ import annotations

import json
from datetime import date

import frappe
import pandas as pd
from frappe import _
from frappe.utils import add_days, add_months, getdate, now_datetime, today

from prm_app import daily_totals
from prm_app.engine import EngineError
from prm_app.engine.tiers import DEMOTION, NONE, PROMOTION, TierCriteria, evaluate_tiers
from prm_app.permissions import require_manager
from prm_app.utils import commit_job, engine_error_message

JOB_ID = "prm_app:tier_evaluation"
CHUNK = 200
HISTORY_MONTHS = 60
CHANGE_LABELS = {PROMOTION: "Promotion", DEMOTION: "Demotion", NONE: "None"}
CRITERION_LABELS = {
	"revenue": "Revenue",
	"won_deals": "Won Deal Registrations",
	"certified_users": "Certified Users",
}


# --- ERPNext data -> engine frames ------------------------------------------------------------------------


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
	"""A DataFrame of query rows (frappe._dict rows confuse pandas' array protocol checks)."""
	return pd.DataFrame([tuple(r.get(c) for c in columns) for r in rows], columns=columns)


def load_tiers() -> list[TierCriteria]:
	rows = frappe.get_all(
		"Partner Tier",
		fields=[
			"name",
			"rank",
			"min_revenue",
			"min_won_deals",
			"min_certified_users",
			"evaluation_window_months",
			"grace_count",
		],
	)
	return [
		TierCriteria(
			name=r.name,
			rank=int(r.rank or 0),
			min_revenue=r.min_revenue or 0,
			min_won_deals=int(r.min_won_deals or 0),
			min_certified_users=int(r.min_certified_users or 0),
			window_months=int(r.evaluation_window_months or 12),
			grace_count=int(r.grace_count or 0),
		)
		for r in rows
	]


def load_partners(partners: list[str] | None = None) -> pd.DataFrame:
	filters = {"status": "Active"}
	if partners is not None:
		filters["name"] = ("in", partners or [""])
	rows = frappe.get_all(
		"Partner",
		filters=filters,
		fields=[
			"name as partner",
			"tier",
			"tier_locked",
			"company",
			"sales_partner",
			"partnership_start_date",
			"creation",
		],
		order_by="name",
	)
	for row in rows:  # a partner made without a start date started when it was made
		row.started_on = row.pop("partnership_start_date") or getdate(row.pop("creation"))
		row.pop("creation", None)
	return _frame(rows, ["partner", "tier", "tier_locked", "company", "sales_partner", "started_on"])


def load_invoices(partners: list[str] | None, since: date, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
	"""Submitted Sales Invoices of the partners' Sales Partners in their company, summed per partner and
	day (company currency, net of discounts, before taxes); credit notes apart. Opening and internal
	invoices are left out, as for commission."""
	si = frappe.qb.DocType("Sales Invoice")
	partner = frappe.qb.DocType("Partner")
	query = (
		frappe.qb.from_(si)
		.join(partner)
		.on((si.sales_partner == partner.sales_partner) & (si.company == partner.company))
		.select(
			partner.name.as_("partner"),
			si.posting_date,
			si.is_return,
			frappe.query_builder.functions.Sum(si.base_net_total).as_("base_net_amount"),
		)
		.where(
			(si.docstatus == 1)
			& (si.posting_date > since)
			& (si.posting_date <= as_of)
			& (si.is_opening != "Yes")
			& (si.is_internal_customer == 0)
		)
		.groupby(partner.name, si.posting_date, si.is_return)
	)
	if partners is not None:
		query = query.where(partner.name.isin(partners or [""]))
	rows = _frame(query.run(as_dict=True), ["partner", "posting_date", "is_return", "base_net_amount"])
	is_return = rows["is_return"].astype(bool)
	return rows[~is_return], rows[is_return]


def load_invoices_of(partners: list[str], since: date, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
	"""``load_invoices`` for the given partners, from the per-day totals (``prm_app.daily_totals``): the
	same rows (partner, day, is_return, sum), read from one row a day of each partner instead of from
	every invoice."""
	rows = frappe.db.sql(
		f"""select p.name as partner, d.day as posting_date, d.kind = 'return' as is_return,
			d.amount as base_net_amount
		from `{daily_totals.TABLE}` d
		join `tabPartner` p on d.ref = p.sales_partner and d.company = p.company
		where p.name in %(partners)s and d.kind in ('invoice', 'return')
			and d.day > %(since)s and d.day <= %(as_of)s""",
		{"partners": tuple(partners or [""]), "since": since, "as_of": as_of},
		as_dict=True,
	)
	rows = _frame(rows, ["partner", "posting_date", "is_return", "base_net_amount"])
	is_return = rows["is_return"].astype(bool)
	return rows[~is_return], rows[is_return]


def load_registrations(partners: list[str] | None, since: date, as_of: date) -> pd.DataFrame:
	columns = ["partner", "status", "won_on"]
	filters = {"status": "Won", "won_on": ("between", [add_days(since, 1), as_of])}
	if partners is not None:
		filters["partner"] = ("in", partners or [""])
	rows = frappe.get_all("Deal Registration", filters=filters, fields=columns)
	return _frame(rows, columns)


def load_certifications(partners: list[str] | None, as_of: date) -> pd.DataFrame:
	"""Certifications valid on ``as_of`` of users who still belong to their partner."""
	cert = frappe.qb.DocType("Partner Certification")
	member = frappe.qb.DocType("Partner User")
	query = (
		frappe.qb.from_(cert)
		.join(member)
		.on((member.parent == cert.partner) & (member.parenttype == "Partner") & (member.user == cert.user))
		.select(cert.partner, cert.user, cert.issued_on.as_("issued"), cert.valid_until)
		.where((cert.issued_on <= as_of) & (cert.valid_until.isnull() | (cert.valid_until >= as_of)))
	)
	if partners is not None:
		query = query.where(cert.partner.isin(partners or [""]))
	return _frame(query.run(as_dict=True), ["partner", "user", "issued", "valid_until"])


def load_history(partners: list[str] | None, as_of: date) -> pd.DataFrame:
	# the failure streak that grace counts never goes back further than a few years
	filters = {"evaluated_on": ("between", [add_months(as_of, -HISTORY_MONTHS), add_days(as_of, -1)])}
	if partners is not None:
		filters["partner"] = ("in", partners or [""])
	rows = frappe.get_all(
		"Partner Tier History",
		filters=filters,
		fields=["partner", "evaluated_on", "from_tier as tier", "failed_current_tier as failed"],
	)
	return _frame(rows, ["partner", "evaluated_on", "tier", "failed"])


def evaluate(as_of: date | str | None = None, partners: list[str] | None = None) -> pd.DataFrame:
	"""The engine's proposal for every active partner (or the given ones) on ``as_of``."""
	as_of = getdate(as_of or today())
	tiers = load_tiers()
	partner_frame = load_partners(partners)
	names = None if partners is None else list(partner_frame["partner"])
	longest = max([t.window_months for t in tiers] or [12])
	since = getdate(add_months(as_of, -longest))
	# one partner (the portal, the Partner form) or a few: the per-day totals, not every invoice
	if names is None:
		invoices, returns = load_invoices(names, since, as_of)
	else:
		invoices, returns = load_invoices_of(names, since, as_of)
	try:
		return evaluate_tiers(
			tiers,
			partner_frame,
			invoices,
			returns,
			load_registrations(names, since, as_of),
			load_certifications(names, as_of),
			load_history(names, as_of),
			as_of=as_of,
		)
	except EngineError as e:
		frappe.throw(engine_error_message(e), title=_("Tier Evaluation Failed"))


# --- the job ---------------------------------------------------------------------------------------------


def settings():
	return frappe.get_cached_doc("PRM Settings")


def enqueue_evaluation(as_of=None, propose_only: bool | None = None, trigger: str = "Manual") -> str:
	frappe.enqueue(
		"prm_app.tiers.run_evaluation",
		queue="long",
		timeout=3600,
		job_id=JOB_ID,
		deduplicate=True,
		enqueue_after_commit=not frappe.flags.in_test,
		now=bool(frappe.flags.in_test),
		as_of=str(getdate(as_of or today())),
		propose_only=propose_only,
		trigger=trigger,
	)
	return JOB_ID


def run_evaluation(as_of=None, propose_only: bool | None = None, trigger: str = "Manual") -> dict:
	"""Evaluate every active partner and write one Partner Tier History row each, in chunks (a commit
	and a progress message per chunk). Returns counts by history status."""
	as_of = getdate(as_of or today())
	config = settings()
	if propose_only is None:
		propose_only = bool(config.propose_tier_changes_only)
	notify = bool(config.notify_partners_of_tier_change)
	proposals = evaluate(as_of)
	supersede_open_proposals(list(proposals["partner"]))
	total = len(proposals)
	counts: dict[str, int] = {}
	title = _("Evaluating partner tiers")
	for start in range(0, total, CHUNK):
		for row in proposals.iloc[start : start + CHUNK].itertuples(index=False):
			status = record_proposal(row, as_of, propose_only, notify)
			counts[status] = counts.get(status, 0) + 1
		commit_job()
		done = min(start + CHUNK, total)
		frappe.publish_progress(
			done * 100 / total, title=title, description=_("{0} of {1} partners").format(done, total)
		)
	frappe.db.set_single_value("PRM Settings", "last_tier_evaluation", as_of)
	commit_job()
	summary = {"as_of": str(as_of), "trigger": trigger, "partners": total, "by_status": counts}
	frappe.publish_realtime("prm_tier_evaluation_done", summary, user=frappe.session.user)
	return summary


def supersede_open_proposals(partners: list[str]) -> None:
	"""A new evaluation replaces the proposals still waiting for approval."""
	if not partners:
		return
	history = frappe.qb.DocType("Partner Tier History")
	for chunk in frappe.utils.create_batch(partners, 1000):
		(
			frappe.qb.update(history)
			.set(history.status, "Superseded")
			.where((history.status == "Proposed") & (history.partner.isin(list(chunk))))
		).run()


def history_status(row, propose_only: bool) -> str:
	if row.locked:
		return "Locked"
	if row.change == NONE:
		return "Unchanged"
	return "Proposed" if propose_only else "Applied"


def reason_text(row) -> str:
	"""The engine's reason, translated."""
	return _(row.reason_template).format(*row.reason_args)


def record_proposal(row, as_of: date, propose_only: bool, notify: bool) -> str:
	status = history_status(row, propose_only)
	reason = reason_text(row)
	history = frappe.get_doc(
		{
			"doctype": "Partner Tier History",
			"partner": row.partner,
			"from_tier": row.current_tier or None,
			"to_tier": row.proposed_tier or None,
			"change": CHANGE_LABELS[row.change],
			"status": status,
			"evaluated_on": as_of,
			"failed_current_tier": 0 if row.current_tier_passed or not row.current_tier else 1,
			"consecutive_failures": row.consecutive_failures,
			"reason": reason,
			"metrics": json.dumps(
				{
					"metrics": row.metrics,
					"criteria": row.criteria,
					"passed": row.passed,
					"qualified_tier": row.qualified_tier,
					"next_tier": row.next_tier,
				},
				default=str,
				sort_keys=True,
			),
		}
	)
	history.flags.ignore_permissions = True
	history.flags.ignore_links = True  # names come from the database a moment ago
	history.insert()
	if status == "Applied":
		apply_tier(row.partner, row.proposed_tier, row.current_tier, reason, notify)
	return status


def apply_tier(partner: str, to_tier: str | None, from_tier: str | None, reason: str, notify: bool) -> None:
	"""Set the partner's tier (its next invoices use the new tier's plan) and tell its users."""
	frappe.db.set_value("Partner", partner, "tier", to_tier or None)
	if notify:
		notify_partner_users(partner, from_tier, to_tier, reason)


def notify_partner_users(partner: str, from_tier: str | None, to_tier: str | None, reason: str) -> None:
	users = frappe.get_all(
		"Partner User", filters={"parent": partner, "parenttype": "Partner"}, pluck="user", order_by="idx"
	)
	recipients = [
		email
		for email in frappe.get_all("User", filters={"name": ("in", users), "enabled": 1}, pluck="email")
		if email
	]
	if not recipients:
		return
	subject = _("Your partner tier is now {0}").format(to_tier or _("none"))
	message = _("The partner tier of {0} changed from {1} to {2}.").format(
		frappe.bold(partner), from_tier or _("none"), frappe.bold(to_tier or _("none"))
	)
	try:
		frappe.sendmail(
			recipients=recipients,
			subject=subject,
			message=f"<p>{message}</p><p>{frappe.utils.escape_html(reason)}</p>",
			reference_doctype="Partner",
			reference_name=partner,
		)
	except Exception:
		# an email problem must not undo a tier change
		frappe.log_error(title=_("Tier change email to {0} failed").format(partner))


def scheduled_evaluation() -> None:
	"""Daily (long queue): evaluate on the first day of the configured period, as of the day before."""
	config = settings()
	day = getdate(today())
	if not is_due(config.tier_evaluation_frequency or "Monthly", day):
		return
	if config.last_tier_evaluation and getdate(config.last_tier_evaluation) >= add_days(day, -1):
		return
	run_evaluation(as_of=add_days(day, -1), trigger="Scheduled")


def is_due(frequency: str, day: date) -> bool:
	if frequency == "Weekly":
		return day.weekday() == 0
	if frequency == "Monthly":
		return day.day == 1
	if frequency == "Quarterly":
		return day.day == 1 and day.month in (1, 4, 7, 10)
	return False


# --- desk endpoints ---------------------------------------------------------------------------------------


def check_manager() -> None:
	require_manager(
		_("Only a Partner Manager or System Manager can evaluate partner tiers or review proposals.")
	)


@frappe.whitelist(methods=["POST"])
def evaluate_now(propose_only: int | None = None) -> str:
	check_manager()
	return enqueue_evaluation(
		propose_only=None if propose_only is None else bool(int(propose_only)), trigger="Manual"
	)


def _names(names) -> list[str]:
	return json.loads(names) if isinstance(names, str) else list(names or [])


@frappe.whitelist(methods=["POST"])
def approve_proposals(names: list | str) -> int:
	"""Apply proposed tier changes (a Partner Manager's bulk action on Partner Tier History)."""
	check_manager()
	notify = bool(settings().notify_partners_of_tier_change)
	applied, outdated = 0, []
	for name in _names(names):
		history = frappe.get_doc("Partner Tier History", name)
		if history.status != "Proposed":
			continue
		current = frappe.db.get_value("Partner", history.partner, "tier")
		if (current or None) != (history.from_tier or None):
			outdated.append(name)
			continue
		apply_tier(history.partner, history.to_tier, history.from_tier, history.reason, notify)
		mark_reviewed(history, "Applied")
		applied += 1
	if outdated:
		frappe.msgprint(
			_("Skipped {0}: the partner's tier changed since the proposal was made.").format(
				", ".join(outdated)
			),
			title=_("Outdated Proposals"),
			indicator="orange",
		)
	return applied


@frappe.whitelist(methods=["POST"])
def reject_proposals(names: list | str) -> int:
	check_manager()
	rejected = 0
	for name in _names(names):
		history = frappe.get_doc("Partner Tier History", name)
		if history.status == "Proposed":
			mark_reviewed(history, "Rejected")
			rejected += 1
	return rejected


def mark_reviewed(history, status: str) -> None:
	history.db_set({"status": status, "reviewed_by": frappe.session.user, "reviewed_on": now_datetime()})


@frappe.whitelist()
def get_tier_progress(partner: str) -> dict:
	"""The partner's metrics against its current and next tier, for the Partner form."""
	frappe.has_permission("Partner", "read", partner, throw=True)
	proposals = evaluate(today(), partners=[partner])
	if proposals.empty:
		return {"partner": partner, "active": False}
	row = proposals.iloc[0]
	# toward the tier above the one held now (a projected demotion does not move the goal), else the
	# criteria of the tier held (the highest)
	target = row.tier_above_current or row.current_tier or row.qualified_tier
	criteria = []
	for key, detail in (row.criteria.get(target) or {}).items():
		target_value = detail["target"]
		if not target_value:
			continue
		percent = min(100.0, detail["value"] * 100.0 / target_value) if target_value else 100.0
		criteria.append(
			{
				"criterion": key,
				"label": _(CRITERION_LABELS[key]),
				"value": detail["value"],
				"target": target_value,
				"window_months": detail.get("window_months"),
				"passed": detail["passed"],
				"percent": round(max(percent, 0.0), 1),
			}
		)
	return plain(
		{
			"partner": partner,
			"active": True,
			"current_tier": row.current_tier,
			"qualified_tier": row.qualified_tier,
			"proposed_tier": row.proposed_tier,
			"next_tier": row.tier_above_current,
			"target_tier": target,
			"reason": reason_text(row),
			"criteria": criteria,
			"metrics": row.metrics,
		}
	)


def plain(value):
	"""The value with numpy scalars (pandas' sums and means) as Python numbers: v16 answers with orjson,
	which refuses numpy.float64 (a 500 on the Partner form's tier progress)."""
	if isinstance(value, dict):
		return {k: plain(v) for k, v in value.items()}
	if isinstance(value, list | tuple):
		return [plain(v) for v in value]
	if hasattr(value, "item") and type(value).__module__ == "numpy":
		return value.item()
	return value
