"""``kamcore report`` of a JSON file, read one account at a time.

A local JSON file read strictly is reported on as it is read
(:func:`streamed_report`); any other source, and a file the stream refuses, is
loaded first (:func:`loaded_report`). Both give the same
:class:`~kamcore.report.DepartmentHeadReport`, so the command prints the same
bytes either way, and the same error for a source it refuses. ``--format json``,
``markdown`` and ``html`` write the report a part at a time (:func:`report_json`,
:func:`report_document`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TextIO

import attrs

from kamcore.classification import load_classifier
from kamcore.cli._render import JsonArray, JsonObject, json_blocks
from kamcore.cli._review import read_streamed
from kamcore.escalation import load_policy
from kamcore.model import ClientFile, Portfolio
from kamcore.report import (
    DepartmentHeadReport,
    department_head_report,
    department_head_report_stream,
)
from kamcore.review import Finding

__all__ = ["loaded_report", "report_document", "report_json", "report_parts", "streamed_report"]


def loaded_report(
    args: argparse.Namespace, portfolio: Portfolio, moment: datetime
) -> DepartmentHeadReport:
    """``kamcore report`` of the loaded *portfolio* at *moment*.

    Raises:
        KamcoreError: ``--rules`` or ``--policy`` is unreadable (in that order).
    """
    return department_head_report(
        portfolio,
        moment,
        period=args.period,
        classifier=load_classifier(args.rules),
        policy=load_policy(args.policy),
    )


def streamed_report(
    args: argparse.Namespace, path: Path, *, progress: TextIO | None = None
) -> DepartmentHeadReport | None:
    """``kamcore report`` of the portfolio file at *path*, each account reviewed as it is read.

    Memory holds the review's findings and, of each key account, what its line
    and its escalations need (see :func:`~kamcore.report.department_head_report_stream`),
    never the portfolio. When *progress* is a terminal, a line on it says how far
    the review is while it runs (see :func:`~kamcore.cli._review.read_streamed`).

    Returns:
        What :func:`loaded_report` gives for the loaded file, or ``None`` when the
        file, ``--rules`` or ``--policy`` is refused: the load then says what is
        wrong, in the words and the order it always has.
    """

    def read(stream: IO[str], reviewed: Callable[[], object]) -> DepartmentHeadReport:
        def each_review(client: ClientFile, findings: tuple[Finding, ...], at: datetime) -> None:
            reviewed()

        return department_head_report_stream(
            stream,
            args.as_of,
            source=args.source,
            period=args.period,
            classifier=load_classifier(args.rules),
            policy=load_policy(args.policy),
            default_as_of=datetime.now(UTC),
            each_review=each_review,
        )

    return read_streamed(path, read, progress=progress)


def report_parts(report: DepartmentHeadReport) -> JsonObject:
    """The report's JSON form (:meth:`~kamcore.report.DepartmentHeadReport.as_dict`) in
    parts :func:`~kamcore.cli._render.json_blocks` writes an element at a time: each
    key account's and each escalation's values are made when they are written.

    Raises:
        TypeError: :meth:`~kamcore.report.DepartmentHeadReport.as_dict` no longer
            lists the accounts and the escalations as this function knows them
            (it was changed alone).
    """
    parts = {
        "accounts": JsonArray(entry.as_dict() for entry in report.accounts),
        "escalations": JsonArray(entry.as_dict() for entry in report.escalations),
    }
    # The layout is as_dict's own: the document of the report without its key
    # accounts and escalations (the small tables stay), those two swapped for the parts.
    skeleton = attrs.evolve(report, accounts=(), escalations=()).as_dict()
    if any(skeleton.get(key) != [] for key in parts):
        raise TypeError(f"the report's JSON form has the members {sorted(skeleton)}")
    return JsonObject((key, parts.get(key, value)) for key, value in skeleton.items())


def report_json(report: DepartmentHeadReport) -> Iterator[str]:
    """:func:`report_parts` as the JSON text ``kamcore report --format json`` prints, a
    block of lines at a time: ``json.dumps(report.as_dict(), ensure_ascii=False,
    indent=2)``, without ever holding the document (a fifth of the memory of
    reporting on 100,000 accounts) nor its text."""
    return json_blocks(report_parts(report))


def report_document(lines: Iterator[str]) -> Iterator[str]:
    """The lines ``kamcore report`` prints for ``--format markdown`` or ``html``: the
    *lines* of the document (:meth:`~kamcore.report.DepartmentHeadReport.markdown_lines`,
    :meth:`~kamcore.report.DepartmentHeadReport.html_lines`) one at a time, never held whole.

    The document's text (:meth:`~kamcore.report.DepartmentHeadReport.as_markdown`,
    :meth:`~kamcore.report.DepartmentHeadReport.as_html`) ends with a newline, and
    so does the last line here: printed, it ends the output with the empty line
    ``print(report.as_markdown())`` ends it with; written with ``--out``, it ends
    the file, as the text does.
    """
    last = next(lines)  # the title: a document always has one
    for line in lines:
        yield last
        last = line
    yield last + "\n"
