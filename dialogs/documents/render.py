"""Rendering documents: Jinja2 templates to HTML, WeasyPrint to PDF."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from dialogs.documents import words


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dialogs.documents", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["uk_date"] = words.uk_date
    env.filters["uk_time"] = words.uk_time
    env.filters["clock_time"] = words.clock_time
    env.filters["yes_no"] = words.yes_no
    env.filters["words"] = words.words
    env.filters["check_status"] = words.check_status
    env.filters["printable"] = words.printable
    env.filters["no_stop"] = words.no_stop
    env.filters["hours"] = words.hours
    return env


def render_html(template: str, **context: Any) -> str:
    """The named template filled in (everything escaped)."""
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    """A PDF of the HTML, as printed (A4, page numbers from the stylesheet)."""
    from weasyprint import HTML  # imported here: it loads system libraries on import

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
