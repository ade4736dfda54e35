"""Where an adapter finds the settings of a profile such as ``zoho:acme-eu``.

Settings come from the table ``[zoho.acme-eu]`` of the TOML file named by
``$KAMCORE_CONFIG`` (``./kamcore.toml`` by default), then from environment
variables ``KAMCORE_ZOHO_ACME_EU_<KEY>``, which win. A value written as
``{ env = "VAR" }`` is read from the environment variable ``VAR``, so a
configuration file can name its secrets without holding them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

from kamcore.errors import SourceError

__all__ = ["CONFIG_ENV", "DEFAULT_CONFIG", "profile_config", "split_uri"]

CONFIG_ENV: Final = "KAMCORE_CONFIG"
"""Environment variable: the adapters' configuration file."""
DEFAULT_CONFIG: Final = "kamcore.toml"
"""The configuration file, in the current folder, when ``$KAMCORE_CONFIG`` is not set."""

_URI: Final = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*):(?P<name>[^/\\].*)?$", re.IGNORECASE)


def split_uri(uri: str) -> tuple[str, str] | None:
    """The scheme and profile name of a source or sink URI.

    >>> split_uri("zoho:acme-eu")
    ('zoho', 'acme-eu')
    >>> split_uri("zoho:")
    ('zoho', 'default')
    >>> split_uri("portfolio.json") is None
    True
    """
    match = _URI.match(uri)
    if match is None or len(match["scheme"]) < 2:  # noqa: PLR2004 - "C:" is a drive, not a scheme
        return None
    return match["scheme"].lower(), match["name"] or "default"


def _env_prefix(scheme: str, name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", f"KAMCORE_{scheme}_{name}_".upper())


def _file_table(path: Path, scheme: str, name: str) -> Mapping[str, object] | None:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SourceError(f"{path}: cannot read the configuration: {error}") from None
    table = document.get(scheme, {})
    profile = table.get(name) if isinstance(table, dict) else None
    if profile is not None and not isinstance(profile, dict):
        raise SourceError(f"{path}: [{scheme}.{name}] must be a table")
    return profile


def _value(where: str, key: str, raw: object, environ: Mapping[str, str]) -> str:
    if isinstance(raw, dict) and set(raw) == {"env"}:
        variable = str(raw["env"])
        if variable not in environ:
            raise SourceError(
                f"{where} {key} names the environment variable {variable}, which is not set"
            )
        return environ[variable]
    if isinstance(raw, str | int | float | bool):
        return str(raw).lower() if isinstance(raw, bool) else str(raw)
    raise SourceError(f"{where} {key} must be a string, a number or {{ env = … }}")


def profile_config(
    scheme: str,
    name: str,
    *,
    environ: Mapping[str, str] | None = None,
    known: Callable[[str], bool] | None = None,
) -> Mapping[str, str]:
    """The settings of profile *name* for *scheme*, file first, environment on top.

    Args:
        scheme: the adapter's scheme (``zoho``).
        name: the profile (``acme-eu``).
        environ: the environment to read (``os.environ`` when ``None``).
        known: which setting names the adapter reads. With it, an environment
            variable is taken only for a known name, so that the variables of
            profile ``acme-eu`` (``KAMCORE_ZOHO_ACME_EU_CLIENT_ID``) are not read
            as a setting ``eu_client_id`` of profile ``acme``. The file's table
            is taken whole: the adapter checks its names.

    Raises:
        SourceError: the file cannot be read, a value names an unset variable, or
            the profile is neither in the file nor in the environment. The message
            names the file, the profile and the key, never a value.
    """
    env = os.environ if environ is None else environ
    path = Path(env.get(CONFIG_ENV) or DEFAULT_CONFIG)
    settings: dict[str, str] = {}
    table = _file_table(path, scheme, name)
    for key, raw in (table or {}).items():
        settings[key] = _value(f"{path}: [{scheme}.{name}]", key, raw, env)
    prefix = _env_prefix(scheme, name)
    for variable, value in env.items():
        key = variable[len(prefix) :].lower()
        if variable.startswith(prefix) and key and (known is None or known(key)):
            settings[key] = value
    if table is None and not settings:
        raise SourceError(
            f"{scheme}:{name}: no such profile: add a [{scheme}.{name}] table to {path} "
            f"(or set ${CONFIG_ENV}), or set {prefix}* environment variables"
        )
    return MappingProxyType(settings)
