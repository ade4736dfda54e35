"""What the CLI writes on stderr: errors and the quarantine of ``--collect``."""

from __future__ import annotations

from collections.abc import Sequence

from kamcore.errors import FormatError, KamcoreError, UnknownAccountError
from kamcore.fileformat import Quarantined

__all__ = ["MAX_PROBLEMS", "PREFIX", "error_lines", "quarantine_lines"]

PREFIX = "kamcore"
MAX_PROBLEMS = 20
"""How many problems of a refused source are listed before the rest are counted."""


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def error_lines(error: KamcoreError, *, source: str, collect: bool) -> list[str]:
    """The stderr lines for *error*: ``kamcore: error: <summary>`` and, for a
    refused document, its problems (at most :data:`MAX_PROBLEMS`), indented."""
    if isinstance(error, UnknownAccountError):
        return [f"{PREFIX}: error: no account with id {error.account_id!r} in {source}"]
    if isinstance(error, FormatError):
        problems = error.problems
        lines = [f"{PREFIX}: error: {error.source}: {_plural(len(problems), 'problem')}"]
        lines += [f"  {problem}" for problem in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            more = f"  … and {len(problems) - MAX_PROBLEMS} more"
            lines.append(more if collect else f"{more} (use --collect to load the valid records)")
        return lines
    head, *rest = str(error).splitlines() or [type(error).__name__]
    return [f"{PREFIX}: error: {head}", *(f"  {line.strip()}" for line in rest)]


def _record_problems(record: Quarantined) -> str:
    # Problem locations start with the record's own location; keep only the field.
    parts = []
    for problem in record.problems:
        field = problem.location.removeprefix(record.location).removeprefix(".")
        parts.append(f"{field}: {problem.message}" if field else problem.message)
    return "; ".join(parts)


def quarantine_lines(quarantine: Sequence[Quarantined], *, source: str) -> list[str]:
    """The stderr lines of a ``--collect`` load: a count, then one line per record
    set aside with every problem it has. Nothing when the source was clean."""
    if not quarantine:
        return []
    head = (
        f"{PREFIX}: warning: {source}: {_plural(len(quarantine), 'record')} quarantined; "
        "showing the valid records"
    )
    return [head, *(f"  {q.location} [{q.kind}]: {_record_problems(q)}" for q in quarantine)]
