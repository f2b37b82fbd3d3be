"""The commission engine: pure Python (``Decimal`` money, no frappe), tested anywhere.

Modules: ``money`` (precision, Frappe's rounding methods), ``plans`` (plan model, validation, JSON),
``commission`` (one invoice -> commission lines), ``vectorised`` (the same for many invoices, with pandas),
``journal`` (lines -> balanced journal rows), ``simulate`` (streams of invoices, statements), ``cli``
(``prm-sim``).
"""

from prm_app.engine.commission import (
	CommissionLine,
	CommissionResult,
	Invoice,
	InvoiceLine,
	OriginalInvoice,
	PartnerState,
	compute_commission,
	make_invoice,
	reverse_commission,
	state_from_lines,
)
from prm_app.engine.errors import (
	BracketError,
	CurrencyError,
	EngineError,
	InvoiceError,
	PlanError,
	RateError,
	RoundingError,
	StateError,
	UnknownInvoiceError,
)
from prm_app.engine.journal import JournalRow, journal_draft
from prm_app.engine.money import ROUNDING_METHODS, round_magnitude, round_money
from prm_app.engine.plans import Bracket, Plan, Rule, make_plan, plan_from_dict, plan_from_json, plan_to_dict
