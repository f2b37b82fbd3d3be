"""Fill the retrieval keys (Deal Match Key) of existing deal registrations, customers, leads, prospects,
opportunities and quotations: the conflict check finds candidates by these keys only."""

from prm_app import deal_keys


def execute():
	deal_keys.rebuild()
