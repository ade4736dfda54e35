"""Escalation policies as data: the ladder, and how long a finding waits on each rung.

A policy is read from the ``[escalation]`` table of a TOML document::

    [escalation]
    levels = [
        { name = "account_manager" },                      # level 0: the account owner
        { name = "department_head", role = "department_head" },
        { name = "executive_sponsor", role = "executive" },
    ]

    [escalation.delays]                  # by severity
    violation = { business_days = 2 }
    critical = { business_hours = 4 }

    [escalation.delays.codes]            # by finding code (or PRINCIPLE.CODE); wins over severity
    request_unanswered = { business_hours = 8, up_to = "department_head" }

An optional ``[calendar]`` table says when the company works; delays are
measured on it (UTC, Monday to Friday, 09:00-17:00 without public holidays when
it is left out)::

    [calendar]
    time_zone = "Europe/Sofia"
    working_days = ["mon", "tue", "wed", "thu", "fri"]
    opens = 09:00:00                     # or "09:00"
    closes = 18:00:00
    holidays = { country = "BG" }        # needs kamcore[holidays]; subdivision = "…" too
    closed_days = [2026-12-24, 2026-12-31]

Reading checks everything at once and raises :class:`~kamcore.errors.RuleSetError`
listing every problem, each located: ``escalation.levels[1] (name=department_head).role:
'boss' is not a role; use one of …``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import date, datetime, time
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal

import attrs

from kamcore.classification.rulefile import DocumentChecker, read_document
from kamcore.errors import Problem, RuleSetError
from kamcore.escalation.calendar import (
    BusinessCalendar,
    CalendarError,
    CalendarSettings,
    MissingExtraError,
    holidays_for,
)
from kamcore.fileformat._fields import BadValue, _read_date, read_int, read_number, read_text
from kamcore.model import ROLES, StaffMember
from kamcore.review.finding import SEVERITIES, Finding

__all__ = [
    "DEFAULT_POLICY",
    "WEEKDAY_NAMES",
    "Delay",
    "EscalationPolicy",
    "Holder",
    "Level",
    "ReportingLines",
    "load_policy",
    "parse_policy",
    "read_policy",
]

DEFAULT_POLICY: Final = Path(
    str(resources.files("kamcore").joinpath("data", "escalation", "default.toml"))
)
"""The default escalation policy shipped with kamcore."""

_LEVEL_KEYS: Final = frozenset({"name", "role", "staff"})
_DELAY_KEYS: Final = frozenset({"business_days", "business_hours", "up_to"})
_CALENDAR_KEYS: Final = frozenset(
    {"time_zone", "working_days", "opens", "closes", "holidays", "closed_days"}
)
_HOLIDAY_KEYS: Final = frozenset({"country", "subdivision"})
WEEKDAY_NAMES: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The names ``working_days`` takes, Monday first (case does not matter)."""


@attrs.frozen
class Holder:
    """Who holds a level: one staff member (``kind="staff"``) or people with a role.

    A level held by a role goes, for a finding, to the nearest person up the
    finding owner's reporting line (:attr:`StaffMember.reports_to
    <kamcore.model.StaffMember.reports_to>`) who has the role; when that line
    names no one with it (the owner reports to no one, or no one above has the
    role), to everyone with the role. So a staff list without reporting lines
    sends each level to everyone with its role. See :meth:`staff_ids`.

    Attributes:
        kind: ``"staff"`` or ``"role"``.
        id: the staff id, or the role (one of :data:`kamcore.model.ROLES`).
    """

    kind: Literal["staff", "role"]
    id: str

    def staff_ids(
        self, staff: Iterable[StaffMember] | ReportingLines, *, owner: str | None = None
    ) -> tuple[str, ...]:
        """The ids of the people who hold it for a finding *owner* owns, in id order.

        A staff holder is that staff member, whoever the owner. A role holder is
        the nearest person above *owner* on the reporting line (whom the owner
        reports to, whom that person reports to, …) who has the role; when there
        is none, or *owner* is ``None`` or not on the staff list, everyone with
        the role (none when no one has it).

        Args:
            staff: the staff list, or its :class:`ReportingLines` (read once for
                many holders and owners).
            owner: the staff id of the finding's owner; ``None`` for everyone
                with the role.

        Example::

            >>> from kamcore.model import StaffMember
            >>> staff = [
            ...     StaffMember(id="anna", name="Anna", reports_to="hana"),
            ...     StaffMember(id="hana", name="Hana", role="department_head"),
            ...     StaffMember(id="hugo", name="Hugo", role="department_head"),
            ... ]
            >>> Holder("role", "department_head").staff_ids(staff, owner="anna")
            ('hana',)
            >>> Holder("role", "department_head").staff_ids(staff)
            ('hana', 'hugo')
        """
        if self.kind == "staff":
            return (self.id,)
        lines = staff if isinstance(staff, ReportingLines) else ReportingLines.of(staff)
        if owner is not None:
            for member in lines.above(owner):
                if member.role == self.id:
                    return (member.id,)
        return lines.with_role.get(self.id, ())

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"


@attrs.frozen
class ReportingLines:
    """A staff list read for who holds a level: each member by id, and who has each role.

    Build one with :meth:`of`; :meth:`Holder.staff_ids` takes it in place of the
    staff list, so many holders and owners read the list once.

    Attributes:
        members: the staff members by id (the first of a repeated id).
        with_role: the ids of the staff members with each role, in id order.
    """

    members: Mapping[str, StaffMember]
    with_role: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, staff: Iterable[StaffMember]) -> ReportingLines:
        """The reporting lines of *staff*."""
        members: dict[str, StaffMember] = {}
        with_role: dict[str, list[str]] = {}
        for member in staff:
            members.setdefault(member.id, member)
            with_role.setdefault(member.role, []).append(member.id)
        return cls(
            MappingProxyType(members),
            MappingProxyType({role: tuple(sorted(ids)) for role, ids in with_role.items()}),
        )

    def above(self, staff_id: str) -> Iterator[StaffMember]:
        """The people above *staff_id*, nearest first: whom it reports to, and so on up.

        The line ends at someone who reports to no one, or names an id not on
        the staff list; it never comes back to someone already on it (a
        :class:`~kamcore.model.Portfolio` refuses such lines, but a staff list
        given on its own may hold one).
        """
        seen = {staff_id}
        member = self.members.get(staff_id)
        while member is not None and member.reports_to is not None:
            if member.reports_to in seen:
                return
            seen.add(member.reports_to)
            member = self.members.get(member.reports_to)
            if member is not None:
                yield member


@attrs.frozen
class Level:
    """One rung of the ladder.

    Attributes:
        name: its name, unique in the policy (``department_head``).
        holder: who holds it; ``None`` for level 0, held by the account's owner.
    """

    name: str
    holder: Holder | None = None


@attrs.frozen
class Delay:
    """How long an open finding waits on a level before it climbs to the next.

    Attributes:
        amount: the length, greater than zero.
        unit: ``"business_days"`` or ``"business_hours"``.
        up_to: the highest level findings with this delay reach (its name); the
            top level when ``None``.
    """

    amount: float
    unit: Literal["business_days", "business_hours"]
    up_to: str | None = None

    def after(self, moment: datetime, calendar: BusinessCalendar) -> datetime:
        """When the delay started at *moment* has passed, on *calendar*."""
        if self.unit == "business_days":
            return calendar.add_business_days(moment, int(self.amount))
        return calendar.add_business_hours(moment, self.amount)


def _frozen(value: Mapping[str, Delay]) -> Mapping[str, Delay]:
    return MappingProxyType(dict(value))


@attrs.frozen(kw_only=True)
class EscalationPolicy:
    """The escalation ladder and its delays.

    Attributes:
        levels: the ladder, from level 0 (the account owner) up.
        by_severity: the delay for findings of each severity; a severity without
            one never escalates.
        by_code: delays by finding code or ``PRINCIPLE.CODE``; they win over
            the severity's.
        name: how to name the policy (its file's name).
        calendar: the company's calendar the delays are measured on.
    """

    levels: tuple[Level, ...]
    by_severity: Mapping[str, Delay] = attrs.field(factory=dict, converter=_frozen)
    by_code: Mapping[str, Delay] = attrs.field(factory=dict, converter=_frozen)
    name: str = "escalation"
    calendar: CalendarSettings = attrs.field(factory=CalendarSettings)

    def delay_for(self, finding: Finding) -> Delay | None:
        """The delay that applies to *finding*, ``None`` when it never escalates."""
        for key in (f"{finding.principle}.{finding.code}", finding.code):
            if key in self.by_code:
                return self.by_code[key]
        return self.by_severity.get(finding.severity)

    def top_for(self, delay: Delay) -> int:
        """The index of the highest level a finding with *delay* reaches."""
        if delay.up_to is None:
            return len(self.levels) - 1
        return self.level_index(delay.up_to)

    def level_index(self, name: str) -> int:
        """The index of the level called *name*."""
        for index, level in enumerate(self.levels):
            if level.name == name:
                return index
        raise KeyError(name)

    def holder(self, index: int, finding: Finding) -> Holder:
        """Who holds level *index* for *finding* (level 0: the account's owner)."""
        holder = self.levels[index].holder
        return holder if holder is not None else Holder("staff", finding.owner)


# Reading -------------------------------------------------------------------------------


class _Checker(DocumentChecker):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []  # every level name given, valid level or not

    def text(self, location: str, raw: Any) -> str | None:
        return self.value(location, raw, read_text)

    def levels(self, raw: Any) -> list[Level]:
        location = "escalation.levels"
        if raw is None:
            self.problem(location, "missing; list the ladder, the account owner first")
            return []
        if not isinstance(raw, list):
            self.problem(location, "expected a list of tables such as { name = … }")
            return []
        if len(raw) < 2:  # noqa: PLR2004
            self.problem(location, "give at least two levels: the account owner and one above")
        levels: list[Level] = []
        for index, item in enumerate(raw):
            name_raw = item.get("name") if isinstance(item, dict) else None
            where = f"{location}[{index}]"
            where = f"{where} (name={name_raw})" if isinstance(name_raw, str) else where
            level = self.level(where, index, item)
            if isinstance(name_raw, str) and name_raw in self.names:
                self.problem(f"{where}.name", f"duplicate level name {name_raw!r}")
            elif isinstance(name_raw, str):
                self.names.append(name_raw)
            if level is not None:
                levels.append(level)
        return levels

    def level(self, where: str, index: int, raw: Any) -> Level | None:
        table = self.table(where, raw, _LEVEL_KEYS)
        if not table:
            if isinstance(raw, dict):
                self.problem(f"{where}.name", "missing")
            return None
        name = self.text(f"{where}.name", table["name"]) if "name" in table else None
        if "name" not in table:
            self.problem(f"{where}.name", "missing")
        holders = [key for key in ("role", "staff") if key in table]
        holder: Holder | None = None
        if index == 0 and holders:
            self.problem(f"{where}.{holders[0]}", "level 0 is held by the account's owner")
        elif index > 0 and len(holders) != 1:
            self.problem(where, "give who holds the level: either role = … or staff = …")
        elif index > 0:
            kind = holders[0]
            value = self.text(f"{where}.{kind}", table[kind])
            if kind == "role" and value is not None and value not in ROLES:
                known = ", ".join(sorted(ROLES))
                self.problem(f"{where}.role", f"{value!r} is not a role; use one of {known}")
            elif value is not None:
                holder = Holder("role" if kind == "role" else "staff", value)
        if name is None or (index > 0 and holder is None):
            return None
        return Level(name, holder)

    def delay(self, where: str, raw: Any, level_names: Collection[str]) -> Delay | None:
        table = self.table(where, raw, _DELAY_KEYS)
        if not table:
            if isinstance(raw, dict):
                self.problem(where, "give business_days = … or business_hours = …")
            return None
        units = [key for key in ("business_days", "business_hours") if key in table]
        if len(units) != 1:
            self.problem(where, "give exactly one of business_days = … or business_hours = …")
            return None
        unit = units[0]
        amount: float | None
        try:
            amount = (read_int if unit == "business_days" else read_number)(table[unit])
        except BadValue as bad:
            self.problem(f"{where}.{unit}", str(bad))
            amount = None
        if amount is not None and amount <= 0:
            self.problem(f"{where}.{unit}", f"a delay must be greater than zero, got {amount}")
            amount = None
        up_to = None
        if "up_to" in table:
            up_to = self.text(f"{where}.up_to", table["up_to"])
            if up_to is not None and level_names and up_to not in level_names:
                known = ", ".join(level_names)
                self.problem(f"{where}.up_to", f"unknown level {up_to!r}; use one of {known}")
                up_to = None
            elif up_to is not None and up_to == next(iter(level_names), None):
                self.problem(f"{where}.up_to", "must be above level 0 (or leave the delay out)")
                up_to = None
        if amount is None:
            return None
        return Delay(
            amount, "business_days" if unit == "business_days" else "business_hours", up_to
        )

    def delays(
        self, raw: Any, level_names: Collection[str]
    ) -> tuple[dict[str, Delay], dict[str, Delay]]:
        table = self.table("escalation.delays", raw, None)
        by_severity: dict[str, Delay] = {}
        by_code: dict[str, Delay] = {}
        for key, value in table.items():
            where = f"escalation.delays.{key}"
            if key == "codes":
                for code, spec in self.table(where, value, None).items():
                    delay = self.delay(f"{where}.{code}", spec, level_names)
                    if delay is not None:
                        by_code[code] = delay
            elif key not in SEVERITIES:
                known = ", ".join(SEVERITIES)
                self.problem(
                    where,
                    f"unknown severity {key!r}; use one of {known} (or codes for finding codes)",
                )
            else:
                delay = self.delay(where, value, level_names)
                if delay is not None:
                    by_severity[key] = delay
        return by_severity, by_code

    # Calendar --------------------------------------------------------------------------

    def calendar(self, raw: Any) -> CalendarSettings:
        if raw is None:
            return CalendarSettings()
        known_problems = len(self.problems)
        table = self.table("calendar", raw, _CALENDAR_KEYS)
        settings: dict[str, Any] = {}
        if "time_zone" in table:
            settings["time_zone"] = self.text("calendar.time_zone", table["time_zone"])
        if "working_days" in table:
            settings["weekdays"] = self.working_days(table["working_days"])
        for key in ("opens", "closes"):
            if key in table:
                settings[key] = self.value(f"calendar.{key}", table[key], _read_time)
        if "closed_days" in table:
            settings["closed_days"] = self.closed_days(table["closed_days"])
        if "holidays" in table:
            settings.update(self.holidays(table["holidays"]))
        if len(self.problems) > known_problems:
            return CalendarSettings()  # not used: parse_policy raises
        try:
            return CalendarSettings(**settings)
        except CalendarError as error:
            self.problem("calendar", str(error))
            return CalendarSettings()

    def working_days(self, raw: Any) -> frozenset[int]:
        location = "calendar.working_days"
        if not isinstance(raw, list) or not raw:
            self.problem(location, 'expected a list of day names such as ["mon", "tue"]')
            return frozenset()
        days: set[int] = set()
        for index, item in enumerate(raw):
            name = item.lower() if isinstance(item, str) else ""
            if name in WEEKDAY_NAMES:
                days.add(WEEKDAY_NAMES.index(name))
            else:
                known = ", ".join(WEEKDAY_NAMES)
                self.problem(f"{location}[{index}]", f"{item!r} is not a day; use one of {known}")
        return frozenset(days)

    def closed_days(self, raw: Any) -> frozenset[date]:
        if not isinstance(raw, list):
            self.problem("calendar.closed_days", "expected a list of dates (YYYY-MM-DD)")
            return frozenset()
        days = (
            self.value(f"calendar.closed_days[{index}]", item, _read_day)
            for index, item in enumerate(raw)
        )
        return frozenset(day for day in days if day is not None)

    def holidays(self, raw: Any) -> dict[str, str | None]:
        table = self.table("calendar.holidays", raw, _HOLIDAY_KEYS)
        if "country" not in table:
            if isinstance(raw, dict):
                self.problem("calendar.holidays.country", "missing; give an ISO 3166-1 code (BG)")
            return {}
        country = self.text("calendar.holidays.country", table["country"])
        subdivision = None
        if "subdivision" in table:
            subdivision = self.text("calendar.holidays.subdivision", table["subdivision"])
        if country is None:
            return {}
        try:
            holidays_for(country, subdivision, years=())
        except (CalendarError, MissingExtraError) as error:
            self.problem("calendar.holidays", str(error))
        return {"country": country, "subdivision": subdivision}


def _read_time(value: Any) -> time:
    # TOML has local times (09:00:00); JSON has strings ("09:00").
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise BadValue("expected a time of day such as 09:00")
    try:
        moment = time.fromisoformat(value)
    except ValueError:
        raise BadValue(f"{value!r} is not a time of day such as 09:00") from None
    if moment.tzinfo is not None:
        raise BadValue("give a wall-clock time without an offset")
    return moment


def _read_day(value: Any) -> date:
    # TOML has local dates (2026-12-24); JSON has strings.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    return _read_date(value)


def parse_policy(document: Any, *, source: str = "<escalation>") -> EscalationPolicy:
    """Build an :class:`EscalationPolicy` from a parsed TOML document.

    Args:
        document: the parsed document, holding an ``[escalation]`` table and,
            optionally, a ``[calendar]`` table.
        source: how to name the document in errors (and the policy's name).

    Raises:
        RuleSetError: listing every problem, each located.
    """
    if not isinstance(document, dict):
        raise RuleSetError(source, [Problem("$", "expected a table")])
    raw = document.get("escalation")
    if not isinstance(raw, dict):
        message = "expected a table" if raw is not None else "missing; add an [escalation] table"
        raise RuleSetError(source, [Problem("escalation", message)])
    checker = _Checker()
    table = checker.table("escalation", raw, ("levels", "delays"))
    levels = checker.levels(table.get("levels"))
    by_severity, by_code = checker.delays(table.get("delays", {}), checker.names)
    calendar = checker.calendar(document.get("calendar"))
    if checker.problems:
        raise RuleSetError(source, checker.problems)
    return EscalationPolicy(
        levels=tuple(levels),
        by_severity=by_severity,
        by_code=by_code,
        name=Path(source).stem,
        calendar=calendar,
    )


def read_policy(path: str | Path) -> EscalationPolicy:
    """Read and validate the escalation policy in the TOML (or ``.json``) file at *path*.

    Raises:
        RuleSetError: the file is not valid TOML/JSON, or its policy is invalid.
        SourceError: the file cannot be read.
    """
    return parse_policy(read_document(path), source=str(path))


def load_policy(policy: str | Path | EscalationPolicy | None = None) -> EscalationPolicy:
    """*policy* as an :class:`EscalationPolicy`: read from a path, the default when ``None``."""
    if isinstance(policy, EscalationPolicy):
        return policy
    return read_policy(DEFAULT_POLICY if policy is None else policy)
