"""kamcore: key-account management as a library.

Load a portfolio of client files, and everything else reads from it::

    >>> import kamcore
    >>> result = kamcore.load_portfolio(kamcore.SAMPLE_PORTFOLIO)
    >>> len(result.portfolio) >= 40
    True
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from kamcore.errors import (
    FormatError,
    InvalidValueError,
    KamcoreError,
    PortfolioFormatError,
    Problem,
    RuleSetError,
    SourceError,
    UnknownAccountError,
)
from kamcore.fileformat import LoadResult, Quarantined
from kamcore.hookspecs import hookimpl
from kamcore.i18n import LANGUAGES, Messages, describe, messages
from kamcore.model import (
    Account,
    ClientFile,
    Contact,
    Event,
    PersonalNote,
    Portfolio,
    Report,
    StaffMember,
    Timeline,
    Transaction,
)
from kamcore.plugins import get_plugin_manager, load_portfolio

__all__ = [
    "LANGUAGES",
    "SAMPLE_PORTFOLIO",
    "Account",
    "ClientFile",
    "Contact",
    "Event",
    "FormatError",
    "InvalidValueError",
    "KamcoreError",
    "LoadResult",
    "Messages",
    "PersonalNote",
    "Portfolio",
    "PortfolioFormatError",
    "Problem",
    "Quarantined",
    "Report",
    "RuleSetError",
    "SourceError",
    "StaffMember",
    "Timeline",
    "Transaction",
    "UnknownAccountError",
    "describe",
    "get_plugin_manager",
    "hookimpl",
    "load_portfolio",
    "messages",
]

SAMPLE_PORTFOLIO: Final[str] = str(
    resources.files(__name__).joinpath("data", "sample-portfolio.json")
)
"""Path of the sample portfolio shipped with kamcore: the default source of the CLI."""
