"""Stores: where kamcore keeps what must not be lost between runs."""

from __future__ import annotations

from kamcore.stores.ledger import ActionRecord, Ledger, NoticeRecord
from kamcore.stores.portfolio import PortfolioStore, read_synced_source, synced_source

__all__ = [
    "ActionRecord",
    "Ledger",
    "NoticeRecord",
    "PortfolioStore",
    "read_synced_source",
    "synced_source",
]
