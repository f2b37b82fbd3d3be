"""matching.py: name normalisation, domains, free-mail, tax id, country, product overlap, hard conflicts
and the index (which must find what a brute-force scan finds)."""

import random

import pytest

from prm_app.engine.matching import (
	COUNTRY,
	DOMAIN,
	NAME,
	OTHER_COUNTRY,
	PRODUCTS,
	TAX_ID,
	CandidateIndex,
	MatchingError,
	compare,
	find_conflicts,
	host_of,
	make_party,
	name_score,
	normalise_domain,
	normalise_name,
	normalise_tax_id,
	validate_email,
)

DR = "Deal Registration"


def prospect(**kw):
	values = {"company_name": "Acme Corporation", "partner": "P1", "products": {"item:Widget"}}
	values.update(kw)
	return make_party(DR, "NEW", **values)


@pytest.mark.parametrize(
	"raw, expected",
	[
		("ACME, Inc.", "acme"),
		("Acme Inc", "acme"),
		("acme incorporated", "acme"),
		("Acme Ltd.", "acme"),
		("Acme Limited", "acme"),
		("Acme GmbH", "acme"),
		("Acme LLC", "acme"),
		("Acme Pty Ltd", "acme"),
		("Müller GmbH & Co. KG", "muller"),
		("OOO Romashka", "romashka"),
		("ООО Ромашка", "romashka"),
		("ООО «Ромашка»", "romashka"),
		("Polska Grupa sp. z o.o.", "polska grupa"),
		("阿里巴巴集团", "阿里巴巴 集团"),
		("Acme S.A.", "acme"),
		("The Acme Company", "acme"),
		("  Acme   Widgets (Europe) B.V. ", "acme widgets europe"),
		("Inc", "inc"),  # a name that is only a legal form is kept
	],
)
def test_normalise_name(raw, expected):
	assert normalise_name(raw) == expected


def test_name_variants_score_high_and_different_names_low():
	assert name_score(normalise_name("Acme Corp."), normalise_name("ACME Corporation")) == 100
	assert name_score(normalise_name("Acme Widgets"), normalise_name("Widgets Acme Ltd")) == 100
	assert name_score(normalise_name("AcmeSoft"), normalise_name("Acme Soft GmbH")) == 100
	assert name_score(normalise_name("Acme Widgetz"), normalise_name("Acme Widgets")) >= 90
	assert name_score(normalise_name("Acme"), normalise_name("Globex")) < 50


@pytest.mark.parametrize(
	"raw, expected",
	[
		("acme.com", "acme.com"),
		("https://www.acme.com/contact?x=1", "acme.com"),
		("http://sales.eu.acme.com:8080", "acme.com"),
		("jane.doe@sub.acme.com", "acme.com"),
		("shop.acme.co.uk", "acme.co.uk"),
		("ACME.COM.", "acme.com"),
		("jane@gmail.com", ""),
		("https://mail.yahoo.co.uk", ""),
		("", ""),
	],
)
def test_normalise_domain(raw, expected):
	assert normalise_domain(raw) == expected


@pytest.mark.parametrize("bad", ["not a domain", "acme", "http://-acme.com", "a@b@c", "acme..com"])
def test_invalid_domain_raises(bad):
	with pytest.raises(MatchingError):
		host_of(bad)


def test_validate_email():
	assert validate_email(" jane@acme.com ") == "jane@acme.com"
	for bad in ("jane", "jane@", "jane@acme", "@acme.com", "jane@ac me.com"):
		with pytest.raises(MatchingError):
			validate_email(bad)


def test_tax_id_normalised():
	assert normalise_tax_id("de 123-456.789") == "DE123456789"
	assert normalise_tax_id("") == ""


def test_subdomain_matches_registrable_domain():
	p = prospect(company_name="Totally Different", websites=["https://sub.acme.com"])
	c = make_party("Customer", "C1", company_name="Acme", websites=["acme.com"])
	match = compare(p, c)
	assert match and DOMAIN in match.codes and match.score == 95


def test_free_mail_never_matches():
	p = prospect(company_name="Alpha", websites=["alice@gmail.com"])
	c = make_party("Lead", "L1", company_name="Omega", websites=["bob@gmail.com"])
	assert compare(p, c) is None


def test_tax_id_matches_whatever_the_name():
	p = prospect(company_name="Alpha", tax_id="DE 123 456 789")
	c = make_party("Customer", "C1", company_name="Omega", tax_id="de123456789")
	match = compare(p, c)
	assert match.codes == (TAX_ID,) and match.score == 100


def test_other_country_lowers_a_name_match_same_country_says_so():
	p = prospect(country="Germany")
	same = compare(p, make_party("Customer", "C1", company_name="ACME Corp", country="germany"))
	other = compare(p, make_party("Customer", "C2", company_name="ACME Corp", country="France"))
	assert same.score == 100 and COUNTRY in same.codes
	assert other.score == 85 and OTHER_COUNTRY in other.codes


def test_unrelated_is_no_match():
	assert compare(prospect(), make_party("Customer", "C1", company_name="Globex")) is None


def approved(name="DR-1", partner="P2", products=("item:Widget",), **kw):
	return make_party(
		DR, name, company_name="ACME Corp", partner=partner, products=products, protecting=True, **kw
	)


def test_another_partners_approved_registration_with_overlapping_products_is_hard():
	match = compare(prospect(), approved())
	assert match.hard and PRODUCTS in match.codes and NAME in match.codes


def test_no_product_overlap_is_only_similar():
	assert not compare(prospect(), approved(products=("item:Gadget",))).hard


def test_item_group_overlap_counts():
	p = prospect(products={"item:Widget", "group:Hardware"})
	assert compare(p, approved(products=("group:Hardware",))).hard


def test_a_group_covers_the_items_in_it_both_ways():
	p = prospect(products={"item:Widget"}, item_groups={"Hardware"})
	assert compare(p, approved(products=("group:Hardware",))).hard
	p = prospect(products={"group:Hardware"})
	c = make_party(
		DR,
		"DR-9",
		company_name="Acme",
		partner="P2",
		products={"item:Bolt"},
		item_groups={"Hardware"},
		protecting=True,
	)
	assert compare(p, c).hard
	assert not compare(prospect(products={"group:Software"}), c).hard


def test_same_partner_or_not_approved_is_never_hard():
	assert not compare(prospect(), approved(partner="P1")).hard
	pending = make_party(DR, "DR-2", company_name="ACME Corp", partner="P2", products={"item:Widget"})
	assert not compare(prospect(), pending).hard


def test_weak_name_match_is_not_the_same_prospect():
	p = prospect(company_name="Acme Widgets International")
	c = make_party(
		DR, "DR-3", company_name="Acme Wid", partner="P2", products={"item:Widget"}, protecting=True
	)
	match = compare(p, c)
	assert match is None or not match.hard


def test_check_orders_hard_first_and_excludes_self():
	candidates = [
		make_party("Customer", "C1", company_name="Acme Corp"),
		approved(),
		make_party("Lead", "L1", company_name="Acme Corporation Holdings"),
		make_party(DR, "NEW", company_name="Acme Corporation", partner="P1"),
	]
	result = find_conflicts(prospect(), candidates)
	assert result.matches[0].name == "DR-1" and result.matches[0].hard
	assert [m.name for m in result.hard] == ["DR-1"]
	assert "NEW" not in [m.name for m in result.matches]
	assert "C1" in [m.name for m in result.similar]


def random_name(rng):
	syllables = "ac me glo bex ini tech so lar nova ter ra zen quo vi".split()
	words = [
		"".join(rng.choice(syllables) for _ in range(rng.randint(2, 3))) for _ in range(rng.randint(1, 3))
	]
	suffix = rng.choice(["", " Inc", " GmbH", " Ltd", " Solutions", " Systems LLC"])
	return " ".join(w.capitalize() for w in words) + suffix


def test_index_finds_what_a_full_scan_finds():
	rng = random.Random(7)
	parties = [
		make_party(
			"Customer",
			f"C{i}",
			company_name=random_name(rng),
			websites=[f"www.d{rng.randint(0, 300)}.com"],
			tax_id=str(rng.randint(0, 500)),
		)
		for i in range(3000)
	]
	index = CandidateIndex.build(parties)
	for _ in range(40):
		p = make_party(
			DR,
			"X",
			company_name=random_name(rng),
			websites=[f"d{rng.randint(0, 300)}.com"],
			tax_id=str(rng.randint(0, 500)),
		)
		brute = {c.name for c in parties if compare(p, c)}
		found = {m.name for m in index.check(p, limit=10_000).matches}
		# blocking could miss a fuzzy name match sharing no word start or end with the prospect: none here
		assert found == brute
