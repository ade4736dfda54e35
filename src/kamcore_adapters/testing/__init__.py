"""Helpers for testing CRM adapters against a local imitation of the CRM.

:class:`LoopbackServer` answers HTTP on 127.0.0.1 with a handler you write
(or a shipped one: :mod:`kamcore_adapters.testing.zoho`,
:mod:`kamcore_adapters.testing.fxiaoke`), records every request, and shows the
client the faults a test injects: error statuses, connection resets, slow
answers. :class:`ManualClock` lets a test expire tokens without waiting.
"""

from __future__ import annotations

from kamcore_adapters.testing._loopback import (
    Fault,
    Faults,
    LoopbackServer,
    ManualClock,
    Request,
    Response,
)

__all__ = ["Fault", "Faults", "LoopbackServer", "ManualClock", "Request", "Response"]
