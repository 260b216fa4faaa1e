"""Rendering documents: Jinja2 templates to HTML, WeasyPrint to PDF."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("dialogs.documents", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["uk_date"] = lambda d: d.strftime("%d/%m/%Y") if isinstance(d, dt.date) else "—"
    return env


def render_html(template: str, **context: Any) -> str:
    """The named template filled in (everything escaped)."""
    return environment().get_template(template).render(**context)


def html_to_pdf(html: str) -> bytes:
    """A PDF of the HTML, as printed (A4, page numbers from the stylesheet)."""
    from weasyprint import HTML  # imported here: it loads system libraries on import

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
