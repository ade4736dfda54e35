"""The settings of a Zoho profile (``zoho:PROFILE``), read from the configuration.

Pure: :meth:`ZohoSettings.from_config` turns the strings of
:func:`kamcore_adapters._config.profile_config` into checked values, so every
mistake is reported before a single request is made. Nothing here needs httpx.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import attrs

from kamcore.errors import SourceError
from kamcore.model import ROLES
from kamcore_adapters._http import Backoff, Secret

__all__ = [
    "DATA_CENTRES",
    "DEFAULT_FIELDS",
    "EDITIONS",
    "DataCentre",
    "Edition",
    "FieldMapping",
    "StaffRoles",
    "ZohoSettings",
    "default_state_directory",
]


@attrs.frozen
class DataCentre:
    """Where one of Zoho's data centres answers.

    Attributes:
        accounts_url: the OAuth server (``https://accounts.zoho.eu``).
        api_url: the API host, used until a token names its ``api_domain``.
    """

    accounts_url: str
    api_url: str


DATA_CENTRES: Final[Mapping[str, DataCentre]] = {
    "com": DataCentre("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": DataCentre("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": DataCentre("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "cn": DataCentre("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "au": DataCentre("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": DataCentre("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": DataCentre("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": DataCentre("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}
"""Zoho's data centres by the name a profile gives in ``data_centre`` (``us`` means ``com``)."""

_DATA_CENTRE_ALIASES: Final = {"us": "com", "uk": "eu"}


@attrs.frozen
class Edition:
    """What a Zoho edition allows one org per rolling day and at once.

    Attributes:
        credits: API credits per 24 hours, before the per-user part.
        credits_per_user: credits added per user licence.
        concurrency: calls in flight at once, per org and app.
    """

    credits: int
    credits_per_user: int
    concurrency: int

    def daily_credits(self, users: int) -> int:
        """The credits of an org with *users* licences."""
        return self.credits + self.credits_per_user * users


EDITIONS: Final[Mapping[str, Edition]] = {
    "free": Edition(5_000, 0, 5),
    "standard": Edition(50_000, 250, 10),
    "professional": Edition(50_000, 500, 15),
    "enterprise": Edition(50_000, 1_000, 20),
    "ultimate": Edition(50_000, 2_000, 25),
}
"""Credits and concurrency by edition (Zoho's API limits page)."""


@attrs.frozen(kw_only=True)
class FieldMapping:
    """The Zoho fields that hold what kamcore needs and Zoho has no standard field for.

    Each value is a field's API name; an empty name means the org has no such
    field, and the value is left out.

    Attributes:
        key: the Tasks field that holds an action's key (a single-line custom field).
        tier: Accounts: the account's tier (``key``, ``VIP``…).
        client_since: Accounts: a date field, the day the relationship started.
        needs: Accounts: a multi-line field, one need per line.
        preferences: Accounts: a multi-line field, one preference per line.
        contact_channel: Contacts: the preferred channel (``call``, ``email``…).
        contact_language: Contacts: the preferred language (``en``, ``zh``…).
    """

    key: str = "Kamcore_Key"
    tier: str = "Kamcore_Tier"
    client_since: str = "Kamcore_Client_Since"
    needs: str = "Kamcore_Needs"
    preferences: str = "Kamcore_Preferences"
    contact_channel: str = "Kamcore_Channel"
    contact_language: str = "Kamcore_Language"


DEFAULT_FIELDS: Final = FieldMapping()
"""The default mapping of custom fields (see docs/connect-zoho.md)."""

# Profile keys that override a FieldMapping attribute: ``tier_field = "Segment__c"``.
_FIELD_KEYS: Final = {f"{name}_field": name for name in attrs.fields_dict(FieldMapping)}

KNOWN_SETTINGS: Final = frozenset(
    {
        "client_id",
        "client_secret",
        "refresh_token",
        "data_centre",
        "accounts_url",
        "api_url",
        "edition",
        "users",
        "timeout",
        "token_cache",
        "currency",
        "won_stages",
        "read_notes",
        "trigger",
        "attempts",
        "backoff_base",
        "backoff_cap",
        "staff_roles",
        *_FIELD_KEYS,
    }
)
"""Every setting a ``[zoho.PROFILE]`` table may hold."""


DEFAULT_STAFF_ROLE: Final = "account_manager"
"""The kamcore role of a Zoho user whose Zoho role :class:`StaffRoles` does not name."""


@attrs.frozen
class StaffRoles:
    """Which kamcore role each Zoho role gives its users (the ``staff_roles`` setting).

    Zoho role names are matched without regard to case or surrounding spaces;
    a role the map does not name gives :data:`DEFAULT_STAFF_ROLE`.

    Attributes:
        pairs: ``(Zoho role name, kamcore role)`` in the order the setting gives them,
            each Zoho name folded to lower case.

    Example::

        >>> roles = StaffRoles.parse("CEO=executive, Sales Head=department_head", "zoho:acme")
        >>> roles.role_of("sales head"), roles.role_of("Sales Rep"), roles.role_of(None)
        ('department_head', 'account_manager', 'account_manager')
    """

    pairs: tuple[tuple[str, str], ...]

    def role_of(self, zoho_role: str | None) -> str:
        """The kamcore role of a user whose Zoho role is named *zoho_role*."""
        if zoho_role is None:
            return DEFAULT_STAFF_ROLE
        wanted = zoho_role.strip().casefold()
        return next((role for name, role in self.pairs if name == wanted), DEFAULT_STAFF_ROLE)

    @classmethod
    def parse(cls, text: str, where: str) -> StaffRoles:
        """Read ``"CEO=executive, Sales Head=department_head"``.

        Raises:
            SourceError: an entry is not ``Zoho role = kamcore role``, names an
                unknown kamcore role, or names a Zoho role twice. The message names
                the profile, the setting and the entry's position.
        """
        pairs: dict[str, str] = {}
        entries = [entry for entry in text.split(",") if entry.strip()]
        if not entries:
            raise SourceError(
                f"{where}: staff_roles must map at least one Zoho role, "
                'as in staff_roles = "CEO=executive, Sales Head=department_head"'
            )
        for position, entry in enumerate(entries, start=1):
            zoho_role, equals, kamcore_role = entry.partition("=")
            name, role = zoho_role.strip().casefold(), kamcore_role.strip()
            if not equals or not name or not role:
                raise SourceError(
                    f"{where}: staff_roles entry {position} must be written "
                    "Zoho role = kamcore role"
                )
            if role not in ROLES:
                raise SourceError(
                    f"{where}: staff_roles entry {position} names an unknown kamcore role; "
                    f"use one of {', '.join(sorted(ROLES))}"
                )
            if name in pairs:
                raise SourceError(f"{where}: staff_roles entry {position} names a Zoho role twice")
            pairs[name] = role
        return cls(tuple(pairs.items()))


def default_state_directory() -> Path:
    """Where tokens and the sync mirror live by default: ``$XDG_CACHE_HOME/kamcore/zoho``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kamcore" / "zoho"


def _positive(where: str, key: str, text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise SourceError(f"{where}: {key} must be a positive number") from None
    if value <= 0:
        raise SourceError(f"{where}: {key} must be a positive number")
    return value


def _flag(where: str, key: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"true", "1", "yes"}:
        return True
    if lowered in {"false", "0", "no"}:
        return False
    raise SourceError(f"{where}: {key} must be true or false")


def _url(where: str, key: str, text: str) -> str:
    """A base URL (``https://host``, a path prefix allowed), without its trailing ``/``."""
    url = text.strip().rstrip("/")
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in {"http", "https"} or not rest or rest.startswith("/"):
        raise SourceError(f"{where}: {key} must be a URL such as https://sandbox.zohoapis.eu")
    return url


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@attrs.frozen(kw_only=True)
class ZohoSettings:
    """Everything the Zoho adapter needs to reach one org.

    Build it with :meth:`from_config`; secrets are :class:`Secret` values.

    Attributes:
        profile: the profile name (``acme-eu`` in ``zoho:acme-eu``).
        client_id: the self-client's id (not a secret, but never logged either).
        client_secret: the self-client's secret.
        refresh_token: the long-lived refresh token.
        accounts_url: the OAuth server.
        api_url: the API host when set explicitly (a sandbox, a test server),
            else ``None``: the token's ``api_domain`` is used.
        default_api_url: the data centre's API host, when a token names none.
        edition: the org's edition, for the client-side budget.
        users: user licences, for the daily credits.
        timeout: seconds to wait for any one HTTP step.
        backoff: how often and how long to retry a call refused with 429 or 5xx
            or lost on the network.
        state_directory: where the token and the sync mirror are kept (0600 files).
        currency: the currency of deal amounts when a deal carries none.
        won_stages: the deal stages that count as a purchase.
        read_notes: whether to read Notes (listing Notes needs an admin profile).
        trigger: the automations a write runs (``None``: Zoho's default, all).
        fields: the custom-field mapping.
        staff_roles: when set, a sync reads the org's active users as the staff,
            their Zoho roles mapped to kamcore roles by it; ``None`` (the default):
            the staff are the record owners, as account managers.
    """

    profile: str
    client_id: str = attrs.field(repr=False)
    client_secret: Secret
    refresh_token: Secret
    accounts_url: str
    api_url: str | None = None
    default_api_url: str
    edition: Edition = EDITIONS["standard"]
    users: int = 1
    timeout: float = 30.0
    backoff: Backoff = attrs.field(factory=Backoff)
    state_directory: Path = attrs.field(factory=default_state_directory)
    currency: str = "USD"
    won_stages: tuple[str, ...] = ("Closed Won",)
    read_notes: bool = True
    trigger: tuple[str, ...] | None = None
    fields: FieldMapping = DEFAULT_FIELDS
    staff_roles: StaffRoles | None = None

    @property
    def secrets(self) -> tuple[Secret, ...]:
        """The values that must never appear in a log line or a message."""
        return (self.client_secret, self.refresh_token, Secret(self.client_id))

    @classmethod
    def from_config(cls, profile: str, config: Mapping[str, str]) -> ZohoSettings:
        """Check and convert the settings of *profile*.

        Raises:
            SourceError: a required setting is missing or a value is wrong. The
                message names the profile and the key, never a value.
        """
        where = f"zoho:{profile}"
        unknown = sorted(set(config) - KNOWN_SETTINGS)
        if unknown:
            raise SourceError(f"{where}: unknown settings: {', '.join(unknown)}")
        missing = [k for k in ("client_id", "client_secret", "refresh_token") if not config.get(k)]
        if missing:
            raise SourceError(f"{where}: missing settings: {', '.join(missing)}")
        centre_name = config.get("data_centre", "com").strip().lower()
        centre_name = _DATA_CENTRE_ALIASES.get(centre_name, centre_name)
        if centre_name not in DATA_CENTRES:
            known = ", ".join(sorted({*DATA_CENTRES, *_DATA_CENTRE_ALIASES}))
            raise SourceError(f"{where}: data_centre must be one of {known}")
        centre = DATA_CENTRES[centre_name]
        edition_name = config.get("edition", "standard").strip().lower()
        if edition_name not in EDITIONS:
            raise SourceError(f"{where}: edition must be one of {', '.join(EDITIONS)}")
        mapping = attrs.evolve(
            DEFAULT_FIELDS,
            **{name: config[key].strip() for key, name in _FIELD_KEYS.items() if key in config},
        )
        if not mapping.key:
            raise SourceError(f"{where}: key_field cannot be empty (write-back needs it)")
        trigger = config.get("trigger")
        staff_roles = config.get("staff_roles")
        currency = config.get("currency", "USD").strip()
        return cls(
            profile=profile,
            client_id=config["client_id"],
            client_secret=Secret(config["client_secret"]),
            refresh_token=Secret(config["refresh_token"]),
            accounts_url=_url(
                where, "accounts_url", config.get("accounts_url", centre.accounts_url)
            ),
            api_url=_url(where, "api_url", config["api_url"]) if config.get("api_url") else None,
            default_api_url=centre.api_url,
            edition=EDITIONS[edition_name],
            users=int(_positive(where, "users", config.get("users", "1"), int)),
            timeout=_positive(where, "timeout", config.get("timeout", "30"), float),
            backoff=Backoff(
                attempts=int(_positive(where, "attempts", config.get("attempts", "6"), int)),
                base=_positive(where, "backoff_base", config.get("backoff_base", "0.5"), float),
                cap=_positive(where, "backoff_cap", config.get("backoff_cap", "30"), float),
            ),
            state_directory=Path(config["token_cache"]).expanduser()
            if config.get("token_cache")
            else default_state_directory(),
            currency=currency,
            won_stages=_names(config.get("won_stages", "Closed Won")),
            read_notes=_flag(where, "read_notes", config.get("read_notes", "true")),
            trigger=None if trigger is None else _names(trigger),
            fields=mapping,
            staff_roles=None if staff_roles is None else StaffRoles.parse(staff_roles, where),
        )
