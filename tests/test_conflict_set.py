"""The labelled conflict sets: each case is a prospect A (partner P1) and another
partner's approved, unexpired registration B (P2). ``conflict``: the engine must call it a hard conflict
(the same company, overlapping products); ``near``: a match shown to the reviewer but not blocking;
``none``: no match. Precision and recall are printed (pytest -s) and asserted; retrieval by keys must
fetch every pair the scorer matches.

- conflicts.csv: the set the scorer was built on (in-sample);
- conflicts_holdout.csv: written by a reviewer who had not seen the scorer; the failure classes it showed
  were fixed by general rules (first run: conflict precision 0.80 / recall 0.64);
- conflicts_holdout2.csv: written before it was first run (first run: conflict precision 1.00 / recall
  0.74); a stand-in for an independent set, so its threshold is only what the scorer meets, with room.
"""

import csv
from collections import Counter
from pathlib import Path

import pytest

from prm_app.engine.matching import CandidateIndex, compare, make_party, with_ancestors

DATA = Path(__file__).parent / "data" / "conflicts.csv"
HOLDOUT = DATA.with_name("conflicts_holdout.csv")
HOLDOUT2 = DATA.with_name("conflicts_holdout2.csv")
SETS = (DATA, HOLDOUT, HOLDOUT2)
DR = "Deal Registration"
# a small item-group tree and the items in it (the Frappe layer reads the same from Item Group lft/rgt)
PARENT_OF = {
	"Laptops": "Hardware",
	"Desktops": "Hardware",
	"Hardware": "Products",
	"Licences": "Software",
	"Software": "Products",
	"Products": "All Item Groups",
	"Services": "All Item Groups",
}
ITEM_GROUP = {"LAP-1": "Laptops", "DESK-1": "Desktops", "ERP-1": "Licences", "SVC-1": "Services"}


def load(path=DATA):
	with path.open(encoding="utf-8") as f:
		return list(csv.DictReader(f))


def party(row, side, name, partner, protecting):
	products = [p for p in (row[f"{side}_products"] or "item:LAP-1").split("|") if p]
	groups = [ITEM_GROUP[p[5:]] for p in products if p.startswith("item:")]
	groups += [p[6:] for p in products if p.startswith("group:")]
	return make_party(
		DR,
		name,
		company_name=row[f"{side}_name"],
		websites=[row[f"{side}_site"]],
		tax_id=row[f"{side}_tax"],
		country=row[f"{side}_country"],
		products=products,
		item_groups=with_ancestors(groups, PARENT_OF),
		partner=partner,
		protecting=protecting,
	)


def predict(row):
	a = party(row, "a", "A", "P1", False)
	b = party(row, "b", "B", "P2", True)
	match = compare(a, b)
	return a, b, match, "conflict" if match and match.hard else "near" if match else "none"


def scores(rows):
	confusion = Counter()
	wrong = []
	for row in rows:
		predicted = predict(row)[3]
		confusion[(row["label"], predicted)] += 1
		if predicted != row["label"]:
			wrong.append((row["label"], predicted, row["a_name"], row["b_name"], row["reason"]))
	out = {}
	for label in ("conflict", "near", "none"):
		tp = confusion[(label, label)]
		predicted = sum(v for (_, p), v in confusion.items() if p == label)
		actual = sum(v for (t, _), v in confusion.items() if t == label)
		out[label] = (tp / predicted if predicted else 1.0, tp / actual if actual else 1.0, actual)
	return out, wrong


def test_the_set_is_big_and_varied():
	rows = load()
	assert len(rows) >= 150
	labels = Counter(r["label"] for r in rows)
	assert labels["conflict"] >= 80 and labels["near"] >= 25 and labels["none"] >= 40
	assert len({r["script"] for r in rows}) >= 6 and len({r["country"] for r in rows}) >= 12
	assert all(r["reason"].strip() for r in rows)


def report(path):
	rows = load(path)
	out, wrong = scores(rows)
	print(f"\n{path.name}: {len(rows)} cases, {dict(Counter(r['script'] for r in rows))}")
	for label, (precision, recall, n) in out.items():
		print(f"  {label:8s} n={n:3d}  precision {precision:.3f}  recall {recall:.3f}")
	for case in wrong:
		print("  wrong:", case)
	return out


def test_precision_and_recall():
	out = report(DATA)
	assert out["conflict"][0] >= 0.97 and out["conflict"][1] >= 0.97
	assert out["none"][0] >= 0.9 and out["none"][1] >= 0.9
	assert out["near"][0] >= 0.8 and out["near"][1] >= 0.8


def test_holdout_precision_and_recall():
	"""The reviewer's held-out set: a hard conflict called where there is none blocks a legitimate deal
	(precision), a missed one costs a partner its protection (recall)."""
	out = report(HOLDOUT)
	assert out["conflict"][0] >= 0.95 and out["conflict"][1] >= 0.90
	assert out["none"][0] >= 0.85 and out["none"][1] >= 0.9
	assert out["near"][0] >= 0.75 and out["near"][1] >= 0.75


def test_second_holdout_precision_and_recall():
	"""Written before it was first run; the remaining misses need knowledge a scorer of names does not
	have (translations such as Сбербанк России ~ Sberbank of Russia, abbreviations such as 浦发银行,
	inflected forms, a person's initials)."""
	assert len(load(HOLDOUT2)) >= 60
	out = report(HOLDOUT2)
	assert out["conflict"][0] >= 0.95 and out["conflict"][1] >= 0.85
	assert out["none"][1] >= 0.9


@pytest.mark.parametrize("path", SETS, ids=lambda p: p.stem)
def test_retrieval_fetches_everything_the_scorer_matches(path):
	"""Keys decide retrieval (the database pre-filter reads the same keys): every matched pair shares one,
	and an index over all B sides returns, for each A, every B that ``compare`` matches."""
	rows = load(path)
	pairs = [predict(row) for row in rows]
	for a, b, match, _ in pairs:
		if match:
			assert a.keys & b.keys, (a.company_name, b.company_name)
	candidates = [party(row, "b", f"B{i}", "P2", True) for i, row in enumerate(rows)]
	index = CandidateIndex.build(candidates)
	fetched = scored = 0
	for row in rows:
		a = party(row, "a", "A", "P1", False)
		found = {candidates[j].name for j in index.candidates_for(a)}
		matched = {c.name for c in candidates if compare(a, c)}
		assert matched <= found
		scored += len(matched)
		fetched += len(found & matched)
	print(f"\nretrieval recall on {path.name}: {fetched}/{scored}")
