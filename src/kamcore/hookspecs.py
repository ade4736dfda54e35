"""The hooks kamcore calls, for plugin authors.

A plugin is a module (or object) with functions named after these hooks and
marked with :data:`kamcore.hookimpl`. Installed plugins are found through the
``kamcore`` entry-point group, in the ``pyproject.toml`` of the plugin:

```toml
[project.entry-points.kamcore]
mycrm = "kamcore_mycrm.plugin"
```

An application that embeds kamcore can also register a plugin object directly
with :func:`kamcore.get_plugin_manager`.

An implementation may accept fewer arguments than the hook declares (pluggy
passes only those it names), so new arguments can be added to a hook in later
releases without breaking plugins; arguments are never removed or renamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from kamcore.actions import Action, PushResult
    from kamcore.classification.metrics import Metric
    from kamcore.fileformat import LoadResult
    from kamcore.notices import Notice
    from kamcore.review import Principle
    from kamcore.sync import ChangeSet

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "kamcore"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -------------------------------------------------------------------------------------------------
# Portfolio sources
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def kamcore_load_portfolio(source: str, strict: bool) -> LoadResult | None:
    """Load a portfolio from *source*, if this plugin knows that kind of source.

    Called whenever kamcore needs a portfolio: by :func:`kamcore.load_portfolio`
    and by every CLI command that takes a ``SOURCE``. Stops at the first
    non-``None`` result, so a plugin must return ``None`` quickly for a source it
    does not recognise (check the scheme or the path's form, not the network).

    :param source: the source as the user wrote it: a path
        (``portfolio.json``, ``exports/``), or a URI whose scheme names the plugin
        (``file:portfolio.json``, ``zoho:acme-eu``…).
    :param strict: when ``True``, refuse the whole source if any record is
        invalid by raising :class:`kamcore.PortfolioFormatError` listing every
        problem; when ``False``, return the valid records and put each invalid one
        in :attr:`kamcore.LoadResult.quarantine` with its reasons. Never drop a
        record silently in either mode.
    :return: the loaded portfolio and its quarantine, or ``None`` when this
        plugin does not handle *source*.
    :raises kamcore.SourceError: the source is this plugin's but cannot be
        read at all (file missing, server unreachable). Secrets must not appear in
        the message.
    :raises kamcore.PortfolioFormatError: see *strict*.

    Build the result with :func:`kamcore.fileformat.decode_portfolio` where the
    source can be turned into the documented portfolio document, so that every
    source validates records the same way.
    """


@hookspec(firstresult=True)
def kamcore_load_changes(source: str, since: str | None, strict: bool) -> ChangeSet | None:
    """Load what changed in *source* since the cursor *since*, if this plugin knows the source.

    Called by ``kamcore sync`` and :func:`kamcore.sync.sync` with the cursor the
    ledger kept from the last sync of this source (``None`` the first time).
    Stops at the first non-``None`` result: return
    ``None`` quickly for a source that is not yours. A source whose plugin does
    not implement this hook is loaded in full through ``kamcore_load_portfolio``.

    :param source: the source as the user wrote it (``zoho:acme-eu``, ``file:…``).
    :param since: the opaque cursor returned by the previous sync, or ``None``.
    :param strict: as for ``kamcore_load_portfolio``: refuse on any invalid
        record, or quarantine invalid records and keep the rest.
    :return: a :class:`kamcore.sync.ChangeSet` — the changed client files with
        their quarantine, and the cursor to pass next time — or ``None``.

    kamcore keeps what a sync returns (:class:`kamcore.stores.PortfolioStore`):
    a result for ``since=None`` replaces what was kept of the source; a result
    for a cursor is merged over it, account by account, so return **whole**
    client files for the accounts that changed. The scheme ``synced:`` is
    kamcore's own (it reads what was kept).
    """


# -------------------------------------------------------------------------------------------------
# Classification
# -------------------------------------------------------------------------------------------------


@hookspec
def kamcore_metrics() -> Iterable[Metric] | None:
    """Provide metrics that classification rules can read as ``metric.NAME``.

    Called once each time a rule set is loaded or compiled
    (:func:`kamcore.classification.load_classifier`, ``kamcore classify``,
    ``kamcore rules check``). Every plugin's metrics are used; a name given
    twice, by two plugins or by a plugin and the rule set, is an error.

    This is how a company's own criteria that need code get in: a software
    seller's plugin can measure its potential by the number of field sales
    representatives a client employs, and the rule set weighs
    ``metric.field_sales_reps`` like any other value.

    :return: objects with ``name``, ``description`` and
        ``compute(client, as_of) -> number | None``, or ``None`` for none (see
        :class:`kamcore.classification.Metric`; :class:`kamcore.classification.PluginMetric`
        wraps a plain function). ``compute`` must be pure and read only data up to
        ``as_of``.
    """


# -------------------------------------------------------------------------------------------------
# Review
# -------------------------------------------------------------------------------------------------


@hookspec
def kamcore_principles() -> Iterable[Principle] | None:
    """Provide service principles that ``review`` checks every account against.

    Called once per review (:func:`kamcore.review.review` without explicit
    principles, ``kamcore review``), to collect the checks. The built-in
    principles arrive through this hook too, from the plugin
    ``kamcore.review.principles``. Two principles with the same id are an error.

    :return: objects with ``id``, ``name``, ``codes`` (every finding code with its
        meaning) and a pure ``check(context) -> findings`` (see
        :class:`kamcore.review.Principle`; :class:`kamcore.review.SimplePrinciple`
        wraps a plain function), or ``None`` for none.
    """


# -------------------------------------------------------------------------------------------------
# Sinks: writing actions back
# -------------------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def kamcore_push_actions(sink: str, actions: Sequence[Action]) -> Sequence[PushResult] | None:
    """Create *actions* (tasks, notes) in *sink*, if this plugin knows the sink.

    Called by ``kamcore push`` and :func:`kamcore.sync.push` after each action
    was recorded in the ledger as *pending*, in batches the plugin may split
    further. Stops at the first non-``None`` result: return ``None`` for a sink
    that is not yours.
    Store each action's ``key`` with the record it creates (a custom field, a
    marker in the text), so that ``kamcore_find_action`` can find it again.

    :param sink: the sink as the user wrote it (``zoho:acme-eu``, ``file:actions.jsonl``).
    :param actions: the actions to create, each with its deterministic ``key``.
    :return: one :class:`kamcore.actions.PushResult` per action, in any order:
        the id of the record created, or an error for that action alone (one
        failed action must not stop the others). Raising fails the whole batch;
        the ledger keeps every action of it for the next run.
    """


@hookspec(firstresult=True)
def kamcore_find_action(sink: str, action: Action) -> str | None:
    """The id of the record in *sink* that holds *action* (by its key), or ``None``.

    Called by the push before it sends an action the ledger saw *pending*: the
    previous run may have crashed after the sink created the record and before
    the ledger marked it done. Stops at the first non-``None`` result; a plugin
    that does not know
    the sink returns ``None``, as does the sink's plugin when the record is not
    there. Must not create anything.

    :param sink: the sink as the user wrote it.
    :param action: the action whose ``key`` to look for.
    :return: the record id, or ``None``.
    """


# -------------------------------------------------------------------------------------------------
# Notices and localization
# -------------------------------------------------------------------------------------------------


@hookspec
def kamcore_send_notice(notice: Notice) -> None:
    """Deliver an escalation notice through a channel (e-mail, IM, webhook).

    Called by ``kamcore escalate --send`` and :func:`kamcore.sync.send_notices`
    for every escalation notice, once per notice and per plugin that implements
    it (**All results are used**: each channel decides whether the notice is for
    it, by its ``channel`` or recipient). kamcore calls each plugin on its own and
    records each delivery in the ledger, so a notice reaches a plugin once however
    often the command runs. A plugin that raises is reported and asked again on
    the next run; the other plugins still deliver.

    :param notice: the :class:`kamcore.notices.Notice`: recipient, channel,
        subject, body, language and the finding it is about.
    :return: nothing.
    """


@hookspec
def kamcore_message_catalogs() -> Mapping[str, Mapping[str, str]] | None:
    """Provide translated messages: ``{language: {message key: text}}``.

    Called once when kamcore builds its message catalogs (to render findings,
    reports and notices in a language). **All results are used**: a plugin adds
    the messages of its own principles and actions, and may override kamcore's
    own texts, the later plugin winning.

    :return: the messages by language (``en``, ``zh``, ``ru``, ``uk``, ``bg``…)
        and message key (``care.no_without_alternative``), with ``{name}``
        placeholders for the finding's parameters; or ``None``.
    """
