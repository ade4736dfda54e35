"""Stores: where kamcore keeps what must not be lost between runs."""

from __future__ import annotations

from kamcore.stores.ledger import ActionRecord, Ledger, NoticeRecord

__all__ = ["ActionRecord", "Ledger", "NoticeRecord"]
