"""Localization: findings, actions, reports and client notices in en, zh, ru, uk and bg.

Texts live in message catalogs, one TOML file per language in this package
(``catalogs/en.toml``…), under stable keys: ``PRINCIPLE.CODE`` for a finding,
``action.NAME``, ``severity.NAME``, ``principle.ID``, ``term.CODE``,
``report.…``, ``review.…``, ``notice.…`` and ``format.…`` (how dates, numbers and
lists are written). A text has ``{name}`` placeholders; every language has every
key with the same placeholders (the test suite fails otherwise). Plugins add or
override texts through the ``kamcore_message_catalogs`` hook.

    >>> from kamcore.i18n import action_text, messages
    >>> action_text("call", messages("zh-CN"))
    '致电客户'
    >>> messages("de").language  # unknown: English
    'en'
"""

from __future__ import annotations

from kamcore.i18n._catalog import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    TERM_PARAMS,
    Catalogs,
    Messages,
    MissingParameterError,
    builtin_catalogs,
    catalogs,
    merge_catalogs,
    messages,
    missing_marker,
    negotiate,
)
from kamcore.i18n._describe import (
    action_text,
    describe,
    level_text,
    principle_name,
    severity_text,
)
from kamcore.i18n._templates import CatalogError, placeholders

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "TERM_PARAMS",
    "CatalogError",
    "Catalogs",
    "Messages",
    "MissingParameterError",
    "action_text",
    "builtin_catalogs",
    "catalogs",
    "describe",
    "level_text",
    "merge_catalogs",
    "messages",
    "missing_marker",
    "negotiate",
    "placeholders",
    "principle_name",
    "severity_text",
]
