"""Onboarding from a school's own data: staff and pupils from its MIS export, establishments
from the DfE's Get Information about Schools file (`apbot import ...`).

Each import reads a CSV (`table.py`), checks every line with a pydantic model, and goes through
the directory services, so every change is audited and pupils' names are sealed as everywhere
else. An import adds and updates; it never removes (what the file leaves out stays)."""

from storage.imports.establishments import import_establishments
from storage.imports.pupils import import_pupils
from storage.imports.staff import import_staff
from storage.imports.table import BadLine, ImportRefused, ImportReport, decode

__all__ = [
    "BadLine",
    "ImportRefused",
    "ImportReport",
    "decode",
    "import_establishments",
    "import_pupils",
    "import_staff",
]
