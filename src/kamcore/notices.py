"""Notices: messages kamcore sends to people through channel plugins."""

from __future__ import annotations

import attrs

__all__ = ["Notice"]


@attrs.frozen(kw_only=True)
class Notice:
    """A message for a person, delivered by whichever channel plugin handles it.

    Attributes:
        recipient: who should receive it (a staff id, an address).
        channel: the preferred channel (``email``, ``im``, ``webhook``…).
        subject: one line.
        body: the text.
        language: the language of the text, a BCP 47 tag.
        account_id: the account it is about, if any.
        finding_key: the finding it is about, if any.
    """

    recipient: str
    channel: str
    subject: str
    body: str
    language: str = "en"
    account_id: str | None = None
    finding_key: str | None = None
