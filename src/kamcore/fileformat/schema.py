"""The JSON Schema of the portfolio document, shipped with kamcore as package data.

The schema (JSON Schema draft 2020-12) describes the document that
:func:`kamcore.fileformat.decode_portfolio` reads, field by field, so that a
CRM integrator can check an export with any validator before handing it to
kamcore. kamcore itself does not need a validator: it is plain data.

Rules that relate records to each other (unique ids, an event referring to an
earlier event, a report naming accounts of the document) are beyond JSON
Schema; the schema states them in its descriptions and kamcore checks them
when it loads the document.

Example, with the third-party ``jsonschema`` package::

    import json

    import jsonschema

    from kamcore.fileformat.schema import load_schema

    with open("portfolio.json", encoding="utf-8") as handle:
        document = json.load(handle)
    jsonschema.Draft202012Validator(load_schema()).validate(document)
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, Final

__all__ = ["SCHEMA_PATH", "load_schema"]

SCHEMA_PATH: Final[Traversable] = resources.files("kamcore.fileformat").joinpath(
    "portfolio.schema.json"
)
"""The schema file inside the installed package (``kamcore/fileformat/portfolio.schema.json``).

A :class:`~importlib.resources.abc.Traversable`: read it with ``read_text()``,
or use ``importlib.resources.as_file(SCHEMA_PATH)`` for a path on disk.
"""


def load_schema() -> dict[str, Any]:
    """The portfolio document's JSON Schema, parsed.

    Returns:
        A new dict on every call, so the caller may change it freely.
    """
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema
