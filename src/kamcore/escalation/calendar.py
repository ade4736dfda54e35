"""The company's business calendar: working days and hours in one time zone.

Escalation delays are measured on it (DOMAIN §5: "business days, the company's
calendar and time zone"). Time-zone rules come from :mod:`zoneinfo` (the IANA
database); day sequences from :mod:`dateutil.rrule`. Elapsed working time is
measured between UTC instants, so a day on which the clocks change has its true
length.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs
from dateutil.rrule import DAILY, rrule, weekday

from kamcore.errors import KamcoreError

__all__ = [
    "MONDAY_TO_FRIDAY",
    "BusinessCalendar",
    "CalendarError",
    "CalendarSettings",
    "MissingExtraError",
    "holidays_for",
]

MONDAY_TO_FRIDAY: Final = frozenset({0, 1, 2, 3, 4})
"""The default working weekdays, as :meth:`date.weekday` numbers (Monday is 0)."""

_ONE_DAY: Final = timedelta(days=1)


class CalendarError(KamcoreError, ValueError):
    """A calendar was set up wrongly, or asked about a moment it cannot place."""


class MissingExtraError(KamcoreError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


def _zone_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(
            f"time_zone: {value!r} is not an IANA time zone name such as 'Europe/Sofia'"
        ) from None


def _weekdays(instance: object, attribute: attrs.Attribute[frozenset[int]], value: object) -> None:
    if not isinstance(value, frozenset) or not value:
        raise CalendarError("weekdays: give at least one working weekday (Monday is 0)")
    if not all(isinstance(day, int) and 0 <= day <= 6 for day in value):  # noqa: PLR2004
        raise CalendarError("weekdays: each weekday is a number from 0 (Monday) to 6 (Sunday)")


def _weekday_set(value: Iterable[int]) -> frozenset[int]:
    return frozenset(value)


def _dates(value: Iterable[date]) -> frozenset[date]:
    days = frozenset(value)
    for day in days:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise CalendarError(f"expected dates, got {day!r}")
    return days


@attrs.frozen(kw_only=True)
class BusinessCalendar:
    """When the company works.

    Attributes:
        time_zone: the IANA name of the company's time zone (``Europe/Sofia``).
        weekdays: the working weekdays, Monday being 0; Monday to Friday by default.
        opens: when the working day starts, local wall-clock time.
        closes: when the working day ends, local wall-clock time (after ``opens``).
        holidays: public holidays (see :func:`holidays_for`).
        closed_days: other days the company does not work (company events, bridges).
    """

    time_zone: str = attrs.field(default="UTC", validator=_zone_name)
    weekdays: frozenset[int] = attrs.field(
        default=MONDAY_TO_FRIDAY, converter=_weekday_set, validator=_weekdays
    )
    opens: time = time(9)
    closes: time = time(17)
    holidays: frozenset[date] = attrs.field(factory=frozenset, converter=_dates)
    closed_days: frozenset[date] = attrs.field(factory=frozenset, converter=_dates)

    def __attrs_post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise CalendarError("opens, closes: give wall-clock times without a time zone")
        if self.opens >= self.closes:
            raise CalendarError(f"closes ({self.closes}) must be after opens ({self.opens})")

    @property
    def zone(self) -> ZoneInfo:
        """The time zone."""
        return ZoneInfo(self.time_zone)

    # Days ----------------------------------------------------------------------------

    def is_working_day(self, day: date) -> bool:
        """Whether *day* (a local date; a datetime counts by its local date) is worked."""
        day = self._local_date(day)
        return (
            day.weekday() in self.weekdays
            and day not in self.holidays
            and day not in self.closed_days
        )

    def business_days_between(self, start: date, end: date) -> int:
        """The number of working days from *start* (included) to *end* (excluded).

        Negative when *end* comes before *start*: then ``-business_days_between(end,
        start)``. Datetimes count by their local date. The inverse of
        :meth:`add_business_days`: ``business_days_between(d, add_business_days(d, n))
        == n`` for every *n*.
        """
        first, last = self._local_date(start), self._local_date(end)
        if last < first:
            return -self.business_days_between(last, first)
        if last == first:
            return 0
        days = rrule(
            DAILY,
            dtstart=datetime.combine(first, time()),
            until=datetime.combine(last - _ONE_DAY, time()),
            byweekday=[weekday(n) for n in sorted(self.weekdays)],
        )
        closed = self.holidays | self.closed_days
        return sum(1 for moment in days if moment.date() not in closed)

    def add_business_days(self, moment: datetime, n: int) -> datetime:
        """*moment* moved by *n* working days, keeping its local wall-clock time.

        The local date is first rolled forward to a working day, then moved *n*
        working days (back when *n* is negative), so the result is always on a
        working day. A wall-clock time that does not exist on the new day (the
        clocks went forward) is moved on by the gap. The result is in the
        calendar's time zone.
        """
        local = self._local(moment)
        day = local.date()
        while not self.is_working_day(day):
            day += _ONE_DAY
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        for _ in range(abs(n)):
            day += step
            while not self.is_working_day(day):
                day += step
        wall = datetime.combine(day, local.time(), tzinfo=self.zone)
        return wall.astimezone(UTC).astimezone(self.zone)

    # Hours ---------------------------------------------------------------------------

    def working_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The working interval of local date *day* as aware instants, ``None`` when closed."""
        if not self.is_working_day(day):
            return None
        start = datetime.combine(day, self.opens, tzinfo=self.zone)
        end = datetime.combine(day, self.closes, tzinfo=self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        """The moment *hours* working hours after *moment*.

        Only time inside the working hours of working days counts; nights, closed
        weekdays, holidays and closed days are skipped. Time is measured between
        instants, so a working day spanning a clock change has its real length.
        Zero hours returns *moment* (in the calendar's time zone); a remainder that
        ends exactly at closing time gives the closing time.
        """
        if not isinstance(hours, int | float) or isinstance(hours, bool) or hours < 0:
            raise CalendarError(f"hours: expected a number of hours >= 0, got {hours!r}")
        now = self._local(moment).astimezone(UTC)
        remaining = timedelta(hours=hours)
        if not remaining:
            return now.astimezone(self.zone)
        for day in self._days_from(now.astimezone(self.zone).date()):
            interval = self.working_hours(day)
            if interval is None:
                continue
            start, end = max(now, interval[0]), interval[1]
            if start >= end:
                continue
            if remaining <= end - start:
                return (start + remaining).astimezone(self.zone)
            remaining -= end - start
        raise AssertionError("unreachable: working days never run out")  # pragma: no cover

    # Helpers -------------------------------------------------------------------------

    @staticmethod
    def _days_from(day: date) -> Iterator[date]:
        while True:
            yield day
            day += _ONE_DAY

    def _local(self, moment: datetime) -> datetime:
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            raise CalendarError(f"expected an aware datetime (with an offset), got {moment!r}")
        return moment.astimezone(self.zone)

    def _local_date(self, day: date) -> date:
        return self._local(day).date() if isinstance(day, datetime) else day


def holidays_for(
    country: str, subdivision: str | None = None, *, years: int | Iterable[int]
) -> frozenset[date]:
    """The public holidays of *country* (ISO 3166-1 code) in *years*.

    Read from the optional ``holidays`` package, installed with the
    ``kamcore[holidays]`` extra.

    Raises:
        MissingExtraError: the ``holidays`` package is not installed.
        CalendarError: the package does not know the country or subdivision.
    """
    try:
        package = importlib.import_module("holidays")
    except ImportError:
        raise MissingExtraError(
            "holidays_for needs the 'holidays' package: pip install 'kamcore[holidays]'"
        ) from None
    wanted = [years] if isinstance(years, int) else sorted(set(years))
    try:
        table = package.country_holidays(country, subdiv=subdivision, years=wanted)
    except NotImplementedError:
        where = f"{country}-{subdivision}" if subdivision else country
        raise CalendarError(f"no public holidays known for {where!r}") from None
    return frozenset(table)


@attrs.frozen(kw_only=True)
class CalendarSettings:
    """The company's calendar as configured: a :class:`BusinessCalendar` whose public
    holidays are looked up per year.

    An escalation policy's ``[calendar]`` table reads into it. Holidays depend on
    the year, so :meth:`business_calendar` is asked for the years a computation
    spans. Without a country there are no public holidays: UTC, Monday to
    Friday, 09:00-17:00 by default.

    Attributes:
        time_zone: the IANA name of the company's time zone.
        weekdays: the working weekdays, Monday being 0.
        opens: when the working day starts, local wall-clock time.
        closes: when the working day ends, local wall-clock time.
        country: the ISO 3166-1 code whose public holidays the company keeps
            (needs ``kamcore[holidays]``); ``None`` for none.
        subdivision: the region of *country* whose holidays apply too (``BY``).
        closed_days: other days the company does not work.
    """

    time_zone: str = "UTC"
    weekdays: frozenset[int] = attrs.field(default=MONDAY_TO_FRIDAY, converter=_weekday_set)
    opens: time = time(9)
    closes: time = time(17)
    country: str | None = None
    subdivision: str | None = None
    closed_days: frozenset[date] = attrs.field(factory=frozenset, converter=_dates)

    def __attrs_post_init__(self) -> None:
        self.business_calendar(())  # refuses what BusinessCalendar refuses, at once

    def business_calendar(self, years: Iterable[int]) -> BusinessCalendar:
        """The calendar with the public holidays of *years*.

        Raises:
            MissingExtraError: a country is set and ``holidays`` is not installed.
            CalendarError: the country or subdivision is unknown.
        """
        wanted = sorted(set(years))
        holidays = (
            holidays_for(self.country, self.subdivision, years=wanted)
            if self.country is not None and wanted
            else frozenset()
        )
        return BusinessCalendar(
            time_zone=self.time_zone,
            weekdays=self.weekdays,
            opens=self.opens,
            closes=self.closes,
            holidays=holidays,
            closed_days=self.closed_days,
        )
