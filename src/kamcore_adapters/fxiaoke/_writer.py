"""Write kamcore's actions back to Fenxiang Xiaoke, each exactly once.

The API has no idempotency key, so each record carries the action's key in a
custom field (``kamcore_key__c`` by default) and the writer looks the key up
before every create; a create that got no clear answer is looked up again
before it is retried. Together with the ledger's pending → done marks (see
:func:`kamcore.sync.push`) a crash at any point creates no duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

from kamcore.actions import Action, PushResult
from kamcore_adapters.fxiaoke._client import FxiaokeClient, condition
from kamcore_adapters.fxiaoke._errors import (
    FxiaokeError,
    FxiaokeQuotaError,
    FxiaokeUncertainError,
)
from kamcore_adapters.fxiaoke._settings import Settings

__all__ = [
    "LevelChange",
    "find_actions",
    "push_actions",
    "record_values",
    "update_account_levels",
]

SCHEDULE_LENGTH: Final = timedelta(minutes=30)
"""How long a schedule entry written back lasts."""
SEARCH_SETTLE_SECONDS: Final = 3.0
"""How long to wait before looking for a record whose create got no clear answer.

Queries may be served by a search index that shows a new record a moment after
it was created (not documented either way); looking at once could miss it and
create it twice."""
_CREATE_ATTEMPTS: Final = 3

logger = logging.getLogger("kamcore_adapters.fxiaoke")


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _text(action: Action) -> str:
    return f"{action.title}\n\n{action.body}"


def record_values(action: Action, settings: Settings, now: datetime) -> dict[str, Any]:
    """The fields of the record that holds *action* in the write-back object."""
    related = [{"describe_api_name": "AccountObj", "id": action.account_id}]
    values: dict[str, Any] = {settings.action_key_field: action.key, "owner": [action.owner]}
    if settings.writeback_object == "ScheduleObj":
        begin = action.due or now
        values |= {
            "content": _text(action),
            "begin_time": _epoch_ms(begin),
            "end_time": _epoch_ms(begin + SCHEDULE_LENGTH),
            "participants": [action.owner],
            "related_object_data": related,
        }
    else:
        values |= {
            "active_record_content": _text(action),
            "account_id": action.account_id,
            "related_api_names": ["AccountObj"],
            "related_object_data": related,
        }
        if settings.active_record_type is not None:
            values["active_record_type"] = settings.active_record_type
    return values


def find_actions(client: FxiaokeClient, keys: Sequence[str]) -> dict[str, str]:
    """The record ids already holding any of *keys*, by key (never creates anything)."""
    settings = client.settings
    field = settings.action_key_field
    found: dict[str, str] = {}
    size = settings.page_size
    unique = sorted(set(keys))
    for start in range(0, len(unique), size):
        chunk = unique[start : start + size]
        for page in client.pages_by_id(
            settings.writeback_object,
            filters=[condition(field, "IN", *chunk)],
            fields=["_id", field],
        ):
            for record in page:
                key = record.get(field)
                if isinstance(key, str) and key not in found:
                    found[key] = str(record["_id"])
    return found


def _create(client: FxiaokeClient, action: Action, now: datetime) -> str:
    settings = client.settings
    values = record_values(action, settings, now)
    for attempt in range(_CREATE_ATTEMPTS):
        try:
            return client.create(settings.writeback_object, values)
        except FxiaokeUncertainError:
            # The create may have happened: look (once the index has caught up) before
            # sending it again.
            client.pause(SEARCH_SETTLE_SECONDS)
            existing = find_actions(client, [action.key]).get(action.key)
            if existing is not None:
                return existing
            if attempt + 1 == _CREATE_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def push_actions(
    client: FxiaokeClient, actions: Sequence[Action], *, now: datetime | None = None
) -> list[PushResult]:
    """Create each of *actions* unless a record already holds its key.

    One action's failure does not stop the others; an exhausted quota fails the
    rest at once (the ledger keeps them for the next push).
    """
    moment = now or datetime.now(UTC)
    results: list[PushResult] = []
    existing = find_actions(client, [action.key for action in actions])
    quota: FxiaokeQuotaError | None = None
    for action in actions:
        if action.key in existing:
            results.append(PushResult(action.key, existing[action.key]))
            continue
        if quota is not None:
            results.append(PushResult(action.key, error=str(quota)))
            continue
        try:
            record_id = _create(client, action, moment)
        except FxiaokeQuotaError as error:
            quota = error
            results.append(PushResult(action.key, error=str(error)))
        except FxiaokeError as error:
            results.append(PushResult(action.key, error=str(error)))
        else:
            existing[action.key] = record_id
            results.append(PushResult(action.key, record_id))
    return results


@attrs.frozen
class LevelChange:
    """A change of an account's ``account_level`` that kamcore's tier asks for.

    Attributes:
        account_id: the account.
        tier: kamcore's tier.
        current: the option value the CRM holds now (``None`` when empty).
        wanted: the option value for *tier* (``None`` when the tier map has none).
        applied: whether the CRM was changed (never in a dry run).
        error: why it was not applied, when it was not.
    """

    account_id: str
    tier: str
    current: str | None
    wanted: str | None
    applied: bool = False
    error: str | None = None


def update_account_levels(
    client: FxiaokeClient, tiers: Mapping[str, str], *, dry_run: bool = True
) -> list[LevelChange]:
    """Bring ``account_level`` in line with kamcore's tiers (a dry run unless told otherwise).

    Args:
        client: the profile's client; its settings must allow
            ``update_account_level`` for anything to be written.
        tiers: kamcore's tier by account id.
        dry_run: only say what would change (the default).

    Returns:
        One change per account whose level differs from its tier's option value
        (accounts the acting user cannot see are not listed).

    Raises:
        FxiaokeError: reading the accounts failed, or ``update_account_level``
            is off and this is not a dry run.
    """
    settings = client.settings
    if not dry_run and not settings.update_account_level:
        raise FxiaokeError(
            f"{settings.uri}: update_account_level is off; set it to true in the profile "
            "(after a dry run) to write account levels"
        )
    field = settings.fields["account_tier"][0] if settings.fields["account_tier"] else ""
    if not field:
        raise FxiaokeError(f"{settings.uri}: field_account_tier maps no field to write")
    current: dict[str, str | None] = {}
    ids = sorted(tiers)
    for start in range(0, len(ids), settings.page_size):
        for page in client.pages_by_id(
            "AccountObj",
            filters=[condition("_id", "IN", *ids[start : start + settings.page_size])],
            fields=["_id", field],
        ):
            for record in page:
                value = record.get(field)
                current[str(record["_id"])] = None if value in (None, "") else str(value)
    changes = []
    for account_id in ids:
        if account_id not in current:
            continue
        tier = tiers[account_id]
        wanted = settings.level_of(tier)
        if wanted is not None and wanted == current[account_id]:
            continue
        change = LevelChange(account_id, tier, current[account_id], wanted)
        if wanted is None:
            change = attrs.evolve(change, error=f"no account_level option maps to tier {tier!r}")
        elif not dry_run:
            try:
                client.update("AccountObj", account_id, {field: wanted})
                change = attrs.evolve(change, applied=True)
            except FxiaokeError as error:
                change = attrs.evolve(change, error=str(error))
        changes.append(change)
    return changes
