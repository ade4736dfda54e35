"""Sync from sources, push actions to sinks and send escalation notices, through the
plugins and the ledger.

``sync`` keeps what it loaded in the portfolio store
(:class:`kamcore.stores.PortfolioStore`), in the same SQLite transaction as the
source's new cursor: the cursor never moves past changes that were not kept.

``push`` is what makes write-back safe to repeat: every action is recorded in
the ledger before it is sent and marked done after, an action already done is
skipped, and an action left *pending* by a crash is first looked for in the sink
(``kamcore_find_action``) before it is sent again. Re-running review and push
therefore creates no duplicates.

``send_notices`` does the same for escalation notices: each channel plugin gets a
notice once, recorded in the ledger after the plugin returned; a plugin that
raises is tried again with that notice on the next run, the others are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

import attrs
import pluggy

from kamcore.actions import Action, PushResult
from kamcore.errors import KamcoreError, SourceError
from kamcore.escalation.notices import EscalationNotice
from kamcore.fileformat import LoadResult
from kamcore.plugins import get_plugin_manager
from kamcore.stores import Ledger, PortfolioStore

__all__ = [
    "BATCH_SIZE",
    "NOTICE_HOOK",
    "ChangeSet",
    "PushSummary",
    "SendSummary",
    "SyncSummary",
    "push",
    "send_notices",
    "sync",
]

NOTICE_HOOK: Final = "kamcore_send_notice"
"""The hook :func:`send_notices` calls."""

BATCH_SIZE: Final = 100
"""Actions handed to a sink plugin at once (Zoho takes at most 100 records per call)."""

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` while work goes on."""


@attrs.frozen
class ChangeSet:
    """What changed in a source since a cursor.

    Attributes:
        result: the changed client files, with the records quarantined.
        cursor: where the next sync starts.
        stopped: why the source stopped before the end (a daily API quota used
            up), or ``None`` when everything changed was read. The result holds
            what was read until then and the cursor resumes right after it.
    """

    result: LoadResult
    cursor: str
    stopped: str | None = None


@attrs.frozen
class SyncSummary:
    """The outcome of a sync.

    Attributes:
        accounts: client files loaded.
        quarantined: records set aside as invalid.
        cursor: the cursor kept for the next sync (``None`` for a full load
            through a plugin without incremental loading).
        result: what was loaded.
        stopped: why the source stopped before the end (see
            :attr:`ChangeSet.stopped`); the next sync resumes from the cursor.
        stored: client files the portfolio store holds for the source after
            this sync (read them back as ``synced:SOURCE``).
    """

    accounts: int
    quarantined: int
    cursor: str | None
    result: LoadResult
    stopped: str | None = None
    stored: int = 0


@attrs.frozen
class PushSummary:
    """The outcome of a push.

    Attributes:
        created: actions the sink created now.
        skipped: actions already in the sink (done before, or found after a crash).
        failed: actions that failed, kept in the ledger for the next push.
        errors: per failed action key, why.
    """

    created: int = 0
    skipped: int = 0
    failed: int = 0
    errors: dict[str, str] = attrs.field(factory=dict)


def sync(
    source: str,
    ledger: Ledger,
    *,
    tenant: str = "default",
    since: str | None = None,
    full: bool = False,
    strict: bool = False,
    plugins: pluggy.PluginManager | None = None,
) -> SyncSummary:
    """Load what changed in *source* since the last sync; keep it and the new cursor.

    What was loaded — the client files and the records quarantined — goes to the
    portfolio store in *ledger*'s database, in one transaction with the new
    cursor: if storing fails, neither the store nor the cursor changes, and the
    next sync loads the same changes again. A complete view of the source (a
    plugin without ``kamcore_load_changes``, or a load from no cursor, as with
    *full*) replaces what the store held for *source*; changes since a cursor,
    and a view cut short (:attr:`ChangeSet.stopped`), are merged over it.

    Args:
        source: the source, as for ``load_portfolio``.
        ledger: where cursors and the portfolio store are kept.
        tenant: whose cursor and store it is.
        since: start from this cursor instead of the one the ledger kept.
        full: ignore any cursor and load everything.
        strict: refuse the source on any invalid record (default: quarantine them).
        plugins: the plugin manager; the installed plugins when ``None``.
    """
    manager = plugins if plugins is not None else get_plugin_manager()
    cursor = None if full else since or ledger.cursor(tenant, source)
    changes: ChangeSet | None = manager.hook.kamcore_load_changes(
        source=source, since=cursor, strict=strict
    )
    stopped = None
    if changes is not None:
        result, new_cursor, stopped = changes.result, changes.cursor, changes.stopped
    else:
        result = manager.hook.kamcore_load_portfolio(source=source, strict=strict)
        if result is None:
            raise SourceError(f"{source}: no installed plugin reads this source")
        new_cursor = None
    complete_view = (changes is None or cursor is None) and stopped is None
    stored = PortfolioStore(ledger).keep(
        tenant, source, result, replace=complete_view, cursor=new_cursor
    )
    return SyncSummary(
        len(result.portfolio), len(result.quarantine), new_cursor, result, stopped, stored
    )


def _batches(actions: Sequence[Action], size: int) -> Iterable[Sequence[Action]]:
    for start in range(0, len(actions), size):
        yield actions[start : start + size]


def push(
    sink: str,
    actions: Sequence[Action],
    ledger: Ledger,
    *,
    dry_run: bool = False,
    plugins: pluggy.PluginManager | None = None,
    progress: Progress | None = None,
) -> PushSummary:
    """Create *actions* in *sink*, each exactly once however often this runs.

    An action the ledger has seen before but not marked done (a crash after
    sending, or a sink that failed to answer) is looked for in the sink first;
    an action given twice is sent once.

    Args:
        sink: the sink, e.g. ``file:actions.jsonl`` or ``zoho:acme-eu``.
        actions: the actions (from :func:`kamcore.actions.actions_from_agenda`).
        ledger: the action ledger.
        dry_run: only count what would be created, skipped or retried; send nothing
            and write nothing.
        plugins: the plugin manager; the installed plugins when ``None``.
        progress: called with ``(done, total)`` as batches complete.

    Raises:
        SourceError: no installed plugin writes to *sink*.
    """
    manager = plugins if plugins is not None else get_plugin_manager()
    summary = PushSummary()
    to_send: list[Action] = []
    unique = list({action.key: action for action in actions}.values())
    for action in unique:
        record = ledger.get(action.tenant, sink, action.key)
        if record is not None and record.status == "done":
            summary = attrs.evolve(summary, skipped=summary.skipped + 1)
            continue
        if record is not None and not dry_run:
            # Pending: a previous run may have crashed after the sink created it.
            # Failed: the sink may have created it and then failed to answer.
            try:
                found = manager.hook.kamcore_find_action(sink=sink, action=action)
            except Exception as error:
                summary = _failed(summary, action.key, f"lookup failed: {type(error).__name__}")
                continue
            if found is not None:
                ledger.mark_done(action.tenant, sink, action.key, found)
                summary = attrs.evolve(summary, skipped=summary.skipped + 1)
                continue
        to_send.append(action)
    if dry_run:
        return attrs.evolve(summary, created=len(to_send))
    done = len(unique) - len(to_send)
    for batch in _batches(to_send, BATCH_SIZE):
        for action in batch:
            ledger.record_pending(sink, action)
        results = _send(manager, sink, batch)
        if results is None:
            for action in batch:  # nothing was sent: leave no trace of this sink
                ledger.forget(action.tenant, sink, action.key)
            raise SourceError(f"{sink}: no installed plugin writes to this sink")
        summary = _settle(ledger, sink, batch, results, summary)
        done += len(batch)
        if progress is not None:
            progress(done, len(unique))
    return summary


def _failed(summary: PushSummary, key: str, error: str) -> PushSummary:
    return attrs.evolve(summary, failed=summary.failed + 1, errors={**summary.errors, key: error})


def _send(
    manager: pluggy.PluginManager, sink: str, batch: Sequence[Action]
) -> dict[str, PushResult] | None:
    try:
        results: Sequence[PushResult] | None = manager.hook.kamcore_push_actions(
            sink=sink, actions=list(batch)
        )
    except Exception as error:
        message = f"{type(error).__name__}: {error}"
        return {action.key: PushResult(action.key, error=message) for action in batch}
    if results is None:
        return None
    return {result.key: result for result in results}


def _settle(
    ledger: Ledger,
    sink: str,
    batch: Sequence[Action],
    results: dict[str, PushResult],
    summary: PushSummary,
) -> PushSummary:
    created, failed, errors = summary.created, summary.failed, dict(summary.errors)
    for action in batch:
        result = results.get(action.key) or PushResult(action.key, error="the sink said nothing")
        if result.ok and result.record_id is not None:
            ledger.mark_done(action.tenant, sink, action.key, result.record_id)
            created += 1
        else:
            error = result.error or "no record id"
            ledger.mark_failed(action.tenant, sink, action.key, error)
            failed += 1
            errors[action.key] = error
    return attrs.evolve(summary, created=created, failed=failed, errors=errors)


# -------------------------------------------------------------------------------------------------
# Escalation notices
# -------------------------------------------------------------------------------------------------


@attrs.frozen
class SendSummary:
    """The outcome of sending escalation notices.

    Attributes:
        sent: notices handed now to every plugin that had not had them yet.
        already_sent: notices every plugin had had before: not sent again.
        failed: notices at least one plugin raised for; the ledger keeps them
            for the next run, for those plugins only.
        errors: per failed notice key, each failing plugin and its error.
    """

    sent: int = 0
    already_sent: int = 0
    failed: int = 0
    errors: dict[str, str] = attrs.field(factory=dict)


def _channel_callers(manager: pluggy.PluginManager) -> dict[str, Callable[..., object]]:
    """One caller per plugin implementing :data:`NOTICE_HOOK`, by plugin name: a plugin
    that raises must not keep the others from delivering (as one hook call would)."""
    implementations = getattr(manager.hook, NOTICE_HOOK).get_hookimpls()
    plugins = {impl.plugin_name: impl.plugin for impl in implementations}
    return {
        name: manager.subset_hook_caller(
            NOTICE_HOOK, remove_plugins=[other for key, other in plugins.items() if key != name]
        )
        for name in sorted(plugins)
    }


def send_notices(
    notices: Iterable[EscalationNotice],
    ledger: Ledger,
    *,
    plugins: pluggy.PluginManager | None = None,
) -> SendSummary:
    """Hand each notice to every channel plugin once, however often this runs.

    For every notice (by its :attr:`~kamcore.escalation.EscalationNotice.key`,
    a notice given twice counts once, as the first given), each plugin implementing
    ``kamcore_send_notice`` that the ledger has not recorded for it is called;
    the ledger records the delivery, in its own transaction, after the plugin
    returned. A plugin that raises is reported for that notice and tried again
    on the next run; the other plugins and notices still go. A plugin is known
    by its registered name (its entry-point name), which must stay the same
    between runs.

    Args:
        notices: from :func:`kamcore.escalation.escalation_notices`; each says
            its tenant.
        ledger: where deliveries are recorded.
        plugins: the plugin manager; the installed plugins when ``None``.

    Returns:
        How many notices were sent, had been sent before, or failed.

    Raises:
        KamcoreError: no installed plugin implements ``kamcore_send_notice``, so
            nothing could be delivered (and nothing is recorded).
    """
    manager = plugins if plugins is not None else get_plugin_manager()
    callers = _channel_callers(manager)
    unique: dict[tuple[str, str], EscalationNotice] = {}
    for notice in notices:
        unique.setdefault((notice.tenant, notice.key), notice)  # the first of a key is sent
    if unique and not callers:
        raise KamcoreError(f"no installed plugin delivers notices ({NOTICE_HOOK})")
    sent = already_sent = 0
    errors: dict[str, str] = {}
    for notice in unique.values():
        delivered = ledger.notice_plugins(notice.tenant, notice.key)
        pending = [name for name in callers if name not in delivered]
        if not pending:
            already_sent += 1
            continue
        failures = []
        for name in pending:
            try:
                callers[name](notice=notice)
            except Exception as error:  # a channel's failure is reported, not fatal
                failures.append(f"{name}: {type(error).__name__}: {error}")
                continue
            ledger.record_notice(notice.tenant, notice.key, name, notice.recipient)
        if failures:
            errors[notice.key] = "; ".join(failures)
        else:
            sent += 1
    return SendSummary(sent=sent, already_sent=already_sent, failed=len(errors), errors=errors)
