"""The hooks kamcore calls, for plugin authors.

A plugin is a module (or object) with functions named after these hooks and
marked with :data:`kamcore.hookimpl`. Installed plugins are found through the
``kamcore`` entry-point group::

    # pyproject.toml of your plugin
    [project.entry - points.kamcore]
    mycrm = "kamcore_mycrm.plugin"

An application that embeds kamcore can also register a plugin object directly
with :func:`kamcore.get_plugin_manager`.

An implementation may accept fewer arguments than the hook declares (pluggy
passes only those it names), so new arguments can be added to a hook in later
releases without breaking plugins; arguments are never removed or renamed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from kamcore.classification.metrics import Metric
    from kamcore.fileformat import LoadResult
    from kamcore.review import Principle

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
