"""Run a stream of invoices through the per-invoice engine, as posting would, one document at a time.

This is the reference for every bulk path: ``vectorised`` must give the same lines to the cent. Invoices
are processed in ``posting_date`` then ``name`` order; each partner's state carries from one document to
the next; a credit note is computed against its original (which must come earlier in the stream) and
the credit notes already made against it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from prm_app.engine.commission import (
	CommissionLine,
	CommissionResult,
	Invoice,
	OriginalInvoice,
	PartnerState,
	compute_commission,
)
from prm_app.engine.errors import UnknownInvoiceError
from prm_app.engine.plans import Plan

LINE_COLUMNS = tuple(CommissionLine.__dataclass_fields__)


@dataclass
class StreamResult:
	lines: list[CommissionLine] = field(default_factory=list)
	results: dict[str, CommissionResult] = field(default_factory=dict)
	states: dict[str, PartnerState] = field(default_factory=dict)

	def total(self) -> Decimal:
		return sum((ln.amount for ln in self.lines), Decimal(0))


def stream_order(invoice: Invoice) -> tuple:
	return (invoice.posting_date, invoice.name)


def run_stream(
	plan: Plan,
	invoices: Iterable[Invoice],
	*,
	progress: Callable[[int], None] | None = None,
) -> StreamResult:
	"""Commission for every invoice of the stream; ``progress(n)`` is called after each document."""
	out = StreamResult()
	originals: dict[str, Invoice] = {}
	prior_returns: dict[str, list[Invoice]] = {}
	for invoice in sorted(invoices, key=stream_order):
		original = None
		if invoice.is_return:
			source = originals.get(invoice.return_against)
			if source is None:
				raise UnknownInvoiceError(
					"credit note {0} returns against {1}, which is not an earlier invoice in the data",
					invoice.name,
					invoice.return_against,
				)
			original = OriginalInvoice(
				source,
				out.results[source.name].lines,
				tuple(prior_returns.get(source.name, ())),
			)
		result = compute_commission(plan, invoice, out.states.get(invoice.partner), original)
		out.states[invoice.partner] = result.state
		out.results[invoice.name] = result
		out.lines.extend(result.lines)
		if invoice.is_return:
			prior_returns.setdefault(invoice.return_against, []).append(invoice)
		else:
			originals[invoice.name] = invoice
		if progress:
			progress(1)
	return out


def lines_to_records(lines: Iterable[CommissionLine]) -> list[dict]:
	return [asdict(ln) for ln in lines]
