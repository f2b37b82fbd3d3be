"""prm-sim: the demo, run / compare / validate / plan-example on real files, and one clear line (exit 2) for
every kind of bad input. Expected amounts of the small cases are worked out by hand in the comments."""

import csv
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from prm_app.engine import demo, io
from prm_app.engine.cli import main
from prm_app.engine.commission import Invoice, InvoiceLine

D = Decimal
REPO = Path(__file__).resolve().parent.parent

# --- a small program worked out by hand --------------------------------------------------------------------

PLAN_A = {
	"schema": "prm_app.plan/1",
	"name": "Plan A",
	"currency": "USD",
	"bracket_mode": "marginal",
	"period": "quarter",
	"tier_multipliers": {"Gold": "1.5", "Silver": "1"},
	"rules": [
		{
			"name": "Software",
			"rate": "0",
			"match": {"item_group": ["Software"]},
			"brackets": [
				{"from": "0", "to": "1000", "rate": "10"},
				{"from": "1000", "to": None, "rate": "20"},
			],
		},
		{"name": "Hardware", "rate": "5", "match": {"item_group": "Hardware"}},
		{"name": "Cables", "rate_type": "per_unit", "rate": "0.25", "match": {"item_group": "Cables"}},
	],
}
PLAN_B = {
	**PLAN_A,
	"name": "Plan B",
	"rules": [PLAN_A["rules"][0], {**PLAN_A["rules"][1], "rate": "10"}, PLAN_A["rules"][2]],
}

HEADER = "invoice,posting_date,partner,partner_tier,item_code,item_group,qty,base_net_amount,is_return,return_against"
ROWS = [
	# Acme (Gold ×1.5), Q1. INV-1: software 800 in bracket 0–1,000 at 10% = 80 × 1.5 = 120.00;
	# hardware 1,000 at 5% = 50 × 1.5 = 75.00; 10 cables at 0.25 = 2.50 × 1.5 = 3.75.   -> 198.75
	"INV-1,2025-01-10,Acme,Gold,SW-A,Software,1,800.00,0,",
	"INV-1,2025-01-10,Acme,Gold,HW-1,Hardware,1,1000.00,0,",
	"INV-1,2025-01-10,Acme,Gold,CAB,Cables,10,50.00,0,",
	# INV-2: software 500 moves the quarter's volume 800 -> 1,300: 200 at 10% + 300 at 20% = 80 × 1.5 = 120.00
	"INV-2,2025-02-01,Acme,Gold,SW-B,Software,1,500.00,0,",
	# RET-1 returns INV-2 whole: volume 1,300 -> 800, the same slices reversed = -120.00
	"RET-1,2025-02-20,Acme,Gold,SW-B,Software,-1,-500.00,1,INV-2",
	# Beta (Silver ×1), Q2: software 1,500 = 1,000 at 10% + 500 at 20% = 200.00
	"INV-3,2025-04-02,Beta,Silver,SW-A,Software,1,1500.00,0,",
]
# Plan A: Acme 198.75 + 120 - 120 = 198.75, Beta 200.00, total 398.75.
# Plan B pays 10% on hardware: Acme's 1,000 gives 150.00 instead of 75.00 -> Acme 273.75, total 473.75.


def write(path: Path, text: str) -> Path:
	path.write_text(text, encoding="utf-8")
	return path


@pytest.fixture
def files(tmp_path):
	plan_a = write(tmp_path / "plan-a.json", json.dumps(PLAN_A))
	plan_b = write(tmp_path / "plan-b.json", json.dumps(PLAN_B))
	lines = write(tmp_path / "lines.csv", "\n".join([HEADER, *ROWS]) + "\n")
	return tmp_path, plan_a, plan_b, lines


def read_csv(path: Path) -> list[dict]:
	with open(path, newline="", encoding="utf-8") as f:
		return list(csv.DictReader(f))


def commission_by_partner(out: Path) -> dict[str, Decimal]:
	return {row["partner"]: D(row["commission"]) for row in read_csv(out / "partners.csv")}


def run_cli(capsys, *args):
	code = main([str(a) for a in args])
	captured = capsys.readouterr()
	return code, captured.out, captured.err


# --- run ---------------------------------------------------------------------------------------------------


def test_run_on_csv_gives_the_hand_computed_totals(files, capsys):
	tmp, plan_a, _, lines = files
	out = tmp / "out"
	code, stdout, stderr = run_cli(capsys, "run", "--plan", plan_a, "--lines", lines, "--out", out, "-q")
	assert code == 0, stderr
	assert commission_by_partner(out) == {"Acme": D("198.75"), "Beta": D("200.00")}
	summary = json.loads((out / "summary.json").read_text())
	assert summary["totals"]["commission"] == "398.75"
	assert summary["input"] == {
		"source": str(lines),
		"invoices": 3,
		"credit_notes": 1,
		"lines": 6,
		"partners": 2,
		"first_date": "2025-01-10",
		"last_date": "2025-04-02",
	}
	rows = read_csv(out / "commissions.csv")
	assert sum(D(r["amount"]) for r in rows) == D("398.75")
	inv2 = [(r["bracket"], r["rate"], r["base"], r["amount"]) for r in rows if r["invoice"] == "INV-2"]
	assert inv2 == [("0–1,000", "10", "200.00", "30.00"), ("1,000+", "20", "300.00", "90.00")]
	ret = [(r["kind"], r["base"], r["amount"], r["against"]) for r in rows if r["invoice"] == "RET-1"]
	assert sorted(ret) == [
		("commission", "-200.00", "-30.00", "INV-2"),
		("commission", "-300.00", "-90.00", "INV-2"),
	]
	cables = next(r for r in rows if r["item_code"] == "CAB")
	assert (cables["rate_type"], cables["qty"], cables["amount"]) == ("per_unit", "10", "3.75")
	assert "0.25 per unit × 10 × 1.5 (tier Gold)" in cables["explanation"]
	# the printed table: money with separators, the effective rate as a percent (398.75 / 3,350 = 11.90%)
	assert "Acme" in stdout and "198.75" in stdout and "3,350.00" in stdout and "11.90%" in stdout
	partners = read_csv(out / "partners.csv")
	assert partners[0]["partner"] == "Beta"  # largest commission first
	statement = (out / partners[1]["statement"]).read_text()
	assert "Acme" in statement and "198.75" in statement and "RET-1" in statement


def test_run_on_parquet_gives_the_same_totals(files, capsys):
	pytest.importorskip("pyarrow")
	import pyarrow as pa
	import pyarrow.parquet as pq

	tmp, plan_a, _, lines = files
	records = read_csv(lines)
	table = pa.table(
		{
			"invoice": [r["invoice"] for r in records],
			"posting_date": pa.array([date.fromisoformat(r["posting_date"]) for r in records], pa.date32()),
			"partner": [r["partner"] for r in records],
			"partner_tier": [r["partner_tier"] for r in records],
			"item_code": [r["item_code"] for r in records],
			"item_group": [r["item_group"] for r in records],
			"qty": pa.array([int(r["qty"]) for r in records], pa.int64()),
			# floats, as pandas would write them: read through repr, so 800.0 is exactly 800
			"base_net_amount": pa.array([float(r["base_net_amount"]) for r in records], pa.float64()),
			"is_return": pa.array([r["is_return"] == "1" for r in records], pa.bool_()),
			"return_against": [r["return_against"] or None for r in records],
		}
	)
	path = tmp / "lines.parquet"
	pq.write_table(table, path)
	out = tmp / "out-parquet"
	code, _, stderr = run_cli(capsys, "run", "--plan", plan_a, "--lines", path, "--out", out, "-q")
	assert code == 0, stderr
	assert commission_by_partner(out) == {"Acme": D("198.75"), "Beta": D("200.00")}


def test_write_lines_round_trips_through_csv_and_parquet(tmp_path):
	program = demo.generate(size=400, seed=3)
	for name in ("lines.csv", "lines.parquet"):
		if name.endswith("parquet"):
			pytest.importorskip("pyarrow")
		path = tmp_path / name
		assert io.write_lines(path, program.invoices) == 400
		back = io.read_lines(path)
		assert back.invoices == program.invoices  # exact: every amount, flag and date


def test_invoice_attributes_come_from_the_first_row(tmp_path):
	lines = write(
		tmp_path / "lines.csv",
		"invoice,posting_date,partner,item_code,item_group,base_net_amount,territory,registered_deal\n"
		"INV-1,2025-01-10,Acme,A,G,10,Europe,yes\n"
		"INV-2,2025-01-11,Acme,A,G,10,,\n"
		"INV-1,2025-01-10,Acme,B,G,20,Asia,no\n",
	)
	result = io.read_lines(lines)
	first = result.invoices[0]
	assert (first.name, first.territory, first.registered_deal) == ("INV-1", "Europe", True)
	assert [ln.item_code for ln in first.lines] == ["A", "B"]
	assert result.line_rows == {"INV-1": [2, 4], "INV-2": [3]}


def test_numbers_are_exact_and_flags_accept_the_usual_spellings():
	assert io.parse_decimal("0.1") == D("0.1")
	assert io.parse_decimal(0.1) == D("0.1")  # through repr, never 0.1000000000000000055…
	assert io.parse_decimal(" -12.50 ") == D("-12.50")
	assert io.parse_decimal("") is None
	for text, value in [
		("1", True),
		("0", False),
		("TRUE", True),
		("false", False),
		("Yes", True),
		("no", False),
	]:
		assert io.parse_bool(text) is value
	assert io.parse_bool("") is None
	assert io.parse_date("2025-03-31") == date(2025, 3, 31)
	assert io.parse_date("2025-03-31 00:00:00") == date(2025, 3, 31)


def test_blank_rows_bom_and_unknown_columns(tmp_path, capsys):
	plan = write(tmp_path / "plan.json", json.dumps(PLAN_A))
	lines = tmp_path / "lines.csv"
	lines.write_bytes(
		"\ufeffInvoice,Posting Date,partner,item_code,item_group,base_net_amount,colour\n"
		"INV-1,2025-01-10,Beta,HW,Hardware,100,red\n"
		"\n"
		",,,,,,\n".encode()
	)
	code, _, stderr = run_cli(capsys, "run", "--plan", plan, "--lines", lines, "--out", tmp_path / "o", "-q")
	assert code == 0
	assert stderr.strip() == f"{lines}: ignoring unknown column 'colour'"
	assert commission_by_partner(tmp_path / "o") == {"Beta": D("5.00")}


# --- compare, validate, plan-example -------------------------------------------------------------------------


def test_compare_prints_both_plans_and_the_difference(files, capsys):
	tmp, plan_a, plan_b, lines = files
	out = tmp / "cmp"
	code, stdout, stderr = run_cli(
		capsys, "compare", "--plan", plan_a, "--plan", plan_b, "--lines", lines, "--out", out, "-q"
	)
	assert code == 0, stderr
	assert "Plan A" in stdout and "Plan B" in stdout
	assert "+75.00" in stdout  # Acme: 273.75 - 198.75
	assert "B (Plan B) pays 75.00 more than A (Plan A), +18.81%" in stdout  # 75 / 398.75
	assert "1 partner gains, 0 lose, 1 is unchanged." in stdout
	rows = {r["partner"]: r for r in read_csv(out / "compare.csv")}
	assert (rows["Acme"]["commission_a"], rows["Acme"]["commission_b"], rows["Acme"]["difference"]) == (
		"198.75",
		"273.75",
		"75.00",
	)
	assert rows["Beta"]["difference"] == "0.00"


def test_compare_needs_two_plans(files, capsys):
	_, plan_a, _, lines = files
	code, _, stderr = run_cli(capsys, "compare", "--plan", plan_a, "--lines", lines, "-q")
	assert code == 2
	assert stderr.strip() == "compare needs exactly two plans: --plan A.json --plan B.json (got 1)"


def test_validate_lists_rules_in_the_order_they_are_tried(files, capsys):
	_, plan_a, _, lines = files
	code, stdout, _ = run_cli(capsys, "validate", "--plan", plan_a, "--lines", lines, "-q")
	assert code == 0
	assert f"{plan_a}: OK" in stdout
	assert (
		"1. Software (priority 10): brackets 0–1,000 at 10%, 1,000+ at 20% where item_group Software"
		in stdout
	)
	assert f"{lines}: OK with {plan_a}" in stdout and "398.75 USD" in stdout


def test_plan_example_writes_files_that_run(tmp_path, capsys):
	folder = tmp_path / "example"
	code, stdout, _ = run_cli(capsys, "plan-example", "--out", folder, "--size", 600, "-q")
	assert code == 0
	assert {p.name for p in folder.iterdir()} == {"plan.json", "plan-b.json", "lines.csv"}
	assert json.loads((folder / "plan.json").read_text()) == demo.DEMO_PLAN
	assert f"prm-sim compare --plan {folder / 'plan.json'}" in stdout
	code, _, stderr = run_cli(
		capsys,
		"compare",
		"--plan",
		folder / "plan.json",
		"--plan",
		folder / "plan-b.json",
		"--lines",
		folder / "lines.csv",
		"-q",
	)
	assert code == 0, stderr


# --- demo --------------------------------------------------------------------------------------------------


def test_demo_writes_statements_and_its_inputs_give_the_same_result(tmp_path, capsys):
	out = tmp_path / "demo"
	code, stdout, stderr = run_cli(capsys, "demo", "--size", 3000, "--out", out, "--write-inputs", "-q")
	assert code == 0, stderr
	assert stderr == ""  # -q: no progress
	for name in ("commissions.csv", "partners.csv", "summary.json", "inputs/plan.json", "inputs/lines.csv"):
		assert (out / name).is_file(), name
	partners = read_csv(out / "partners.csv")
	statements = sorted(p.name for p in (out / "statements").iterdir())
	assert len(statements) == len(partners) > 30
	assert sorted(Path(p["statement"]).name for p in partners) == statements
	assert {p["partner_tier"] for p in partners} == {"Gold", "Silver", "Bronze"}
	summary = json.loads((out / "summary.json").read_text())
	commissions = read_csv(out / "commissions.csv")
	total = sum((D(r["amount"]) for r in commissions), D(0))
	assert D(summary["totals"]["commission"]) == total == sum((D(p["commission"]) for p in partners), D(0))
	assert summary["input"]["lines"] == 3000 and summary["input"]["credit_notes"] > 0
	kinds = {r["kind"] for r in commissions}
	assert {"commission", "reversal", "minimum", "maximum"} <= kinds
	assert "Top 10 partners by commission" in stdout and "Total (" in stdout and "%" in stdout
	# The same plan on the written files gives the same lines, to the cent.
	again = tmp_path / "again"
	code, _, stderr = run_cli(
		capsys,
		"run",
		"--plan",
		out / "inputs/plan.json",
		"--lines",
		out / "inputs/lines.csv",
		"--out",
		again,
		"-q",
	)
	assert code == 0, stderr
	assert (again / "commissions.csv").read_bytes() == (out / "commissions.csv").read_bytes()
	assert (again / "partners.csv").read_bytes() == (out / "partners.csv").read_bytes()


def test_demo_program_is_seeded_and_realistic():
	program = demo.generate(size=5000, seed=11)
	assert program.line_count == 5000
	assert demo.generate(size=5000, seed=11).invoices == program.invoices
	assert demo.generate(size=5000, seed=12).invoices != program.invoices
	assert len(program.partners) == 40
	assert [p.tier for p in program.partners].count("Gold") == 6
	returns = [inv for inv in program.invoices if inv.is_return]
	by_name = {inv.name: inv for inv in program.invoices}
	assert returns and all(by_name[r.return_against].posting_date <= r.posting_date for r in returns)
	full = [
		r
		for r in returns
		if sum(ln.base_net_amount for ln in r.lines)
		== -sum(ln.base_net_amount for ln in by_name[r.return_against].lines)
	]
	assert full and len(full) < len(returns)  # both full and partial credit notes
	assert any(inv.registered_deal for inv in program.invoices)
	assert any(not ln.grant_commission for inv in program.invoices for ln in inv.lines)
	assert {ln.item_group for inv in program.invoices for ln in inv.lines} >= {
		"Hardware",
		"Software",
		"Services",
	}


# --- bad input: one line on stderr, exit 2 -------------------------------------------------------------------

GOOD = "INV-1,2025-01-10,Acme,Gold,HW-1,Hardware,1,100.00,0,"
BAD_LINES = [
	("not a number", [GOOD.replace("100.00", "abc")], "row 2, column base_net_amount: not a number: 'abc'"),
	(
		"comma decimal",
		[GOOD.replace("100.00", '"1,5"')],
		"row 2, column base_net_amount: not a number: '1,5'",
	),
	(
		"bad date",
		[GOOD.replace("2025-01-10", "10/01/2025")],
		"row 2, column posting_date: not a date: '10/01/2025'",
	),
	(
		"impossible date",
		[GOOD.replace("2025-01-10", "2025-02-30")],
		"row 2, column posting_date: not a valid date",
	),
	("bad boolean", [GOOD.replace(",0,", ",maybe,")], "row 2, column is_return: not a yes/no value: 'maybe'"),
	(
		"unknown tier",
		[GOOD.replace("Gold", "Platinum")],
		"row 2, column partner_tier: unknown partner tier 'Platinum'",
	),
	("empty invoice", [GOOD.replace("INV-1", "")], "row 2, column invoice: is empty"),
	("empty partner", [GOOD.replace("Acme", "")], "row 2, column partner: is empty"),
	(
		"dates disagree",
		[GOOD, GOOD.replace("2025-01-10", "2025-01-11")],
		"row 3, column posting_date: invoice INV-1 has posting_date '2025-01-11' here but '2025-01-10' on row 2",
	),
	(
		"partners disagree",
		[GOOD, GOOD.replace("Acme", "Beta")],
		"row 3, column partner: invoice INV-1 has partner 'Beta' here but 'Acme' on row 2",
	),
	(
		"unknown original",
		["RET-1,2025-02-01,Acme,Gold,HW-1,Hardware,-1,-100.00,1,INV-9"],
		"row 2, column return_against: credit note RET-1 returns against INV-9, which is not in this file",
	),
	(
		"return without original",
		["RET-1,2025-02-01,Acme,Gold,HW-1,Hardware,-1,-100.00,1,"],
		"row 2, column return_against: is empty, but the row is a credit note",
	),
	(
		"return before its invoice",
		[GOOD, "RET-1,2025-01-01,Acme,Gold,HW-1,Hardware,-1,-100.00,1,INV-1"],
		"row 3, column posting_date: credit note RET-1 (2025-01-01) comes before its invoice INV-1",
	),
	(
		"return of another item",
		[GOOD, "RET-1,2025-02-01,Acme,Gold,MOUSE,Hardware,-1,-10.00,1,INV-1"],
		"row 3, column item_code: credit note RET-1 returns item 'MOUSE', which is not on invoice INV-1",
	),
	(
		"positive return",
		[GOOD, "RET-1,2025-02-01,Acme,Gold,HW-1,Hardware,-1,100.00,1,INV-1"],
		"row 3, column base_net_amount: a credit note line must have a negative amount",
	),
	(
		"over-return (found by the engine)",
		[GOOD, "RET-1,2025-02-01,Acme,Gold,HW-1,Hardware,-3,-100.00,1,INV-1"],
		"row 3: credit note RET-1 returns 3 of HW-1 on invoice INV-1, but only 1 were invoiced",
	),
	(
		"negative quantity",
		[GOOD.replace(",1,100.00", ",-1,100.00")],
		"row 2, column qty: negative quantity -1 on an invoice that is not a credit note",
	),
	("short row", [GOOD.rsplit(",", 2)[0]], "row 2: has 8 values but the header has 10 columns"),
]


@pytest.mark.parametrize("rows, message", [(r, m) for _, r, m in BAD_LINES], ids=[i for i, _, _ in BAD_LINES])
def test_bad_lines_give_one_line_and_exit_2(files, capsys, rows, message):
	tmp, plan_a, _, _ = files
	lines = write(tmp / "bad.csv", "\n".join([HEADER, *rows]) + "\n")
	code, stdout, stderr = run_cli(
		capsys, "run", "--plan", plan_a, "--lines", lines, "--out", tmp / "o", "-q"
	)
	assert code == 2
	assert stderr.count("\n") == 1 and "Traceback" not in stderr
	assert stderr.startswith(f"{lines}: {message}"), stderr
	assert stdout == ""


@pytest.mark.parametrize(
	"header, message",
	[
		("invoice,posting_date,partner,item_code,base_net_amount", "missing required column 'item_group'"),
		("invoice;posting_date;partner", "the header is one column"),
		("", "is empty: expected a header row"),
	],
)
def test_bad_headers(tmp_path, capsys, header, message):
	plan = write(tmp_path / "plan.json", json.dumps(PLAN_A))
	lines = write(tmp_path / "lines.csv", header + "\n" if header else "")
	code, _, stderr = run_cli(capsys, "run", "--plan", plan, "--lines", lines, "-q", "--out", tmp_path / "o")
	assert code == 2 and stderr.count("\n") == 1
	assert stderr.startswith(f"{lines}: {message}"), stderr


@pytest.mark.parametrize(
	"change, message",
	[
		(
			lambda p: p["rules"][1].update(rate="150"),
			"rule 2 (Hardware) rate is a percentage and must be between 0 and 100, got 150",
		),
		(lambda p: p.update(currency="XYZ"), "unknown currency 'XYZ'"),
		(
			lambda p: p["rules"][0]["brackets"][1].update({"from": "900"}),
			"rule 1 (Software) bracket 2 starts at 900",
		),
		(lambda p: p["rules"][2].update(colour="red"), "unknown field 'colour' in rule 3"),
	],
)
def test_bad_plans_give_one_line_and_exit_2(files, capsys, change, message):
	tmp, _, _, lines = files
	data = json.loads(json.dumps(PLAN_A))
	change(data)
	plan = write(tmp / "bad-plan.json", json.dumps(data))
	code, _, stderr = run_cli(capsys, "run", "--plan", plan, "--lines", lines, "--out", tmp / "o", "-q")
	assert code == 2 and stderr.count("\n") == 1
	assert stderr.startswith(f"{plan}: {message}"), stderr


def test_unreadable_files(files, capsys):
	tmp, plan_a, _, lines = files
	cases = [
		(["--plan", tmp / "missing.json", "--lines", lines], f"{tmp / 'missing.json'}: no such file"),
		(["--plan", plan_a, "--lines", tmp / "missing.csv"], f"{tmp / 'missing.csv'}: no such file"),
		(
			["--plan", write(tmp / "broken.json", "{"), "--lines", lines],
			f"{tmp / 'broken.json'}: not valid JSON",
		),
		(["--plan", plan_a, "--lines", write(tmp / "lines.xlsx", "")], "unknown file type '.xlsx'"),
	]
	for args, message in cases:
		code, _, stderr = run_cli(capsys, "run", *args, "--out", tmp / "o", "-q")
		assert code == 2 and stderr.count("\n") == 1, stderr
		assert message in stderr


def test_parquet_without_pyarrow_says_how_to_get_it(files, capsys, monkeypatch):
	tmp, plan_a, _, _ = files
	monkeypatch.setitem(sys.modules, "pyarrow", None)
	monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
	path = write(tmp / "lines.parquet", "")
	code, _, stderr = run_cli(capsys, "run", "--plan", plan_a, "--lines", path, "--out", tmp / "o", "-q")
	assert code == 2
	assert (
		stderr
		== f"{path}: reading Parquet needs pyarrow: pip install 'prm_app[parquet]' (or pip install pyarrow), or save the lines as CSV\n"
	)


def test_parquet_rows_are_numbered_from_1(tmp_path, capsys):
	pytest.importorskip("pyarrow")
	import pyarrow as pa
	import pyarrow.parquet as pq

	plan = write(tmp_path / "plan.json", json.dumps(PLAN_A))
	path = tmp_path / "lines.parquet"
	pq.write_table(
		pa.table(
			{
				"invoice": ["INV-1", "INV-2"],
				"posting_date": ["2025-01-10", "2025-01-11"],
				"partner": ["Acme", "Acme"],
				"item_code": ["A", "B"],
				"item_group": ["Hardware", "Hardware"],
				"base_net_amount": ["10", "ten"],
			}
		),
		path,
	)
	code, _, stderr = run_cli(capsys, "run", "--plan", plan, "--lines", path, "--out", tmp_path / "o", "-q")
	assert code == 2
	assert stderr == f"{path}: row 2, column base_net_amount: not a number: 'ten'\n"


def test_the_installed_command_exits_2_without_a_traceback(files):
	tmp, plan_a, _, _ = files
	lines = write(tmp / "bad.csv", f"{HEADER}\n{GOOD.replace('100.00', 'abc')}\n")
	env = {
		**os.environ,
		"PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
	}
	proc = subprocess.run(
		[
			sys.executable,
			"-m",
			"prm_app.engine",
			"run",
			"--plan",
			plan_a,
			"--lines",
			lines,
			"--out",
			tmp / "o",
		],
		capture_output=True,
		text=True,
		env=env,
		cwd=tmp,
		timeout=120,
	)
	assert proc.returncode == 2
	assert proc.stderr.endswith(f"{lines}: row 2, column base_net_amount: not a number: 'abc'\n")
	assert "Traceback" not in proc.stderr


def test_no_command_prints_help_and_exits_2(capsys):
	code, _, stderr = run_cli(capsys)
	assert code == 2 and "prm-sim" in stderr and "demo" in stderr


def test_engine_never_imports_frappe():
	for name in ("cli.py", "io.py", "demo.py"):
		text = (REPO / "prm_app" / "engine" / name).read_text()
		assert "import frappe" not in text and "from frappe" not in text


def test_invoices_from_rows_builds_engine_invoices():
	result = io.invoices_from_rows(
		"memory",
		[
			"invoice",
			"posting_date",
			"partner",
			"item_code",
			"item_group",
			"base_net_amount",
			"grant_commission",
		],
		[(1, ["A", "2025-01-01", "P", "X", "G", "12.30", "no"])],
	)
	assert result.invoices == [
		Invoice(
			name="A",
			posting_date=date(2025, 1, 1),
			partner="P",
			lines=(
				InvoiceLine(
					item_code="X", base_net_amount=D("12.30"), item_group="G", grant_commission=False
				),
			),
		)
	]


def test_the_readme_plan_example_is_the_demo_plan():
	readme = (REPO / "README.md").read_text(encoding="utf-8")
	block = readme.split("```json\n", 1)[1].split("```", 1)[0]
	assert json.loads(block) == demo.DEMO_PLAN
