"""Transactions: what the client bought, when, for how much."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from kamcore.model import _validators as v

__all__ = ["Transaction"]


@attrs.frozen(kw_only=True)
class Transaction:
    """One purchase (or, with a negative amount, a refund or credit note).

    Amounts are exact :class:`~decimal.Decimal` values in their own currency;
    kamcore never adds amounts across currencies without an explicit rate.

    Attributes:
        id: stable id, unique within the account.
        at: when the transaction happened (timezone-aware).
        product: what was bought.
        amount: the amount in *currency*.
        currency: ISO 4217 code, e.g. ``EUR``, ``CNY``, ``BGN``.
    """

    id: str = attrs.field(validator=v.text)
    at: datetime = attrs.field(validator=v.aware)
    product: str = attrs.field(validator=v.text)
    amount: Decimal = attrs.field(validator=v.finite_decimal)
    currency: str = attrs.field(validator=v.currency)
