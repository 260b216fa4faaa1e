"""The governors' report as HTML, PDF and CSV (anonymised by storage.services.governors)."""

from __future__ import annotations

import csv
import io

from dialogs.documents.render import html_to_pdf, render_html
from dialogs.prompts import Attachment
from storage.services.governors import GovernorsReport

CSV_COLUMNS = [
    "pupil",
    "reason_for_ap",
    "provider",
    "registration",
    "full_time",
    "weekly_hours",
    "status",
    "started",
    "planned_end",
    "qa_visits_done",
    "qa_visits_due",
    "checklist_done",
    "checklist_total",
    "checklist_missing",
    "support",
    # Progress against each objective (number, target month, latest judgement), and how many
    # were achieved.
    "objectives_progress",
    "objectives_achieved",
    "attendance_percent",
    "sessions_attended",
    "sessions_absent",
    "sessions_not_reported",
    "latest_qa_rating",
    "return_plan_agreed",
    # Contacts during the term, counted apart by who they were with.
    "contacts_provider",
    "contacts_parents_carers",
    "contacts_pupil",
]


def attendance_chart(report: GovernorsReport, *, width: int = 640, height: int = 180) -> str:
    """An SVG bar chart of attendance by week (all AP pupils together)."""
    weeks = report.weekly_attendance
    if not weeks:
        return ""
    bar = min(48, max(8, (width - 40) // max(len(weeks), 1) - 6))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" '
        f'role="img" aria-label="Attendance by week">',
        f'<line x1="30" y1="{height}" x2="{width}" y2="{height}" stroke="#888"/>',
        f'<text x="0" y="12" font-size="10">100%</text><text x="0" y="{height}" font-size="10">0%</text>',
    ]
    for n, (week, pct) in enumerate(weeks):
        x = 34 + n * (bar + 6)
        h = round(height * pct / 100)
        colour = "#2e7d32" if pct >= 90 else "#f9a825" if pct >= 80 else "#c62828"
        parts.append(
            f'<rect x="{x}" y="{height - h}" width="{bar}" height="{h}" fill="{colour}">'
            f"<title>w/c {week:%d/%m}: {pct}%</title></rect>"
        )
        parts.append(f'<text x="{x}" y="{height + 14}" font-size="9">{week:%d/%m}</text>')
    parts.append("</svg>")
    return "".join(parts)


def governors_html(report: GovernorsReport) -> str:
    return render_html("governors.html.j2", report=report, chart=attendance_chart(report))


def governors_csv(report: GovernorsReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    # Grouped by why the pupil is in AP, as the HTML and the chat are.
    for p in (line for _, lines in report.by_reason for line in lines):
        writer.writerow(
            [
                p.label,
                p.reason,
                p.provider,
                p.registration,
                "yes" if p.full_time else "no",
                p.weekly_hours,
                p.status,
                p.started,
                p.planned_end,
                p.qa_done,
                p.qa_due,
                p.checklist_done,
                p.checklist_total,
                "; ".join(p.missing),
                "; ".join(p.support),
                "; ".join(o.text for o in p.objectives),
                f"{p.objectives_achieved} of {len(p.objectives)}",
                "" if p.attendance_pct is None else p.attendance_pct,
                p.attended,
                p.absent,
                p.unreported,
                p.latest_rating or "",
                "yes" if p.return_plan_agreed else "no",
                p.contacts.provider,
                p.contacts.parent_carer,
                p.contacts.pupil,
            ]
        )
    return out.getvalue()


def governors_files(report: GovernorsReport) -> list[Attachment]:
    """The report as HTML, PDF and CSV, named after the school and term."""
    stem = f"governors-report-{report.term.season}-{report.term.year}"
    html = governors_html(report)
    return [
        Attachment(filename=f"{stem}.html", media_type="text/html", content=html.encode()),
        Attachment(filename=f"{stem}.pdf", media_type="application/pdf", content=html_to_pdf(html)),
        Attachment(
            filename=f"{stem}.csv", media_type="text/csv", content=governors_csv(report).encode()
        ),
    ]
