"""Typed errors of the engine.

Every error carries an English message *template* with positional placeholders (``{0}``, ``{1}`` …, the
convention of Frappe's ``_()``) and its arguments, so the Frappe layer can translate the template and the
CLI can print ``str(error)``. ``where`` names the place of bad input (a file, a row, a column, a field).
"""

from __future__ import annotations


class EngineError(ValueError):
	"""Base class: bad input to the engine. Nothing has been computed when it is raised."""

	def __init__(self, template: str, *args: object, where: str = "") -> None:
		self.template = template
		self.args_ = args
		self.where = where
		super().__init__(self.message)

	@property
	def message(self) -> str:
		text = self.template.format(*self.args_)
		return f"{self.where}: {text}" if self.where else text

	def located(self, where: str) -> EngineError:
		"""The same error with a location prefixed (outermost first)."""
		self.where = f"{where}: {self.where}" if self.where else where
		self.args = (self.message,)
		return self

	def __str__(self) -> str:
		return self.message


class PlanError(EngineError):
	"""The plan is invalid (no rules, unknown basis, bad rate …)."""


class RateError(PlanError):
	"""A rate, multiplier or amount is out of its allowed range."""


class BracketError(PlanError):
	"""Brackets overlap, leave gaps, are unordered or do not start at zero."""


class CurrencyError(EngineError):
	"""An unknown ISO 4217 currency code."""


class RoundingError(EngineError):
	"""An unknown rounding method or precision."""


class InvoiceError(EngineError):
	"""The invoice is invalid (negative quantity on a non-return, missing cost …)."""


class UnknownInvoiceError(InvoiceError):
	"""A return names an invoice the engine was not given."""


class StateError(EngineError):
	"""The period state is inconsistent with the document (over-return …)."""
