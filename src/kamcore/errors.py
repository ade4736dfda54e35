"""The kamcore error hierarchy.

Every error kamcore raises on purpose derives from :class:`KamcoreError`, so an
application can catch one type. Each error names what is wrong precisely enough
to fix it: the record, the field and the problem.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = [
    "FormatError",
    "InvalidValueError",
    "KamcoreError",
    "PortfolioFormatError",
    "Problem",
    "RuleSetError",
    "SourceError",
    "UnknownAccountError",
]


class KamcoreError(Exception):
    """Base class of every error kamcore raises on purpose."""


class InvalidValueError(KamcoreError, ValueError):
    """A model value failed validation on construction.

    Attributes:
        field: the attribute (or dotted path) that holds the bad value.
        record_id: the id of the record being built, when it has one.
        reason: what is wrong, in words a person can act on.
    """

    def __init__(self, field: str, reason: str, *, record_id: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.record_id = record_id
        where = f"{field} (id={record_id})" if record_id else field
        super().__init__(f"{where}: {reason}")


@attrs.frozen
class Problem:
    """One thing wrong with one record of a portfolio source.

    Attributes:
        location: where the bad value sits, as a path that names each record by
            position and id, e.g. ``accounts[2] (id=KA-003).events[17] (id=P-3).due``.
        message: what is wrong and, where it helps, how to fix it.
    """

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class FormatError(KamcoreError):
    """A document was refused; the error lists **every** problem found, not only the first.

    Attributes:
        source: the document as the caller named it (a path, a URL…).
        problems: every problem found, in document order.
    """

    def __init__(self, source: str, problems: Iterable[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{source}: {count} problem{'s' if count != 1 else ''}"
        super().__init__("\n  ".join([head, *map(str, self.problems)]))


class PortfolioFormatError(FormatError):
    """A portfolio source was refused because some of its records are invalid.

    Raised by strict loading, and in both loading modes when the document as a
    whole is unreadable.
    """


class RuleSetError(FormatError):
    """A rule set was refused: each problem names the rule and what is wrong with it."""


class SourceError(KamcoreError):
    """A portfolio source cannot be reached or read at all.

    For example: the file does not exist, or no installed plugin knows how to
    read a source of that kind.
    """


class UnknownAccountError(KamcoreError, LookupError):
    """An account id that the portfolio does not hold.

    Attributes:
        account_id: the id that was asked for.
    """

    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        super().__init__(f"no account with id {account_id!r}")
