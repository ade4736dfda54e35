"""``python -m kamcore.cli``: the same as the ``kamcore`` command."""

from __future__ import annotations

from kamcore.cli import main

raise SystemExit(main())
