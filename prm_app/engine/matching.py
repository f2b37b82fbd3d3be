"""Deal-registration conflict detection: normalisation and scoring, pure Python (no frappe).

A prospect (a registration being submitted or approved) is compared with candidates (other partners'
registrations, customers, leads, prospects, open opportunities and quotations) on:

- the company name, normalised (case, accents, punctuation, legal suffixes such as Inc, Ltd, GmbH,
  LLC, OOO) and scored with rapidfuzz (0–100);
- the website / e-mail domain reduced to its registrable domain (``sub.acme.com`` ~ ``acme.com``); free-mail
  domains (gmail.com …) never match;
- the tax id (letters and digits only, upper case);
- the country (a name match in another country scores lower);
- the products (item codes and item groups): an overlap is what makes another partner's approved
  registration a *hard* conflict.

``CandidateIndex`` is built once from many candidates (keys: tax id, domain, the first and the
last three letters of each word of the name) so one check looks at a few hundred candidates instead of all of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from prm_app.engine.errors import EngineError


class MatchingError(EngineError):
	"""Bad input to the matcher (an invalid domain or e-mail address)."""


# Legal-form words dropped from the end (and, for OOO & co., the start) of a company name.
LEGAL_SUFFIXES = frozenset(
	"""
	inc incorporated corp corporation co company cos ltd limited llc llp lp plc pllc gmbh mbh ag kg kgaa
	ug ohg ev sa sas sasu sarl sl slu srl spa sapa bv nv vof oy oyj ab as asa aps a/s kk pty pte pvt
	private bhd sdn tbk se nl ooo oao zao pao ao ип ооо оао зао пао ао ltda eireli cv de rl s.a. jsc pjsc
	""".split()
)
LEADING_LEGAL = frozenset({"ooo", "oao", "zao", "pao", "ao", "ооо", "оао", "зао", "пао", "the"})

# Providers whose domain says nothing about the company behind an address.
FREE_MAIL = frozenset(
	"""
	gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de ymail.com rocketmail.com hotmail.com
	hotmail.co.uk hotmail.fr hotmail.de outlook.com outlook.de live.com live.co.uk msn.com aol.com
	icloud.com me.com mac.com mail.com gmx.com gmx.de gmx.net web.de t-online.de proton.me protonmail.com
	pm.me zoho.com yandex.com yandex.ru ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru qq.com 163.com
	126.com sina.com naver.com hanmail.net rediffmail.com fastmail.com tutanota.com hey.com laposte.net
	orange.fr free.fr libero.it seznam.cz wp.pl o2.pl
	""".split()
)

# Second-level labels under which the registrable domain has three labels (acme.co.uk).
SECOND_LEVEL = frozenset("co com net org gov ac edu ltd plc gen biz info nom or ne go sch mil".split())

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@([^@\s]+)$")

# Scores (0–100) and thresholds.
NAME_THRESHOLD = 85  # a fuzzy name score at or above this is a match
SAME_ENTITY = 90  # a candidate scoring this is taken to be the same prospect (hard conflicts)
TAX_ID_SCORE = 100
DOMAIN_SCORE = 95
OTHER_COUNTRY_PENALTY = 15
PREFIX = 3
MAX_POSTINGS = 5000  # name keys shared by more candidates than this are too common to narrow anything

# Reason codes (the Frappe layer turns them into translated text).
TAX_ID = "tax_id"
DOMAIN = "domain"
NAME = "name"
COUNTRY = "country"
OTHER_COUNTRY = "other_country"
PRODUCTS = "products"

ITEM = "item:"
GROUP = "group:"


# --- normalisation ----------------------------------------------------------------------------------------


def _fold(text: str) -> str:
	"""Lower case without accents (Müller -> muller); non-Latin letters are kept."""
	decomposed = unicodedata.normalize("NFKD", text or "")
	return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def name_tokens(name: str) -> tuple[str, ...]:
	"""The significant words of a company name: folded, punctuation removed, legal forms dropped.

	"ACME, Inc." -> ("acme",); "OOO Romashka" -> ("romashka",); "Müller GmbH & Co. KG" -> ("muller",)
	"""
	text = _fold(name).replace("&", " and ")
	text = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", text)  # s.a. -> sa, e.v. -> ev
	words = [w for w in re.split(r"[^\w]+", text) if w and w != "_"]
	while words and words[0] in LEADING_LEGAL and len(words) > 1:
		words.pop(0)
	while len(words) > 1 and (words[-1] in LEGAL_SUFFIXES or words[-1] == "and"):
		words.pop()
	return tuple(words)


def normalise_name(name: str) -> str:
	return " ".join(name_tokens(name))


def normalise_tax_id(value: str) -> str:
	return re.sub(r"[^0-9A-Z]", "", _fold(value or "").upper())


def host_of(value: str) -> str:
	"""The host of a website, URL, e-mail address or bare domain, lower case; "" when empty.

	Raises ``MatchingError`` when the value is not a valid domain.
	"""
	text = (value or "").strip().lower()
	if not text:
		return ""
	email = EMAIL_RE.match(text)
	if email:
		text = email.group(1)
	else:
		text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
		text = re.split(r"[/?#]", text, maxsplit=1)[0]
		text = text.rsplit("@", 1)[-1].split(":", 1)[0]
	text = text.strip(".")
	try:
		text = text.encode("idna").decode("ascii")
	except UnicodeError:
		raise MatchingError("{0} is not a valid domain", value)
	if not DOMAIN_RE.match(text):
		raise MatchingError("{0} is not a valid domain", value)
	return text


def registrable_domain(host: str) -> str:
	"""www.sub.acme.com -> acme.com; shop.acme.co.uk -> acme.co.uk."""
	labels = host.split(".")
	if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2:
		return ".".join(labels[-3:])
	return ".".join(labels[-2:])


def normalise_domain(value: str) -> str:
	"""The registrable domain of a website or e-mail address; "" when empty or a free-mail provider."""
	host = host_of(value)
	if not host:
		return ""
	domain = registrable_domain(host)
	return "" if is_free_mail(domain) or is_free_mail(host) else domain


def is_free_mail(domain: str) -> bool:
	return domain.lower() in FREE_MAIL


def validate_email(value: str) -> str:
	"""The address, stripped; raises ``MatchingError`` when it is not one."""
	text = (value or "").strip()
	match = EMAIL_RE.match(text)
	if not match or "." not in match.group(1):
		raise MatchingError("{0} is not a valid e-mail address", value)
	host_of(text)
	return text


def name_score(a: str, b: str) -> float:
	"""0–100: the best of word-order-insensitive and spacing-insensitive similarity of normalised names."""
	if not a or not b:
		return 0.0
	return max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))


# --- parties and matches ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Party:
	"""A prospect or a candidate, as the matcher sees it. Build it with ``make_party``."""

	doctype: str
	name: str
	company_name: str = ""
	norm_name: str = ""
	domains: frozenset[str] = frozenset()
	tax_id: str = ""
	country: str = ""
	products: frozenset[str] = frozenset()  # "item:<code>" and "group:<item group>" as registered
	item_groups: frozenset[str] = frozenset()  # the item groups of its items (and their parents)
	partner: str = ""
	protecting: bool = False  # an approved, unexpired registration: the one kind that can block
	title: str = ""


def make_party(
	doctype: str,
	name: str,
	company_name: str = "",
	websites: Iterable[str] = (),
	tax_id: str = "",
	country: str = "",
	products: Iterable[str] = (),
	item_groups: Iterable[str] = (),
	partner: str = "",
	protecting: bool = False,
	strict: bool = False,
) -> Party:
	"""Normalise raw values. With ``strict`` an invalid domain raises; otherwise it is ignored (data in
	the database is not ours to reject)."""
	domains = set()
	for value in websites:
		try:
			domain = normalise_domain(value or "")
		except MatchingError:
			if strict:
				raise
			continue
		if domain:
			domains.add(domain)
	return Party(
		doctype=doctype,
		name=name,
		company_name=company_name or "",
		norm_name=normalise_name(company_name or ""),
		domains=frozenset(domains),
		tax_id=normalise_tax_id(tax_id),
		country=(country or "").strip().casefold(),
		products=frozenset(p for p in products if p),
		item_groups=frozenset(g for g in item_groups if g),
		partner=partner or "",
		protecting=protecting,
	)


@dataclass(frozen=True, slots=True)
class Match:
	doctype: str
	name: str
	score: float
	reasons: tuple[tuple[str, str], ...]  # (code, detail): detail is a domain, a score, products …
	hard: bool = False
	partner: str = ""
	company_name: str = ""

	@property
	def codes(self) -> tuple[str, ...]:
		return tuple(code for code, _ in self.reasons)


@dataclass(frozen=True, slots=True)
class Conflicts:
	matches: tuple[Match, ...] = ()

	@property
	def hard(self) -> tuple[Match, ...]:
		return tuple(m for m in self.matches if m.hard)

	@property
	def similar(self) -> tuple[Match, ...]:
		return tuple(m for m in self.matches if not m.hard)


def compare(prospect: Party, candidate: Party, name_threshold: float = NAME_THRESHOLD) -> Match | None:
	"""How far ``candidate`` looks like ``prospect``; None when it does not."""
	reasons: list[tuple[str, str]] = []
	score = 0.0
	if prospect.tax_id and prospect.tax_id == candidate.tax_id:
		reasons.append((TAX_ID, candidate.tax_id))
		score = TAX_ID_SCORE
	shared = prospect.domains & candidate.domains
	if shared:
		reasons.append((DOMAIN, ", ".join(sorted(shared))))
		score = max(score, DOMAIN_SCORE)
	by_name = name_score(prospect.norm_name, candidate.norm_name)
	other_country = bool(prospect.country and candidate.country and prospect.country != candidate.country)
	if by_name >= name_threshold:
		reasons.append((NAME, f"{by_name:.0f}"))
		score = max(score, by_name - (OTHER_COUNTRY_PENALTY if other_country else 0))
	if not reasons or score < name_threshold - OTHER_COUNTRY_PENALTY:
		return None
	if other_country:
		reasons.append((OTHER_COUNTRY, candidate.country))
	elif prospect.country and prospect.country == candidate.country:
		reasons.append((COUNTRY, candidate.country))
	overlap = shared_products(prospect, candidate)
	if overlap:
		reasons.append((PRODUCTS, ", ".join(sorted(overlap))))
	hard = bool(
		candidate.protecting
		and candidate.partner
		and candidate.partner != prospect.partner
		and score >= SAME_ENTITY
		and products_overlap(prospect, candidate)
	)
	return Match(
		doctype=candidate.doctype,
		name=candidate.name,
		score=round(float(score), 1),
		reasons=tuple(reasons),
		hard=hard,
		partner=candidate.partner,
		company_name=candidate.company_name,
	)


def shared_products(a: Party, b: Party) -> set[str]:
	"""The same item or item group on both sides, or a group on one side that holds an item of the other."""
	shared = set(a.products & b.products)
	for x, y in ((a, b), (b, a)):
		shared.update(p for p in x.products if p.startswith(GROUP) and p[len(GROUP) :] in y.item_groups)
	return shared


def products_overlap(a: Party, b: Party) -> bool:
	"""Registrations for the same prospect collide on a shared product; a side that names no products at
	all covers everything."""
	if not a.products or not b.products:
		return True
	return bool(shared_products(a, b))


# --- the index ---------------------------------------------------------------------------------------------


def name_keys(norm_name: str) -> set[str]:
	"""Blocking keys of a normalised name: the first and the last three letters of each word and of the
	name without spaces (so "acme corp" ~ "acmecorp", "acme" ~ "acmee" and "novatech" ~ "menovatech" share
	a key)."""
	if not norm_name:
		return set()
	keys = set()
	for word in {*norm_name.split(), norm_name.replace(" ", "")}:
		if len(word) >= 2:
			keys.add(word[:PREFIX] + "<")
			keys.add(">" + word[-PREFIX:])
	return keys


# Words too common in company names to narrow a database search on their own.
COMMON_WORDS = frozenset(
	"""
	and of the solutions solution systems system group holdings holding industries industry services service
	international global technologies technology tech consulting partners digital labs enterprises trading
	software networks products management capital associates development manufacturing media marketing
	""".split()
)


def search_prefixes(norm_name: str, length: int = 4) -> list[str]:
	"""Word starts a database pre-filter looks for (``name like 'acme%' or name like '% acme%'``): the
	first letters of each distinctive word; common words only when nothing else is left."""
	words = [w for w in norm_name.split() if len(w) >= 2]
	distinctive = [w for w in words if w not in COMMON_WORDS] or words
	return sorted({w[:length] for w in distinctive})


PRESCREEN_CUTOFF = 60


def prescreen(norm_name: str, raw_names: list[str], cutoff: float = PRESCREEN_CUTOFF) -> set[int]:
	"""Positions of raw (not normalised) names that may score as a name match with ``norm_name``: one
	rapidfuzz call in C (token-set similarity ignores extra words such as legal forms), so only these
	need normalising. Generous on purpose: ``compare`` decides."""
	if not norm_name or not raw_names:
		return set()
	hits = process.extract(
		norm_name,
		raw_names,
		scorer=fuzz.token_set_ratio,
		processor=utils.default_process,
		score_cutoff=cutoff,
		limit=None,
	)
	return {i for _, _, i in hits}


@dataclass
class CandidateIndex:
	"""Candidates indexed once by tax id, domain and name keys; ``check`` compares a prospect with the few
	candidates that share a key with it."""

	parties: list[Party] = field(default_factory=list)
	by_tax_id: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
	by_domain: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
	by_name_key: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

	@classmethod
	def build(cls, candidates: Iterable[Party]) -> CandidateIndex:
		index = cls()
		for party in candidates:
			index.add(party)
		return index

	def add(self, party: Party) -> None:
		i = len(self.parties)
		self.parties.append(party)
		if party.tax_id:
			self.by_tax_id[party.tax_id].append(i)
		for domain in party.domains:
			self.by_domain[domain].append(i)
		for key in name_keys(party.norm_name):
			self.by_name_key[key].append(i)

	def __len__(self) -> int:
		return len(self.parties)

	def candidates_for(self, prospect: Party) -> set[int]:
		found: set[int] = set()
		if prospect.tax_id:
			found.update(self.by_tax_id.get(prospect.tax_id, ()))
		for domain in prospect.domains:
			found.update(self.by_domain.get(domain, ()))
		postings = sorted((self.by_name_key.get(key, ()) for key in name_keys(prospect.norm_name)), key=len)
		for i, posting in enumerate(postings):
			if i and len(posting) > MAX_POSTINGS:
				break  # a common word ("solutions") when a rarer one already narrowed the search
			found.update(posting)
		return found

	def check(
		self,
		prospect: Party,
		name_threshold: float = NAME_THRESHOLD,
		exclude: Iterable[tuple[str, str]] = (),
		limit: int = 50,
	) -> Conflicts:
		"""Hard conflicts first, then near matches by score; the prospect itself and ``exclude``
		((doctype, name) pairs) are left out."""
		skip = {(prospect.doctype, prospect.name), *exclude}
		matches = []
		for i in self.candidates_for(prospect):
			candidate = self.parties[i]
			if (candidate.doctype, candidate.name) in skip:
				continue
			match = compare(prospect, candidate, name_threshold)
			if match:
				matches.append(match)
		matches.sort(key=lambda m: (not m.hard, -m.score, m.doctype, m.name))
		return Conflicts(tuple(matches[:limit]))


def find_conflicts(prospect: Party, candidates: Iterable[Party], **kwargs) -> Conflicts:
	return CandidateIndex.build(candidates).check(prospect, **kwargs)
