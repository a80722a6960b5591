"""The report as one self-contained HTML page: each extract's 24 hours as a timeline, the inventory as bars.

`smi report --html OUT.html` writes it and `smi serve` answers it at ``GET /report.html``. The page is
rendered here, on the server, as HTML with inline SVG and inline CSS: no script, no font, no image and
no stylesheet from anywhere else, so it opens the same from a file, a mail or an air-gapped machine.
Every chart has a title and a description, every bar its own title, and the same facts are given as
tables after the charts (their text alternative). Overdue is said in words and by a hatched bar, not by
colour alone. A pure function of the `Report`: no clock, no database, no file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from html import escape

from smi import rules
from smi.preview import RESTORE
from smi.service import Report
from smi.store import REFUSED, ExtractRecord, ModelChange, stamp
from smi.views import duration_words, model_change_out, overdue_by, window

#: The timeline's geometry, in SVG user units (the image scales to the page's width).
_WIDTH = 960
_LABEL = 190  # the extracts' names, left of the plot
_STATE = 270  # what became of each, right of the plot
_ROW = 34
_TOP = 34  # room for the hours axis
_BAR = 16
_HOUR = dt.timedelta(hours=1)

_STYLE = """
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: #1b1f24; background: #fff; margin: 0 auto; max-width: 1040px; padding: 1.5rem; }
h1 { font-size: 1.55rem; margin: 0 0 .3rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .4rem; border-bottom: 1px solid #d0d7de; padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
p.lead { margin: .2rem 0; }
.stale, .gap { color: #8a1c00; font-weight: 600; }
.note { color: #57606a; font-size: .9rem; }
svg { display: block; width: 100%; height: auto; margin: .4rem 0 1rem; }
svg text { font: 13px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; fill: #1b1f24; }
svg .axis text { fill: #57606a; font-size: 11px; }
svg .axis line { stroke: #d0d7de; }
svg .deadline { stroke: #1b1f24; stroke-dasharray: 4 3; }
svg .window { fill: #b6d4f2; stroke: #0a58a8; }
svg .overdue .window { fill: #f4c7bd; stroke: #a8300a; }
svg .late { fill: url(#late-hatch); stroke: #a8300a; }
svg .applied { fill: #1b1f24; }
svg .now { stroke: #6f42c1; stroke-width: 2; }
svg .state { font-size: 12px; }
svg .overdue .state { fill: #a8300a; font-weight: 700; }
svg .status .bar { fill: #0a58a8; }
svg .status.suspended .bar { fill: #a8300a; }
svg .status .count { font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; margin: .3rem 0 1rem; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
td.time, td.name { white-space: nowrap; }
tr.overdue td { background: #fff1ee; }
caption { text-align: left; font-weight: 600; padding: .2rem 0; }
"""


def render(report: Report) -> str:
    """The report as one HTML document (UTF-8 text)."""
    in_force = "none yet" if report.cpl_sequence is None else f"extract {report.cpl_sequence}"
    accepted = [r for r in report.extracts if r.state != REFUSED]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>SMI report at {_t(report.now)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        "<header>",
        "<h1>Smart Metering Inventory: the DCC's daily report</h1>",
        f'<p class="lead">At <time datetime="{_t(report.now)}">{_t(report.now)}</time>. CPL in force: '
        f"{escape(in_force)} ({report.active_models:,} Active Device Models); "
        f"{report.device_count:,} Devices.</p>",
        *_freshness(report),
        "</header>",
        "<main>",
        '<section aria-labelledby="windows-heading">',
        '<h2 id="windows-heading">Each extract\'s 24 hours</h2>',
        '<p class="note">Each bar is an extract\'s 24-hour window, from its receipt (left) to its deadline '
        "(the dashed line); a black diamond marks when it was applied, a purple line where a queued extract "
        "stands now. An overdue extract's bar is red and hatched past its deadline, and says OVERDUE.</p>",
        _timeline(accepted, report.now) if accepted else "<p>No extract accepted yet.</p>",
        *_gaps(report),
        "</section>",
        '<section aria-labelledby="statuses-heading">',
        f'<h2 id="statuses-heading">Inventory: {report.device_count:,} Devices by SMI Status</h2>',
        _status_bars(report.devices_by_status),
        "</section>",
        '<section aria-labelledby="tables-heading">',
        '<h2 id="tables-heading">The same, as tables</h2>',
        _extract_table(report),
        _status_table(report.devices_by_status),
        *_model_tables(report),
        "</section>",
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# --- the parts ----------------------------------------------------------------------------------


def _freshness(report: Report) -> list[str]:
    if report.cpl_stale:
        raised = "" if report.stale_alert_at is None else f"; CplStale alert raised at {_t(report.stale_alert_at)}"
        return [
            f'<p class="stale">The CPL in force is STALE: its next update was due by '
            f"{_t(report.next_update_by)}{raised}.</p>"
        ]
    if report.next_update_by is not None:
        return [f'<p class="lead">The next CPL extract is due by {_t(report.next_update_by)}.</p>']
    return []


def _gaps(report: Report) -> list[str]:
    if not report.sequence_gaps:
        return []
    items = []
    for gap in report.sequence_gaps:
        refused = "" if not gap.refused else f"; received and refused: {', '.join(map(str, gap.refused))}"
        items.append(f"<li>{escape(gap_words(gap))}{escape(refused)}</li>")
    return [
        '<h3 class="gap" id="gaps-heading">Sequence gaps</h3>',
        '<ul aria-labelledby="gaps-heading">',
        *items,
        "</ul>",
    ]


def gap_words(gap: rules.SequenceGap) -> str:
    """A gap as the report says it: 'sequence 3 missing between 2 and 4'."""
    if gap.missing == 1:
        return f"sequence {gap.first} missing between {gap.after} and {gap.before}"
    return f"sequences {gap.first} to {gap.last} ({gap.missing:,}) missing between {gap.after} and {gap.before}"


def _timeline(records: Sequence[ExtractRecord], now: dt.datetime) -> str:
    """One row per accepted extract on a shared scale of hours since its receipt."""
    ends = [_end(r, now) for r in records]
    span_hours = max(24.0, *(end / _HOUR for end in ends))
    span_hours = float(int(span_hours / 6 + 0.999) * 6)  # the scale ends on a tick
    plot = _WIDTH - _LABEL - _STATE
    height = _TOP + _ROW * len(records) + 8

    def x(hours: float) -> float:
        return _LABEL + plot * hours / span_hours

    overdue_count = sum(1 for r in records if overdue_by(r, now) is not None)
    description = f"{len(records)} extract{'s' if len(records) != 1 else ''}; {overdue_count} overdue. " + " ".join(
        _row_sentence(r, now) for r in records
    )
    out = [
        f'<svg id="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-labelledby="timeline-title timeline-desc">',
        '<title id="timeline-title">Each extract\'s 24-hour window, from receipt to deadline, and when it was '
        "applied</title>",
        f'<desc id="timeline-desc">{escape(description)}</desc>',
        "<defs>",
        '<pattern id="late-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">',
        '<rect width="6" height="6" fill="#f4c7bd"/><line x1="0" y1="0" x2="0" y2="6" '
        'stroke="#a8300a" stroke-width="3"/>',
        "</pattern>",
        "</defs>",
        '<g class="axis" aria-hidden="true">',
    ]
    for tick in range(0, int(span_hours) + 1, 6 if span_hours <= 72 else 24):
        out.append(
            f'<line x1="{x(tick):.1f}" y1="{_TOP - 6}" x2="{x(tick):.1f}" y2="{height - 4}"/>'
            f'<text x="{x(tick):.1f}" y="{_TOP - 10}" text-anchor="middle">{tick} h</text>'
        )
    out.append(
        f'<line class="deadline" x1="{x(24):.1f}" y1="{_TOP - 6}" x2="{x(24):.1f}" y2="{height - 4}"/>'
        f'<text x="{x(24):.1f}" y="{_TOP - 22}" text-anchor="middle">deadline</text>'
    )
    out.append("</g>")
    for index, record in enumerate(records):
        out.append(_timeline_row(record, now, top=_TOP + index * _ROW, x=x))
    out.append("</svg>")
    return "\n".join(out)


def _end(record: ExtractRecord, now: dt.datetime) -> dt.timedelta:
    """Where an extract's row ends on the hours scale: its applying, or now while it is queued."""
    return (record.applied_at if record.applied_at is not None else now) - record.received_at


def _timeline_row(record: ExtractRecord, now: dt.datetime, *, top: int, x: Callable[[float], float]) -> str:
    late = overdue_by(record, now)
    middle = top + _ROW / 2
    bar_top = middle - _BAR / 2
    name = _name(record)
    classes = "extract overdue" if late is not None else "extract"
    sequence = "" if record.sequence is None else str(record.sequence)
    row = [
        f'<g class="{classes}" data-sequence="{sequence}" data-state="{escape(record.state)}">',
        f"<title>{escape(_row_sentence(record, now))}</title>",
        f'<text class="label" x="8" y="{middle + 4:.1f}">{escape(name)}</text>',
        f'<text class="received" x="{_LABEL - 8}" y="{middle + 4:.1f}" text-anchor="end" font-size="11">'
        f"{escape(_short(record.received_at))}</text>",
        f'<rect class="window" x="{x(0):.1f}" y="{bar_top:.1f}" width="{x(24) - x(0):.1f}" height="{_BAR}" rx="2"/>',
    ]
    if late is not None:
        end = 24 + late / _HOUR
        row.append(
            f'<rect class="late" x="{x(24):.1f}" y="{bar_top:.1f}" width="{x(end) - x(24):.1f}" height="{_BAR}"/>'
        )
    if record.applied_at is not None:
        at = x((record.applied_at - record.received_at) / _HOUR)
        row.append(
            f'<path class="applied" d="M {at:.1f} {bar_top - 3:.1f} l 7 {_BAR / 2 + 3:.1f} '
            f'l -7 {_BAR / 2 + 3:.1f} l -7 {-(_BAR / 2 + 3):.1f} z"/>'
        )
    else:
        at = x((now - record.received_at) / _HOUR)
        row.append(
            f'<line class="now" x1="{at:.1f}" y1="{bar_top - 4:.1f}" x2="{at:.1f}" y2="{bar_top + _BAR + 4:.1f}"/>'
        )
    state = escape(_state_words(record, now))
    row.append(f'<text class="state" x="{_WIDTH - _STATE + 10}" y="{middle + 4:.1f}">{state}</text>')
    row.append("</g>")
    return "".join(row)


def _name(record: ExtractRecord) -> str:
    return "Extract ?" if record.sequence is None else f"Extract {record.sequence}"


def _state_words(record: ExtractRecord, now: dt.datetime) -> str:
    late = overdue_by(record, now)
    if late is not None:
        return f"OVERDUE by {duration_words(late)}" + ("" if record.applied_at is not None else ", not applied")
    if record.applied_at is not None:
        return f"applied after {duration_words(record.applied_at - record.received_at)}"
    return f"queued, {duration_words(record.deadline - now)} left"


def _row_sentence(record: ExtractRecord, now: dt.datetime) -> str:
    applied = "not applied yet" if record.applied_at is None else f"applied {_t(record.applied_at)}"
    return (
        f"{_name(record)}: received {_t(record.received_at)}, deadline {_t(record.deadline)}, {applied}; "
        f"{_state_words(record, now)}."
    )


def _status_bars(counts: dict[str, int]) -> str:
    label, count_width, row = 210, 110, 26
    plot = _WIDTH - label - count_width
    height = row * len(counts) + 10
    largest = max(counts.values(), default=0) or 1
    description = "; ".join(f"{status} {count:,}" for status, count in counts.items())
    out = [
        f'<svg id="statuses" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_WIDTH} {height}" '
        f'role="img" aria-labelledby="statuses-title statuses-desc">',
        '<title id="statuses-title">Devices in each SMI Status</title>',
        f'<desc id="statuses-desc">{escape(description)}.</desc>',
    ]
    for index, (status, count) in enumerate(counts.items()):
        top = 5 + index * row
        width = plot * count / largest
        suspended = " suspended" if status == rules.SmiStatus.SUSPENDED else ""
        out.append(
            f'<g class="status{suspended}" data-status="{escape(status)}">'
            f"<title>{escape(status)}: {count:,} Devices</title>"
            f'<text class="label" x="{label - 10}" y="{top + 16}" text-anchor="end">{escape(status)}</text>'
            f'<rect class="bar" x="{label}" y="{top + 3}" width="{width:.1f}" height="{row - 8}" rx="2"/>'
            f'<text class="count" x="{label + width + 8:.1f}" y="{top + 16}">{count:,}</text>'
            "</g>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _extract_table(report: Report) -> str:
    head = ("Extract", "Received", "Deadline", "Applied", "Window", "Late by", "Suspended", "Restored")
    rows = []
    for record in report.extracts:
        late = overdue_by(record, report.now)
        cells = [
            ("name", escape(_name(record))),
            ("time", _t(record.received_at)),
            ("time", _t(record.deadline)),
            ("time", _t(record.applied_at) if record.applied_at is not None else "-"),
            (
                "window",
                escape(window(record, report.now))
                + ("" if record.refusal_reason is None else f": {escape(record.refusal_reason)}"),
            ),
            ("time", "-" if late is None else escape(duration_words(late))),
        ]
        counts = [record.devices_suspended, record.devices_restored]
        overdue = ' class="overdue"' if late is not None else ""
        rows.append(
            f"<tr{overdue}>"
            + "".join(f'<td class="{kind}">{cell}</td>' for kind, cell in cells)
            + "".join(f'<td class="number">{"-" if n is None else f"{n:,}"}</td>' for n in counts)
            + "</tr>"
        )
    return _table("extracts", "Extracts received", head, rows, numbers=2)


def _status_table(counts: dict[str, int]) -> str:
    rows = [f'<tr><td>{escape(status)}</td><td class="number">{count:,}</td></tr>' for status, count in counts.items()]
    return _table("statuses-table", "Devices by SMI Status", ("SMI Status", "Devices"), rows, numbers=1)


def _model_tables(report: Report) -> Iterable[str]:
    for record in report.extracts:
        changes = report.models_of(record)
        if not changes:
            if not report.models_recorded(record):
                yield f'<p class="note">{escape(_name(record))}: applied before per-model counts were recorded.</p>'
            continue
        head = ("Entry", "Physical Device Type", "Model", "CPL status", "Panel reference", "Change", "Devices")
        rows = [_model_row(change) for change in changes]
        yield _table(
            f"models-{record.sequence}",
            f"{_name(record)}: the Device Models it suspended or restored",
            head,
            rows,
            numbers=1,
        )


def _model_row(change: ModelChange) -> str:
    out = model_change_out(change)
    model = out.model
    was = out.cpl_status_before or "not listed"
    now = out.cpl_status or "not listed"
    cells = [
        escape(out.entry_id or "-"),
        escape(model.physical_device_type),
        escape(f"{model.manufacturer_id}/{model.model_id}/{model.hardware_version}/{model.firmware_version}"),
        escape(f"{was} → {now}" + (" again" if out.change == RESTORE and out.cpl_status else "")),
        escape(out.panel_reference or "-"),
        escape(out.change),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f'<td class="number">{out.devices:,}</td></tr>'


def _table(identifier: str, caption: str, head: Sequence[str], rows: Sequence[str], *, numbers: int) -> str:
    columns = "".join(
        f'<th scope="col"{" class=number" if i >= len(head) - numbers else ""}>{escape(h)}</th>'
        for i, h in enumerate(head)
    )
    body = "\n".join(rows) if rows else f'<tr><td colspan="{len(head)}">None.</td></tr>'
    return (
        f'<table id="{escape(identifier)}"><caption>{escape(caption)}</caption>'
        f"<thead><tr>{columns}</tr></thead><tbody>\n{body}\n</tbody></table>"
    )


def _t(moment: dt.datetime | None) -> str:
    return "-" if moment is None else stamp(moment)


def _short(moment: dt.datetime) -> str:
    """A receipt time short enough for the row's label: '11-02 09:00Z'."""
    return moment.astimezone(dt.UTC).strftime("%m-%d %H:%MZ")
