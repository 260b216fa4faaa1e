"""The rules of the guidance, as pure functions over plain values.

Nothing here touches the database, a channel or the wall clock: each module is meant to be read
next to the seed guidance ("Alternative Provision where schools are commissioning") and tested on
its own.

- `checklist`: the safeguarding checklist, section by section, and which items apply.
- `fulltime`: the full-time check and the time limits for unregistered providers.
- `cadence`: when QA visits and weekly contacts fall due.
- `start_checks`: what starting a placement refuses (year group, deadline, review, due dates).
- `codes`: the attendance and absence codes of the 2024 registration regulations (kept as data).
"""
