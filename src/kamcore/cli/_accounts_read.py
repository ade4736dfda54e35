"""Reading SOURCE one account at a time, for the commands that print a line or a
result per account (``kamcore accounts``, ``show``, ``classify``).

A command shows a callback every account of SOURCE as known at the ``--as-of``
moment, one at a time, and keeps what it returns. A local JSON file read strictly
(:func:`~kamcore.cli._source.json_file_source`) is streamed
(:func:`streamed_accounts`): each account is shown as soon as it is decoded and
dropped, so memory holds what the command keeps of each account, not the
portfolio. Any other source is loaded, and so is a file the stream refuses, to
word the error as the load always has (:func:`loaded_accounts`): the callback
sees the same accounts, in the same order, either way.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Generic, TextIO, TypeVar

import attrs

from kamcore.cli._moment import default_moment
from kamcore.cli._review import read_streamed
from kamcore.errors import PortfolioFormatError, Problem
from kamcore.fileformat import StreamHeader, decode_portfolio_stream, without_records
from kamcore.model import ClientFile, Portfolio

__all__ = ["AccountsRead", "EachAccount", "loaded_accounts", "streamed_accounts"]

_Kept = TypeVar("_Kept")
"""What a command keeps of an account."""

EachAccount = Callable[[ClientFile, datetime], "_Kept | None"]
"""Called with each account's client file as known at the moment, and that moment;
returns what the command keeps of the account, or ``None`` to keep nothing."""


@attrs.frozen(kw_only=True)
class AccountsRead(Generic[_Kept]):
    """What :func:`streamed_accounts` or :func:`loaded_accounts` read: what the command
    kept of each account, and the rest.

    Attributes:
        kept: what the command's callback returned for each account, in source
            order, but ``None``.
        portfolio: the source's staff, reports and export time, and every account;
            when the file was streamed, an account may stand there by its id, name
            and owner only (its records went once shown), so read names from it,
            not records.
        moment: the moment the accounts were shown as of: ``--as-of``, else the
            source's ``exported_at``, else now.
    """

    kept: list[_Kept]
    portfolio: Portfolio
    moment: datetime


def streamed_accounts(
    args: argparse.Namespace,
    path: Path,
    start: Callable[[], EachAccount[_Kept]],
    *,
    progress: TextIO | None = None,
    doing: str = "reading",
) -> AccountsRead[_Kept] | None:
    """Show every account of the portfolio file at *path*, as known at the ``--as-of``
    moment, to what *start* gives as soon as it is decoded, and keep what it returns.

    *start* is called before the first account. Memory holds what is kept and,
    of each account, its id, name and owner, never the portfolio; unless the
    moment is not known when the first account is (no ``--as-of``, and no
    ``exported_at`` before the accounts): the accounts are then held until the
    end of the document and shown then, the memory of a load.

    Args:
        args: the command line (``source`` and ``as_of`` are read).
        path: the file (see :func:`~kamcore.cli._source.json_file_source`).
        start: gives the callback each account is shown to, in file order
            (see :data:`EachAccount`).
        progress: when a terminal, a line on it says how far the reading is
            (see :func:`~kamcore.cli._review.read_streamed`).
        doing: what that line says is going on.

    Returns:
        What was kept, the rest of the file and the moment (see :class:`AccountsRead`);
        ``None`` when the file is refused, or *start* refuses (``--rules``): the
        caller then loads the source and calls :func:`loaded_accounts`, which say
        what is wrong in the words and the order they always have (the source's
        problems first).
    """

    def read(stream: IO[str], counted: Callable[[], object]) -> AccountsRead[_Kept]:
        return _stream(args, stream, start(), counted)

    return read_streamed(path, read, progress=progress, doing=doing)


def loaded_accounts(
    portfolio: Portfolio, moment: datetime, start: Callable[[], EachAccount[_Kept]]
) -> AccountsRead[_Kept]:
    """Show every account of the loaded *portfolio*, already as known at *moment*, to
    what *start* gives, and keep what it returns: what :func:`streamed_accounts`
    gives for the file.

    Raises:
        KamcoreError: *start* refused (``--rules``).
    """
    each_account = start()
    kept = [value for client in portfolio if (value := each_account(client, moment)) is not None]
    return AccountsRead(kept=kept, portfolio=portfolio, moment=moment)


def _stream(
    args: argparse.Namespace,
    stream: IO[str],
    each_account: EachAccount[_Kept],
    counted: Callable[[], object],
) -> AccountsRead[_Kept]:
    """The accounts of the document in *stream*, each shown to *each_account* when decoded.

    The moment must be known when the first account is: ``--as-of``, or the
    ``exported_at`` the document gives before its accounts (kamcore's writers put
    it there). When it is not, the accounts are held until the end of the
    document and shown then: the memory of a load.

    Raises:
        PortfolioFormatError: the document is refused; or it gives ``exported_at``
            again after the accounts that were shown as of the first one (a load
            keeps the later: the caller loads the source).
    """
    moment: datetime | None = args.as_of
    header: StreamHeader | None = None
    kept: list[_Kept] = []

    def keep(client: ClientFile, at: datetime) -> None:
        value = each_account(client.as_of(at), at)
        if value is not None:
            kept.append(value)

    def each(client: ClientFile, read_before: StreamHeader) -> ClientFile:
        nonlocal moment, header
        if header is None:
            header = read_before
            if moment is None:
                moment = header.exported_at
        counted()
        if moment is None:
            return client  # held: the moment is known at the end of the document
        keep(client, moment)
        return without_records(client)

    portfolio = decode_portfolio_stream(stream, source=args.source, each_account=each).portfolio
    if moment is None:  # held, or no accounts at all
        moment = default_moment(portfolio)
        for client in portfolio:
            keep(client, moment)
    elif args.as_of is None and not _same_moment(moment, portfolio.exported_at):
        raise PortfolioFormatError(
            args.source, [Problem("exported_at", "given again after the accounts")]
        )
    return AccountsRead(kept=kept, portfolio=portfolio, moment=moment)


def _same_moment(moment: datetime, other: datetime | None) -> bool:
    # The same instant in another offset is shown otherwise: not the same.
    return other is not None and moment == other and moment.utcoffset() == other.utcoffset()
