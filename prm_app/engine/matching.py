"""Deal-registration conflict detection: normalisation and scoring, pure Python (no frappe).

A prospect (a registration being submitted or approved) is compared with candidates (other partners'
registrations, customers, leads, prospects, open opportunities and quotations) on:

- the company name, normalised (case, accents, quotes and guillemets, punctuation, legal forms such as
  Inc, Ltd, GmbH, LLC, OOO, sp. z o.o., 有限公司 anywhere in the name, well-known abbreviations, a Latin
  transliteration of Cyrillic and Greek) and scored as a weighted token set: generic words (Group, Bank,
  Solutions, 集团 …) weigh less than distinctive ones, so one extra word does not hide a match;
- the website / e-mail domain reduced to its registrable domain (``sub.acme.com`` ~ ``acme.com``); shared
  mail, ISP and platform domains (gmail.com, bigpond.com, *.myshopify.com, facebook.com/<page> …, editable
  in PRM Settings) are never a company domain; a shop or page on a platform is only itself;
- the tax id (letters and digits only, upper case), with and without its country prefix;
- the country (a name match in another country scores lower);
- the products (item codes and item groups): an overlap is what makes another partner's approved
  registration a *hard* conflict.

Retrieval and scoring share one definition of keys (``party_keys``: name-token prefixes, acronyms, the
domain, the tax id with and without country prefix): a name only scores against a name that shares a key
with it, so a database pre-filter on stored keys (or ``CandidateIndex``) cannot miss what ``compare``
would match.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from prm_app.engine.errors import EngineError


class MatchingError(EngineError):
	"""Bad input to the matcher (an invalid domain or e-mail address)."""


# Legal-form words, dropped wherever they stand in a company name (unless nothing else is left).
LEGAL_FORMS = frozenset(
	"""
	inc incorporated corp corporation co company cos ltd limited llc llp lp plc pllc gmbh mbh ag kg kgaa
	ug ohg ev sa sas sasu sarl sl slu srl spa sapa bv nv vof oy oyj ab as asa aps a/s kk pty pte pvt
	private bhd sdn tbk se nl ooo oao zao pao ao ip tov pp ltda eireli cv rl jsc pjsc sp zoo oo sro spol
	z too kft zrt nyrt bt doo dd eood ood sia uab ou pt tbk cia lda sc scs snc gbr eg mbh kgaa ks vos
	株式会社 有限会社 合同会社 有限公司 股份有限公司 股份公司 公司 有限责任公司 株 주식회사 유한회사 주
	""".split()
)
LEGAL_SUFFIXES = LEGAL_FORMS  # the old name
# Words that carry no name of their own.
STOPWORDS = frozenset(
	"and the of und et y e i de der die das la le les el du des van von da do dos del l d".split()
)
LEADING_LEGAL = frozenset({"ooo", "oao", "zao", "pao", "ao", "the"})

# Words common in company names: they count, but for less than a distinctive word.
GENERIC_WORDS = frozenset(
	"""
	solutions systems group holdings industries services international global technologies consulting
	partners digital labs enterprises trading software networks products management capital associates
	development manufacturing media marketing bank banking brothers national america american usa europe
	european asia asian africa uk us eu worldwide world stores store shop studio agency foods ventures
	logistics energy insurance investments finance financial realty properties construction engineering
	design health healthcare medical electric electronics textiles farms hotel hotels restaurant cafe
	bakery clinic pharmaceuticals motors automotive brands center network tech consultants research
	gruppa grupa gruppe groupe grupo holding bank banca banco kompaniya
	集团 控股 科技 国际 银行 实业 贸易 网络 信息 技术 电子 发展 投资 产业 中国 グループ ホールディングス 그룹
	""".split()
)
COMMON_WORDS = GENERIC_WORDS  # the old name

# Well-known abbreviations of words in company names, expanded before comparing.
ABBREVIATIONS = {
	"intl": "international", "int'l": "international", "internat": "international",
	"mfg": "manufacturing", "mfrs": "manufacturing", "mfr": "manufacturing",
	"bros": "brothers", "natl": "national", "nat'l": "national",
	"assoc": "associates", "assocs": "associates", "assn": "association",
	"svc": "services", "svcs": "services", "srvcs": "services", "service": "services",
	"sys": "systems", "system": "systems", "solution": "solutions", "soln": "solutions",
	"inst": "institute", "tech": "technologies", "technology": "technologies", "techs": "technologies",
	"hldgs": "holdings", "hldg": "holdings", "holding": "holdings",
	"grp": "group", "mgmt": "management", "mgt": "management", "univ": "university",
	"ctr": "center", "centre": "center", "lab": "labs", "laboratory": "labs", "laboratories": "labs",
	"pharma": "pharmaceuticals", "pharm": "pharmaceuticals", "engg": "engineering", "eng": "engineering",
	"dept": "department", "ind": "industries", "inds": "industries", "industry": "industries",
	"network": "networks", "product": "products", "partner": "partners", "store": "stores",
	"mktg": "marketing", "dev": "development", "fin": "financial", "invest": "investments",
	"корпорация": "corporation", "компания": "company",
}

# Cyrillic and Greek to Latin (one common romanisation; fuzzy token scores absorb the variants).
TRANSLIT = {
	**dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
	"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "",
	"ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
	"њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz", "ѓ": "g", "ќ": "k", "ѕ": "dz",
	**dict(zip("αβγδεζηικλμνξοπρσςτυφω", "avgdeziiklmnxoprsstyfo", strict=True)),
	"χ": "ch", "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d",
	"θ": "th", "ψ": "ps", "ά": "a", "έ": "e", "ή": "i", "ί": "i", "ό": "o", "ύ": "y", "ώ": "o",
}
QUOTES = "«»„“”‟\"'‘’‚‛‹›「」『』〈〉《》"
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# CJK affixes peeled off a name written without spaces: legal forms are dropped, generic words kept.
CJK_AFFIXES = sorted(
	(w for w in LEGAL_FORMS | GENERIC_WORDS if CJK_RE.search(w) and len(w) > 1), key=len, reverse=True
)

# Providers whose domain says nothing about the company behind an address: mail, ISPs, and platforms
# on which many businesses have a shop or page. ``*.host``: a sub-domain names one shop (acme.myshopify.com
# is only itself); ``host/*``: the first path segment names one page (facebook.com/acme).
DEFAULT_SHARED_DOMAINS = """
gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.ca yahoo.com.au
yahoo.co.in yahoo.co.jp yahoo.com.br yahoo.com.mx yahoo.com.sg yahoo.co.nz ymail.com rocketmail.com
hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it hotmail.es outlook.com outlook.de outlook.fr
live.com live.co.uk live.fr msn.com aol.com icloud.com me.com mac.com mail.com email.com gmx.com gmx.de
gmx.net gmx.at web.de t-online.de freenet.de arcor.de proton.me protonmail.com pm.me zoho.com yandex.com
yandex.ru ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru ukr.net qq.com 163.com 126.com sina.com
sohu.com aliyun.com naver.com hanmail.net daum.net rediffmail.com fastmail.com tutanota.com hey.com
laposte.net orange.fr wanadoo.fr free.fr sfr.fr libero.it virgilio.it tiscali.it alice.it seznam.cz
centrum.cz wp.pl o2.pl onet.pl interia.pl bigpond.com bigpond.net.au optusnet.com.au iinet.net.au
tpg.com.au comcast.net verizon.net att.net sbcglobal.net bellsouth.net charter.net cox.net
earthlink.net optonline.net frontier.com windstream.net shaw.ca rogers.com sympatico.ca telus.net
btinternet.com sky.com virginmedia.com talktalk.net ntlworld.com blueyonder.co.uk xtra.co.nz
telenet.be skynet.be ziggo.nl kpnmail.nl bluewin.ch terra.com.br uol.com.br bol.com.br
*.myshopify.com *.wixsite.com *.squarespace.com *.weebly.com *.wordpress.com *.blogspot.com
*.godaddysites.com *.square.site *.business.site *.webflow.io *.carrd.co *.github.io *.netlify.app
*.vercel.app *.herokuapp.com *.jimdosite.com *.mystrikingly.com *.ueniweb.com *.site123.me
*.etsy.com *.bigcartel.com *.tumblr.com *.substack.com
facebook.com/* fb.com/* instagram.com/* linkedin.com/* twitter.com/* x.com/* tiktok.com/* youtube.com/*
linktr.ee/* etsy.com/* amazon.com/* ebay.com/* sites.google.com/* google.com/* wa.me/* t.me/* vk.com/*
pinterest.com/* yelp.com/* tripadvisor.com/* booking.com/*
shopify.com wix.com squarespace.com
"""

# Second-level labels under which the registrable domain has three labels (acme.co.uk).
SECOND_LEVEL = frozenset("co com net org gov ac edu ltd plc gen biz info nom or ne go sch mil".split())

DOMAIN_RE = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@([^@\s]+)$")

# Scores (0–100) and thresholds.
NAME_THRESHOLD = 85  # a fuzzy name score at or above this is a match
GENERIC_PENALTY = 2  # a generic word on one side only, when both names have distinctive words
GENERIC_WEIGHT = 0.3  # a generic word ("group", "bank", "集团") counts this much against a distinctive one
SMALL_SIDE = 0.75  # token-set score: the share of the lighter name found, against the share of the other
TOKEN_MIN = 85  # two words match at this similarity (and the same first letters)
KEY_LENGTH = 5  # retrieval keys: the first letters of a word (4 made postings of ~3,600 rows at 150k)
ACRONYM_SCORE = 86  # "IBM" ~ "International Business Machines": similar, never the same prospect alone
SAME_ENTITY = 90  # a candidate scoring this is taken to be the same prospect (hard conflicts)
TAX_ID_SCORE = 100
DOMAIN_SCORE = 95
OTHER_COUNTRY_PENALTY = 15

# Reason codes (the Frappe layer turns them into translated text).
TAX_ID = "tax_id"
DOMAIN = "domain"
NAME = "name"
COUNTRY = "country"
OTHER_COUNTRY = "other_country"
PRODUCTS = "products"
SAME_PARTNER = "same_partner"

ITEM = "item:"
GROUP = "group:"


# --- normalisation ----------------------------------------------------------------------------------------


UKRAINIAN = {"и": "y", "ї": "i", "є": "ie", "г": "h"}  # Ukrainian national romanisation


def _fold(text: str) -> str:
	"""Lower case, transliterated to Latin, without accents (Müller -> muller, Ромашка -> romashka,
	Київстар -> kyivstar); other scripts (CJK …) are kept."""
	text = unicodedata.normalize("NFC", text or "").casefold()
	table = {**TRANSLIT, **UKRAINIAN} if any(c in text for c in "іїєґ") else TRANSLIT
	out = []
	for c in text:
		c = table.get(c, c)
		if c and ord(c[0]) >= 0x3000:  # CJK, kana, hangul: decomposing would break their syllables
			out.append(c)
			continue
		out.extend(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
	text = "".join(out).replace("x", "ks")
	return GERMAN_DIGRAPH.sub(lambda m: m.group(0)[0], text)  # mueller -> muller, as Müller folds


GERMAN_DIGRAPH = re.compile(r"(?<=[a-z])[aou]e|^[aou]e(?=[a-z])")


def _split_cjk(word: str) -> list[str]:
	"""阿里巴巴集团 -> [阿里巴巴, 集团]; 株式会社トヨタ -> [株式会社, トヨタ] (affixes peeled off both ends)."""
	head, tail = [], []
	changed = True
	while changed and len(word) > 1:
		changed = False
		for affix in CJK_AFFIXES:
			if word.endswith(affix) and len(word) > len(affix):
				tail.insert(0, affix)
				word = word[: -len(affix)]
				changed = True
				break
			if word.startswith(affix) and len(word) > len(affix):
				head.append(affix)
				word = word[len(affix) :]
				changed = True
				break
	return [*head, word, *tail]


def _words(name: str) -> list[str]:
	text = _fold(name).replace("&", " and ").replace("+", " and ")
	for q in QUOTES:
		text = text.replace(q, " ")
	text = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", "", text)  # s.a. -> sa, e.v. -> ev, s.r.o. -> sro
	words = []
	for w in re.split(r"[^\w']+", text):
		w = w.strip("'_")
		if not w:
			continue
		w = ABBREVIATIONS.get(w, w)
		words.extend(_split_cjk(w) if CJK_RE.search(w) else [w])
	return words


def name_tokens(name: str) -> tuple[str, ...]:
	"""The significant words of a company name: folded and transliterated, quotes and punctuation removed,
	abbreviations expanded, legal forms and stop words dropped (unless nothing else is left).

	"ACME, Inc." -> ("acme",); 'ООО «Ромашка»' -> ("romashka",); "Müller GmbH & Co. KG" -> ("muller",)
	"""
	words = _words(name)
	kept = [w for w in words if w not in LEGAL_FORMS and w not in STOPWORDS]
	if not kept:
		kept = [w for w in words if w not in STOPWORDS] or words
	return tuple(kept)


def normalise_name(name: str) -> str:
	return " ".join(name_tokens(name))


def token_weight(token: str) -> float:
	return GENERIC_WEIGHT if token in GENERIC_WORDS else 1.0


def token_key(token: str) -> str:
	"""Tokens that may match share this key (their first letters): "romashka" ~ "romaschka"."""
	return token[:KEY_LENGTH]


def name_keys(norm_name: str) -> set[str]:
	"""Retrieval keys of a normalised name: the first letters of each distinctive word (of every word when
	none is distinctive) and of the name without spaces; ``a:`` the initials of a name of three or more
	words, or a short one-word name (so "IBM" ~ "International Business Machines")."""
	tokens = norm_name.split()
	if not tokens:
		return set()
	distinctive = [t for t in tokens if t not in GENERIC_WORDS] or tokens
	keys = {"n:" + token_key(t) for t in distinctive}
	keys.add("n:" + token_key("".join(tokens)))
	acronym = _acronym(tokens)
	if acronym:
		keys.add("a:" + acronym)
	return keys


def _acronym(tokens) -> str:
	if len(tokens) >= 3 and not any(CJK_RE.search(t) for t in tokens):
		return "".join(t[0] for t in tokens)
	if len(tokens) == 1 and 3 <= len(tokens[0]) <= 5 and tokens[0].isascii() and tokens[0].isalpha():
		return tokens[0]
	return ""


def _coverage(a, b, weight) -> tuple[float, float, list, list]:
	"""(matched weight, 0–100 coverage score, unmatched of a, unmatched of b): each word of ``a`` takes the
	most similar free word of ``b`` with the same key, at a similarity of at least ``TOKEN_MIN``."""
	free = list(b)
	left = []
	matched = 0.0
	for x in sorted(a, key=lambda t: -len(t)):
		best, best_j = 0.0, -1
		for j, y in enumerate(free):
			if token_key(x) != token_key(y):
				continue
			sim = 100.0 if x == y else fuzz.ratio(x, y)
			if sim > best:
				best, best_j = sim, j
		if best >= TOKEN_MIN:
			matched += (weight(x) + weight(free[best_j])) / 2 * best / 100
			free.pop(best_j)
		else:
			left.append(x)
	wa, wb = sum(map(weight, a)), sum(map(weight, b))
	small, large = min(wa, wb), max(wa, wb)
	score = 100 * (SMALL_SIDE * min(1.0, matched / small) + (1 - SMALL_SIDE) * min(1.0, matched / large))
	return matched, score, left, free


def token_set_score(a: tuple[str, ...], b: tuple[str, ...]) -> float:
	"""0–100: how much of the shorter name the other one contains, word by word (a word matches a word with
	the same key and a similarity of at least ``TOKEN_MIN``). When both names have distinctive words, only
	those count, and each generic word ("group", "bank", "集团") found on one side only costs
	``GENERIC_PENALTY``: "northwind group" ~ "northwind" 98, "dunder mifflin paper" ~ "dunder mifflin" 92,
	"acme widgets" ~ "acme" 88, "northwind group" ~ "contoso group" 0. A name of generic words only is
	scored on all its words, generic ones weighing ``GENERIC_WEIGHT``."""
	if not a or not b:
		return 0.0
	da = tuple(t for t in a if t not in GENERIC_WORDS)
	db = tuple(t for t in b if t not in GENERIC_WORDS)
	if da and db:
		_, score, _, _ = _coverage(da, db, lambda t: 1.0)
		ga = [t for t in a if t in GENERIC_WORDS]
		gb = [t for t in b if t in GENERIC_WORDS]
		_, _, left_a, left_b = _coverage(ga, gb, lambda t: 1.0) if ga and gb else (0, 0, ga, gb)
		return max(0.0, score - min(GENERIC_PENALTY * (len(left_a) + len(left_b)), 3 * GENERIC_PENALTY))
	return _coverage(a, b, token_weight)[1]


def name_score(a: str, b: str) -> float:
	"""0–100 for two normalised names: the best of the weighted token-set score, word-order-insensitive and
	spacing-insensitive similarity, and an acronym; 0 when the names share no retrieval key (so what
	scores can always be fetched by key)."""
	if not a or not b:
		return 0.0
	keys_a, keys_b = name_keys(a), name_keys(b)
	if not keys_a & keys_b:
		return 0.0
	ta, tb = tuple(a.split()), tuple(b.split())
	score = token_set_score(ta, tb)
	if len(ta) != len(tb):  # spacing: "pied piper" ~ "piedpiper"
		score = max(score, fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))
	if score < ACRONYM_SCORE and any(k.startswith("a:") for k in keys_a & keys_b):
		if (len(ta) == 1) != (len(tb) == 1):  # one name is the initials of the other
			score = ACRONYM_SCORE
	return score


def normalise_tax_id(value: str) -> str:
	return re.sub(r"[^0-9A-Z]", "", _fold(value or "").upper())


TAX_PREFIX_RE = re.compile(r"^([A-Z]{2})(?=[0-9A-Z]*[0-9])([0-9A-Z]{5,})$")


def tax_id_forms(tax_id: str) -> set[str]:
	"""A normalised tax id with and without its country prefix: DE299888777 -> {DE299888777, 299888777}."""
	if not tax_id:
		return set()
	forms = {tax_id}
	prefixed = TAX_PREFIX_RE.match(tax_id)
	if prefixed and prefixed.group(2)[0].isdigit():
		forms.add(prefixed.group(2))
	return forms


def same_tax_id(a: str, b: str) -> bool:
	"""The same id, or the same id once one side's country prefix is dropped (DE 299 888 777 ~ 299888777);
	two different country prefixes are two different ids."""
	if not a or not b:
		return False
	if a == b:
		return True
	pa, pb = TAX_PREFIX_RE.match(a), TAX_PREFIX_RE.match(b)
	if pa and pb:
		return False
	return bool(tax_id_forms(a) & tax_id_forms(b))


def _split_url(value: str) -> tuple[str, str]:
	"""(host, first path segment) of a website, URL, e-mail address or bare domain."""
	text = (value or "").strip().lower()
	if not text or EMAIL_RE.match(text):
		return host_of(value), ""
	rest = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
	path = re.split(r"[?#]", rest, maxsplit=1)[0].split("/")[1:]
	segment = next((p for p in path if p), "")
	return host_of(value), segment.lstrip("@")


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


@dataclass(frozen=True, slots=True)
class SharedDomains:
	"""Domains that are never a company's: ``mail`` (ignored), ``sub`` (a sub-domain is one shop) and
	``path`` (the first path segment is one page)."""

	mail: frozenset[str] = frozenset()
	sub: frozenset[str] = frozenset()
	path: frozenset[str] = frozenset()

	@classmethod
	def parse(cls, text: str | None) -> SharedDomains:
		mail, sub, path = set(), set(), set()
		for entry in re.split(r"[\s,;]+", (text or "").lower()):
			entry = entry.strip().strip(".")
			if not entry or entry.startswith("#"):
				continue
			if entry.startswith("*."):
				sub.add(entry[2:])
			elif entry.endswith("/*"):
				path.add(entry[:-2])
			else:
				mail.add(entry.split("/", 1)[0])
		return cls(frozenset(mail), frozenset(sub), frozenset(path))

	def key(self, value: str) -> str:
		"""The company key of a website or e-mail address: its registrable domain; "" for a shared one;
		``acme.myshopify.com`` or ``facebook.com/acme`` for a shop or page on a platform."""
		host, segment = _split_url(value)
		if not host:
			return ""
		domain = registrable_domain(host)
		if domain in self.mail or host in self.mail:
			return ""
		if domain in self.sub:
			shop = host[4:] if host.startswith("www.") else host
			return "" if shop == domain or EMAIL_RE.match((value or "").strip()) else shop
		if domain in self.path or host in self.path:
			if EMAIL_RE.match((value or "").strip()):
				return ""
			return f"{domain}/{segment}" if segment else ""
		return domain


DEFAULT_SHARED = SharedDomains.parse(DEFAULT_SHARED_DOMAINS)
FREE_MAIL = DEFAULT_SHARED.mail


def normalise_domain(value: str, shared: SharedDomains | None = None) -> str:
	"""The registrable domain of a website or e-mail address; "" when empty or a shared (free-mail, ISP,
	platform) domain; a shop or page on a platform is ``acme.myshopify.com`` / ``facebook.com/acme``."""
	return (shared or DEFAULT_SHARED).key(value)


def is_free_mail(domain: str) -> bool:
	domain = domain.lower()
	return domain in DEFAULT_SHARED.mail or domain in DEFAULT_SHARED.sub or domain in DEFAULT_SHARED.path


def validate_email(value: str) -> str:
	"""The address, stripped; raises ``MatchingError`` when it is not one."""
	text = (value or "").strip()
	match = EMAIL_RE.match(text)
	if not match or "." not in match.group(1):
		raise MatchingError("{0} is not a valid e-mail address", value)
	host_of(text)
	return text


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
	tokens: tuple[str, ...] = ()
	keys: frozenset[str] = frozenset()  # retrieval keys (``party_keys``)
	pending: bool = False  # a registration not decided yet (same-partner duplicates)


def party_keys(norm_name: str, domains: Iterable[str] = (), tax_id: str = "") -> set[str]:
	"""Every retrieval key of a party: name keys (``n:``/``a:``), ``d:`` domains, ``t:`` tax ids (with
	and without the country prefix). Stored per record by the Frappe layer; two parties ``compare`` can
	match always share one."""
	keys = name_keys(norm_name)
	keys.update("d:" + d for d in domains if d)
	keys.update("t:" + t for t in tax_id_forms(tax_id))
	return keys


def with_ancestors(groups: Iterable[str], parent_of: dict[str, str]) -> frozenset[str]:
	"""The item groups and every group above them (``parent_of``: group -> parent group)."""
	out = set()
	for group in groups:
		seen = 0
		while group and group not in out and seen < 100:
			out.add(group)
			group = parent_of.get(group)
			seen += 1
	return frozenset(out)


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
	shared: SharedDomains | None = None,
	pending: bool = False,
) -> Party:
	"""Normalise raw values. With ``strict`` an invalid domain raises; otherwise it is ignored (data in
	the database is not ours to reject). ``item_groups``: the groups the products fall in, with their
	ancestors (``with_ancestors``), so a registration for a parent group covers its children."""
	domains = set()
	for value in websites:
		try:
			domain = normalise_domain(value or "", shared)
		except MatchingError:
			if strict:
				raise
			continue
		if domain:
			domains.add(domain)
	tokens = name_tokens(company_name or "")
	norm_name = " ".join(tokens)
	tax = normalise_tax_id(tax_id)
	return Party(
		doctype=doctype,
		name=name,
		company_name=company_name or "",
		norm_name=norm_name,
		tokens=tokens,
		keys=frozenset(party_keys(norm_name, domains, tax)),
		pending=pending,
		domains=frozenset(domains),
		tax_id=tax,
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
	duplicate: bool = False  # the same partner's own pending registration of the same prospect

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
	if same_tax_id(prospect.tax_id, candidate.tax_id):
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
	duplicate = bool(
		candidate.pending
		and candidate.partner
		and candidate.partner == prospect.partner
		and score >= SAME_ENTITY
	)
	if duplicate:
		reasons.append((SAME_PARTNER, candidate.name))
	return Match(
		doctype=candidate.doctype,
		name=candidate.name,
		score=round(float(score), 1),
		reasons=tuple(reasons),
		hard=hard,
		duplicate=duplicate,
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


def search_prefixes(norm_name: str, length: int = KEY_LENGTH) -> list[str]:
	"""The first letters of each distinctive word (all words when none is): the ``n:`` name keys."""
	return sorted(k[2:] for k in name_keys(norm_name) if k.startswith("n:"))


@dataclass
class CandidateIndex:
	"""Candidates indexed once by tax id, domain and name keys; ``check`` compares a prospect with the few
	candidates that share a key with it."""

	parties: list[Party] = field(default_factory=list)
	by_key: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

	@classmethod
	def build(cls, candidates: Iterable[Party]) -> CandidateIndex:
		index = cls()
		for party in candidates:
			index.add(party)
		return index

	def add(self, party: Party) -> None:
		i = len(self.parties)
		self.parties.append(party)
		for key in party.keys:
			self.by_key[key].append(i)

	def __len__(self) -> int:
		return len(self.parties)

	def candidates_for(self, prospect: Party) -> set[int]:
		"""Every candidate sharing a retrieval key with the prospect (all ``compare`` can match)."""
		found: set[int] = set()
		for key in prospect.keys:
			found.update(self.by_key.get(key, ()))
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
