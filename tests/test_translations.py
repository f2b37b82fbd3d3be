"""Static checks of prm_app's translations (no bench): every language translates every message of
``locale/main.pot`` with the same placeholders, the template is in step with the code's literal
messages, and the messages Frappe shows from outside ``_()`` are listed in ``l10n_messages.py``."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "prm_app"
LOCALE = APP / "locale"
LANGUAGES = ("ru", "de", "es", "fr")
PLACEHOLDER = re.compile(r"\{\d*\}")
# engine modules whose phrases go through a translation function named ``_`` (passed in by the caller)
TRANSLATED_ENGINE_MODULES = ("describe.py",)


def unquote(text: str) -> str:
	return json.loads(text)  # gettext's C-style escapes of babel's output are JSON-compatible here


def read_catalog(path: Path) -> dict[tuple[str | None, str], str]:
	"""{(msgctxt, msgid): msgstr} of a .po/.pot file (header left out)."""
	entries, current, field = {}, {}, None

	def flush():
		if "msgid" in current and current["msgid"]:
			entries[(current.get("msgctxt"), current["msgid"])] = current.get("msgstr", "")

	for raw in path.read_text(encoding="utf-8").splitlines():
		line = raw.strip()
		if not line or line.startswith("#"):
			if not line and current:
				flush()
				current, field = {}, None
			continue
		match = re.match(r'^(msgctxt|msgid|msgstr)\s+(".*")$', line)
		if match:
			if match.group(1) in ("msgctxt", "msgid") and "msgstr" in current:
				flush()
				current = {}
			field = match.group(1)
			current[field] = unquote(match.group(2))
		elif line.startswith('"') and field:
			current[field] += unquote(line)
	if current:
		flush()
	return entries


@pytest.fixture(scope="module")
def template():
	return read_catalog(LOCALE / "main.pot")


def test_template_has_the_messages(template):
	assert len(template) > 500
	assert ("Partner Statement" in {k[1] for k in template})


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_translated_with_its_placeholders(template, language):
	po = read_catalog(LOCALE / f"{language}.po")
	missing = [msgid for key in template if not po.get(key) for msgid in [key[1]]]
	assert missing == [], f"{language}: {len(missing)} of {len(template)} messages untranslated"
	for key in template:
		assert sorted(PLACEHOLDER.findall(key[1])) == sorted(PLACEHOLDER.findall(po[key])), (language, key)
		assert "<" not in key[1] or sorted(re.findall(r"</?\w+", key[1])) == sorted(
			re.findall(r"</?\w+", po[key])
		), ("HTML tags", language, key)
	assert set(po) == set(template), f"{language}.po has messages the template does not (run update-po-files)"


def literal_messages() -> set[str]:
	"""Literal messages of ``_()`` / ``_lt()`` / ``__()`` in prm_app's Python, HTML and JS."""
	found = set()
	for path in APP.rglob("*.py"):
		if "engine" in path.parts and path.name not in TRANSLATED_ENGINE_MODULES:
			continue
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
			if (
				isinstance(node, ast.Call)
				and isinstance(node.func, ast.Name)
				and node.func.id in ("_", "_lt")
				and node.args
				and isinstance(node.args[0], ast.Constant)
				and isinstance(node.args[0].value, str)
				and not node.keywords
				and len(node.args) == 1
			):
				found.add(node.args[0].value)
	pattern = re.compile(r"""(?<![\w.])_{1,2}\(\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*\)""")
	for path in APP.rglob("*.py"):  # Jinja templates held in Python strings (notifications.py)
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
			if isinstance(node, ast.Constant) and isinstance(node.value, str) and "_(" in node.value:
				for literal in pattern.findall(node.value):
					found.add(ast.literal_eval(literal))
	for suffix in ("*.html", "*.js"):
		for path in APP.rglob(suffix):
			if "public" in path.parts and "dist" in path.parts:
				continue
			for literal in pattern.findall(path.read_text(encoding="utf-8")):
				found.add(ast.literal_eval(literal))
	return {m for m in found if m}


def test_template_is_in_step_with_the_code(template):
	"""A message added to the code without regenerating main.pot (bench generate-pot-file --app prm_app,
	then update-po-files and translate) fails here."""
	ids = {key[1] for key in template}
	missing = sorted(literal_messages() - ids)
	assert missing == [], f"not in locale/main.pot: {missing}"


def test_messages_shown_from_outside_translate_calls_are_listed(template):
	"""Portal menu titles (hooks.py), custom field labels (install.py), and the names of dashboards,
	charts and number cards are translated by Frappe at display time; l10n_messages.py lists them so
	they reach main.pot."""
	ids = {key[1] for key in template}
	expected = set(re.findall(r'"title":\s*"([^"]+)"', (APP / "hooks.py").read_text()))
	for node in ast.walk(ast.parse((APP / "install.py").read_text())):
		if isinstance(node, ast.Dict):
			for k, v in zip(node.keys, node.values, strict=True):
				if isinstance(k, ast.Constant) and k.value in ("label", "description") and isinstance(v, ast.Constant):
					expected.add(v.value)
	module = APP / "prm_app"
	for folder, key in (
		("number_card", "label"),
		("dashboard_chart", "chart_name"),
		("dashboard_chart_source", "source_name"),
		("prm_app_dashboard", "dashboard_name"),
	):
		for path in module.glob(f"{folder}/*/*.json"):
			value = json.loads(path.read_text()).get(key)
			if value:
				expected.add(value)
	assert sorted(expected - ids) == []


def template_references() -> dict[str, set[str]]:
	"""{msgid: the files main.pot says it comes from} (the ``#:`` lines before each entry)."""
	refs: dict[str, set[str]] = {}
	pending: set[str] = set()
	lines = (LOCALE / "main.pot").read_text(encoding="utf-8").splitlines()
	for i, line in enumerate(lines):
		if line.startswith("#: "):
			pending |= {ref.rsplit(":", 1)[0] for ref in line[3:].split()}
		elif line.startswith("msgid ") and pending:
			text = unquote(line[6:])
			for cont in lines[i + 1 :]:
				if not cont.startswith('"'):
					break
				text += unquote(cont)
			refs.setdefault(text, set()).update(pending)
			pending = set()
	return refs


def test_template_has_no_message_its_code_no_longer_shows():
	"""A message taken out of the code stays in main.pot (and in every language) until the template is
	regenerated: a message said to come only from code files must still be in one of the app's code files
	(it may have moved)."""
	code = "\n".join(
		path.read_text(encoding="utf-8")
		for suffix in ("*.py", "*.js", "*.html", "*.json")  # a field's description may have moved to its JSON
		for path in APP.rglob(suffix)
		if not ("public" in path.parts and "dist" in path.parts)
	)
	literal, stale = literal_messages(), []
	for msgid, files in template_references().items():
		if any(not f.endswith((".py", ".js", ".html")) for f in files):
			continue  # doctype, report and workspace JSON: their labels
		forms = {msgid, json.dumps(msgid)[1:-1], msgid.replace("'", "\\'")}
		if msgid not in literal and not any(form in code for form in forms):
			stale.append((msgid, sorted(files)))
	assert stale == [], f"in locale/main.pot but no longer in the code: {stale}"
