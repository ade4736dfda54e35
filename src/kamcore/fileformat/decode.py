"""Read a portfolio document (already parsed JSON) into the model, record by record.

Every record is read on its own, so one bad record never hides the problems of
another: the result lists every problem with its location, and the good
records are kept. The smallest record that holds a problem is the one set
aside: a bad event costs that event, a bad account header costs the account.

Most accounts have no problem at all, so each is first read whole in one pass
that stops at the first problem; only an account that has one is read again,
record by record, to report every problem and keep the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import IO, Any, Final, Literal, Protocol, TypeVar

import attrs

from kamcore.errors import InvalidValueError, PortfolioFormatError, Problem
from kamcore.fileformat._fields import BadValue, read_datetime, read_fields, record_reader
from kamcore.fileformat._jsonstream import BadJSON, Streamed, read_object
from kamcore.model import (
    EVENT_TYPES,
    Account,
    ClientFile,
    Event,
    Portfolio,
    Report,
    StaffMember,
    Timeline,
    Transaction,
)
from kamcore.model.portfolio import reporting_line_problem
from kamcore.model.timeline import reference_problem

__all__ = [
    "FORMAT",
    "VERSION",
    "LoadResult",
    "Quarantined",
    "StreamHeader",
    "decode_portfolio",
    "decode_portfolio_stream",
    "without_records",
]

FORMAT: Final = "kamcore.portfolio"
"""The value of a portfolio document's ``format`` key."""

VERSION: Final = 1
"""The format version this release reads and writes."""

RecordKind = Literal["account", "transaction", "event", "staff", "report"]
T = TypeVar("T")


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


U = TypeVar("U", bound=_Identified)

_ACCOUNT_KEYS: Final = frozenset({"transactions", "events"})
_EVENT_KEYS: Final = frozenset({"kind"})
_TOP_KEYS: Final = frozenset({"format", "version", "exported_at", "staff", "accounts", "reports"})


@attrs.frozen
class Quarantined:
    """A record set aside because it is invalid, with everything needed to fix it.

    Attributes:
        kind: what the record is: ``account``, ``transaction``, ``event``, ``staff``
            or ``report``.
        location: where it sits in the source, e.g. ``accounts[2] (id=KA-003).events[5] (id=E-9)``.
        record_id: its id, when it has a readable one.
        account_id: the account it belongs to, for transactions and events.
        problems: every problem found in it.
        raw: the record exactly as the source gave it, so nothing is lost.
    """

    kind: RecordKind
    location: str
    record_id: str | None
    account_id: str | None
    problems: tuple[Problem, ...]
    raw: Any = attrs.field(eq=False)


@attrs.frozen
class LoadResult:
    """What loading a portfolio source produced.

    Attributes:
        portfolio: the valid records.
        quarantine: the records set aside, empty when the source was clean.
    """

    portfolio: Portfolio
    quarantine: tuple[Quarantined, ...] = ()

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem of every quarantined record, in source order."""
        return tuple(p for q in self.quarantine for p in q.problems)


def _label(path: str, raw: Any) -> tuple[str, str | None]:
    record_id = raw.get("id") if isinstance(raw, dict) else None
    if isinstance(record_id, str) and record_id.strip():
        return f"{path} (id={record_id})", record_id
    return path, None


class _Decoder:
    def __init__(self) -> None:
        self.quarantine: list[Quarantined] = []

    def set_aside(
        self,
        kind: RecordKind,
        location: str,
        record_id: str | None,
        raw: Any,
        messages: list[tuple[str, str]],
        *,
        account_id: str | None = None,
    ) -> None:
        problems = tuple(
            Problem(f"{location}.{field}" if field else location, message)
            for field, message in messages
        )
        self.quarantine.append(Quarantined(kind, location, record_id, account_id, problems, raw))

    def record(
        self,
        cls: type[T],
        kind: RecordKind,
        path: str,
        raw: Any,
        *,
        account_id: str | None = None,
        skip: frozenset[str] = frozenset(),
    ) -> T | None:
        if not isinstance(raw, dict):
            location = _label(path, raw)[0]
            self.set_aside(
                kind, location, None, raw, [("", "expected an object")], account_id=account_id
            )
            return None
        record: T | None = record_reader(cls, skip)(raw)
        if record is not None:
            return record
        # The full pass: what is wrong, field by field, as the constructor says it.
        fields, problems = read_fields(cls, raw, skip=skip)
        if not problems:
            try:
                return cls(**fields)
            except InvalidValueError as error:
                problems.append((error.field, error.reason))
        # Labels are built only for a record set aside: most records are fine.
        location, record_id = _label(path, raw)
        self.set_aside(kind, location, record_id, raw, problems, account_id=account_id)
        return None

    def event(self, path: str, raw: Any, account_id: str) -> Event | None:
        kind = raw.get("kind") if isinstance(raw, dict) else None
        cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
        if cls is None:
            location, record_id = _label(path, raw)
            known = ", ".join(sorted(EVENT_TYPES))
            message = (
                f"unknown event kind {kind!r}; expected one of {known}"
                if isinstance(raw, dict)
                else "expected an object"
            )
            field = "kind" if isinstance(raw, dict) else ""
            self.set_aside(
                "event", location, record_id, raw, [(field, message)], account_id=account_id
            )
            return None
        return self.record(cls, "event", path, raw, account_id=account_id, skip=_EVENT_KEYS)

    def items(self, raw: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Any]]:
        value = raw.get(key, [])
        if not isinstance(value, list):
            raise _Fatal(Problem(f"{path}{key}", "expected a list"))
        return [(f"{path}{key}[{index}]", item) for index, item in enumerate(value)]

    def client_file(self, path: str, raw: Any) -> ClientFile | None:
        client = _sound_client_file(raw)
        if client is not None:
            return client
        # Something in the account is wrong: read it record by record, so that
        # every problem is reported and only the records that hold one are set aside.
        account = self.record(Account, "account", path, raw, skip=_ACCOUNT_KEYS)
        if account is None:
            return None
        label = _label(path, raw)[0]
        problems: list[tuple[str, str]] = []
        collections = {}
        for key in ("transactions", "events"):
            value = raw.get(key, [])
            if isinstance(value, list):
                collections[key] = value
            else:
                problems.append((key, "expected a list"))
        if problems:
            self.set_aside("account", label, account.id, raw, problems)
            return None
        transactions = self.kept(
            "transaction",
            self.records(
                Transaction,
                "transaction",
                [
                    (f"{label}.transactions[{i}]", t)
                    for i, t in enumerate(collections["transactions"])
                ],
                account.id,
            ),
            account.id,
        )
        events = self.timeline(label, collections["events"], account.id)
        return ClientFile(account=account, transactions=transactions, timeline=Timeline(events))

    def unique(
        self, kind: RecordKind, read: list[tuple[str, Any, U]], account_id: str | None = None
    ) -> list[tuple[str, Any, U]]:
        """Keep the first record of each id, in source order; set the later ones aside."""
        kept: dict[str, tuple[str, Any, U]] = {}
        for path, raw, record in read:
            if record.id in kept:
                message = f"duplicate {kind} id {record.id!r}"
                location = _label(path, raw)[0]
                self.set_aside(
                    kind, location, record.id, raw, [("id", message)], account_id=account_id
                )
            else:
                kept[record.id] = (path, raw, record)
        return list(kept.values())

    def kept(
        self, kind: RecordKind, read: list[tuple[str, Any, U]], account_id: str | None = None
    ) -> list[U]:
        """The records of :meth:`unique`, without their source."""
        return [record for _, _, record in self.unique(kind, read, account_id)]

    def records(
        self,
        cls: type[T],
        kind: RecordKind,
        items: list[tuple[str, Any]],
        account_id: str | None = None,
    ) -> list[tuple[str, Any, T]]:
        return [
            (path, raw, record)
            for path, raw in items
            if (record := self.record(cls, kind, path, raw, account_id=account_id)) is not None
        ]

    def timeline(self, label: str, raw: list[Any], account_id: str) -> list[Event]:
        first = len(self.quarantine)
        kept = self.checked_timeline(label, raw, account_id)
        if len(self.quarantine) == first:
            return kept
        # Reference problems are found after field problems; report both in
        # the order the events stand in the source.
        position = {_label(f"{label}.events[{i}]", item)[0]: i for i, item in enumerate(raw)}
        self.quarantine[first:] = sorted(
            self.quarantine[first:], key=lambda q: position.get(q.location, -1)
        )
        return kept

    def checked_timeline(self, label: str, raw: list[Any], account_id: str) -> list[Event]:
        read: list[tuple[str, Any, Event]] = []
        set_aside: set[str] = set()
        for index, item in enumerate(raw):
            path = f"{label}.events[{index}]"
            event = self.event(path, item, account_id)
            if event is not None:
                read.append((path, item, event))
            elif record_id := _label(path, item)[1]:
                set_aside.add(record_id)
        entries = {
            e.id: (path, item, e) for path, item, e in self.unique("event", read, account_id)
        }
        # Setting an event aside can break the reference of another one, so
        # repeat until every kept reference points to a kept event.
        changed = True
        while changed:
            changed = False
            by_id = {event_id: entry[2] for event_id, entry in entries.items()}
            for event_id, (path, item, event) in list(entries.items()):
                problem = _reference(event, by_id, set_aside)
                if problem:
                    location = _label(path, item)[0]
                    self.set_aside(
                        "event", location, event_id, item, [problem], account_id=account_id
                    )
                    del entries[event_id]
                    set_aside.add(event_id)
                    changed = True
        return [entry[2] for entry in entries.values()]

    def portfolio(self, document: Any) -> Portfolio:
        if not isinstance(document, dict):
            raise _Fatal(Problem("$", "expected a JSON object with a list of accounts"))
        self.header(document)
        staff = self.items(document, "staff", "")
        accounts = _Accounts()
        for path, raw in self.items(document, "accounts", ""):
            accounts.add(path, raw)
        return self.assemble(document, accounts, staff)

    def assemble(
        self,
        document: Mapping[str, Any],
        accounts: _Accounts,
        staff_items: list[tuple[str, Any]] | None = None,
    ) -> Portfolio:
        """The portfolio from the header fields of *document* and the decoded *accounts*.

        Staff, accounts and reports are reported in that order, whatever order
        the document gives them in.
        """
        if staff_items is None:
            staff_items = self.items(document, "staff", "")
        staff = self.reporting_lines(
            self.unique("staff", self.records(StaffMember, "staff", staff_items))
        )
        self.quarantine += accounts.quarantine
        files = accounts.files
        read_reports = []
        for path, raw, report in self.records(
            Report, "report", self.items(document, "reports", "")
        ):
            unknown = [
                (f"account_ids[{i}]", f"no account with id {a!r} (or it was set aside)")
                for i, a in enumerate(report.account_ids)
                if a not in files
            ]
            if unknown:
                self.set_aside("report", _label(path, raw)[0], report.id, raw, unknown)
                continue
            read_reports.append((path, raw, report))
        reports = self.kept("report", read_reports)
        exported_at = None
        if document.get("exported_at") is not None:
            try:
                exported_at = read_datetime(document["exported_at"])
            except BadValue as bad:
                raise _Fatal(Problem("exported_at", str(bad))) from None
        return Portfolio(
            files=list(files.values()), staff=staff, reports=reports, exported_at=exported_at
        )

    def reporting_lines(self, read: list[tuple[str, Any, StaffMember]]) -> list[StaffMember]:
        """The staff of *read* whose reporting lines are sound; the others set aside.

        Setting one aside can leave another reporting to no one, so this
        repeats until every line left is sound.
        """
        while (problem := reporting_line_problem([m for _, _, m in read])) is not None:
            index, reason = problem
            path, raw, member = read.pop(index)
            self.set_aside("staff", _label(path, raw)[0], member.id, raw, [("reports_to", reason)])
        return [member for _, _, member in read]

    def header(self, document: Mapping[str, Any]) -> None:
        problems = [Problem(key, "unknown field") for key in document if key not in _TOP_KEYS]
        if document.get("format", FORMAT) != FORMAT:
            problems.append(Problem("format", f"expected {FORMAT!r}, got {document['format']!r}"))
        version = document.get("version", VERSION)
        if version != VERSION or isinstance(version, bool):
            problems.append(
                Problem("version", f"this kamcore reads version {VERSION}, got {version!r}")
            )
        if "accounts" not in document:
            problems.append(Problem("accounts", "missing"))
        if problems:
            raise _Fatal(*problems)


class _Accounts:
    """Client files decoded one account at a time, so the source need not be held whole.

    The first account of each id is kept; a later one with the same id is set
    aside, after the problems found inside the accounts, as :meth:`_Decoder.unique`
    does for the other records.
    """

    def __init__(self) -> None:
        self.decoder = _Decoder()
        self.files: dict[str, ClientFile] = {}
        self.duplicates: list[Quarantined] = []
        # What to keep of each account kept (see ``decode_portfolio_stream(each_account=…)``).
        self.keep: Callable[[ClientFile], ClientFile] | None = None

    def add(self, path: str, raw: Any) -> None:
        client = self.decoder.client_file(path, raw)
        if client is None:
            return
        if client.id in self.files:
            problem = Problem(f"{_label(path, raw)[0]}.id", f"duplicate account id {client.id!r}")
            location = _label(path, raw)[0]
            self.duplicates.append(
                Quarantined("account", location, client.id, None, (problem,), raw)
            )
        else:
            self.files[client.id] = client if self.keep is None else self.keep(client)

    @property
    def quarantine(self) -> list[Quarantined]:
        """Every account, transaction and event set aside, in source order, then duplicates."""
        return self.decoder.quarantine + self.duplicates


_read_account = record_reader(Account, _ACCOUNT_KEYS)
_read_transaction = record_reader(Transaction)
_READ_EVENT: Final = {kind: record_reader(cls, _EVENT_KEYS) for kind, cls in EVENT_TYPES.items()}


def _sound_client_file(raw: Any) -> ClientFile | None:
    """The client file in *raw* when nothing in it is wrong, else ``None``.

    The usual account is sound, and reading it whole is much faster than
    record by record with every problem collected: each record is read in one
    pass (:func:`~kamcore.fileformat._fields.record_reader`) and the client
    file's own checks (unique ids, sound references) run once, when it is built.
    """
    if not isinstance(raw, dict) or (account := _read_account(raw)) is None:
        return None
    transactions, events = raw.get("transactions", []), raw.get("events", [])
    if not (isinstance(transactions, list) and isinstance(events, list)):
        return None
    read_transactions = []
    for item in transactions:
        if not isinstance(item, dict) or (transaction := _read_transaction(item)) is None:
            return None
        read_transactions.append(transaction)
    read_events = []
    for item in events:
        try:
            event = _READ_EVENT[item["kind"]](item)
        except (TypeError, KeyError):
            # Not an object, no kind, or not a kind of event (the readers raise
            # nothing): asking is cheaper than checking each of these first.
            event = None
        if event is None:
            return None
        read_events.append(event)
    try:
        return ClientFile(
            account=account, transactions=read_transactions, timeline=Timeline(read_events)
        )
    except InvalidValueError:
        return None


def _reference(
    event: Event, by_id: Mapping[str, Event], set_aside: set[str]
) -> tuple[str, str] | None:
    field = event.REF[0] if event.REF else "about"
    target = getattr(event, field, None)
    if target is not None and target not in by_id and target in set_aside:
        return (field, f"refers to {target!r}, which was set aside")
    problem = reference_problem(event, by_id)
    return (field, problem) if problem else None


class _Fatal(Exception):
    """The document as a whole is unreadable: there are no records to keep."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__()
        self.problems = problems


def decode_portfolio(
    document: Any, *, source: str, strict: bool = True, set_aside: Iterable[Quarantined] = ()
) -> LoadResult:
    """Read a parsed portfolio document into the model.

    Args:
        document: the parsed JSON (numbers with a fraction parsed as ``Decimal``).
        source: how the caller names the source; it appears in errors.
        strict: when ``True`` (the default), any invalid record refuses the whole
            document; when ``False``, invalid records are quarantined and the rest kept.

    Returns:
        The portfolio of valid records and the quarantine (always empty when strict).

    Raises:
        PortfolioFormatError: in strict mode when any record is invalid, listing
            every problem; in both modes when the document as a whole is unreadable
            (not an object, wrong format or version, no accounts).

    *set_aside* takes records the caller could not even place in the document
    (a CSV transaction for an account that is not there); they join the quarantine,
    or the problems of a strict refusal.
    """
    decoder = _Decoder()
    decoder.quarantine.extend(set_aside)
    try:
        portfolio = decoder.portfolio(document)
    except _Fatal as fatal:
        raise PortfolioFormatError(source, fatal.problems) from None
    result = LoadResult(portfolio, tuple(decoder.quarantine))
    if strict and result.quarantine:
        raise PortfolioFormatError(source, result.problems)
    return result


@attrs.frozen
class StreamHeader:
    """The members a portfolio document gives before its accounts, read as far as
    they can be without the accounts (see ``decode_portfolio_stream(each_account=…)``).

    Attributes:
        members: the names of the members given before the accounts.
        staff: the staff records that read (``()`` when not given before the accounts).
        reports: the reports that read, whether or not the accounts they name turn up.
        exported_at: the export time, ``None`` when not given before the accounts or unreadable.
    """

    members: frozenset[str]
    staff: tuple[StaffMember, ...]
    reports: tuple[Report, ...]
    exported_at: datetime | None

    @classmethod
    def read(cls, members: Mapping[str, Any]) -> StreamHeader:
        """The header of a document whose members before ``accounts`` are *members*."""
        decoder = _Decoder()

        def items(key: str) -> list[tuple[str, Any]]:
            value = members.get(key)
            return [(key, item) for item in value] if isinstance(value, list) else []

        staff = decoder.reporting_lines(
            decoder.unique("staff", decoder.records(StaffMember, "staff", items("staff")))
        )
        reports = decoder.kept("report", decoder.records(Report, "report", items("reports")))
        try:
            exported_at = read_datetime(members["exported_at"])
        except (KeyError, BadValue):
            exported_at = None
        return cls(frozenset(members), tuple(staff), tuple(reports), exported_at)


def without_records(client: ClientFile) -> ClientFile:
    """*client*'s account by its id, name and owner only: what an ``each_account`` of
    :func:`decode_portfolio_stream` that is done with an account hands back.

    The decoder's portfolio must still hold every account, to check the reports
    against (and the caller may read names and owners from it); the rest of the
    profile and every record go: a seventh of the profile's memory is left.
    """
    account = client.account
    return ClientFile(account=Account(id=account.id, name=account.name, owner=account.owner))


def decode_portfolio_stream(
    stream: IO[str],
    *,
    source: str,
    strict: bool = True,
    each_account: Callable[[ClientFile, StreamHeader], ClientFile] | None = None,
) -> LoadResult:
    """Read a portfolio document from a text stream, one account at a time.

    The result is the one :func:`decode_portfolio` gives for the parsed
    document, but the document is never held whole: each account is turned
    into the model as soon as it is read and its JSON dropped, so memory holds
    the model and one account's JSON. Use it for large files.

    Args:
        stream: the document's text (open files with ``encoding="utf-8-sig"``).
        source: how the caller names the source; it appears in errors.
        strict: as for :func:`decode_portfolio`.
        each_account: called with each account as soon as it is decoded (and
            found to be the first with its id), and the :class:`StreamHeader` of
            the members before the accounts; the result keeps what it returns in
            the account's place. A consumer that acts on each account at once (as
            :func:`kamcore.review.review_stream` does) returns the account
            :func:`without_records`, so they are never held together.

    Returns:
        The portfolio of valid records and the quarantine (always empty when strict).

    Raises:
        PortfolioFormatError: as for :func:`decode_portfolio`, and when the text is
            not valid JSON, or names ``accounts`` twice.
    """
    accounts = _Accounts()

    def start(members: Mapping[str, Any]) -> None:
        if each_account is not None:
            header = StreamHeader.read(members)
            accounts.keep = lambda client: each_account(client, header)

    try:
        document = read_object(
            stream, "accounts", lambda index, raw: accounts.add(f"accounts[{index}]", raw), start
        )
    except BadJSON as bad:
        raise PortfolioFormatError(source, [Problem("$", f"not valid JSON: {bad}")]) from None
    except RecursionError:
        raise PortfolioFormatError(
            source, [Problem("$", "not a portfolio: nested too deeply")]
        ) from None
    marker = document.get("accounts") if isinstance(document, dict) else None
    if not isinstance(marker, Streamed):
        # No list of accounts to stream: the whole-document reader says what is wrong.
        return decode_portfolio(document, source=source, strict=strict)
    if marker.repeated:
        raise PortfolioFormatError(source, [Problem("accounts", "given twice")])
    decoder = _Decoder()
    try:
        decoder.header(document)
        portfolio = decoder.assemble(document, accounts)
    except _Fatal as fatal:
        raise PortfolioFormatError(source, fatal.problems) from None
    result = LoadResult(portfolio, tuple(decoder.quarantine))
    if strict and result.quarantine:
        raise PortfolioFormatError(source, result.problems)
    return result
