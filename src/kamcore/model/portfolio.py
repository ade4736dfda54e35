"""Client files and the portfolio that holds them."""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import Final

import attrs

from kamcore.errors import InvalidValueError, UnknownAccountError
from kamcore.model import _validators as v
from kamcore.model.account import Account
from kamcore.model.timeline import Timeline
from kamcore.model.transaction import Transaction

__all__ = ["ROLES", "ClientFile", "Portfolio", "Report", "StaffMember", "reporting_line_problem"]

ROLES: Final = frozenset(
    {"account_manager", "department_head", "executive", "support", "delivery", "billing", "other"}
)
"""Roles of the people on our side."""

_AT: Final = operator.attrgetter("at")


def _chronological_reports(items: Iterable[Report]) -> tuple[Report, ...]:
    return v.chronological(items, Report)


def _chronological_transactions(items: Iterable[Transaction]) -> tuple[Transaction, ...]:
    return v.chronological(items, Transaction)


@attrs.frozen(kw_only=True)
class StaffMember:
    """A person on our side.

    Attributes:
        id: the id accounts and events use for this person (``owner``, ``by``).
        name: the person's name.
        role: one of :data:`ROLES`.
        client_facing: whether the person deals with clients directly.
        sees_key_list: whether the person can see the list of key clients.
        language: preferred language for notices, as a BCP 47 tag.
        reports_to: the staff id of the person this one reports to (an account
            manager's department head, say); ``None`` when not given. A level
            of the escalation ladder held by a role goes to the nearest person
            up this line who has the role (see :class:`kamcore.escalation.Holder`).
    """

    id: str = attrs.field(validator=v.text)
    name: str = attrs.field(validator=v.text)
    role: str = attrs.field(default="account_manager", validator=v.one_of(ROLES))
    client_facing: bool = attrs.field(default=True, validator=v.instance(bool))
    sees_key_list: bool = attrs.field(default=True, validator=v.instance(bool))
    language: str | None = attrs.field(default=None, validator=v.optional_text)
    reports_to: str | None = attrs.field(default=None, validator=v.optional_text)


def reporting_line_problem(staff: Sequence[StaffMember]) -> tuple[int, str] | None:
    """The first staff member whose ``reports_to`` names no one on *staff*, or whose
    reporting line loops, as its index and what is wrong; ``None`` when every line is sound.

    Staff ids are known to be unique. A loop is named by its first member on
    *staff*, whichever line runs into it.
    """
    position = {member.id: index for index, member in enumerate(staff)}
    manager = {member.id: member.reports_to for member in staff if member.reports_to is not None}
    for member_id, manager_id in manager.items():
        if manager_id not in position:
            return position[member_id], f"no staff member with id {manager_id!r}"
    # Follow each line up once: a line that reaches someone already known to
    # end is sound, one that reaches someone on itself loops.
    ends: set[str] = set()
    for member in staff:
        line: dict[str, int] = {}  # the ids on the line, in order, by their place on it
        current: str | None = member.id
        while current is not None and current not in ends:
            if current in line:
                loop = list(line)[line[current] :]
                first = loop.index(min(loop, key=position.__getitem__))
                loop = loop[first:] + loop[:first]
                return position[loop[0]], "the reporting line loops: " + " → ".join(
                    [*loop, loop[0]]
                )
            line[current] = len(line)
            current = manager.get(current)
        ends.update(line)
    return None


@attrs.frozen(kw_only=True)
class Report:
    """A report on key accounts sent to a department head.

    Attributes:
        id: stable id, unique in the portfolio.
        at: when it was sent.
        to: who received it (a staff id or a name).
        account_ids: the accounts it covered.
    """

    id: str = attrs.field(validator=v.text)
    at: datetime = attrs.field(validator=v.aware)
    to: str = attrs.field(validator=v.text)
    account_ids: tuple[str, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.texts
    )


@attrs.frozen(kw_only=True)
class ClientFile:
    """Everything known about one client: profile, transactions and timeline.

    Attributes:
        account: the profile.
        transactions: purchases and refunds, oldest first.
        timeline: the events, oldest first.
    """

    account: Account = attrs.field(validator=v.instance(Account))
    transactions: tuple[Transaction, ...] = attrs.field(
        default=(), converter=_chronological_transactions, validator=v.instances_of(Transaction)
    )
    timeline: Timeline = attrs.field(factory=Timeline, validator=v.instance(Timeline))

    def __attrs_post_init__(self) -> None:
        index = v.first_repeated([transaction.id for transaction in self.transactions])
        if index is not None:
            raise InvalidValueError(
                f"transactions[{index}].id",
                f"duplicate transaction id {self.transactions[index].id!r}",
                record_id=self.account.id,
            )

    @property
    def id(self) -> str:
        """The account id."""
        return self.account.id

    def as_of(self, moment: datetime) -> ClientFile:
        """The file as known at *moment*: later transactions and events are gone."""
        # Both are in time order, so what is known at *moment* is a prefix of each,
        # and a prefix of a sound file is sound: nothing is checked again.
        return self._trusted(
            self.transactions[: bisect.bisect_right(self.transactions, moment, key=_AT)],
            self.timeline.as_of(moment),
        )

    def trusted_copy(self) -> ClientFile:
        """An equal file that shares the records and none of the timeline's views.

        Like :meth:`Timeline.trusted_copy`: nothing is checked again, and the views
        a review computes on the copy go with it.
        """
        return self._trusted(self.transactions, self.timeline.trusted_copy())

    def _trusted(self, transactions: tuple[Transaction, ...], timeline: Timeline) -> ClientFile:
        """This account with records known to be sound and in order: no checks."""
        copy = object.__new__(ClientFile)
        object.__setattr__(copy, "account", self.account)
        object.__setattr__(copy, "transactions", transactions)
        object.__setattr__(copy, "timeline", timeline)
        return copy


def _index_files(files: Iterable[ClientFile]) -> Mapping[str, ClientFile]:
    index: dict[str, ClientFile] = {}
    for position, client in enumerate(files):
        if not isinstance(client, ClientFile):
            raise InvalidValueError(
                f"files[{position}]", f"expected ClientFile, got {type(client).__name__}"
            )
        if client.id in index:
            raise InvalidValueError(
                f"files[{position}].account.id",
                f"duplicate account id {client.id!r}",
                record_id=client.id,
            )
        index[client.id] = client
    return MappingProxyType(index)


@attrs.frozen(kw_only=True)
class Portfolio:
    """A set of client files, the staff who serve them and the reports sent.

    Iterating yields the client files in the order they were given.

    Attributes:
        files: client files by account id.
        staff: the people on our side, if the source lists them.
        reports: reports sent to department heads, oldest first.
        exported_at: when the source was exported; a natural default for ``as_of``.
    """

    files: Mapping[str, ClientFile] = attrs.field(factory=dict, converter=_index_files)
    staff: tuple[StaffMember, ...] = attrs.field(
        factory=tuple, converter=v.frozen_tuple, validator=v.instances_of(StaffMember)
    )
    reports: tuple[Report, ...] = attrs.field(
        default=(),
        converter=_chronological_reports,
        validator=v.instances_of(Report),
    )
    exported_at: datetime | None = attrs.field(default=None, validator=v.optional_aware)

    def __attrs_post_init__(self) -> None:
        staff_ids = {member.id for member in self.staff}
        if len(staff_ids) != len(self.staff):
            raise InvalidValueError("staff", "staff ids must be unique")
        problem = reporting_line_problem(self.staff)
        if problem is not None:
            index, reason = problem
            member = self.staff[index]
            raise InvalidValueError(f"staff[{index}].reports_to", reason, record_id=member.id)
        if len({report.id for report in self.reports}) != len(self.reports):
            raise InvalidValueError("reports", "report ids must be unique")
        for index, report in enumerate(self.reports):
            for position, account_id in enumerate(report.account_ids):
                if account_id not in self.files:
                    raise InvalidValueError(
                        f"reports[{index}].account_ids[{position}]",
                        f"no account with id {account_id!r}",
                        record_id=report.id,
                    )

    def __iter__(self) -> Iterator[ClientFile]:
        return iter(self.files.values())

    def __len__(self) -> int:
        return len(self.files)

    def __contains__(self, account_id: object) -> bool:
        return account_id in self.files

    def __getitem__(self, account_id: str) -> ClientFile:
        """The client file of *account_id*; :class:`UnknownAccountError` if absent."""
        try:
            return self.files[account_id]
        except KeyError:
            raise UnknownAccountError(account_id) from None

    def as_of(self, moment: datetime) -> Portfolio:
        """The portfolio as known at *moment*: every later event, transaction and report is gone.

        Profiles (accounts, contacts, staff) are current state and stay as they are.
        """
        return Portfolio(
            files=[client.as_of(moment) for client in self],
            staff=self.staff,
            reports=[r for r in self.reports if r.at <= moment],
            exported_at=moment if self.exported_at is None else min(self.exported_at, moment),
        )
