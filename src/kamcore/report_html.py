"""The department head's report as one self-contained HTML page.

Inline CSS and inline SVG charts only: no script, no external resource, so the
page can be mailed or archived as one file. Every text from the data goes
through :func:`html.escape`.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Final

from kamcore.i18n import Messages, level_text
from kamcore.report import (
    ACCOUNT_COLUMN_KEYS,
    ACCOUNT_COLUMNS,
    ESCALATION_COLUMN_KEYS,
    ESCALATION_COLUMNS,
    NO_ESCALATIONS,
    OWNER_COLUMN_KEYS,
    OWNER_COLUMNS,
    AccountEntry,
    DepartmentHeadReport,
    clean,
    columns,
    escalated_text,
    escalation_cells,
    findings_text,
    owner_label,
    principle_label,
    say,
    score_text,
    state_text,
    tier_label,
    trend_text,
)

__all__ = ["bar_chart", "report_html", "report_html_lines"]

_LABEL_WIDTH: Final = 180
_BAR_WIDTH: Final = 320
_ROW_HEIGHT: Final = 24
_LABEL_CHARS: Final = 24
_HEALTHY: Final = 75.0
_AT_RISK: Final = 50.0

_CSS: Final = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
h1 { font-size: 1.5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; }
tr.issues td.state { color: #a40000; font-weight: 600; }
tr.ok td.state { color: #1b6e20; }
svg text { font-size: 12px; fill: #222; }
svg .bar { fill: #4a7ab5; }
svg .bar.good { fill: #3c9a4a; }
svg .bar.fair { fill: #d99a1c; }
svg .bar.poor { fill: #c8413b; }
"""


def _e(text: str) -> str:
    return html.escape(clean(text), quote=True)


def _short(text: str) -> str:
    text = clean(text)
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"


def _health_class(score: float | None) -> str:
    if score is None:
        return "bar"
    if score >= _HEALTHY:
        return "bar good"
    return "bar fair" if score >= _AT_RISK else "bar poor"


def bar_chart(
    chart_id: str,
    title: str,
    bars: Sequence[tuple[str, float | None, str]],
    *,
    maximum: float,
) -> str:
    """An inline SVG horizontal bar chart: one ``rect.bar`` per item of *bars*.

    Each bar is ``(label, value, shown value)``; a ``None`` value draws an empty
    bar. Values are scaled so that *maximum* fills the width.
    """
    height = max(len(bars), 1) * _ROW_HEIGHT + 8
    width = _LABEL_WIDTH + _BAR_WIDTH + 60
    parts = [
        f'<svg id="{_e(chart_id)}" role="img" aria-label="{_e(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{_e(title)}</title>",
    ]
    scale = _BAR_WIDTH / maximum if maximum > 0 else 0.0
    for index, (label, value, shown) in enumerate(bars):
        y = index * _ROW_HEIGHT + 4
        length = 0.0 if value is None else max(value, 0.0) * scale
        css = _health_class(value) if chart_id == "health-by-owner" else "bar"
        parts += [
            f'<text x="{_LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{_e(_short(label))}</text>',
            f'<rect class="{css}" x="{_LABEL_WIDTH}" y="{y}" width="{length:.1f}" '
            f'height="{_ROW_HEIGHT - 6}"><title>{_e(label)}: {_e(shown)}</title></rect>',
            f'<text x="{_LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">{_e(shown)}</text>',
        ]
    parts.append("</svg>")
    return "\n".join(parts)


def _cell(text: str, *, css: str | None = None) -> str:
    attribute = f' class="{css}"' if css else ""
    return f"<td{attribute}>{_e(text)}</td>"


def _header(*titles: str) -> str:
    return "<tr>" + "".join(f"<th>{_e(title)}</th>" for title in titles) + "</tr>"


def _account_row(entry: AccountEntry, m: Messages | None) -> str:
    cells = [
        _cell(entry.account_id),
        _cell(entry.name),
        _cell(owner_label(entry.owner, entry.owner_name)),
        _cell(tier_label(entry, m)),
        _cell(score_text(entry.health, m), css="num"),
        _cell(trend_text(entry.trend, m), css="num"),
        _cell(findings_text(entry, m)),
        _cell(str(entry.promises_slipped), css="num"),
        _cell(str(entry.complaints_open), css="num"),
        _cell(escalated_text(entry, m)),
        _cell(state_text(entry, m), css="state"),
    ]
    row_class = "issues" if entry.has_issues else "ok"
    return f'<tr class="{row_class}">' + "".join(cells) + "</tr>"


def report_html(report: DepartmentHeadReport, messages: Messages | None = None) -> str:
    """*report* as one self-contained HTML page (inline CSS and SVG, no script), in
    the language of *messages* when given (English otherwise)."""
    return "\n".join(report_html_lines(report, messages)) + "\n"


def report_html_lines(
    report: DepartmentHeadReport, messages: Messages | None = None
) -> Iterator[str]:
    """The lines of :func:`report_html`'s page, without their newlines, each made when
    it is asked for (the page of a large portfolio is never held whole)."""
    m = messages
    title = report.title(m)
    yield from [
        "<!DOCTYPE html>",
        f'<html lang="{_e(m.language if m is not None else "en")}">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(report.intro(m))}</p>",
        f"<h2>{_e(say(m, 'chart_health', 'Average health by owner'))}</h2>",
        f"<p>{_e(say(m, 'health_note', 'Health from 0 to 100, higher is healthier.'))}</p>",
        bar_chart(
            "health-by-owner",
            say(m, "chart_health_title", "Average health of key accounts by owner"),
            [
                (owner_label(o.owner, o.name), o.average_health, score_text(o.average_health, m))
                for o in report.owners
            ],
            maximum=100.0,
        ),
        f"<h2>{_e(say(m, 'key_accounts', 'Key accounts'))}</h2>",
    ]
    if report.accounts:
        yield '<table id="accounts">'
        yield _header(*columns(ACCOUNT_COLUMNS, ACCOUNT_COLUMN_KEYS, m))
        yield from (_account_row(entry, m) for entry in report.accounts)
        yield "</table>"
    else:
        yield f"<p>{_e(say(m, 'no_key_accounts', 'No key accounts.'))}</p>"
    yield f"<h2>{_e(say(m, 'escalations', 'Escalations'))}</h2>"
    if report.escalations:
        by_level = report.escalations_by_level()
        yield bar_chart(
            "escalations-by-level",
            say(m, "chart_escalations", "Escalated findings of key accounts by level"),
            [
                (name if m is None else level_text(name, m), float(count), str(count))
                for name, count in by_level.items()
            ],
            maximum=float(max(by_level.values())),
        )
        yield '<table id="escalations">'
        yield _header(*columns(ESCALATION_COLUMNS, ESCALATION_COLUMN_KEYS, m))
        yield from (
            "<tr>" + "".join(_cell(text) for text in escalation_cells(entry, m)) + "</tr>"
            for entry in report.escalations
        )
        yield "</table>"
    else:
        yield f"<p>{_e(say(m, 'no_escalations', NO_ESCALATIONS))}</p>"
    yield f"<h2>{_e(say(m, 'health_by_owner', 'Health by owner'))}</h2>"
    if report.owners:
        yield '<table id="owners">'
        yield _header(*columns(OWNER_COLUMNS, OWNER_COLUMN_KEYS, m))
        yield from (
            "<tr>"
            + _cell(owner_label(o.owner, o.name))
            + _cell(str(o.accounts), css="num")
            + _cell(str(o.with_issues), css="num")
            + _cell(str(o.open_findings), css="num")
            + _cell(score_text(o.average_health, m), css="num")
            + _cell(score_text(o.lowest_health, m), css="num")
            + "</tr>"
            for o in report.owners
        )
        yield "</table>"
    else:
        yield f"<p>{_e(say(m, 'no_owners', 'No owners of key accounts.'))}</p>"
    yield f"<h2>{_e(say(m, 'findings_by_principle', 'Open findings by principle'))}</h2>"
    if report.findings_by_principle:
        counts = report.findings_by_principle
        yield bar_chart(
            "findings-by-principle",
            say(m, "chart_principles", "Open findings on key accounts by principle"),
            [
                (principle_label(principle, m), float(count), str(count))
                for principle, count in counts.items()
            ],
            maximum=float(max(counts.values())),
        )
    else:
        yield f"<p>{_e(say(m, 'no_findings', 'No open findings on key accounts.'))}</p>"
    yield from ["</body>", "</html>"]
