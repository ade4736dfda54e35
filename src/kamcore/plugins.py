"""The plugin manager and a typed way to call its hooks."""

from __future__ import annotations

import os
from collections.abc import Iterable

import pluggy

from kamcore import hookspecs
from kamcore.errors import SourceError
from kamcore.fileformat import LoadResult

__all__ = ["DISABLE_ENV", "ENTRY_POINT_GROUP", "get_plugin_manager", "load_portfolio"]

ENTRY_POINT_GROUP = "kamcore"
"""The entry-point group in which installed plugins (built-in adapters too) register."""

DISABLE_ENV = "KAMCORE_DISABLE_PLUGINS"
"""Environment variable: comma-separated names of installed plugins not to load."""


def get_plugin_manager(
    *, entry_points: bool = True, plugins: Iterable[object] = ()
) -> pluggy.PluginManager:
    """A new plugin manager with kamcore's hooks.

    Args:
        entry_points: load every plugin installed in the ``kamcore`` entry-point
            group (the built-in file adapter and principles are among them), except
            those named in the ``KAMCORE_DISABLE_PLUGINS`` environment variable.
        plugins: further plugin objects (modules, instances) to register, for
            applications that embed kamcore and for tests.

    Returns:
        A fresh manager; kamcore keeps no global one, so two applications in one
        process do not see each other's plugins.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    for name in os.environ.get(DISABLE_ENV, "").split(","):
        if name.strip():
            manager.set_blocked(name.strip())
    if entry_points:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in plugins:
        manager.register(plugin)
    manager.check_pending()
    return manager


def load_portfolio(
    source: str, *, strict: bool = True, plugins: pluggy.PluginManager | None = None
) -> LoadResult:
    """Load a portfolio from *source* through whichever plugin reads it.

    Args:
        source: a path to a portfolio JSON file, a folder of CSV files, or a URI
            whose scheme names a plugin (``file:…``, ``zoho:…``).
        strict: refuse the source if any record is invalid (the default), or
            keep the valid records and quarantine the rest.
        plugins: the plugin manager to use; a new one with the installed plugins
            when ``None``.

    Returns:
        The portfolio and the records quarantined (none when *strict*).

    Raises:
        SourceError: no plugin reads *source*, or it cannot be read at all.
        PortfolioFormatError: the source holds invalid records (strict mode) or
            is not a portfolio at all.
    """
    manager = plugins if plugins is not None else get_plugin_manager()
    result: LoadResult | None = manager.hook.kamcore_load_portfolio(source=source, strict=strict)
    if result is None:
        names = ", ".join(sorted(n for n, _ in manager.list_name_plugin() if n)) or "none"
        raise SourceError(f"{source}: no installed plugin reads this source (plugins: {names})")
    return result
