"""Deal-conflict normalisation, third version (invisible format characters removed, Cyrillic / Greek
look-alike letters inside Latin words read as Latin, names spelled letter by letter joined): the stored
retrieval keys (Deal Match Key) are computed again for every record."""

from prm_app import deal_keys


def execute():
	deal_keys.rebuild()
