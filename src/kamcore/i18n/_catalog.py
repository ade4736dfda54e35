"""Message catalogs: kamcore's own (TOML files in this package) merged with plugins'."""

from __future__ import annotations

import functools
import re
import tomllib
import weakref
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

import attrs
import pluggy

from kamcore.errors import KamcoreError
from kamcore.i18n._templates import CatalogError, parse_template, placeholders, substitute

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "TERM_PARAMS",
    "Catalogs",
    "Messages",
    "MissingParameterError",
    "builtin_catalogs",
    "catalogs",
    "merge_catalogs",
    "messages",
    "missing_marker",
    "negotiate",
]

LANGUAGES: Final = ("en", "zh", "ru", "uk", "bg")
"""The languages kamcore ships a complete catalog for; English first, the fallback."""

DEFAULT_LANGUAGE: Final = "en"
"""The language used when none is asked for or the one asked for is unknown, and the
fallback of every missing message."""

TERM_PARAMS: Final = frozenset(
    {
        "change",
        "channel",
        "fallen_scores",
        "missing",
        "previous_step",
        "problem",
        "role",
        "step",
        "top_signals",
        "topics",
    }
)
"""Parameters whose values are codes (``price_change``, ``("explanation", "apology")``),
not free text: each code is shown as the catalog's ``term.CODE`` when it has one."""

_ALIASES: Final = {"ua": "uk", "cn": "zh", "chi": "zh", "zho": "zh", "rus": "ru", "ukr": "uk"}
"""Tags people write for these languages that are not their ISO 639-1 codes."""

_TAG: Final = re.compile(r"[A-Za-z]{2,8}")


def missing_marker(key: str) -> str:
    """What a message with no text in any catalog renders as: ``[[KEY]]``."""
    return f"[[{key}]]"


class MissingParameterError(KamcoreError, LookupError):
    """A message was rendered strictly without a value for one of its placeholders.

    Attributes:
        key: the message key.
        parameter: the placeholder with no value.
    """

    def __init__(self, key: str, parameter: str) -> None:
        self.key = key
        self.parameter = parameter
        super().__init__(f"message {key!r} needs the parameter {parameter!r}")


def negotiate(requested: str | None, available: Iterable[str] = LANGUAGES) -> str:
    """The language of *available* that best serves *requested*; English otherwise.

    *requested* is a BCP 47 tag (``zh-CN``, ``ru_RU``, ``uk``) or an HTTP
    ``Accept-Language`` list (``uk-UA, ru;q=0.8``): the first tag, by weight, whose
    primary language is available wins. Nothing, or nothing known, gives
    :data:`DEFAULT_LANGUAGE`. Never raises.

    >>> negotiate("zh-Hans-CN"), negotiate("ru_RU"), negotiate("de"), negotiate(None)
    ('zh', 'ru', 'en', 'en')
    """
    known = list(available)
    if not requested:
        return DEFAULT_LANGUAGE
    choices: list[tuple[float, int, str]] = []
    for index, item in enumerate(str(requested).split(",")):
        tag, _, weight = item.partition(";")
        quality = 1.0
        if weight.strip().startswith("q="):
            try:
                quality = float(weight.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((-quality, index, tag.strip()))
    for _, _, tag in sorted(choices):
        if tag in known:
            return tag
        primary = _TAG.match(tag.replace("_", "-"))
        if primary is None:
            continue
        language = primary.group(0).lower()
        language = _ALIASES.get(language, language)
        if language in known:
            return language
    return DEFAULT_LANGUAGE


def _flatten(table: Mapping[str, Any], prefix: str, where: str) -> dict[str, str]:
    texts: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            texts.update(_flatten(value, f"{key}.", where))
        elif isinstance(value, str):
            texts[key] = value
        else:
            raise CatalogError(f"{where}: {key} must be text, got {type(value).__name__}")
    return texts


def _checked(language: object, texts: object, where: str) -> tuple[str, dict[str, str]]:
    if not isinstance(language, str) or not isinstance(texts, Mapping):
        raise CatalogError(f"{where}: a catalog is {{language: {{key: text}}}}")
    checked = _flatten(texts, "", f"{where} [{language}]")
    for key, text in checked.items():
        try:
            parse_template(text)
        except CatalogError as error:
            raise CatalogError(f"{where} [{language}] {key}: {error}") from None
    return language, checked


@functools.cache
def builtin_catalogs() -> Mapping[str, Mapping[str, str]]:
    """kamcore's own catalogs, ``{language: {key: text}}``, read from the package's
    ``catalogs/LANGUAGE.toml`` files (nested TOML tables become dotted keys)."""
    folder = resources.files(__package__ or "kamcore.i18n").joinpath("catalogs")
    found: dict[str, Mapping[str, str]] = {}
    for language in LANGUAGES:
        document = tomllib.loads(folder.joinpath(f"{language}.toml").read_text(encoding="utf-8"))
        _, texts = _checked(language, document, f"catalogs/{language}.toml")
        found[language] = MappingProxyType(texts)
    return MappingProxyType(found)


@attrs.frozen
class Messages:
    """The messages of one language, with English as the fallback.

    Build it with :func:`messages` or :meth:`Catalogs.messages`.

    Attributes:
        language: the language of the texts.
        texts: the texts of *language* by key.
        fallback: the English texts, for keys *language* lacks.

    >>> zh = messages("zh-CN", plugins=None)
    >>> zh.text("commitment.promise_overdue", what="报告", due=date(2026, 12, 7))
    '承诺“报告”（到期日：2026年12月7日）未兑现，也未商定新的日期。'
    """

    language: str
    texts: Mapping[str, str] = attrs.field(repr=False)
    fallback: Mapping[str, str] = attrs.field(repr=False)

    def template(self, key: str) -> str | None:
        """The raw text of *key* in this language, else in English, else ``None``."""
        found = self.texts.get(key)
        return found if found is not None else self.fallback.get(key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.template(key) is not None

    def text(self, key: str, /, **params: Any) -> str:
        """The text of *key* with *params* filled in; never raises.

        A key with no text in this language falls back to English, then to
        :func:`missing_marker` (``[[KEY]]``). A placeholder with no parameter is
        left as it is (``{due}``), visible to the reader; use :meth:`render`
        with ``strict=True`` to get a :class:`MissingParameterError` instead.
        Parameter values are shown in the language (:meth:`value`).
        """
        return self.render(key, params)

    def render(self, key: str, params: Mapping[str, Any], *, strict: bool = False) -> str:
        """The text of *key* with *params*, as :meth:`text`.

        Raises:
            MissingParameterError: *strict* and a placeholder has no parameter.
        """
        template = self.template(key)
        if template is None:
            return missing_marker(key)

        def fill(name: str) -> str:
            if name in params:
                return self.value(params[name], name=name)
            if strict:
                raise MissingParameterError(key, name)
            return "{" + name + "}"

        return substitute(template, fill)

    def value(self, value: Any, *, name: str | None = None) -> str:
        """*value* as text in this language: dates as the catalog writes them, decimals
        with its separator, lists joined by its separator, ``None`` as unknown; codes
        of a :data:`TERM_PARAMS` parameter *name* as their ``term.CODE`` text."""
        if value is None:
            text = self.text("format.unknown")
        elif isinstance(value, bool):
            text = self.text("format.yes" if value else "format.no")
        elif isinstance(value, date):  # datetime too
            text = self.date(value)
        elif isinstance(value, float | Decimal):
            number = (
                f"{value:.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
            )
            text = number.replace(".", self.text("format.decimal_separator"))
        elif isinstance(value, timedelta):
            text = self.value(round(value.total_seconds() / 86400, 1))
        elif isinstance(value, Mapping):
            text = self.text("format.list_separator").join(
                f"{k}: {self.value(v, name=name)}" for k, v in value.items()
            )
        elif isinstance(value, tuple | list | set | frozenset):
            items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
            text = self.text("format.list_separator").join(
                self.value(item, name=name) for item in items
            )
        elif isinstance(value, str) and name in TERM_PARAMS and f"term.{value}" in self:
            text = self.text(f"term.{value}")
        else:
            text = str(value)
        return text

    def date(self, moment: date) -> str:
        """The calendar day of *moment* (of a date-time: in its own time zone) in this
        language's long form: ``7 December 2026``, ``2026年12月7日``."""
        day = moment.date() if isinstance(moment, datetime) else moment
        return substitute(
            self.template("format.date") or "{year}-{month}-{day}",
            {
                "day": str(day.day),
                "month": self.text(f"format.month.{day.month}"),
                "year": str(day.year),
            }.__getitem__,
        )


@attrs.frozen
class Catalogs:
    """The catalogs of every language kamcore and the plugins provide.

    Attributes:
        texts: ``{language: {key: text}}``, the plugins' texts merged over kamcore's.
    """

    texts: Mapping[str, Mapping[str, str]]

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language with a catalog: kamcore's first, then the plugins' by name."""
        extra = sorted(set(self.texts) - set(LANGUAGES))
        return (*(lang for lang in LANGUAGES if lang in self.texts), *extra)

    def messages(self, language: str | None = DEFAULT_LANGUAGE) -> Messages:
        """The messages for *language*, negotiated (:func:`negotiate`) against
        :attr:`languages`: ``zh-CN`` gives Chinese, an unknown tag English."""
        chosen = negotiate(language, self.languages)
        fallback = self.texts.get(DEFAULT_LANGUAGE, {})
        return Messages(chosen, self.texts.get(chosen, fallback), fallback)

    def placeholders(self, key: str, language: str) -> frozenset[str]:
        """The placeholders of *key* in *language* (none when it has no text there)."""
        text = self.texts.get(language, {}).get(key)
        return placeholders(text) if text is not None else frozenset()


def merge_catalogs(
    base: Mapping[str, Mapping[str, str]], *overlays: Mapping[str, Mapping[str, str]] | None
) -> Catalogs:
    """*base* with each overlay's texts added or overriding, in order (the last wins).

    Raises:
        CatalogError: an overlay is not ``{language: {key: text}}`` or holds a
            malformed text.
    """
    merged = {language: dict(texts) for language, texts in base.items()}
    for number, overlay in enumerate(overlays, start=1):
        if overlay is None:
            continue
        if not isinstance(overlay, Mapping):
            raise CatalogError(f"plugin catalog {number}: a catalog is {{language: {{key: text}}}}")
        for language, texts in overlay.items():
            name, checked = _checked(language, texts, f"plugin catalog {number}")
            merged.setdefault(name, {}).update(checked)
    return Catalogs(
        MappingProxyType({lang: MappingProxyType(texts) for lang, texts in merged.items()})
    )


_BY_MANAGER: weakref.WeakKeyDictionary[pluggy.PluginManager, Catalogs] = weakref.WeakKeyDictionary()


@functools.cache
def _installed() -> Catalogs:
    from kamcore.plugins import get_plugin_manager

    return catalogs(get_plugin_manager())


def catalogs(plugins: pluggy.PluginManager | None = None) -> Catalogs:
    """kamcore's catalogs merged with those of *plugins* (``kamcore_message_catalogs``).

    Every plugin's catalog is used; where two give the same key in the same
    language, the plugin registered later wins, and any plugin wins over kamcore.
    The result is computed once per plugin manager (and once per process for the
    installed plugins): a plugin registered on a manager after its first use is
    not seen.

    Args:
        plugins: the plugin manager; ``None`` for the installed plugins (a
            :func:`kamcore.get_plugin_manager` made once).

    Raises:
        CatalogError: a plugin's catalog is malformed.
    """
    if plugins is None:
        return _installed()
    cached = _BY_MANAGER.get(plugins)
    if cached is None:
        # pluggy returns the last registered plugin's result first: reversed, the
        # later plugin is applied last and wins.
        results = plugins.hook.kamcore_message_catalogs()
        cached = merge_catalogs(builtin_catalogs(), *reversed(results))
        _BY_MANAGER[plugins] = cached
    return cached


def messages(
    language: str | None = DEFAULT_LANGUAGE, plugins: pluggy.PluginManager | None = None
) -> Messages:
    """The messages for *language* (negotiated: ``zh-CN`` → ``zh``, unknown → ``en``),
    from kamcore's catalogs and those of *plugins* (the installed ones when ``None``).

    >>> messages("uk").text("action.call")
    'Зателефонувати клієнтові'
    """
    return catalogs(plugins).messages(language)
