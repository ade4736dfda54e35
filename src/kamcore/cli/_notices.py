"""``kamcore notices``: the written client notices a review calls for, as text or JSON.

A local JSON file read strictly is reviewed as it is read (:func:`streamed_notices`),
holding only the accounts whose findings call for a notice; any other source is
loaded first. Both give the same drafts.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, TextIO

from kamcore.cli._review import read_streamed, review_read
from kamcore.i18n import LANGUAGES, catalogs
from kamcore.model import ClientFile, StaffMember
from kamcore.notices import NOTICE_TRIGGERS, NoticeDraft, draft_account_notices
from kamcore.review import Agenda, Finding

__all__ = ["add_lang_option", "notices_json", "notices_text", "streamed_notices"]


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


def streamed_notices(
    args: argparse.Namespace, path: Path, *, progress: TextIO | None = None
) -> tuple[NoticeDraft, ...] | None:
    """``kamcore notices`` of the portfolio file at *path*, each account reviewed as it is read.

    Each account's notices are drafted while its records are there
    (:func:`~kamcore.notices.draft_account_notices`), so memory holds the
    review's findings and the drafts, never the portfolio. When *progress* is a terminal, a line on it says how far the review is
    (see :func:`~kamcore.cli._review.read_streamed`).

    Returns:
        The drafts a load of the file gives, or ``None`` when the file or
        ``--rules`` is refused: the load then says what is wrong, in the words and
        the order it always has.
    """

    def read(stream: IO[str], reviewed: Callable[[], object]) -> tuple[NoticeDraft, ...]:
        library = catalogs()
        senders: dict[str, str] = {}
        drafts: list[NoticeDraft] = []

        def know(staff: tuple[StaffMember, ...]) -> None:
            senders.update((member.id, member.name) for member in staff)

        def draft(client: ClientFile, findings: tuple[Finding, ...], as_of: datetime) -> None:
            if any(finding.message in NOTICE_TRIGGERS for finding in findings):
                # In agenda order, as draft_notices reads an account's findings.
                ordered = Agenda(as_of=as_of, findings=findings).for_account(client.id)
                drafts.extend(
                    draft_account_notices(
                        client.as_of(as_of),
                        ordered,
                        staff_names=senders,
                        catalogs=library,
                        language=args.lang,
                    )
                )

        review_read(args, stream, reviewed, each_review=draft, staff_known=know)
        # draft_notices gives them by account id; each account's are in order already.
        return tuple(sorted(drafts, key=lambda notice: notice.account_id))

    return read_streamed(path, read, progress=progress)
