"""The portfolio file format: a JSON document (and CSV tables) mapped onto the model.

Decoding is pure: it takes an already parsed document, so adapters that read
files, HTTP bodies or database rows all share the same validation.
"""

from __future__ import annotations

from kamcore.fileformat.decode import (
    FORMAT,
    VERSION,
    LoadResult,
    Quarantined,
    StreamHeader,
    decode_portfolio,
    decode_portfolio_stream,
    without_records,
)
from kamcore.fileformat.encode import (
    dumps_portfolio,
    encode_client_file,
    encode_event,
    encode_portfolio,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "LoadResult",
    "Quarantined",
    "StreamHeader",
    "decode_portfolio",
    "decode_portfolio_stream",
    "dumps_portfolio",
    "encode_client_file",
    "encode_event",
    "encode_portfolio",
    "without_records",
]
