"""Demo data (`apbot demo`): a fictional local authority, its schools, providers, people, pupils
and placements (`school.py`), with a few weeks of recent history (`activity.py`). Nothing here is
used by the product itself; every name, address, URN, UKPRN and email is invented."""

from storage.demo.school import DEMO_TEACHER_EMAIL, DemoSummary, seed_demo

__all__ = ["DEMO_TEACHER_EMAIL", "DemoSummary", "seed_demo"]
