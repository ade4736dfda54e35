"""The built-in ``synced`` plugin: read back what ``kamcore sync`` kept.

It serves the sources ``synced:SOURCE`` (the default tenant) and
``synced+TENANT:SOURCE`` from the portfolio store
(:class:`kamcore.stores.PortfolioStore`) in the ledger database named by
``$KAMCORE_LEDGER``, else ``kamcore-ledger.sqlite3`` in the current folder.
Reading needs no network and no plugin of the original source: after
``kamcore sync zoho:acme-eu``, ``kamcore review synced:zoho:acme-eu`` works
offline.

It is a plugin of its own, registered in the ``kamcore`` entry-point group like
the adapters, rather than part of the file adapter: the store is core kamcore
(it lives beside the ledger, not in a file of the user's), and being a plugin it
can be listed by ``kamcore plugins`` and disabled with ``KAMCORE_DISABLE_PLUGINS``.
"""

from __future__ import annotations

import shlex
import sqlite3

from kamcore.errors import PortfolioFormatError, SourceError
from kamcore.fileformat import LoadResult
from kamcore.hookspecs import hookimpl
from kamcore.stores.ledger import DEFAULT_TENANT, Ledger, ledger_path
from kamcore.stores.portfolio import PortfolioStore, read_synced_source

__all__ = ["kamcore_load_portfolio"]


@hookimpl
def kamcore_load_portfolio(source: str, strict: bool) -> LoadResult | None:
    """Load ``synced:SOURCE`` from the portfolio store (see the module docstring).

    Raises:
        SourceError: there is no ledger, or nothing was synced from SOURCE for
            the tenant, or the ledger cannot be read.
        PortfolioFormatError: *strict*, and the store keeps quarantined records.
    """
    named = read_synced_source(source)
    if named is None:
        return None
    tenant, synced = named
    command = f"kamcore sync {shlex.quote(synced)}"
    if tenant != DEFAULT_TENANT:
        command += f" --tenant {shlex.quote(tenant)}"
    path = ledger_path()
    if not path.is_file():
        raise SourceError(f"{source}: no ledger at {path}; run `{command}` first")
    try:
        with Ledger(path) as ledger:
            result = PortfolioStore(ledger).load(tenant, synced, name=source)
    except sqlite3.Error as error:
        raise SourceError(f"{source}: cannot read the ledger {path} ({error})") from None
    if result is None:
        raise SourceError(
            f"{source}: nothing synced from {synced} for tenant {tenant} in {path};"
            f" run `{command}` first"
        )
    if strict and result.quarantine:
        raise PortfolioFormatError(source, result.problems)
    return result
