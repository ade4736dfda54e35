"""Let kamcore's records cross process boundaries: pickle read-only mappings.

Records keep their mappings read-only (:class:`types.MappingProxyType`: an
account's facts, a portfolio's files, a rule set's rates),
and the standard library cannot pickle those. Review is meant to be sharded over
processes and machines (Dask, Ray, :mod:`multiprocessing`), which pickle what
they send, so kamcore registers a reducer that sends a mapping proxy as a copy
of its dict and rebuilds the proxy on arrival. Nothing else about pickling changes.
"""

from __future__ import annotations

import copyreg
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["read_only"]


def read_only(items: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view of *items*; what an unpickled mapping proxy is rebuilt with."""
    return MappingProxyType(items)


def _reduce(proxy: MappingProxyType[Any, Any]) -> tuple[Any, tuple[dict[Any, Any]]]:
    return read_only, (dict(proxy),)


copyreg.pickle(MappingProxyType, _reduce)
