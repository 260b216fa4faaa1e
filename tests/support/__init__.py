"""What the tests share, in one place (docs/testing.md, "The support package"): named scenarios
(world.py) on the test world (factories.py), the answers dialogs are given again and again
(answers.py), the drivers that talk to the bot as the terminal, Slack and Teams do (chat.py,
slack.py, slack_world.py, teams.py, teams_apps.py, drivers.py), the database a test is given
(database.py, tamper.py, faulty.py), the scheduler's test channel and a nudge to deliver
(scheduler.py, nudges.py), several real bot instances (instances.py), and the property tests'
strategies and checks (strategies.py, invariants.py). The platforms' fakes are in tests/fakes.

Tests, conftest.py files and the benchmarks import from here and tests/fakes only, never from a
test module or a conftest.py (tests/test_support_imports.py). Fixtures live here as plain
functions; a conftest.py imports the ones its folder uses.
"""
