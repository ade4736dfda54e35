"""The settings of a ``fxiaoke:PROFILE`` source or sink, read from ``kamcore.toml`` and the environment.

Every setting is a flat string (see :func:`kamcore_adapters._config.profile_config`),
so maps are written ``"key=value; key=value"`` and the field mapping is one
``field_<record>_<target>`` key per mapped value. Reading them is pure: the
secrets are wrapped in :class:`~kamcore_adapters._http.Secret` at once.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import attrs

from kamcore.errors import SourceError
from kamcore.model.account import CHANNELS
from kamcore_adapters._config import profile_config, split_uri
from kamcore_adapters._http import Secret

__all__ = [
    "AUTH_STYLES",
    "DEFAULT_FIELDS",
    "DEFAULT_HOST",
    "SCHEME",
    "SETTINGS",
    "WRITEBACK_OBJECTS",
    "AuthStyle",
    "Settings",
    "parse_pairs",
    "profile_of",
]

SCHEME: Final = "fxiaoke"
"""The URI scheme of this adapter's sources and sinks: ``fxiaoke:PROFILE``."""

DEFAULT_HOST: Final = "https://open.fxiaoke.com"
"""The vendor's main cloud; other clouds (``open-hwcloud.fxiaoke.com``…) use other hosts."""

AuthStyle = Literal["corp_access_token", "bearer"]
AUTH_STYLES: Final = ("corp_access_token", "bearer")
"""``corp_access_token``: the legacy token in the body; ``bearer``: the OAuth token in headers."""

WRITEBACK_OBJECTS: Final = ("ActiveRecordObj", "ScheduleObj")
"""The objects actions are written back as: follow-up records or schedule entries."""

OPPORTUNITY_OBJECTS: Final = ("auto", "NewOpportunityObj", "OpportunityObj", "none")

DEFAULT_FIELDS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # record_target: the CRM field (api name) it is read from; "" leaves it unmapped.
        # Several fields separated by "," mean: the first one that has a value.
        "account_name": "name",
        "account_owner": "owner",
        "account_tier": "account_level",
        "account_client_since": "",
        "contact_account": "account_id",
        "contact_name": "name",
        "contact_position": "",
        "contact_email": "email",
        "contact_phone": "mobile1,tel1",
        "opportunity_account": "account_id",
        "opportunity_name": "name",
        "order_account": "account_id",
        "order_at": "order_time",
        "order_product": "name",
        "order_amount": "order_amount",
        "order_currency": "",
        "activity_account": "account_id",
        "activity_at": "create_time",
        "activity_by": "created_by",
        "activity_channel": "active_record_type",
        "activity_summary": "active_record_content",
    }
)
"""Where each kamcore value is read from, by ``record_target``; override with ``field_<record_target>``."""

SETTINGS: Final = frozenset(
    {
        "host",
        "auth",
        "app_id",
        "app_secret",
        "permanent_code",
        "user_id",
        "corp_id",
        "tiers",
        "facts",
        "channels",
        "default_channel",
        "currency",
        "opportunity_object",
        "writeback_object",
        "action_key_field",
        "active_record_type",
        "update_account_level",
        "token_cache",
        "calls_per_window",
        "window_seconds",
        "timeout",
        "page_size",
    }
)
"""Every setting a profile may have, besides the ``field_<record_target>`` mapping."""

_FALSE: Final = frozenset({"", "0", "false", "no", "off"})
_TRUE: Final = frozenset({"1", "true", "yes", "on"})
_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _frozen(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


def profile_of(uri: str) -> str | None:
    """The profile a ``fxiaoke:PROFILE`` source or sink names, or ``None`` for another kind.

    >>> profile_of("fxiaoke:prod")
    'prod'
    >>> profile_of("zoho:prod") is None
    True
    """
    split = split_uri(uri)
    if split is None or split[0] != SCHEME:
        return None
    return split[1]


def parse_pairs(text: str, *, setting: str, profile: str) -> Mapping[str, str]:
    """Read a map written ``"key=value; key=value"`` (``,`` separates too).

    >>> dict(parse_pairs("1=strategic; 2 = key", setting="tiers", profile="p"))
    {'1': 'strategic', '2': 'key'}

    Raises:
        SourceError: an entry has no ``=`` or an empty side.
    """
    pairs: dict[str, str] = {}
    for entry in re.split(r"[;,]", text):
        if not entry.strip():
            continue
        key, sep, value = entry.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SourceError(
                f"{SCHEME}:{profile}: {setting}: {entry.strip()!r} is not key=value "
                '(write "key=value; key=value")'
            )
        pairs[key.strip()] = value.strip()
    return MappingProxyType(pairs)


def _flag(raw: Mapping[str, str], key: str, profile: str, *, default: bool) -> bool:
    value = raw.get(key, "").strip().lower()
    if key not in raw:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SourceError(f"{SCHEME}:{profile}: {key} must be true or false")


def _number(raw: Mapping[str, str], key: str, profile: str, default: float) -> float:
    if key not in raw:
        return default
    try:
        value = float(raw[key])
    except ValueError:
        raise SourceError(f"{SCHEME}:{profile}: {key} must be a number") from None
    if value <= 0:
        raise SourceError(f"{SCHEME}:{profile}: {key} must be more than 0")
    return value


def _choice(raw: Mapping[str, str], key: str, profile: str, choices: tuple[str, ...]) -> str:
    value = raw.get(key, choices[0])
    if value not in choices:
        raise SourceError(f"{SCHEME}:{profile}: {key} must be one of {', '.join(choices)}")
    return value


def _required(raw: Mapping[str, str], key: str, profile: str) -> str:
    value = raw.get(key, "").strip()
    if not value:
        raise SourceError(f"{SCHEME}:{profile}: the setting {key} is missing")
    return value


def _known(key: str) -> bool:
    return key in SETTINGS or key.startswith("field_")


def _unknown(raw: Mapping[str, str], profile: str) -> None:
    # A misspelt setting must not pass unnoticed: "base_url" instead of "host" would
    # send a sandbox's test run to the production tenant.
    unknown = sorted(key for key in raw if not _known(key))
    if unknown:
        raise SourceError(
            f"{SCHEME}:{profile}: unknown setting {', '.join(unknown)} in [{SCHEME}.{profile}] "
            f"or a KAMCORE_{SCHEME.upper()}_… variable "
            f"(known: {', '.join(sorted(SETTINGS))} and field_…)"
        )


def _host(raw: Mapping[str, str], profile: str) -> str:
    host = raw.get("host", DEFAULT_HOST).strip().rstrip("/")
    parts = urlsplit(host)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query:
        raise SourceError(
            f"{SCHEME}:{profile}: host must be a URL such as {DEFAULT_HOST} "
            "(a sandbox's may end in a path)"
        )
    return host


def _default_token_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kamcore" / "fxiaoke"


def _fields(raw: Mapping[str, str], profile: str) -> Mapping[str, tuple[str, ...]]:
    fields: dict[str, tuple[str, ...]] = {}
    for target, default in DEFAULT_FIELDS.items():
        value = raw.get(f"field_{target}", default)
        fields[target] = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = sorted(
        key for key in raw if key.startswith("field_") and key[6:] not in DEFAULT_FIELDS
    )
    if unknown:
        raise SourceError(
            f"{SCHEME}:{profile}: unknown field mapping {', '.join(unknown)} "
            f"(known: {', '.join('field_' + target for target in DEFAULT_FIELDS)})"
        )
    return MappingProxyType(fields)


def _facts(raw: Mapping[str, str], profile: str) -> Mapping[str, str]:
    facts = dict(parse_pairs(raw.get("facts", ""), setting="facts", profile=profile))
    return MappingProxyType(facts)


def _channels(raw: Mapping[str, str], profile: str) -> tuple[Mapping[str, str], str]:
    channels = parse_pairs(raw.get("channels", ""), setting="channels", profile=profile)
    default = raw.get("default_channel", "call")
    for channel in (*channels.values(), default):
        if channel not in CHANNELS:
            raise SourceError(
                f"{SCHEME}:{profile}: channel {channel!r} is not one of {', '.join(sorted(CHANNELS))}"
            )
    return channels, default


@attrs.frozen(kw_only=True)
class Settings:
    """Everything the adapter needs to know about one profile.

    Attributes:
        profile: the profile name (``prod`` in ``fxiaoke:prod``).
        host: the API's base URL (``https://…``, perhaps with a path), without a trailing ``/``.
        auth: ``corp_access_token`` (legacy, token in the body) or ``bearer``.
        app_id: the app's ``FSAID_…`` id.
        app_secret: the app secret.
        permanent_code: the tenant's permanent code.
        user_id: the acting user: ``currentOpenUserId`` (legacy) or the employee id
            sent as ``x-fs-userid`` (bearer); it decides what the adapter may see.
        corp_id: the ``FSCID_…`` corp id, when not taken from the token answer.
        fields: where each kamcore value is read from (see :data:`DEFAULT_FIELDS`).
        facts: fact name → CRM field, copied into the account's ``facts``.
        tiers: ``account_level`` option value → kamcore tier.
        channels: ``active_record_type`` option value → interaction channel.
        default_channel: the channel of a follow-up record whose type maps to none.
        currency: the currency of order amounts when no currency field is mapped.
        opportunity_object: ``auto`` (detect), ``NewOpportunityObj``, ``OpportunityObj``
            or ``none``.
        writeback_object: ``ActiveRecordObj`` or ``ScheduleObj``.
        action_key_field: the custom field that keeps each action's key.
        active_record_type: the option value given to follow-up records written back.
        update_account_level: allow writing ``account_level`` when kamcore's tier changes.
        token_cache: the folder where tokens are shared between processes; ``None``
            keeps them in this process only.
        calls_per_window: calls allowed per endpoint in each *window_seconds*.
        window_seconds: the rate window.
        timeout: seconds before an HTTP call gives up.
        page_size: records per query page (at most 100).
    """

    profile: str
    host: str = DEFAULT_HOST
    auth: AuthStyle = "corp_access_token"
    app_id: str
    app_secret: Secret
    permanent_code: Secret
    user_id: str
    corp_id: str | None = None
    fields: Mapping[str, tuple[str, ...]] = attrs.field(
        factory=lambda: _fields({}, "-"), converter=_frozen
    )
    facts: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    tiers: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    channels: Mapping[str, str] = attrs.field(factory=dict, converter=_frozen)
    default_channel: str = "call"
    currency: str = "CNY"
    opportunity_object: str = "auto"
    writeback_object: str = "ActiveRecordObj"
    action_key_field: str = "kamcore_key__c"
    active_record_type: str | None = None
    update_account_level: bool = False
    token_cache: Path | None = None
    calls_per_window: int = 100
    window_seconds: float = 20.0
    timeout: float = 30.0
    page_size: int = 100

    @property
    def uri(self) -> str:
        """The source/sink URI, ``fxiaoke:PROFILE``."""
        return f"{SCHEME}:{self.profile}"

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """The values no message or log may show."""
        return (self.app_secret, self.permanent_code)

    @classmethod
    def from_mapping(cls, profile: str, raw: Mapping[str, str]) -> Settings:
        """Read the settings of *profile* from its flat string settings.

        Raises:
            SourceError: a setting is missing, unknown or malformed; the message
                names the setting, never its value.
        """
        _unknown(raw, profile)
        channels, default_channel = _channels(raw, profile)
        key_field = raw.get("action_key_field", "kamcore_key__c")
        if not key_field.endswith("__c") or not _KEY.match(key_field):
            raise SourceError(
                f"{SCHEME}:{profile}: action_key_field must be a custom field name ending in __c"
            )
        currency = raw.get("currency", "CNY")
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise SourceError(f"{SCHEME}:{profile}: currency must be an ISO 4217 code such as CNY")
        page_size = int(_number(raw, "page_size", profile, 100))
        cache = raw.get("token_cache")
        return cls(
            profile=profile,
            host=_host(raw, profile),
            auth=_choice(raw, "auth", profile, AUTH_STYLES),  # type: ignore[arg-type]
            app_id=_required(raw, "app_id", profile),
            app_secret=Secret(_required(raw, "app_secret", profile)),
            permanent_code=Secret(_required(raw, "permanent_code", profile)),
            user_id=_required(raw, "user_id", profile),
            corp_id=raw.get("corp_id") or None,
            fields=_fields(raw, profile),
            facts=_facts(raw, profile),
            tiers=parse_pairs(raw.get("tiers", ""), setting="tiers", profile=profile),
            channels=channels,
            default_channel=default_channel,
            currency=currency,
            opportunity_object=_choice(raw, "opportunity_object", profile, OPPORTUNITY_OBJECTS),
            writeback_object=_choice(raw, "writeback_object", profile, WRITEBACK_OBJECTS),
            action_key_field=key_field,
            active_record_type=raw.get("active_record_type") or None,
            update_account_level=_flag(raw, "update_account_level", profile, default=False),
            token_cache=(
                _default_token_cache()
                if cache is None
                else None
                if cache.strip().lower() in {"", "none", "off"}
                else Path(cache).expanduser()
            ),
            calls_per_window=int(_number(raw, "calls_per_window", profile, 100)),
            window_seconds=_number(raw, "window_seconds", profile, 20.0),
            timeout=_number(raw, "timeout", profile, 30.0),
            page_size=min(page_size, 100),
        )

    @classmethod
    def load(cls, profile: str, *, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of *profile* from ``$KAMCORE_CONFIG`` and the environment."""
        raw = profile_config(SCHEME, profile, environ=environ, known=_known)
        return cls.from_mapping(profile, raw)

    def tier_of(self, level: str | None, label: str | None) -> str | None:
        """The kamcore tier of an ``account_level`` option value (its label when unmapped)."""
        if level is None:
            return None
        return self.tiers.get(level) or label or level

    def level_of(self, tier: str) -> str | None:
        """The ``account_level`` option value for a kamcore tier, if the tier map has one."""
        for level, mapped in self.tiers.items():
            if mapped == tier:
                return level
        return None
