"""Deal-conflict normalisation, second version (romanisations, CJK segmentation, platform pages, public
suffixes, tax-id prefixes): the stored retrieval keys (Deal Match Key) are computed again for every
record. PRM Settings' shared domains are now additions to the built-in list: a site that still holds the
list the settings used to be filled with gets an empty field (the built-in list, which covers it)."""

import frappe

from prm_app import deal_keys

# What PRM Settings.shared_domains was filled with before it held only additions.
OLD_DEFAULT = frozenset(
	"""
	gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr yahoo.de yahoo.es yahoo.it yahoo.ca
	yahoo.com.au yahoo.co.in yahoo.co.jp yahoo.com.br yahoo.com.mx yahoo.com.sg yahoo.co.nz ymail.com
	rocketmail.com hotmail.com hotmail.co.uk hotmail.fr hotmail.de hotmail.it hotmail.es outlook.com
	outlook.de outlook.fr live.com live.co.uk live.fr msn.com aol.com icloud.com me.com mac.com mail.com
	email.com gmx.com gmx.de gmx.net gmx.at web.de t-online.de freenet.de arcor.de proton.me protonmail.com
	pm.me zoho.com yandex.com yandex.ru ya.ru mail.ru bk.ru inbox.ru list.ru rambler.ru ukr.net qq.com
	163.com 126.com sina.com sohu.com aliyun.com naver.com hanmail.net daum.net rediffmail.com fastmail.com
	tutanota.com hey.com laposte.net orange.fr wanadoo.fr free.fr sfr.fr libero.it virgilio.it tiscali.it
	alice.it seznam.cz centrum.cz wp.pl o2.pl onet.pl interia.pl bigpond.com bigpond.net.au optusnet.com.au
	iinet.net.au tpg.com.au comcast.net verizon.net att.net sbcglobal.net bellsouth.net charter.net cox.net
	earthlink.net optonline.net frontier.com windstream.net shaw.ca rogers.com sympatico.ca telus.net
	btinternet.com sky.com virginmedia.com talktalk.net ntlworld.com blueyonder.co.uk xtra.co.nz telenet.be
	skynet.be ziggo.nl kpnmail.nl bluewin.ch terra.com.br uol.com.br bol.com.br *.myshopify.com
	*.wixsite.com *.squarespace.com *.weebly.com *.wordpress.com *.blogspot.com *.godaddysites.com
	*.square.site *.business.site *.webflow.io *.carrd.co *.github.io *.netlify.app *.vercel.app
	*.herokuapp.com *.jimdosite.com *.mystrikingly.com *.ueniweb.com *.site123.me *.etsy.com
	*.bigcartel.com *.tumblr.com *.substack.com facebook.com/* fb.com/* instagram.com/* linkedin.com/*
	twitter.com/* x.com/* tiktok.com/* youtube.com/* linktr.ee/* etsy.com/* amazon.com/* ebay.com/*
	sites.google.com/* google.com/* wa.me/* t.me/* vk.com/* pinterest.com/* yelp.com/* tripadvisor.com/*
	booking.com/* shopify.com wix.com squarespace.com
	""".split()
)


def execute():
	stored = frappe.db.get_single_value("PRM Settings", "shared_domains") or ""
	entries = set(stored.lower().split())
	if entries and entries <= OLD_DEFAULT:
		frappe.db.set_single_value("PRM Settings", "shared_domains", "")
	deal_keys.rebuild()
