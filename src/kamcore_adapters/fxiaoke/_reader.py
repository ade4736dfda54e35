"""Read client files from Fenxiang Xiaoke: a full load by ``_id``, then changes by ``last_modified_time``.

The work goes in chunks of at most one page of records, and each chunk ends
with whole client files and a cursor that points just past it. So when the
daily quota runs out in the middle of a sync, what was read is kept, the cursor
says where to go on, and the next day's sync resumes there: no record is read
into the portfolio twice, none is skipped.

A changed account comes with its **whole client file**: when a contact, an
order, an opportunity or a follow-up record changes, its account is read again
with everything it holds, because kamcore's checks read the file as a whole.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from kamcore.errors import SourceError
from kamcore.fileformat import Quarantined
from kamcore_adapters.fxiaoke._client import FxiaokeClient, condition
from kamcore_adapters.fxiaoke._errors import (
    FxiaokePermissionError,
    FxiaokeQuotaError,
    FxiaokeRequestError,
)
from kamcore_adapters.fxiaoke._mapping import Children, FieldInfo, client_file, fields_from_describe
from kamcore_adapters.fxiaoke._settings import Settings

__all__ = ["CURSOR_PREFIX", "Cursor", "Loaded", "Mark", "Reader"]

CURSOR_PREFIX: Final = "fxiaoke-1 "
MODIFIED: Final = "last_modified_time"
ACCOUNT: Final = "AccountObj"
CONTACT: Final = "ContactObj"
ORDER: Final = "SalesOrderObj"
ACTIVITY: Final = "ActiveRecordObj"

logger = logging.getLogger("kamcore_adapters.fxiaoke")


@attrs.frozen
class Mark:
    """A place in an object's change stream: the last ``last_modified_time`` read and,
    for records changed in the same millisecond, the last ``_id``."""

    modified: int
    record_id: str


@attrs.frozen(kw_only=True)
class Cursor:
    """Where the next sync starts; kept by the ledger as an opaque string.

    Attributes:
        marks: per object, the last change read.
        full_after: during a full load, the ``_id`` of the last account whose
            client file was read (``""`` before the first); ``None`` once the full
            load is done and only changes are read.
        stopped: why the last sync stopped early (the daily quota), if it did.
    """

    marks: Mapping[str, Mark] = attrs.field(factory=dict)
    full_after: str | None = None
    stopped: str | None = None

    def encode(self) -> str:
        """The cursor as text: readable JSON after a version prefix."""
        state: dict[str, Any] = {
            "marks": {name: [mark.modified, mark.record_id] for name, mark in self.marks.items()}
        }
        if self.full_after is not None:
            state["full_after"] = self.full_after
        if self.stopped is not None:
            state["stopped"] = self.stopped
        return CURSOR_PREFIX + json.dumps(state, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str, source: str) -> Cursor:
        """Read a cursor written by :meth:`encode`.

        Raises:
            SourceError: *text* is not such a cursor.
        """
        try:
            if not text.startswith(CURSOR_PREFIX):
                raise ValueError(text[:20])
            state = json.loads(text.removeprefix(CURSOR_PREFIX))
            marks = {
                str(name): Mark(int(value[0]), str(value[1]))
                for name, value in state["marks"].items()
            }
            full_after = state.get("full_after")
            return cls(marks=marks, full_after=None if full_after is None else str(full_after))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise SourceError(
                f"{source}: the sync cursor is not one this adapter wrote; "
                "run `kamcore sync --full` to start again"
            ) from None

    def moved(self, object_name: str, mark: Mark) -> Cursor:
        """This cursor with *object_name*'s stream moved to *mark*."""
        return attrs.evolve(self, marks={**self.marks, object_name: mark})


@attrs.frozen
class Loaded:
    """What a read produced.

    Attributes:
        accounts: the portfolio-document accounts, by id.
        set_aside: records that could not be converted.
        cursor: where the next read starts.
        stopped: the quota error that stopped the read early, if any.
    """

    accounts: Mapping[str, dict[str, Any]]
    set_aside: tuple[Quarantined, ...]
    cursor: Cursor
    stopped: FxiaokeQuotaError | None = None


class Reader:
    """Reads client files through *client* with the field mapping of its settings."""

    def __init__(self, client: FxiaokeClient) -> None:
        self.client = client
        self.settings: Settings = client.settings
        self._describes: dict[str, dict[str, FieldInfo]] | None = None
        self._opportunity: str | None = None
        self._files: dict[str, dict[str, Any]] = {}
        self._set_aside: dict[str, tuple[Quarantined, ...]] = {}
        self._cursor: Cursor | None = None

    # -- describes --------------------------------------------------------------------------------

    def describes(self) -> Mapping[str, Mapping[str, FieldInfo]]:
        """The field types and option labels of every object read (described once)."""
        if self._describes is None:
            self._describes = {}
            self._opportunity = self._detect_opportunity()
            for name in (ACCOUNT, CONTACT, ORDER, ACTIVITY, self._opportunity):
                if name is not None and name not in self._describes:
                    self._describes[name] = self._describe(name) or {}
        return self._describes

    def _describe(self, object_name: str) -> dict[str, FieldInfo] | None:
        try:
            return fields_from_describe(self.client.describe(object_name))
        except (FxiaokeRequestError, FxiaokePermissionError):
            # Which code a tenant without the object (or a user who may not see it)
            # gets is not documented: either way, there is nothing to read there.
            return None

    def _detect_opportunity(self) -> str | None:
        choice = self.settings.opportunity_object
        if choice == "none":
            return None
        if choice != "auto":
            return choice
        # 商机2.0 (NewOpportunityObj) replaced the old object; a tenant has one or both.
        for name in ("NewOpportunityObj", "OpportunityObj"):
            fields = self._describe(name)
            if fields is not None:
                self._describes = {**(self._describes or {}), name: fields}
                logger.debug("%s: opportunities are read from %s", self.settings.uri, name)
                return name
        return None

    @property
    def objects(self) -> tuple[str, ...]:
        """The objects whose changes are followed, accounts first."""
        self.describes()
        children = (CONTACT, self._opportunity, ORDER, ACTIVITY)
        return (ACCOUNT, *(name for name in children if name is not None))

    def _projection(self, object_name: str) -> list[str]:
        fields = self.settings.fields
        prefix = {
            ACCOUNT: "account_",
            CONTACT: "contact_",
            ORDER: "order_",
            ACTIVITY: "activity_",
        }.get(object_name, "opportunity_")
        names = {"_id", MODIFIED}
        for target, mapped in fields.items():
            if target.startswith(prefix):
                names.update(mapped)
        if object_name == ACCOUNT:
            names.update(self.settings.facts.values())
        key_field = self.settings.action_key_field
        described = self.describes().get(object_name)
        if object_name == ACTIVITY and (not described or key_field in described):
            # To leave kamcore's own write-backs out of the timeline; a tenant that has not
            # added the field (it only reads) must not be asked for it.
            names.add(key_field)
        return sorted(names)

    def _account_field(self, object_name: str) -> str:
        target = {CONTACT: "contact_account", ORDER: "order_account", ACTIVITY: "activity_account"}
        names = self.settings.fields[target.get(object_name, "opportunity_account")]
        return names[0] if names else "account_id"

    # -- client files -----------------------------------------------------------------------------

    def _children(self, object_name: str, account_ids: Sequence[str]) -> dict[str, list[Any]]:
        field = self._account_field(object_name)
        grouped: dict[str, list[Any]] = defaultdict(list)
        for page in self.client.pages_by_id(
            object_name,
            filters=[condition(field, "IN", *account_ids)],
            fields=self._projection(object_name),
        ):
            for record in page:
                grouped[str(record.get(field))].append(record)
        return grouped

    def _read_files(self, accounts: Sequence[Mapping[str, Any]]) -> None:
        """Read the client files of *accounts* (at most a page) and keep them, replacing
        any read earlier in this sync; nothing is kept unless all of them were read."""
        if not accounts:
            return
        ids = [str(account["_id"]) for account in accounts]
        describes = self.describes()
        contacts = self._children(CONTACT, ids)
        opportunities = self._children(self._opportunity, ids) if self._opportunity else {}
        orders = self._children(ORDER, ids)
        activities = self._children(ACTIVITY, ids)
        for account in accounts:
            account_id = str(account["_id"])
            children = Children(
                contacts=contacts.get(account_id, ()),
                opportunities=opportunities.get(account_id, ()),
                orders=orders.get(account_id, ()),
                activities=activities.get(account_id, ()),
            )
            mapped = client_file(account, children, self.settings, describes)
            self._files.pop(account_id, None)
            if mapped.account is not None:
                self._files[account_id] = mapped.account
            self._set_aside[account_id] = mapped.set_aside

    def _accounts(self, ids: Iterable[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(ids))
        found: list[dict[str, Any]] = []
        size = self.settings.page_size
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            for page in self.client.pages_by_id(
                ACCOUNT,
                filters=[condition("_id", "IN", *chunk)],
                fields=self._projection(ACCOUNT),
            ):
                found.extend(page)
        return found

    # -- change streams ---------------------------------------------------------------------------

    def _latest(self, object_name: str) -> Mark | None:
        rows = self.client.query(
            object_name,
            orders=[(MODIFIED, False), ("_id", False)],
            limit=1,
            fields=["_id", MODIFIED],
        )
        return _mark(rows[-1]) if rows else None

    def _changes(
        self, object_name: str, mark: Mark | None
    ) -> Iterator[tuple[list[dict[str, Any]], Mark]]:
        """Pages of records changed after *mark*, in (``last_modified_time``, ``_id``) order.

        Records changed in the same millisecond as the mark are drained by ``_id``
        first, so that a bulk update of more than a page in one millisecond is
        neither repeated forever nor skipped.
        """
        fields = self._projection(object_name)
        size = self.settings.page_size
        while True:
            if mark is not None:
                for page in self.client.pages_by_id(
                    object_name,
                    filters=[condition(MODIFIED, "EQ", mark.modified)],
                    after_id=mark.record_id,
                    fields=fields,
                ):
                    mark = Mark(mark.modified, str(page[-1]["_id"]))
                    yield page, mark
            rows, served = self.client.query_page(
                object_name,
                filters=[condition(MODIFIED, "GT", mark.modified)] if mark is not None else [],
                orders=[(MODIFIED, True), ("_id", True)],
                limit=size,
                fields=fields,
            )
            if not rows:
                return
            mark = _mark(rows[-1])
            yield rows, mark
            if len(rows) < served:
                return

    # -- the read ---------------------------------------------------------------------------------

    def load(self, cursor: Cursor | None, *, follow_changes: bool = True) -> Loaded:
        """Read from *cursor* (a full load when ``None``) until done or the quota runs out.

        Args:
            cursor: where the previous read stopped.
            follow_changes: after a full load, also read the changes made
                meanwhile; ``False`` for a one-off full load.

        Raises:
            FxiaokeError: anything but an exhausted quota (which ends the read
                early with :attr:`Loaded.stopped` set instead).
        """
        self._files.clear()
        self._set_aside.clear()
        stopped: FxiaokeQuotaError | None = None
        self._cursor = cursor
        try:
            if self._cursor is None or (self._cursor.full_after == "" and not self._cursor.marks):
                # The marks are taken before the full load, so that what changes during
                # it is read by the change streams afterwards.
                marks = {name: mark for name in self.objects if (mark := self._latest(name))}
                self._cursor = Cursor(marks=marks, full_after="")
            if self._cursor.full_after is not None:
                self._full()
            if follow_changes:
                for object_name in self.objects:
                    self._follow(object_name)
        except FxiaokeQuotaError as quota:
            stopped = quota
            logger.warning(
                "%s: stopped early: %s; %d client files read; the cursor keeps the place: "
                "sync again after the quota resets to go on",
                self.settings.uri,
                quota,
                len(self._files),
            )
        final = self._cursor or Cursor(full_after="")
        if stopped is not None:
            final = attrs.evolve(final, stopped=f"errorCode {stopped.code}: quota used up")
        return Loaded(
            dict(self._files),
            tuple(q for group in self._set_aside.values() for q in group),
            final,
            stopped,
        )

    # Each chunk below moves self._cursor only once its client files are kept, so an
    # exhausted quota (raised from any call) leaves the cursor just past the last whole chunk.

    def _full(self) -> None:
        assert self._cursor is not None
        for page in self.client.pages_by_id(
            ACCOUNT, after_id=self._cursor.full_after or None, fields=self._projection(ACCOUNT)
        ):
            self._read_files(page)
            self._cursor = attrs.evolve(self._cursor, full_after=str(page[-1]["_id"]))
            logger.info("%s: %d client files read", self.settings.uri, len(self._files))
        self._cursor = attrs.evolve(self._cursor, full_after=None)

    def _follow(self, object_name: str) -> None:
        assert self._cursor is not None
        for page, mark in self._changes(object_name, self._cursor.marks.get(object_name)):
            if object_name == ACCOUNT:
                self._read_files(page)
            else:
                field = self._account_field(object_name)
                ids = {str(record[field]) for record in page if record.get(field)}
                self._read_files(self._accounts(ids))
            self._cursor = self._cursor.moved(object_name, mark)
            logger.info(
                "%s: %s changes followed; %d client files read",
                self.settings.uri,
                object_name,
                len(self._files),
            )


def _mark(record: Mapping[str, Any]) -> Mark:
    return Mark(int(record.get(MODIFIED) or 0), str(record["_id"]))
