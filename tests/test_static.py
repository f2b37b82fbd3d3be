"""Static checks of the app's layout, hooks and doctype JSON — no bench needed."""

import ast
import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "prm_app"
MODULE = APP / "prm_app"
DOCTYPES = sorted(APP.glob("*/doctype/*/*.json"))


def hooks() -> dict:
	tree = ast.parse((APP / "hooks.py").read_text())
	values = {}
	for node in tree.body:
		if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
			values[node.targets[0].id] = ast.literal_eval(node.value)
	return values


def test_bench_new_app_layout():
	for path in (
		"pyproject.toml",
		"setup.py",
		"README.md",
		"license.txt",
		".ci/run",
		"scripts/test",
		"prm_app/__init__.py",
		"prm_app/hooks.py",
		"prm_app/modules.txt",
		"prm_app/patches.txt",
		"prm_app/install.py",
		"prm_app/public",
		"prm_app/templates",
		"prm_app/www",
		"prm_app/engine",
		"prm_app/prm_app/__init__.py",
		"prm_app/prm_app/doctype",
		"prm_app/prm_app/report",
		"prm_app/prm_app/workspace",
	):
		assert (ROOT / path).exists(), path


def test_pyproject_declares_frappe_and_erpnext_and_reads_version():
	data = tomllib.loads((ROOT / "pyproject.toml").read_text())
	assert data["build-system"]["build-backend"] == "flit_core.buildapi"
	assert data["project"]["dynamic"] == ["version"]
	deps = data["tool"]["bench"]["frappe-dependencies"]
	assert deps["frappe"].startswith(">=15.40") and "<17" in deps["frappe"]
	assert deps["erpnext"].startswith(">=15.40") and "<17" in deps["erpnext"]
	assert any(d.startswith("pandas") for d in data["project"]["dependencies"])
	assert "test" in data["project"]["optional-dependencies"]
	assert data["project"]["scripts"]["prm-sim"] == "prm_app.engine.cli:main"
	assert data["tool"]["ruff"]["line-length"] == 110
	assert data["tool"]["ruff"]["format"]["indent-style"] == "tab"
	version = re.search(r'__version__ = "([^"]+)"', (APP / "__init__.py").read_text()).group(1)
	assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_hooks():
	h = hooks()
	assert h["app_name"] == "prm_app"
	assert h["required_apps"] == ["frappe/erpnext"]
	assert h["export_python_type_annotations"] is True
	for key in ("after_install", "after_migrate", "before_uninstall", "before_tests"):
		module, _, func = h[key].rpartition(".")
		path = ROOT / (module.replace(".", "/") + ".py")
		if not path.exists():
			path = ROOT / module.replace(".", "/") / "__init__.py"
		assert path.exists(), h[key]
		assert re.search(rf"^def {func}\(", path.read_text(), re.M), h[key]


def test_modules_and_patches():
	assert (APP / "modules.txt").read_text().split("\n")[0] == "PRM App"
	patches = (APP / "patches.txt").read_text()
	assert "[pre_model_sync]" in patches and "[post_model_sync]" in patches


def test_engine_never_imports_frappe():
	for path in (APP / "engine").rglob("*.py"):
		tree = ast.parse(path.read_text())
		for node in ast.walk(tree):
			names = []
			if isinstance(node, ast.Import):
				names = [a.name for a in node.names]
			elif isinstance(node, ast.ImportFrom):
				names = [node.module or ""]
			for name in names:
				assert name.split(".")[0] not in ("frappe", "erpnext"), f"{path} imports {name}"


def test_bench_test_folders_are_packages():
	# frappe's runner imports test modules by dotted path: every folder on the way needs __init__.py
	for test in APP.rglob("test_*.py"):
		folder = test.parent
		while folder != ROOT:
			assert (folder / "__init__.py").exists() or folder.name in ("www",), f"{folder} lacks __init__.py"
			folder = folder.parent


def test_no_shared_dict_is_handed_to_set_value():
	"""``frappe.db.set_value`` / ``set_single_value`` add ``modified`` and ``modified_by`` to the dict they are
	given: a module-level dict (``PAY_NOW``) handed to them carries a stale ``modified`` into every later
	``change_settings`` of it (TimestampMismatchError in whatever test runs after). Pass a copy."""
	dict_argument = {"set_single_value": 1, "set_value": 2}  # where the fields dict goes
	found = []
	for path in APP.rglob("*.py"):
		for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
			if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
				continue
			index = dict_argument.get(node.func.attr)
			if index is None or len(node.args) != index + 1:
				continue
			argument = node.args[index]
			if isinstance(argument, ast.Name) and argument.id.isupper():
				found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
	assert found == []


@pytest.mark.parametrize("path", DOCTYPES, ids=[p.stem for p in DOCTYPES])
def test_doctype_json(path):
	doc = json.loads(path.read_text())
	if doc.get("doctype") != "DocType":
		pytest.skip("not a doctype")
	# the module is the folder the doctype lives in: prm_app/<module folder>/doctype/<name>/<name>.json
	modules = {m.strip().lower().replace(" ", "_"): m.strip() for m in (APP / "modules.txt").read_text().splitlines() if m.strip()}
	assert doc["module"] == modules[path.parents[2].name]
	assert path.stem == doc["name"].lower().replace(" ", "_")
	assert (path.parent / "__init__.py").exists()
	assert (path.parent / f"{path.stem}.py").exists()
	fieldnames = [f["fieldname"] for f in doc["fields"]]
	assert len(fieldnames) == len(set(fieldnames)), "duplicate fieldnames"
	assert fieldnames == [f for f in doc.get("field_order", fieldnames)], "field_order out of step"
	for field in doc["fields"]:
		assert re.fullmatch(r"[a-z][a-z0-9_]*", field["fieldname"]), field["fieldname"]
		if field["fieldtype"] in ("Link", "Table", "Table MultiSelect"):
			assert field.get("options"), field["fieldname"]
	if not doc.get("istable"):
		assert doc.get("permissions"), "a doctype needs permission rows"
