"""What can go wrong talking to Fenxiang Xiaoke, by ``errorCode``.

Every answer is HTTP 200, so the client classifies the ``errorCode`` of the body
(never the status, never the ``errorMessage`` text) into what to do next.
"""

from __future__ import annotations

import enum
from typing import Final

from kamcore.errors import SourceError

__all__ = [
    "Disposition",
    "FxiaokeAuthError",
    "FxiaokeError",
    "FxiaokePermissionError",
    "FxiaokeQuotaError",
    "FxiaokeRequestError",
    "FxiaokeUnavailableError",
    "FxiaokeUncertainError",
    "classify",
]


class Disposition(enum.Enum):
    """What the client does about an ``errorCode``."""

    OK = "ok"
    RETRY = "retry"
    """busy, timeout or rate exceeded: back off and try again."""
    REFRESH = "refresh"
    """the token expired: refresh it and retry once."""
    QUOTA = "quota"
    """the daily quota is used up (or none was bought): stop and report."""
    AUTH = "auth"
    """the credentials are wrong: fix the configuration."""
    PERMISSION = "permission"
    """the acting user may not do this: fix ``user_id`` or the user's rights."""
    BAD_REQUEST = "bad_request"
    """anything else: the request is wrong, retrying will not help."""


_CODES: Final[dict[int, Disposition]] = {
    0: Disposition.OK,
    -1: Disposition.RETRY,
    50009: Disposition.RETRY,
    30004: Disposition.RETRY,
    14001: Disposition.RETRY,
    20016: Disposition.REFRESH,
    30002: Disposition.QUOTA,
    30003: Disposition.QUOTA,
    20006: Disposition.AUTH,
    20015: Disposition.AUTH,
    20017: Disposition.AUTH,
    20012: Disposition.PERMISSION,
    20014: Disposition.PERMISSION,
    20020: Disposition.PERMISSION,
    20021: Disposition.PERMISSION,
    20022: Disposition.PERMISSION,
    20023: Disposition.PERMISSION,
    15003: Disposition.PERMISSION,
}


def classify(code: int, *, token_endpoint: bool = False) -> Disposition:
    """What to do about *code*; 10006 at a token endpoint means a wrong app secret.

    >>> classify(30004)
    <Disposition.RETRY: 'retry'>
    >>> classify(10006, token_endpoint=True)
    <Disposition.AUTH: 'auth'>
    >>> classify(10013)
    <Disposition.BAD_REQUEST: 'bad_request'>
    """
    if token_endpoint and code == 10006:  # noqa: PLR2004 - bad appSecret, per the vendor's table
        return Disposition.AUTH
    return _CODES.get(code, Disposition.BAD_REQUEST)


class FxiaokeError(SourceError):
    """Fenxiang Xiaoke refused or could not serve a request; the message never holds a secret.

    Attributes:
        code: the ``errorCode``, when the server gave one.
        object_name: the object the request was about (``AccountObj``…), if any.
        record_id: the record it was about, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        object_name: str | None = None,
        record_id: str | None = None,
    ) -> None:
        self.code = code
        self.object_name = object_name
        self.record_id = record_id
        super().__init__(message)


class FxiaokeAuthError(FxiaokeError):
    """The app id, app secret or permanent code is wrong, or the token was refused twice."""


class FxiaokePermissionError(FxiaokeError):
    """The acting user (``user_id``) does not exist or may not see or change this data."""


class FxiaokeRequestError(FxiaokeError):
    """The request is wrong (an unknown field or object, an offset past 10,000…); not retried."""


class FxiaokeQuotaError(FxiaokeError):
    """The tenant's API quota is used up: 30002 until the daily reset at 00:00 (Beijing
    time), 30003 until one is bought.

    Attributes:
        daily: ``True`` for the daily quota (30002), which resets by itself.
    """

    @property
    def daily(self) -> bool:
        """Whether the quota resets by itself at midnight."""
        return self.code == 30002  # noqa: PLR2004 - the vendor's daily-quota code


class FxiaokeUnavailableError(FxiaokeError):
    """The server stayed busy, rate-limited or unreachable through every retry."""


class FxiaokeUncertainError(FxiaokeUnavailableError):
    """A write got no clear answer (a timeout, a reset, "busy"): it may have taken effect.

    Raised instead of retrying, because the API has no idempotency key: the caller
    looks for the record before sending it again.
    """
