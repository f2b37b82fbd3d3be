"""Dates, numbers and money as partners read them: in the user's language (``frappe.local.lang``).

The portal and the Partner Statement format through these instead of fixed patterns. A user whose
language is the site's own (System Settings) keeps Frappe's formatters, so they read the formats the
site is set up with (date format, number format, currency symbol), exactly as the desk shows them; a
user with another language reads that language's CLDR conventions through Babel (Frappe's own
dependency): a Russian partner reads ``1 234,50 $`` and ``5 дек. 2026 г.``, a German one ``1.234,50 $``
and ``05.12.2026``. A language Babel does not know falls back to Frappe's formatters.

prm_money(value, currency)     money with its currency
prm_number(value, precision)   a plain number
prm_date(value)                a date
prm_month(value)               a month label for charts ("Dec 26", "дек. 26")

The four are Jinja methods too (hooks.py), for the Partner Statement print format.
"""

from __future__ import annotations

import frappe
from frappe.utils import flt, fmt_money, formatdate, getdate


def user_locale() -> str | None:
	"""The Babel locale of the session's language, or None if Babel does not know it."""
	from babel import Locale, UnknownLocaleError

	lang = (getattr(frappe.local, "lang", None) or "en").replace("-", "_")
	try:
		Locale.parse(lang)
	except (UnknownLocaleError, ValueError):
		return None
	return lang


def babel_locale() -> str | None:
	"""The Babel locale for the session's language, or None where Frappe's own formatters apply (the
	site's language, or a language Babel does not know)."""
	lang = (getattr(frappe.local, "lang", None) or "en").replace("-", "_")
	site_lang = (frappe.db.get_default("lang") if getattr(frappe.local, "db", None) else None) or "en"
	if lang == site_lang.replace("-", "_"):
		return None
	return user_locale()


def prm_money(value, currency: str | None = None) -> str:
	locale = babel_locale()
	if locale is None or not currency:
		return fmt_money(flt(value), currency=currency)
	from babel.numbers import format_currency

	return format_currency(flt(value), currency, locale=locale)


def prm_number(value, precision: int | None = None) -> str:
	locale = babel_locale()
	if locale is None:
		return fmt_money(flt(value), precision=precision)
	from babel.numbers import format_decimal

	pattern = "#,##0" + ("." + "0" * precision if precision else "") if precision is not None else None
	return format_decimal(flt(value), format=pattern, locale=locale)


def prm_date(value) -> str:
	if not value:
		return ""
	locale = babel_locale()
	if locale is None:
		return formatdate(value)
	from babel.dates import format_date

	return format_date(getdate(value), "medium", locale=locale)


def prm_month(value) -> str:
	from babel.dates import format_date

	return format_date(getdate(value), "LLL yy", locale=user_locale() or "en")


def compile_translations(force: bool = False) -> None:
	"""Compile prm_app's ``locale/*.po`` into the bench's ``sites/assets/locale/<lang>/LC_MESSAGES/prm_app.mo``,
	where Frappe reads translations. ``bench build`` does this for every app; install and migrate do it
	for prm_app too, so a bench that was never built after prm_app was added still translates it. A
	language whose .mo is newer than its .po is left as it is (unless ``force``)."""
	from frappe.gettext.translate import _compile_translation, get_locales

	for locale in get_locales("prm_app"):
		_compile_translation("prm_app", locale, force=force)
	frappe.translate.clear_cache()
