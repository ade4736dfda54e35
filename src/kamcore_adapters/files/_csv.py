"""CSV tables (accounts and transactions) turned into a portfolio document.

``accounts.csv`` has a column per account field (``id``, ``name``, ``owner``,
``tier``, ``client_since``, ``needs``, ``preferences``; lists separated by
``;``) and one ``fact.NAME`` column per fact. ``transactions.csv`` has
``account_id``, ``id``, ``at``, ``product``, ``amount`` and ``currency``. An
empty cell means "not given".
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from kamcore import PortfolioFormatError, Problem, SourceError
from kamcore.fileformat import FORMAT, VERSION, Quarantined

__all__ = ["read_csv_portfolio"]

_LIST_COLUMNS = frozenset({"needs", "preferences"})
_FACT_PREFIX = "fact."


def _fact(text: str) -> str | int | float | bool:
    # CSV has no types; the documented reading is: true/false, then whole
    # numbers, then decimals, else text.
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _rows(path: Path, source: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of the table, each with the line it starts on."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = []
            for row in reader:
                # line_num is the row's last line; a quoted cell may span lines.
                spanned = sum(cell.count("\n") for cell in row.values() if isinstance(cell, str))
                rows.append((reader.line_num - spanned, row))
    except OSError as error:
        raise SourceError(
            f"{source}: cannot read {path.name} ({error.strerror or error})"
        ) from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise PortfolioFormatError(
            source, [Problem(path.name, f"not a UTF-8 CSV table: {error}")]
        ) from None
    return rows


def _account(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None or cell is None or not cell.strip():
            continue
        if column.startswith(_FACT_PREFIX):
            facts[column.removeprefix(_FACT_PREFIX)] = _fact(cell)
        elif column in _LIST_COLUMNS:
            record[column] = [part.strip() for part in cell.split(";") if part.strip()]
        else:
            record[column] = cell
    if facts:
        record["facts"] = facts
    record["transactions"] = []
    return record


def read_csv_portfolio(path: Path, source: str) -> tuple[dict[str, Any], list[Quarantined]]:
    """Read ``accounts.csv`` (and ``transactions.csv`` beside it) into a portfolio document.

    Args:
        path: the folder holding the tables, or the ``accounts.csv`` itself.
        source: the source as the user named it, for messages.

    Returns:
        The document, and the transactions set aside because their account is not
        in ``accounts.csv``.
    """
    folder, accounts_csv = (path, path / "accounts.csv") if path.is_dir() else (path.parent, path)
    if not accounts_csv.exists():
        raise SourceError(f"{source}: no accounts.csv in {folder}")
    accounts = [_account(row) for _, row in _rows(accounts_csv, source)]
    by_id: dict[str, dict[str, Any]] = {}
    for account in accounts:
        # The decoder keeps the first of duplicate accounts; so do its transactions.
        if isinstance(account.get("id"), str):
            by_id.setdefault(account["id"], account)
    orphans: list[Quarantined] = []
    transactions_csv = folder / "transactions.csv"
    if transactions_csv.exists():
        for line, row in _rows(transactions_csv, source):
            record = {k: v for k, v in row.items() if k is not None and v not in (None, "")}
            owner = by_id.get(record.pop("account_id", ""))
            if owner is not None:
                owner["transactions"].append(record)
                continue
            location = f"transactions.csv line {line}"
            problem = Problem(f"{location}.account_id", "no account with this id in accounts.csv")
            orphans.append(
                Quarantined(
                    "transaction",
                    location,
                    record.get("id"),
                    row.get("account_id"),
                    (problem,),
                    row,
                )
            )
    return {"format": FORMAT, "version": VERSION, "accounts": accounts}, orphans
