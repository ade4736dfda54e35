"""Writing actions back to Zoho as Tasks and Notes, each exactly once.

Zoho has no idempotency key, so the adapter keeps its own: every record it
creates carries the action's key twice, in a custom field of Tasks
(``Kamcore_Key`` by default; Notes have no custom fields) and as a last line
``kamcore-key: KEY`` of the task's description or the note's text.

Before it creates anything it looks the keys up, and it looks them up again
after a write that may have reached Zoho (a reset connection, a 5xx): only the
actions still missing are sent again. Tasks are looked up with one COQL query
per 50 keys on the key field; notes through the account's related list.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from kamcore.actions import Action, PushResult
from kamcore_adapters.zoho._client import MaybeSentError, ZohoClient, ZohoError
from kamcore_adapters.zoho._mapping import KEY_MARKER

__all__ = [
    "BATCH",
    "find_keys",
    "note_record",
    "push_actions",
    "task_record",
]

logger = logging.getLogger("kamcore_adapters.zoho")

BATCH: Final = 100
"""Records per create call: Zoho's maximum."""
_LOOKUP_BATCH: Final = 50
_SUBJECT_LIMIT: Final = 255
_PRIORITIES: Final = {
    "critical": "Highest",
    "violation": "High",
    "warning": "Normal",
    "info": "Low",
}
_KEY_SHAPE: Final = re.compile(r"^[A-Za-z0-9_.:-]+$")
_ZOHO_ID: Final = re.compile(r"^[0-9]+$")


def _chunks(items: Sequence[Action], size: int) -> Iterator[Sequence[Action]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marked(body: str, key: str) -> str:
    return f"{body}\n\n{KEY_MARKER} {key}"


def task_record(action: Action, key_field: str) -> dict[str, Any]:
    """The Zoho Task for *action*, on its account, holding its key."""
    record: dict[str, Any] = {
        "Subject": action.title[:_SUBJECT_LIMIT],
        "Status": "Not Started",
        "Priority": _PRIORITIES.get(action.severity, "Normal"),
        "What_Id": {"id": action.account_id},
        "$se_module": "Accounts",
        "Description": _marked(action.body, action.key),
        key_field: action.key,
    }
    if action.due is not None:
        record["Due_Date"] = action.due.date().isoformat()
    if _ZOHO_ID.match(action.owner):  # an owner that is not a Zoho user id stays Zoho's default
        record["Owner"] = {"id": action.owner}
    return record


def note_record(action: Action) -> dict[str, Any]:
    """The Zoho Note for *action* (v8 shape), on its account, holding its key."""
    return {
        "Note_Title": action.title[:_SUBJECT_LIMIT],
        "Note_Content": _marked(action.body, action.key),
        "Parent_Id": {"module": {"api_name": "Accounts"}, "id": action.account_id},
    }


def _key_in(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    for line in reversed(text.splitlines()):
        stripped = line.strip()
        if stripped.startswith(KEY_MARKER):
            return stripped.removeprefix(KEY_MARKER).strip()
    return None


def find_keys(client: ZohoClient, actions: Iterable[Action]) -> dict[str, str]:
    """The id of the record holding each action already in Zoho, by action key."""
    key_field = client.settings.fields.key
    tasks = [a for a in actions if a.kind == "task"]
    notes = [a for a in actions if a.kind == "note"]
    found: dict[str, str] = {}
    for chunk in _chunks(tasks, _LOOKUP_BATCH):
        keys = [a.key for a in chunk if _KEY_SHAPE.match(a.key)]
        if not keys:
            continue
        listed = ", ".join(f"'{key}'" for key in keys)
        query = (
            f"select id, {key_field} from Tasks where {key_field} in ({listed}) "
            f"order by id asc limit {_LOOKUP_BATCH * 4}"
        )
        for row in client.coql(query):
            key = row.get(key_field)
            if isinstance(key, str) and key in keys:
                found.setdefault(key, str(row["id"]))  # the oldest, if there were ever two
    by_account: dict[str, set[str]] = defaultdict(set)
    for action in notes:
        by_account[action.account_id].add(action.key)
    for account, wanted in by_account.items():
        if not _ZOHO_ID.match(account):
            continue  # not a Zoho account: there can be no note on it
        rows = client.related_records(
            "Accounts", account, "Notes", ("Note_Title", "Note_Content", "Created_Time")
        )
        for row in sorted(rows, key=lambda r: str(r.get("id"))):
            key = _key_in(row.get("Note_Content"))
            if key is not None and key in wanted:
                found.setdefault(key, str(row["id"]))
    return found


def _outcome(action: Action, item: Mapping[str, Any]) -> PushResult:
    details = item.get("details") if isinstance(item.get("details"), Mapping) else {}
    assert isinstance(details, Mapping)
    if item.get("status") == "success" and details.get("id"):
        return PushResult(action.key, record_id=str(details["id"]))
    where = details.get("api_name") or details.get("param_name")
    about = f" ({where})" if where else ""
    return PushResult(
        action.key,
        error=f"Zoho refused it: {item.get('code', 'ERROR')}: {item.get('message', '')}{about}",
    )


def _create(client: ZohoClient, module: str, batch: Sequence[Action]) -> dict[str, PushResult]:
    key_field = client.settings.fields.key
    results: dict[str, PushResult] = {}
    pending = list(batch)
    for attempt in range(2):
        records = [
            task_record(a, key_field) if module == "Tasks" else note_record(a) for a in pending
        ]
        try:
            items = client.create(module, records)
        except MaybeSentError as error:
            # The write may have landed: look before sending any of it again.
            logger.info("%s; looking the %d keys up", error, len(pending))
            found = find_keys(client, pending)
            results.update({key: PushResult(key, record_id=rid) for key, rid in found.items()})
            pending = [a for a in pending if a.key not in found]
            if not pending:
                return results
            if attempt == 1:
                message = f"{error}; the next push looks it up again"
                results.update({a.key: PushResult(a.key, error=message) for a in pending})
            continue
        except ZohoError as error:
            results.update({a.key: PushResult(a.key, error=str(error)) for a in pending})
            return results
        results.update({a.key: _outcome(a, item) for a, item in zip(pending, items, strict=True)})
        return results
    return results


def push_actions(client: ZohoClient, actions: Sequence[Action]) -> list[PushResult]:
    """Create each action not yet in Zoho; one result per action, in order.

    An action already in Zoho (found by its key) is answered with the record
    that holds it and not created again.
    """
    results: dict[str, PushResult] = {
        key: PushResult(key, record_id=rid) for key, rid in find_keys(client, actions).items()
    }
    if results:
        logger.info("zoho: %d actions already in Zoho, not created again", len(results))
    for module, kind in (("Tasks", "task"), ("Notes", "note")):
        todo = [a for a in actions if a.kind == kind and a.key not in results]
        for batch in _chunks(todo, BATCH):
            results.update(_create(client, module, batch))
    return [
        results.get(a.key) or PushResult(a.key, error="not sent: unknown action kind")
        for a in actions
    ]
