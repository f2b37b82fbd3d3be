"""Deal-registration conflict detection: normalisation and scoring, pure Python (no frappe).

A prospect (a registration being submitted or approved) is compared with candidates (other partners'
registrations, customers, leads, prospects, open opportunities and quotations) on:

- the company name, normalised (case, accents, quotes and guillemets, punctuation, dotted initials, legal
  forms such as Inc, Ltd, GmbH, LLC, OOO, sp. z o.o., Công ty TNHH, בע"מ, ش.م.م, 有限公司 anywhere in the
  name, well-known abbreviations, a Latin transliteration of Cyrillic (Russian, Ukrainian, Serbian,
  Bulgarian readings) and Greek, traditional Chinese simplified, CJK names split at script changes and
  known affixes) and scored as a weighted token set: generic words (Group, Bank, Solutions, 集团, region
  prefixes such as 北京 …) weigh less than distinctive ones, so one extra word does not hide a match, and
  two companies sharing only one brand word, each with a trade of its own, stay "similar"; words are
  compared in a match form that folds romanisation variants (kh/h, ch/č, sh/š, c/k, y/i …);
- the website / e-mail domain reduced to its registrable domain (``sub.acme.com`` ~ ``acme.com``,
  ``acme.co.uk``, ``acme.spb.ru``); shared mail, ISP and platform domains (gmail.com, hotmail.*,
  bigpond.com, *.myshopify.com, facebook.com/<page> …, extendable in PRM Settings) are never a company
  domain; a shop or page on a platform is only itself; the same domain name under another suffix
  (lenovo.com ~ lenovo.com.cn) counts as the same company;
- the tax id (letters and digits only, upper case), with and without its country prefix (EL = GR, a
  letter after the prefix as in ESA28015865, a Japanese invoice number's T);
- the country (a name match in another country scores lower);
- the products (item codes and item groups): an overlap is what makes another partner's approved
  registration a *hard* conflict.

Retrieval and scoring share one definition of keys (``party_keys``: name-word prefixes in match form,
acronyms, the domain and its name, the tax id with and without country prefix): a name only scores
against a name that shares a key with it, so a database pre-filter on stored keys (or ``CandidateIndex``)
cannot miss what ``compare`` would match.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from rapidfuzz import fuzz

from prm_app.engine.errors import EngineError


class MatchingError(EngineError):
	"""Bad input to the matcher (an invalid domain or e-mail address)."""


# Providers whose domain says nothing about the company behind an address: mail, ISPs, and platforms
# on which many businesses have a shop or page. ``name.*``: that provider under any public suffix
# (hotmail.com.tr, yahoo.co.id); ``*.host``: a sub-domain names one shop (acme.myshopify.com is only
# itself); ``host/*``: the path names one page (facebook.com/acme, linkedin.com/company/acme).
DEFAULT_SHARED_DOMAINS = """
gmail.* googlemail.* yahoo.* ymail.* rocketmail.* hotmail.* outlook.* live.* windowslive.* msn.*
aol.* icloud.com me.com mac.com mail.com email.com gmx.* web.de t-online.de freenet.de arcor.de
proton.me protonmail.* pm.me zoho.* zohomail.* yandex.* ya.ru mail.ru bk.ru inbox.ru list.ru
internet.ru rambler.ru lenta.ru autorambler.ru myrambler.ru ro.ru ngs.ru e1.ru ukr.net i.ua meta.ua
bigmir.net online.ua email.ua tut.by mail.by yandex.by inbox.lv inbox.lt mail.kz mail.ee
qq.com foxmail.com 163.com 126.com yeah.net 188.com 139.com wo.cn 189.cn sina.com sina.cn sohu.com
aliyun.com tom.com 21cn.com hinet.net pchome.com.tw seed.net.tw netvigator.com
naver.com hanmail.net daum.net nate.com kakao.com korea.com hanmir.com paran.com empas.com
docomo.ne.jp ezweb.ne.jp au.com softbank.ne.jp i.softbank.jp ymobile.ne.jp nifty.com biglobe.ne.jp
so-net.ne.jp ocn.ne.jp plala.or.jp dion.ne.jp excite.co.jp infoseek.jp
rediffmail.com sify.com vsnl.net indiatimes.com
fastmail.* tutanota.* tuta.io hey.com mailbox.org posteo.* hushmail.com runbox.com
laposte.net orange.fr wanadoo.fr free.fr sfr.fr neuf.fr bbox.fr numericable.fr club-internet.fr
aliceadsl.fr libero.it virgilio.it tiscali.* alice.it tin.it email.it inwind.it fastwebnet.it
seznam.cz centrum.cz email.cz post.cz volny.cz atlas.cz tiscali.cz azet.sk centrum.sk zoznam.sk
wp.pl o2.pl onet.pl onet.eu op.pl interia.pl interia.eu poczta.fm gazeta.pl tlen.pl vp.pl go2.pl
freemail.hu citromail.hu t-online.hu abv.bg mail.bg dir.bg yahoo.ro
walla.co.il walla.com bezeqint.net netvision.net.il 012.net.il zahav.net.il
hotmail.com.tr mynet.com superonline.com ttmail.com
terra.* uol.com.br bol.com.br ig.com.br globo.com globomail.com oi.com.br r7.com zipmail.com.br
prodigy.net.mx telmex.com speedy.com.ar fibertel.com.ar arnet.com.ar ciudad.com.ar
bigpond.com bigpond.net.au optusnet.com.au iinet.net.au tpg.com.au internode.on.net westnet.com.au
dodo.com.au xtra.co.nz slingshot.co.nz
comcast.net verizon.net att.net sbcglobal.net bellsouth.net charter.net cox.net earthlink.net
optonline.net frontier.com frontiernet.net windstream.net centurylink.net q.com juno.com netzero.net
roadrunner.com rr.com twc.com spectrum.net mediacombb.net suddenlink.net embarqmail.com
shaw.ca rogers.com sympatico.ca telus.net videotron.ca bell.net cogeco.ca eastlink.ca
btinternet.com btopenworld.com sky.com virginmedia.com talktalk.net ntlworld.com blueyonder.co.uk
tiscali.co.uk orange.net plus.com o2.co.uk
telenet.be skynet.be proximus.be scarlet.be ziggo.nl kpnmail.nl home.nl planet.nl hetnet.nl
chello.nl bluewin.ch sunrise.ch hispeed.ch gmx.ch chello.at aon.at a1.net
telia.com bredband.net comhem.se online.no telenor.no eunet.fi kolumbus.fi saunalahti.fi
sapo.pt netcabo.pt telefonica.net movistar.es ono.com eresmas.com otenet.gr forthnet.gr
mweb.co.za telkomsa.net vodamail.co.za iafrica.com
singnet.com.sg pacific.net.sg streamyx.com tm.net.my pldtdsl.net
*.myshopify.com *.wixsite.com *.wix.com *.squarespace.com *.weebly.com *.wordpress.com
*.blogspot.com *.godaddysites.com *.square.site *.business.site *.webflow.io *.carrd.co *.github.io
*.netlify.app *.vercel.app *.herokuapp.com *.jimdosite.com *.jimdofree.com *.mystrikingly.com
*.strikingly.com *.ueniweb.com *.site123.me *.etsy.com *.bigcartel.com *.tumblr.com *.substack.com
*.webnode.com *.webnode.page *.yolasite.com *.wixstudio.io *.shopify.com *.ecwid.com
*.tilda.ws *.ucoz.ru *.narod.ru *.tiendanube.com *.mercadoshops.com *.blogspot.*
*.ukit.me *.business.site *.page.link *.linktr.ee *.gitlab.io *.pages.dev
facebook.com/* fb.com/* fb.me/* instagram.com/* linkedin.com/* twitter.com/* x.com/* tiktok.com/*
youtube.com/* youtu.be/* linktr.ee/* etsy.com/* amazon.*/* ebay.*/* sites.google.com/* google.*/*
g.page/* goo.gl/* wa.me/* t.me/* vk.com/* ok.ru/* pinterest.*/* yelp.*/* tripadvisor.*/*
booking.com/* xing.com/* medium.com/* github.com/* behance.net/* threads.net/* weibo.com/*
line.me/* taobao.com/* tmall.com/* jd.com/* 2gis.ru/* avito.ru/* olx.*/* trustpilot.com/*
shopify.com wix.com squarespace.com
"""

# Public suffixes under which a registrable domain has one more label (acme.co.uk, acme.spb.ru):
# second-level labels used under country domains, and the suffixes below.
SECOND_LEVEL = frozenset(
	"""co com net org gov ac edu ltd plc gen biz info nom or ne go sch mil me web gob gouv gv nic ind
	in firm ad lg ed gr mod police nhs int pro tm""".split()
)
PUBLIC_SUFFIXES = frozenset(
	"""
	spb.ru msk.ru nov.ru kazan.ru nsk.ru ekb.ru perm.ru samara.ru com.ru net.ru org.ru pp.ru
	kiev.ua kyiv.ua lviv.ua od.ua odessa.ua dp.ua kh.ua kharkov.ua zp.ua pp.ua in.ua lg.ua dn.ua
	donetsk.ua cv.ua ck.ua cn.ua if.ua lt.ua rv.ua sm.ua te.ua uz.ua vn.ua zt.ua ks.ua km.ua kr.ua
	pl.ua sebastopol.ua crimea.ua
	waw.pl krakow.pl wroclaw.pl poznan.pl gda.pl lodz.pl
	us.com uk.com eu.com gb.com de.com jpn.com cn.com za.com ru.com br.com co.com
	blogspot.com appspot.com
	""".split()
)

DOMAIN_RE = re.compile(
	r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
EMAIL_RE = re.compile(r"^[^@\s/]+@([^@\s/]+)$")

# Scores (0–100) and thresholds.
NAME_THRESHOLD = 85  # a fuzzy name score at or above this is a match
GENERIC_PENALTY = 2  # a generic word on one side only, when both names have distinctive words
GENERIC_WEIGHT = 0.3  # a generic word ("group", "bank", "集团") counts this much against a distinctive one
SMALL_SIDE = 0.75  # token-set score: the share of the lighter name found, against the share of the other
TOKEN_MIN = 85  # two words match at this similarity (and the same first letters)
KEY_LENGTH = 5  # retrieval keys: the first letters of a word (4 made postings of ~3,600 rows at 150k)
ACRONYM_SCORE = 86  # "IBM" ~ "International Business Machines": similar, never the same prospect alone
BRAND_ONLY = 88  # two names sharing only one brand word, each with words of its own
DOMAIN_NAME_SCORE = 90  # the same domain name under another suffix (lenovo.com ~ lenovo.com.cn)
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


# Legal-form words, dropped wherever they stand in a company name (unless nothing else is left).
LEGAL_FORMS = frozenset(
	"""
	inc incorporated corp corporation co company cos ltd limited llc llp lp plc pllc gmbh mbh ag kg kgaa
	ug ohg ev sa sas sasu sarl sl slu srl spa sapa bv nv vof oy oyj ab as asa aps a/s kk pty pte pvt
	private bhd sdn tbk se nl ooo oao zao pao ao ip tov pp ltda eireli cv rl jsc pjsc sp zoo oo sro spol
	z too kft zrt nyrt bt doo dd eood ood sia uab ou pt tbk cia lda sc scs snc gbr eg mbh kgaa ks vos
	aktiebolag aktiebolaget aktiengesellschaft aktieselskab anpartsselskab allmennaksjeselskap
	gesellschaft kommanditgesellschaft osakeyhtio sab sapi srl sccl scrl sprl bvba cvba asbl vzw
	compagnie compania compagnia companhia cie ets sti tas ojsc cjsc prat pat fop ad ae epe oe ee ike
	avee tnhh ctcp cp mtv c sgps saci sacif saic sae etaireia etairia kabushiki kaisha yugen godo berhad
	sendirian persero ky ay ehf hf amba smba
	株式会社 有限会社 合同会社 合資会社 合名会社 有限公司 股份有限公司 股份公司 公司 有限责任公司
	有限責任公司 株
	บริษัท จำกัด มหาชน ห้างหุ้นส่วน 주식회사 유한회사 주 בעמ בע חברה חברת החברה شركة شمم ذمم شذمم شمع شمب شمك شمل مساهمة محدودة المحدودة
	""".split()
)
LEGAL_SUFFIXES = LEGAL_FORMS  # the old name
# Legal forms of several words, dropped as a whole (their words alone may be names).
LEGAL_PHRASES = tuple(
	tuple(p.split())
	for p in (
		"cong ty",  # Vietnamese: company
		"co phan",  # joint-stock
		"mot thanh vien",
		"trach nhiem huu han",
		"spolka akcyjna",
		"spolka z ograniczona odpowiedzialnoscia",
		"spolka komandytowa",
		"spolka jawna",
		"societe anonyme",
		"societe par actions simplifiee",
		"sociedad anonima",
		"sociedad limitada",
		"sociedade anonima",
		"societa per azioni",
		"societa a responsabilita limitata",
		"akciova spolecnost",
		"akciova spolocnost",
		"anonim sirketi",
		"limited sirketi",
		"de cv",
		"de rl",
		"ذ م م",
		"ش م م",
		"ش م ع",
	)
)
# Words that carry no name of their own.
STOPWORDS = frozenset(
	"and the of und et y e i de der die das la le les el du des van von da do dos del l d tis tou ton kai"
	.split()
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
	consultancy auto transport transportation communications telecommunications telecom royal
	koninklijke general generale etablissements establishment przedsiebiorstwo handlowe handel
	uslugi ticaret sanayi thuongmai dichvu sanxuat xaydung trade commercial commerciale comercial
	industrie industria industrial automobile automobiles omilos trapeza
	集团 控股 科技 国际 银行 实业 贸易 网络 信息 技术 电子 发展 投资 产业 中国 グループ ホールディングス 그룹
	系统 计算机 软件 通信 通讯 保险 证券 金融 能源 物流 电器 电气 机械 设备 制造 化工 医药 药业 生物 食品
	文化 传媒 教育 咨询 管理 服务 商贸 商务 供应链 智能 数字 数据 汽车 酒店 房地产 置业 建设 工程 电力 环保
	新材料 材料 半导体 光电 人寿 财产 农业 矿业 钢铁 旅游 餐饮 服装 电子商务 互联网 国际贸易 集團 控股
	商事 物産 商店 工務店 工業 産業 建設 不動産 証券 保険 製薬 化学 自動車 重工業 電力 鉄道 航空 海運 製作所
	システム ソフトウェア
	전자 화학 텔레콤 은행 보험 증권 건설 산업 통신 물산 상사 중공업 자동차 제약 식품 카드 생명 홀딩스 에너지 코리아
	مجموعة للتجارة التجارية التجاريه بنك مصرف القابضة القابضه الدولية الدوليه
	קבוצת קבוצה ישראל הישראלית ישראלית תקשורת לתקשורת מערכות בנק שירותים תעשיות השקעות ביטוח אחזקות
	פרמצבטיות תרופות מזון
	""".split()
)
COMMON_WORDS = GENERIC_WORDS  # the old name
# Generic words that say how a company is organised or where, not what it does: two companies of one
# brand in different trades are told apart by trade words ("atlas logistics" ~ "atlas construction"),
# not by these ("小米科技" ~ "小米集团").
STRUCTURAL_WORDS = frozenset(
	"""
	group holdings international global worldwide national america american usa europe european asia
	asian africa uk us eu world enterprises partners associates brothers ventures royal koninklijke
	omilos general generale etablissements establishment przedsiebiorstwo gruppa grupa gruppe groupe grupo
	holding
	集团 控股 国际 中国 集團 グループ ホールディングス 그룹 홀딩스 코리아 مجموعة القابضة القابضه الدولية الدوليه
	קבוצת קבוצה ישראל הישראלית ישראלית אחזקות
	""".split()
)

# Well-known abbreviations of words in company names (and generic words in other languages), expanded
# before comparing.
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
	"gruppa": "group", "grupa": "group", "gruppe": "group", "groupe": "group", "grupo": "group",
	"gruppo": "group", "holdings": "holdings", "handlowe": "trading", "handel": "trading",
	"ticaret": "trading", "thuongmai": "trading", "trade": "trading", "st": "saint",
}
# Generic phrases of other languages, read as one word.
PHRASES = {("thuong", "mai"): "thuongmai", ("dich", "vu"): "dichvu", ("san", "xuat"): "sanxuat",
	("xay", "dung"): "xaydung", ("tap", "doan"): "group"}

# Cyrillic and Greek to Latin. Cyrillic: Russian (default), Ukrainian (і ї є ґ, or a Ukrainian legal
# form) or Serbian (ђ ћ џ љ њ ј) romanisation; spelling variants are absorbed by ``match_form``.
CYRILLIC = {
	**dict(zip("абвгдезийклмнопрстуфыэ", "abvgdeziyklmnoprstufye", strict=True)),
	"ё": "e", "ж": "zh", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ь": "",
	"ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj",
	"њ": "nj", "ћ": "c", "ђ": "dj", "џ": "dz", "ѓ": "g", "ќ": "k", "ѕ": "dz",
}
UKRAINIAN = {**CYRILLIC, "и": "y", "і": "i", "ї": "yi", "є": "ie", "г": "h", "ґ": "g", "х": "kh", "й": "i"}
SERBIAN = {
	**CYRILLIC, "х": "h", "ч": "c", "ћ": "c", "ш": "s", "ж": "z", "ђ": "d", "џ": "dz", "ц": "c", "й": "j",
}
UKRAINIAN_MARK = re.compile(r"[іїєґ]|(?:^|\W)(?:тов|прат|пат|фоп)(?:\W|$)")
SERBIAN_MARK = re.compile(r"[ђћџљњј]")
SOUTH_SLAVIC = {**CYRILLIC, "х": "h", "й": "y", "щ": "sht", "ъ": "a"}  # Bulgarian, Macedonian
SOUTH_SLAVIC_MARK = re.compile(r"(?:^|\W)(?:д\.?о\.?о|е?а\.?д|е?о\.?о\.?д)(?:\W|$)")
GREEK_DIGRAPHS = (
	("αι", "e"), ("ει", "i"), ("οι", "i"), ("ου", "ou"), ("αυ", "av"), ("ευ", "ev"), ("γγ", "ng"),
	("γκ", "g"), ("μπ", "b"), ("ντ", "d"), ("τζ", "tz"),
)
GREEK = {
	**dict(zip("αβγδεζηικλμνξοπρσςτυφω", "avgdeziiklmnxoprsstyfo", strict=True)),
	"χ": "h", "θ": "th", "ψ": "ps",
}
OTHER_LETTERS = {"ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d"}
TRANSLIT = {**CYRILLIC, **GREEK, **OTHER_LETTERS}  # the old name
CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
GREEK_RE = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
QUOTES = "«»„“”‟\"'‘’‚‛‹›「」『』〈〉《》"
QUOTE_SPACES = str.maketrans(dict.fromkeys(QUOTES, " "))
APOSTROPHE = re.compile(r"(?<=\w)['’‘`´](?=\w)")  # l'oréal, o'brien, mary's: one word
HEBREW_ABBREVIATION = re.compile(r"(?<=[\u05d0-\u05ea])[\"״'׳](?=[\u05d0-\u05ea])")  # בע"מ
# initials with dots: s.a., s.r.o., a. s., ش.م.م, Α.Ε. -> one word
DOTTED = re.compile(r"(?<!\w)\w(?:\.\w)+(?!\w)\.?")
DOTTED_SPACED = re.compile(r"(?<!\w)\w\.(?:\s\w\.)+")
KEEP_MARKS_RE = re.compile(r"[\u0900-\u109f\u1780-\u17ff]")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
HAN_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# a change of script inside a word is a word boundary: サクラ精機 -> サクラ 精機, LG화학 -> lg 화학
SCRIPT_RUN = re.compile(
	r"[\u3040-\u309f]+|[\u30a0-\u30ff\u31f0-\u31ff]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
	r"|[\uac00-\ud7af]+|[^\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+"
)
# Chinese names read [region][trade name][trade][legal form]: region prefixes are generic.
REGIONS = """
北京 上海 天津 重庆 深圳 广州 杭州 南京 武汉 成都 西安 苏州 东莞 宁波 青岛 厦门 大连 沈阳 长沙 郑州 济南 合肥 福州
昆明 无锡 佛山 珠海 中山 惠州 温州 常州 南昌 南宁 贵阳 太原 石家庄 哈尔滨 长春 兰州 海口 三亚 乌鲁木齐 呼和浩特
银川 西宁 拉萨 香港 澳门 台湾 台北 高雄 台中 广东 浙江 江苏 山东 河北 河南 湖北 湖南 四川 福建 安徽 江西 辽宁
吉林 黑龙江 山西 陕西 甘肃 云南 贵州 海南 广西 内蒙古 新疆 西藏 宁夏 青海 上海市 北京市 天津市 重庆市 深圳市
東京 大阪 京都 横浜 名古屋 札幌 福岡 神戸 日本 서울 부산 인천 대구 대전 광주 한국 대한
""".split()
REGION_AFFIX = re.compile(r"^[\u4e00-\u9fff]{2,3}[市省县區区]")
# Traditional Chinese (and Japanese) characters common in company names, to simplified.
TRADITIONAL = dict(
	zip(
		"國際電網銀團責業貿開發資訊騰華東會實興機鐵車廣場產樂藥醫療險壽寶與農間豐龍鳳灣臺門馬書圖聯連運輸達遠進區縣陽雲風飛體頭視"
		"觀記設計語說證請誠貨質購費買賣貝財貸賽軟輕轉辦還錢鋼錄鏈長問關陸隊雙離韓項順預領類顯館驗麗黃點齊億價儀優兒內兩專廠廳歷氣"
		"淨滬漢潔濟燈熱營爾獎現環當盤眾確碼礦禮種穩積築簡級紅納紙紡線組結給統經綠維總織繼纖義聖聲職腦舉藝蘇號衛裝製複見規親覽訂"
		"認話詢誌護讓貢賀趙軍遊選邁鄭鈴銷鋁錦鍵鎮閣陳雜雞靜韋頂飲養馳鮮鳴麥協萬範葉蘭僑傳創劃劑勞勢匯壓壇夢學寧對導層島峽幣帶庫廈"
		"張彈復應戰擁據數斷時晉條極標櫃權歐漁準潤無煉爭狀獨獻產畢異監節糧紀約絲綜緊編縮羅聞膠臨莊處術衝補覺訓訪評較輪郵鄰針銅鋒"
		"鍋鐘閱隱響頓顧飾驅魯鴻鵬麵訊騰會於個們來倉備億債傑僅優則創劍務動勝勵匯卻參雙發變國圍園圓圖團堅報場塊塗壞壯處備頭夾奮婦媽"
		"寫寬將屆屬岡嶺巖帳幹廢廣彥後從徑御復愛態慶慣憑懷戶拋擔擴攝斯於時晝暫曉曬朧東條棟構榮槍樂樣橋檢櫻歡殘毆氣漲漸潛澤濕濱瀋灣"
		"焰燒爐獲玀瑤環產甦畫畝療發皚盜盧睜矯碩確礎祿禍禦窮竊競筆筍箏範築篩簽籃籌籠粵糾紅紋納紐紓純紗紛級紙紡細紳紹終絕絡給統絲經"
		"綁綱網綿緒線締緩編緯練縣縱總績繁織繩繪繳續纜罷羅聖聯聽肅脅脈腎腫膚臉臘與艙艱藍蘆蘋蘿虛蟲蠟補裝裡製褲襲覆見規視親覺觀觸訂"
		"計訊討訓託記訟訪設許診詐評詞試詩詳誇誌認誕誘語誠誤說誰課調談請諒論諸諾謀謂謙講謝證識譜警譯議護讀變讓豈豐貓貝負財貢貧貨販"
		"貫責貯貴貸貼貿費資賈賊賓賜賞賠賢賣賤賦質賬賭賴購賽贈贊贏趕趙趨跡踐躍車軌軍軒軟軸較載輔輕輛輝輩輪輯輸轄轉轎辦辭農這連週進"
		"遊運過達違遙遞遠適遲遷選遺邁還邊郵鄉鄭鄰醫醬釀釋針釣鈍鈔鈴鉛銀銅銘銳銷鋒鋪鋼錄錢錦錫錯鍊鍋鍵鍾鎖鎮鏈鏡鐘鐵鑄鑑長門閃閉開"
		"閑間閘閣閥閱闆闊關闡防陣陰陳陸陽隊階際隨險隱隻雖雙雛雜雞離難雲電震霧靈靜韋韓頁頂項順須預頑頒頓頗領頭頻題額顏願類顧顯風飄"
		"飛飯飲飼飽飾餅養餘館饋饒馬馭馮馳駐駕駛驗驚髮鬆鬥鬧魚魯鮮鳥鳳鳴鴨鴻鵝鵬鶴鷹鹽麗麥黃點黨齊齒龍龜",
		"国际电网银团责业贸开发资讯腾华东会实兴机铁车广场产乐药医疗险寿宝与农间丰龙凤湾台门马书图联连运输达远进区县阳云风飞体头视"
		"观记设计语说证请诚货质购费买卖贝财贷赛软轻转办还钱钢录链长问关陆队双离韩项顺预领类显馆验丽黄点齐亿价仪优儿内两专厂厅历气"
		"净沪汉洁济灯热营尔奖现环当盘众确码矿礼种稳积筑简级红纳纸纺线组结给统经绿维总织继纤义圣声职脑举艺苏号卫装制复见规亲览订"
		"认话询志护让贡贺赵军游选迈郑铃销铝锦键镇阁陈杂鸡静韦顶饮养驰鲜鸣麦协万范叶兰侨传创划剂劳势汇压坛梦学宁对导层岛峡币带库厦"
		"张弹复应战拥据数断时晋条极标柜权欧渔准润无炼争状独献产毕异监节粮纪约丝综紧编缩罗闻胶临庄处术冲补觉训访评较轮邮邻针铜锋"
		"锅钟阅隐响顿顾饰驱鲁鸿鹏面讯腾会于个们来仓备亿债杰仅优则创剑务动胜励汇却参双发变国围园圆图团坚报场块涂坏壮处备头夹奋妇妈"
		"写宽将届属冈岭岩帐干废广彦后从径御复爱态庆惯凭怀户抛担扩摄斯于时昼暂晓晒胧东条栋构荣枪乐样桥检樱欢残殴气涨渐潜泽湿滨沈湾"
		"焰烧炉获猡瑶环产苏画亩疗发皑盗卢睁矫硕确础禄祸御穷窃竞笔笋筝范筑筛签篮筹笼粤纠红纹纳纽纾纯纱纷级纸纺细绅绍终绝络给统丝经"
		"绑纲网绵绪线缔缓编纬练县纵总绩繁织绳绘缴续缆罢罗圣联听肃胁脉肾肿肤脸腊与舱艰蓝芦苹萝虚虫蜡补装里制裤袭复见规视亲觉观触订"
		"计讯讨训托记讼访设许诊诈评词试诗详夸志认诞诱语诚误说谁课调谈请谅论诸诺谋谓谦讲谢证识谱警译议护读变让岂丰猫贝负财贡贫货贩"
		"贯责贮贵贷贴贸费资贾贼宾赐赏赔贤卖贱赋质账赌赖购赛赠赞赢赶赵趋迹践跃车轨军轩软轴较载辅轻辆辉辈轮辑输辖转轿办辞农这连周进"
		"游运过达违遥递远适迟迁选遗迈还边邮乡郑邻医酱酿释针钓钝钞铃铅银铜铭锐销锋铺钢录钱锦锡错炼锅键钟锁镇链镜钟铁铸鉴长门闪闭开"
		"闲间闸阁阀阅板阔关阐防阵阴陈陆阳队阶际随险隐只虽双雏杂鸡离难云电震雾灵静韦韩页顶项顺须预顽颁顿颇领头频题额颜愿类顾显风飘"
		"飞饭饮饲饱饰饼养余馆馈饶马驭冯驰驻驾驶验惊发松斗闹鱼鲁鲜鸟凤鸣鸭鸿鹅鹏鹤鹰盐丽麦黄点党齐齿龙龟",
		strict=True,
	)
)
TRADITIONAL.update(
	zip(
		"為爲麼嚴擬濤燦兌剛勁啟奧孫尋崗嶽徹悅憲戲擊敗暢樓殼溫滿烏牽猶獅秘稅穎緣聰膽艷蒼蓮薦蠶詠誼豬贛迴釘鈺鉑鋰錶鍍鎂閩陝隴韻頌顛",
		"为为么严拟涛灿兑刚劲启奥孙寻岗岳彻悦宪戏击败畅楼壳温满乌牵犹狮秘税颖缘聪胆艳苍莲荐蚕咏谊猪赣回钉钰铂锂表镀镁闽陕陇韵颂颠",
		strict=True,
	)
)
# Korean spellings of Latin letters: 엘지 -> lg, 에스케이 -> sk (a name of initials written in hangul).
HANGUL_LETTERS = {
	"에이": "a", "비": "b", "씨": "c", "디": "d", "이": "e", "에프": "f", "지": "g", "에이치": "h",
	"아이": "i", "제이": "j", "케이": "k", "엘": "l", "엠": "m", "엔": "n", "오": "o", "피": "p",
	"큐": "q", "알": "r", "에스": "s", "티": "t", "유": "u", "브이": "v", "더블유": "w", "엑스": "x",
	"와이": "y", "제트": "z",
}
ARABIC_FOLD = str.maketrans({"ة": "ه", "ى": "ي", "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ـ": None})
def _cyrillic_table(text: str) -> dict:
	if SERBIAN_MARK.search(text):
		return SERBIAN
	if UKRAINIAN_MARK.search(text):
		return UKRAINIAN
	if SOUTH_SLAVIC_MARK.search(text):
		return SOUTH_SLAVIC
	return CYRILLIC


def _greek(text: str) -> str:
	text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
	text = re.sub(r"(?<!\w)γκ", "g", text)
	text = re.sub(r"(?<!\w)μπ", "b", text)
	text = re.sub(r"(?<!\w)ντ", "d", text)
	text = text.replace("μπ", "mp").replace("ντ", "nt").replace("γκ", "ng")
	for greek, latin in GREEK_DIGRAPHS:
		text = text.replace(greek, latin)
	return text


# Invisible format characters (zero-width space / joiners, soft hyphen, direction marks and overrides,
# byte-order mark): a name written with them must meet the same name without.
FORMAT_CHARS_RE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# Cyrillic and Greek letters that look like Latin ones ("Aсme" with a Cyrillic с): inside a word that also
# has Latin letters they are read as the Latin letter they imitate, not transliterated (which would make
# "asme" and dodge "Acme"). A word wholly in Cyrillic or Greek is transliterated as before.
HOMOGLYPHS = str.maketrans(
	"АВЕЅІЈКМНОРСТХУаеѕіјорсхуԁһԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιкνρ",
	"ABESIJKMHOPCTXYaesijopcxydhqwABEZHIKMNOPTYXoikvp",
)
MIXED_WORD_RE = re.compile(r"\w*(?:[A-Za-z][\u0370-\u04ff]|[\u0370-\u04ff][A-Za-z])\w*")


def _visible(text: str) -> str:
	return FORMAT_CHARS_RE.sub("", text) if not text.isascii() else text


LOOKALIKE_WORD_RE = re.compile(
	"(?<!\\w)[" + re.escape("АВЕЅІЈКМНОРСТХУаеѕіјорсхуԁһԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧοιкνρ") + "]+(?!\\w)"
)
LATIN_WORD_RE = re.compile(r"(?<!\w)[A-Za-z]{2,}(?!\w)")


def _homoglyphs(text: str) -> str:
	"""Look-alike letters read as Latin: inside a word with Latin letters, and whole words of look-alikes
	only in a name that has a Latin word ("Асе Hardware" with a Cyrillic Асе)."""
	if text.isascii() or not (CYRILLIC_RE.search(text) or GREEK_RE.search(text)):
		return text
	text = MIXED_WORD_RE.sub(lambda m: m.group(0).translate(HOMOGLYPHS), text)
	if LATIN_WORD_RE.search(text):
		text = LOOKALIKE_WORD_RE.sub(lambda m: m.group(0).translate(HOMOGLYPHS), text)
	return text


def _fold(text: str) -> str:
	"""Lower case, transliterated to Latin, without accents (Müller -> muller, Ромашка -> romashka,
	Київстар -> kyivstar, Χαλκόρ -> halkor); other scripts (CJK, Arabic, Hebrew …) are kept, Arabic
	letter variants folded (ة -> ه, أ -> ا) and traditional Chinese characters simplified."""
	text = _homoglyphs(_visible(unicodedata.normalize("NFKC", text or ""))).casefold()
	if text.isascii():
		return UMLAUT_DIGRAPH.sub(lambda m: m.group(0)[0], text.replace("x", "ks"))
	if GREEK_RE.search(text):
		text = _greek(text)
	table = {**_cyrillic_table(text), **GREEK, **OTHER_LETTERS} if CYRILLIC_RE.search(text) else TRANSLIT
	out = []
	for c in text:
		c = table.get(c, c)
		if c and ord(c[0]) >= 0x3000:  # CJK, kana, hangul: decomposing would break their syllables
			out.append(TRADITIONAL.get(c, c))
			continue
		if c and KEEP_MARKS_RE.match(c):  # Indic, Thai …: their vowel signs are combining marks
			out.append(c)
			continue
		out.extend(d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d))
	text = "".join(out).translate(ARABIC_FOLD).replace("x", "ks")
	return UMLAUT_DIGRAPH.sub(lambda m: m.group(0)[0], text)  # mueller -> muller, as Müller folds


# ae / oe / ue written for ä / ö / ü: between consonants only (Mueller, Soehne, Zuercher), so Blue, Joe,
# Bauer, Queen keep their e; applied to every name, with or without umlauts, so both spellings meet.
UMLAUT_DIGRAPH = re.compile(r"(?:(?<=[bcdfhjklmnprstvwxz])[aou]|(?<![a-z])[ou])e(?=[bcdfghjklmnpqrstvwxz])")


def _fold_all(words) -> frozenset[str]:
	return frozenset(_fold(w) for w in words)


LEGAL_FORMS = LEGAL_SUFFIXES = _fold_all(LEGAL_FORMS)
GENERIC_WORDS = COMMON_WORDS = _fold_all(GENERIC_WORDS | set(REGIONS))
STRUCTURAL_WORDS = _fold_all(STRUCTURAL_WORDS | set(REGIONS))
LEGAL_PHRASES = tuple(tuple(_fold(w) for w in phrase) for phrase in LEGAL_PHRASES)
PHRASE_STARTS = frozenset(p[0] for p in (*LEGAL_PHRASES, *PHRASES))
CJK_WHOLE = frozenset(w for w in LEGAL_FORMS | GENERIC_WORDS if CJK_RE.search(w))
CJK_AFFIXES = sorted((w for w in CJK_WHOLE if len(w) > 1), key=len, reverse=True)


@lru_cache(maxsize=100_000)
def is_generic(token: str) -> bool:
	"""A generic word (or a Chinese region prefix such as 佛山市)."""
	return token in GENERIC_WORDS or bool(REGION_AFFIX.fullmatch(token))


@lru_cache(maxsize=100_000)
def is_structural(token: str) -> bool:
	return token in STRUCTURAL_WORDS or bool(REGION_AFFIX.fullmatch(token))


def _initials(match) -> str:
	return re.sub(r"[.\s]", "", match.group(0))


def _hangul_initials(word: str) -> str:
	"""엘지 -> lg; "" when the word is not spelled letters (two to four)."""
	out, i = [], 0
	while i < len(word):
		for size in (3, 2, 1):
			letter = HANGUL_LETTERS.get(word[i : i + size])
			if letter:
				out.append(letter)
				i += size
				break
		else:
			return ""
	return "".join(out) if 2 <= len(out) <= 4 else ""


def _split_cjk(word: str) -> list[str]:
	"""阿里巴巴集团 -> [阿里巴巴, 集团]; 株式会社トヨタ -> [株式会社, トヨタ]; 深圳市腾讯计算机系统 -> [深圳市,
	腾讯, 计算机, 系统] (affixes and region prefixes peeled off both ends); 엘지전자 -> [lg, 전자]."""
	head, tail = [], []
	changed = True
	while changed and len(word) > 1 and word not in CJK_WHOLE:
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
		if not changed and len(word) > 3:
			region = REGION_AFFIX.match(word)
			if region and len(word) > region.end() + 1:
				head.append(region.group(0))
				word = word[region.end() :]
				changed = True
	if "\uac00" <= word[:1] <= "\ud7af":
		word = _hangul_initials(word) or word
	return [*head, word, *tail]


def _words(name: str) -> list[str]:
	text = _fold(name)
	ascii_only = text.isascii()
	if "'" in text or not ascii_only:
		text = APOSTROPHE.sub("", text)
	if not ascii_only:
		text = HEBREW_ABBREVIATION.sub("", text)
	text = text.replace("&", " and ").replace("+", " and ").translate(QUOTE_SPACES)
	if "." in text:
		text = DOTTED_SPACED.sub(_initials, DOTTED.sub(_initials, text))  # s.a., a. s., ش.م.م -> one word
	words = []
	for w in WORD_SPLIT.split(text):
		w = w.strip("'_")
		if not w:
			continue
		if ascii_only or not CJK_RE.search(w):
			words.append(ABBREVIATIONS.get(w, w))
			continue
		for part in SCRIPT_RUN.findall(w):
			part = ABBREVIATIONS.get(part, part)
			words.extend(_split_cjk(part) if CJK_RE.search(part) else [part])
	return _phrases(_join_spaced_letters(words))


def _join_spaced_letters(words: list[str]) -> list[str]:
	"""A word written letter by letter ("T y r e l l", "A B C") is one word: runs of three or more
	single letters are joined."""
	if sum(len(w) == 1 for w in words) < 3:
		return words
	out, run = [], []
	for w in [*words, ""]:
		if len(w) == 1 and w.isalpha():
			run.append(w)
			continue
		out.extend(["".join(run)] if len(run) >= 3 else run)
		run = []
		if w:
			out.append(w)
	return out


WORD_SPLIT = re.compile(r"[^\w'\u0900-\u109f\u1780-\u17ff]+")


def _phrases(words: list[str]) -> list[str]:
	"""Multi-word legal forms dropped (cong ty, spolka akcyjna), generic phrases joined (thuong mai)."""
	out, i = [], 0
	while i < len(words):
		if words[i] not in PHRASE_STARTS:
			out.append(words[i])
			i += 1
			continue
		for phrase in LEGAL_PHRASES:
			if tuple(words[i : i + len(phrase)]) == phrase and len(words) > len(phrase):
				i += len(phrase)
				break
		else:
			pair = tuple(words[i : i + 2])
			if pair in PHRASES:
				out.append(ABBREVIATIONS.get(PHRASES[pair], PHRASES[pair]))
				i += 2
			else:
				out.append(words[i])
				i += 1
	return out


@lru_cache(maxsize=100_000)
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
	return GENERIC_WEIGHT if is_generic(token) else 1.0


# Spelling variants of romanisations (kh/h, ch/č/c, sh/š, zh/ž, ts/c, c/k, y/i, w/v, doubled letters).
DIGRAPHS = {"kh": "h", "zh": "z", "sh": "s", "ch": "c", "ts": "c", "ph": "f", "ck": "k"}
DIGRAPH_RE = re.compile(r"kh|zh|sh|ch|ts(?=\w)|ph|ck")
LETTERS = str.maketrans("yw", "iv")
HARD_C_RE = re.compile(r"c(?![ei])")
DOUBLED_RE = re.compile(r"(\w)\1+")


@lru_cache(maxsize=200_000)
def match_form(token: str) -> str:
	"""The form two words are compared in: romanisation variants folded together, so Khemofarm ~ Hemofarm,
	Chachak ~ Čačak, Halychyna ~ Galichina's Ukrainian reading, Halcor ~ Halkor, Zheltiy ~ Zheltyy."""
	if not token.isascii():
		return token
	token = DIGRAPH_RE.sub(lambda m: DIGRAPHS[m.group(0)], token).translate(LETTERS)
	return DOUBLED_RE.sub(r"\1", HARD_C_RE.sub("k", token))


@lru_cache(maxsize=200_000)
def token_key(token: str) -> str:
	"""Tokens that may match share this key (their first letters): "romashka" ~ "romaschka"; a CJK word
	its first two characters (so 카카오 ~ 카카오뱅크)."""
	if CJK_RE.match(token):
		return token[:2]
	return match_form(token)[:KEY_LENGTH]


@lru_cache(maxsize=100_000)
def name_keys(norm_name: str) -> frozenset[str]:
	"""Retrieval keys of a normalised name: the first letters of each distinctive word (of every word when
	none is distinctive) and of the name without spaces; ``a:`` the initials of a name of three or more
	words, or a short one-word name, letters sorted (so "IBM" ~ "International Business Machines",
	"LVMH" ~ "Moët Hennessy Louis Vuitton")."""
	tokens = norm_name.split()
	if not tokens:
		return frozenset()
	distinctive = [t for t in tokens if not is_generic(t)] or tokens
	keys = {"n:" + token_key(t) for t in distinctive}
	keys.add("n:" + token_key("".join(tokens)))
	acronym = _acronym(tokens)
	if acronym:
		keys.add("a:" + "".join(sorted(acronym)))
	return frozenset(keys)


def _acronym(tokens) -> str:
	if len(tokens) >= 3 and not any(CJK_RE.search(t) for t in tokens):
		return "".join(t[0] for t in tokens)
	if len(tokens) == 1 and 3 <= len(tokens[0]) <= 5 and tokens[0].isascii() and tokens[0].isalpha():
		return tokens[0]
	return ""


def _similarity(x: str, y: str) -> float:
	if x == y:
		return 100.0
	fx, fy = match_form(x), match_form(y)
	return 100.0 if fx == fy else fuzz.ratio(fx, fy)


def _coverage(a, b, weight) -> tuple[float, float, list, list, int]:
	"""(matched weight, 0–100 coverage score, unmatched of a, unmatched of b, words matched): each word of
	``a`` takes the most similar free word of ``b`` with the same key, at a similarity of at least
	``TOKEN_MIN``."""
	free = list(b)
	left = []
	matched = 0.0
	count = 0
	for x in sorted(a, key=lambda t: -len(t)):
		best, best_j = 0.0, -1
		for j, y in enumerate(free):
			if token_key(x) != token_key(y):
				continue
			sim = _similarity(x, y)
			if sim > best:
				best, best_j = sim, j
		if best >= TOKEN_MIN:
			matched += (weight(x) + weight(free[best_j])) / 2 * best / 100
			free.pop(best_j)
			count += 1
		else:
			left.append(x)
	wa, wb = sum(map(weight, a)), sum(map(weight, b))
	small, large = min(wa, wb), max(wa, wb)
	score = 100 * (SMALL_SIDE * min(1.0, matched / small) + (1 - SMALL_SIDE) * min(1.0, matched / large))
	return matched, score, left, free, count


@lru_cache(maxsize=100_000)
def _is_cjk(token: str) -> bool:
	return bool(CJK_RE.match(token))


def _split_prefixes(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
	"""CJK words are written without spaces: a word of one name that starts with a whole word of the other
	is read as that word and the rest (카카오뱅크 against 카카오 -> 카카오 뱅크)."""

	def split(x, other):
		out = []
		for t in x:
			head = next(
				(o for o in other if o != t and len(o) >= 2 and t.startswith(o) and CJK_RE.match(o)), None
			)
			out.extend((head, t[len(head) :]) if head else (t,))
		return tuple(out)

	if not (any(map(_is_cjk, a)) and any(map(_is_cjk, b))):
		return a, b
	return split(a, b), split(b, a)


def _own_trade(distinctive_left, generic_left) -> bool:
	return bool(distinctive_left) or any(not is_structural(t) for t in generic_left)


def _one(token: str) -> float:
	return 1.0


@lru_cache(maxsize=100_000)
def _parts(tokens: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
	"""(distinctive words, generic words)."""
	return tuple(t for t in tokens if not is_generic(t)), tuple(t for t in tokens if is_generic(t))


@lru_cache(maxsize=100_000)
def _split_name(norm_name: str) -> tuple[str, ...]:
	return tuple(norm_name.split())


def token_set_score(a: tuple[str, ...], b: tuple[str, ...]) -> float:
	"""0–100: how much of the shorter name the other one contains, word by word (a word matches a word with
	the same key and a similarity of at least ``TOKEN_MIN``). When both names have distinctive words, only
	those count, and each generic word ("group", "bank", "集团") found on one side only costs
	``GENERIC_PENALTY``: "northwind group" ~ "northwind" 98, "dunder mifflin paper" ~ "dunder mifflin" 92,
	"acme widgets" ~ "acme" 88, "northwind group" ~ "contoso group" 0. Two names sharing a single
	distinctive (brand) word, each with words of its own, are at most ``BRAND_ONLY`` ("atlas logistics" ~
	"atlas construction": similar, not the same company). A name of generic words only is scored on all
	its words, generic ones weighing ``GENERIC_WEIGHT``."""
	if not a or not b:
		return 0.0
	a, b = _split_prefixes(a, b)
	da, ga = _parts(a)
	db, gb = _parts(b)
	if da and db:
		_, score, own_a, own_b, count = _coverage(da, db, _one)
		_, _, left_a, left_b, _ = _coverage(ga, gb, _one) if ga and gb else (0, 0, ga, gb, 0)
		score = max(0.0, score - min(GENERIC_PENALTY * (len(left_a) + len(left_b)), 3 * GENERIC_PENALTY))
		if count == 1 and _own_trade(own_a, left_a) and _own_trade(own_b, left_b):
			score = min(score, BRAND_ONLY)
		return score
	return _coverage(a, b, token_weight)[1]


@lru_cache(maxsize=100_000)
def _legal_form_only(norm_name: str) -> bool:
	"""A name of legal forms only ("AB", "LLC", "GmbH & Co. KG"): ``name_tokens`` keeps them when nothing
	else is left, but they name no company (else "AB" was "ABB" once doubled letters fold)."""
	return all(t in LEGAL_FORMS or t in STOPWORDS for t in norm_name.split())


def name_score(a: str, b: str) -> float:
	"""0–100 for two normalised names: the best of the weighted token-set score, word-order-insensitive and
	spacing-insensitive similarity, and an acronym; 0 when the names share no retrieval key (so what
	scores can always be fetched by key)."""
	if not a or not b:
		return 0.0
	if _legal_form_only(a) or _legal_form_only(b):  # "AB", "LLC": no company name to compare
		return 0.0
	keys_a, keys_b = name_keys(a), name_keys(b)
	if not keys_a & keys_b:
		return 0.0
	ta, tb = _split_name(a), _split_name(b)
	score = token_set_score(ta, tb)
	if len(ta) != len(tb):  # spacing: "pied piper" ~ "piedpiper"
		score = max(score, fuzz.ratio(match_form(a.replace(" ", "")), match_form(b.replace(" ", ""))))
	if score < ACRONYM_SCORE and any(k.startswith("a:") for k in keys_a & keys_b):
		if (len(ta) == 1) != (len(tb) == 1):  # one name is the initials of the other
			score = ACRONYM_SCORE
	return score


def normalise_tax_id(value: str) -> str:
	return re.sub(r"[^0-9A-Z]", "", _fold(value or "").upper())


TAX_PREFIX_RE = re.compile(r"^([A-Z]{2})(?=[0-9A-Z]*[0-9])([0-9A-Z]{5,})$")
# Country prefixes of VAT ids (EU VIES, and ISO codes used the same way); after them an id may start
# with a letter (ESA28015865, ATU12345678). EL is Greece in VIES, GR in ISO.
VAT_COUNTRIES = frozenset(
	"""AT BE BG CY CZ DE DK EE EL ES FI FR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK XI GB CH NO IS LI
	GR TR RU UA BY KZ AU NZ CA US MX BR AR CL CO PE JP KR CN IN SG MY TH VN ID PH ZA AE SA IL EG RS
	BA ME MK AL""".split()
)
TAX_ALIASES = {"EL": "GR"}
TAX_SUFFIX_RE = re.compile(r"(?<=[0-9])(?:MWST|TVA|IVA|VAT)$")  # CHE-123.456.789 MWST
JP_INVOICE_RE = re.compile(r"^T([0-9]{13})$")  # Japanese invoice number: T + corporate number


def _canonical_tax_id(tax_id: str) -> str:
	tax_id = TAX_SUFFIX_RE.sub("", tax_id)
	prefix = TAX_PREFIX_RE.match(tax_id)
	if prefix and prefix.group(1) in TAX_ALIASES:
		return TAX_ALIASES[prefix.group(1)] + prefix.group(2)
	return tax_id


def _country_prefix(tax_id: str) -> tuple[str, str] | None:
	"""(country, rest) when the id starts with a country prefix."""
	prefixed = TAX_PREFIX_RE.match(tax_id)
	if prefixed and (prefixed.group(2)[0].isdigit() or prefixed.group(1) in VAT_COUNTRIES):
		return prefixed.group(1), prefixed.group(2)
	return None


def tax_id_forms(tax_id: str) -> set[str]:
	"""A normalised tax id with and without its country prefix: DE299888777 -> {DE299888777, 299888777};
	EL and GR prefixes alike, a Swiss MWST/TVA suffix and a Japanese invoice number's T dropped."""
	if not tax_id:
		return set()
	canonical = _canonical_tax_id(tax_id)
	forms = {tax_id, canonical}
	prefixed = _country_prefix(canonical)
	if prefixed:
		forms.add(prefixed[1])
	japanese = JP_INVOICE_RE.match(canonical)
	if japanese:
		forms.add(japanese.group(1))
	return forms


def same_tax_id(a: str, b: str) -> bool:
	"""The same id, or the same id once one side's country prefix is dropped (DE 299 888 777 ~ 299888777);
	two different country prefixes are two different ids."""
	if not a or not b:
		return False
	if a == b:
		return True
	ca, cb = _canonical_tax_id(a), _canonical_tax_id(b)
	pa, pb = _country_prefix(ca), _country_prefix(cb)
	if pa and pb and ca != cb:
		return False
	return bool(tax_id_forms(a) & tax_id_forms(b))


def _split_url(value: str) -> tuple[str, list[str], dict[str, str]]:
	"""(host, path segments, query) of a website, URL, e-mail address or bare domain."""
	text = (value or "").strip()
	if not text or EMAIL_RE.match(text):
		return host_of(value), [], {}
	rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", text)
	rest = rest.split("#", 1)[0]
	path, _, query = rest.partition("?")
	segments = [unquote(p) for p in path.split("/")[1:] if p]
	params = {}
	for pair in query.split("&"):
		key, _, val = pair.partition("=")
		if key and val:
			params.setdefault(key.lower(), unquote(val))
	return host_of(value), segments, params


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
	"""One label under the public suffix: www.sub.acme.com -> acme.com; shop.acme.co.uk -> acme.co.uk;
	smith.me.uk -> smith.me.uk; shop.acme.spb.ru -> acme.spb.ru."""
	labels = host.split(".")
	if len(labels) >= 3 and (
		".".join(labels[-2:]) in PUBLIC_SUFFIXES or (labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2)
	):
		return ".".join(labels[-3:])
	return ".".join(labels[-2:])


def domain_label(domain: str) -> str:
	"""The name part of a registrable domain (lenovo.com.cn -> lenovo); "" for a shop or page on a
	platform, and for names too short or too common to say which company."""
	if "/" in domain or registrable_domain(domain) != domain:
		return ""
	label = domain.split(".", 1)[0]
	if len(label) < 4 or label.isdigit() or is_generic(label):
		return ""
	return label


# Path segments of a platform URL that are not the page's own name (facebook.com/pages/<name>,
# linkedin.com/company/<name>, sites.google.com/view/<name>, youtube.com/c/<name>, yelp.com/biz/<name>).
PLATFORM_PATH_WORDS = frozenset(
	"""pages pg page company companies school showcase in pub view site sites s channel c user users
	people groups group profile profiles u biz shop shops store stores str usr seller sellers hotel
	home about a p maps place business org orgs stores brand brands""".split()
)


def _page_identity(segments: list[str], query: dict[str, str]) -> str:
	"""The page a platform URL names: the first path segment that is not a platform word ("category"
	skips the category's name too), or the ``id`` of a profile.php-style address."""
	skip_next = False
	for segment in segments:
		segment = segment.lower().lstrip("@")
		if skip_next:
			skip_next = False
			continue
		if segment in ("category", "categories"):
			skip_next = True
			continue
		if re.fullmatch(r"[a-z]{2}(?:[-_][a-z]{2})?", segment) and segment not in ("in", "c", "s", "u"):
			if len(segment) == 2 or "-" in segment or "_" in segment:
				continue  # a locale: /en/, /de-de/
		if segment in PLATFORM_PATH_WORDS:
			continue
		if segment.endswith((".php", ".html", ".aspx")) and not query.get("id"):
			segment = segment.rsplit(".", 1)[0]
		elif segment.endswith((".php", ".aspx")):
			break
		name = re.sub(r"[\W_]+", "", segment)
		if name:
			return name
	for key in ("id", "seller", "user", "u"):
		if query.get(key):
			return key + re.sub(r"[\W_]+", "", query[key].lower())
	return ""


@dataclass(frozen=True, slots=True)
class SharedDomains:
	"""Domains that are never a company's: ``mail`` (ignored), ``sub`` (a sub-domain is one shop) and
	``path`` (the path names one page); each by registrable domain or host, or by name under any suffix
	(``*_names``: hotmail.* covers hotmail.com.tr)."""

	mail: frozenset[str] = frozenset()
	sub: frozenset[str] = frozenset()
	path: frozenset[str] = frozenset()
	mail_names: frozenset[str] = frozenset()
	sub_names: frozenset[str] = frozenset()
	path_names: frozenset[str] = frozenset()

	@classmethod
	def parse(cls, text: str | None, base: SharedDomains | None = None) -> SharedDomains:
		"""Entries one per line (or separated by spaces, commas, semicolons); on top of ``base`` when
		given, where ``-entry`` removes one of the base's entries."""
		sets = {f: set(getattr(base, f)) if base else set() for f in cls.__slots__}
		for entry in re.split(r"[\s,;]+", (text or "").lower()):
			entry = entry.strip().strip(".")
			if not entry or entry.startswith("#"):
				continue
			remove = entry.startswith("-")
			entry = entry.lstrip("-").strip(".")
			if entry.startswith("*."):
				kind, entry = "sub", entry[2:]
			elif entry.endswith("/*"):
				kind, entry = "path", entry[:-2]
			else:
				kind, entry = "mail", entry.split("/", 1)[0]
			if entry.endswith(".*"):
				kind, entry = kind + "_names", entry[:-2]
			if not entry:
				continue
			(sets[kind].discard if remove else sets[kind].add)(entry)
		return cls(**{f: frozenset(v) for f, v in sets.items()})

	def key(self, value: str) -> str:
		"""The company key of a website or e-mail address: its registrable domain; "" for a shared one;
		``acme.myshopify.com`` or ``facebook.com/acme`` for a shop or page on a platform."""
		return _domain_key(self, value)


@lru_cache(maxsize=100_000)
def _domain_key(shared: SharedDomains, value: str) -> str:
	"""``SharedDomains.key``, cached (the same addresses come back on every check)."""
	host, segments, query = _split_url(value)
	if not host:
		return ""
	domain = registrable_domain(host)
	label = domain.split(".", 1)[0]
	if domain in shared.mail or host in shared.mail or label in shared.mail_names:
		return ""
	is_email = bool(EMAIL_RE.match((value or "").strip()))
	shops = domain in shared.sub or label in shared.sub_names
	shop = host[4:] if host.startswith("www.") else host
	if shops and shop != domain and not is_email:
		return shop
	if domain in shared.path or host in shared.path or label in shared.path_names:
		page = "" if is_email else _page_identity(segments, query)
		return f"{domain}/{page}" if page else ""
	return "" if shops else domain


DEFAULT_SHARED = SharedDomains.parse(DEFAULT_SHARED_DOMAINS)
FREE_MAIL = DEFAULT_SHARED.mail


def normalise_domain(value: str, shared: SharedDomains | None = None) -> str:
	"""The registrable domain of a website or e-mail address; "" when empty or a shared (free-mail, ISP,
	platform) domain; a shop or page on a platform is ``acme.myshopify.com`` / ``facebook.com/acme``."""
	return (shared or DEFAULT_SHARED).key(value)


def is_free_mail(domain: str) -> bool:
	domain = domain.lower()
	shared = DEFAULT_SHARED
	label = domain.split(".", 1)[0]
	return (
		domain in shared.mail
		or domain in shared.sub
		or domain in shared.path
		or label in shared.mail_names | shared.sub_names | shared.path_names
	)


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
	labels: frozenset[str] = frozenset()  # the names of its domains (``domain_label``)
	pending: bool = False  # a registration not decided yet (same-partner duplicates)


def party_keys(norm_name: str, domains: Iterable[str] = (), tax_id: str = "") -> set[str]:
	"""Every retrieval key of a party: name keys (``n:``/``a:``), ``d:`` domains, ``t:`` tax ids (with
	and without the country prefix). Stored per record by the Frappe layer; two parties ``compare`` can
	match always share one."""
	keys = set(name_keys(norm_name))
	domains = [d for d in domains if d]
	keys.update("d:" + d for d in domains)
	keys.update("l:" + label for label in map(domain_label, domains) if label)
	keys.update("t:" + t for t in tax_id_forms(tax_id))
	return keys


def domain_labels(domains: Iterable[str]) -> set[str]:
	return {label for label in map(domain_label, domains) if label}


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
	keys: bool = True,
) -> Party:
	"""Normalise raw values. With ``strict`` an invalid domain raises; otherwise it is ignored (data in
	the database is not ours to reject). ``item_groups``: the groups the products fall in, with their
	ancestors (``with_ancestors``), so a registration for a parent group covers its children. ``keys``:
	False for a candidate already fetched by key (its own keys are not needed)."""
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
		keys=frozenset(party_keys(norm_name, domains, tax)) if keys else frozenset(),
		pending=pending,
		domains=frozenset(domains),
		labels=frozenset(domain_labels(domains)),
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
	else:
		same_name = prospect.labels & candidate.labels
		if same_name:
			reasons.append((DOMAIN, ", ".join(sorted(f"{label}.*" for label in same_name))))
			score = max(score, DOMAIN_NAME_SCORE)
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
		found = (self.parties[i] for i in self.candidates_for(prospect))
		return rank(prospect, found, name_threshold, exclude, limit)


def rank(
	prospect: Party,
	candidates: Iterable[Party],
	name_threshold: float = NAME_THRESHOLD,
	exclude: Iterable[tuple[str, str]] = (),
	limit: int = 50,
) -> Conflicts:
	"""``candidates`` (already found by key) compared with the prospect: hard conflicts first, then near
	matches by score; the prospect itself and ``exclude`` ((doctype, name) pairs) are left out."""
	skip = {(prospect.doctype, prospect.name), *exclude}
	matches = []
	for candidate in candidates:
		if (candidate.doctype, candidate.name) in skip:
			continue
		match = compare(prospect, candidate, name_threshold)
		if match:
			matches.append(match)
	matches.sort(key=lambda m: (not m.hard, -m.score, m.doctype, m.name))
	return Conflicts(tuple(matches[:limit]))


def find_conflicts(prospect: Party, candidates: Iterable[Party], **kwargs) -> Conflicts:
	return CandidateIndex.build(candidates).check(prospect, **kwargs)
