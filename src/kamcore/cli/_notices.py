"""``kamcore notices``: the written client notices a review calls for, as text or JSON."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from kamcore.i18n import LANGUAGES
from kamcore.notices import NoticeDraft

__all__ = ["add_lang_option", "notices_json", "notices_text"]


def add_lang_option(parser: argparse.ArgumentParser, *, purpose: str) -> None:
    """Add ``--lang LANG``: a BCP 47 tag, negotiated to a catalog language."""
    parser.add_argument(
        "--lang",
        metavar="LANG",
        help=f"{purpose}: {', '.join(LANGUAGES)} or a regional tag such as zh-CN "
        "(an unknown language gives English)",
    )


def _address(draft: NoticeDraft) -> str:
    name = draft.recipient or "?"
    return f"{name} <{draft.address}>" if draft.address else name


def notices_text(drafts: Sequence[NoticeDraft]) -> list[str]:
    """The drafts for people: per draft a header line (account, recipient, language,
    kind, what to fill in), the subject and the letter; a line when there are none."""
    if not drafts:
        return ["No written notices are due."]
    lines: list[str] = []
    for draft in drafts:
        fill = f"; to fill in: {', '.join(draft.to_fill)}" if draft.to_fill else ""
        lines += [
            f"== {draft.account_id} → {_address(draft)} [{draft.language}] "
            f"{draft.kind} about {draft.about}{fill}",
            f"Subject: {draft.subject}",
            "",
            *draft.body.splitlines(),
            "",
        ]
    return lines


def notices_json(drafts: Sequence[NoticeDraft]) -> list[dict[str, Any]]:
    """The drafts as JSON-ready values."""
    return [draft.as_dict() for draft in drafts]
