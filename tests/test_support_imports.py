"""How the suite's modules may import one another (docs/testing.md, "The support package").

What tests share lives in two packages: `tests/support` (named scenarios, factories, the chat,
Slack and Teams drivers, fixtures for a conftest.py to import) and `tests/fakes` (the platforms'
fakes). Test modules, conftest.py files and the benchmarks import from those two and from
nothing else under tests/: never a test_*.py module, never a conftest.py, never a helper module
in a test folder (there are none: a test folder holds only test_*.py, conftest.py and
__init__.py). The fakes stand alone: they import only each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
SHARED = ("tests.support", "tests.fakes")
# Where the shared helpers were before they moved into tests/support (issue 14), for a test
# written against the old layout: the names in them are unchanged.
MOVED = {
    "tests.factories": "tests.support.factories",
    "tests.chat": "tests.support.chat",
    "tests.conftest": "tests.support.database",
    "tests.bot.instances": "tests.support.instances",
    "tests.bot.slack.harness": "tests.support.slack",
    "tests.bot.slack.conftest": "tests.support.slack",
    "tests.bot.teams.helpers": "tests.support.teams",
    "tests.bot.teams.conftest": "tests.support.teams",
    "tests.bot.scheduler.helpers": "tests.support.scheduler",
    "tests.bot.contract.drivers": "tests.support.drivers",
    "tests.faults.conftest": "tests.support.faulty",
    "tests.security.conftest": "tests.support.teams_apps",
    "tests.security.slack_world": "tests.support.slack_world",
    "tests.security.support": "tests.support.tamper",
    "tests.properties.invariants": "tests.support.invariants",
    "tests.properties.strategies": "tests.support.strategies",
    "tests.bot.scheduler.test_channel_delivery": "tests.support.nudges (nudge_for, outbox_row, slack_setup)",
    "tests.bot.scheduler.test_catch_up_and_buttons": "tests.support.world (letter_of_assurance_outstanding)",
    "tests.dialogs.test_start_placement": "tests.support.answers (full_time_answers)",
    "tests.dialogs.test_welfare": "tests.support.answers (report_n), tests.support.world (jamie_at_pathways)",
    "tests.dialogs.test_report": "tests.support.world (school_with_ap)",
    "tests.dialogs.test_contact": "tests.support.world (START)",
}  # fmt: skip


def module_name(path: Path) -> str:
    """`tests/bot/slack/conftest.py` -> `tests.bot.slack.conftest` (a package: its own name)."""
    parts = list(path.relative_to(REPOSITORY).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """Every module `source` (the text of `module`) imports, relative imports resolved; for
    `from package import name` of one of our packages, `package.name` too (it may be a module)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = module.split(".") if is_package else module.split(".")[:-1]
                base = package[: len(package) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append(target)
            if REPOSITORY.joinpath(*target.split(".")).is_dir():
                found += [f"{target}.{alias.name}" for alias in node.names]
    return found


def is_ours(module: str) -> bool:
    return module == "tests" or module.startswith("tests.")


def is_shared(module: str) -> bool:
    return any(module == shared or module.startswith(shared + ".") for shared in SHARED)


def hint(module: str) -> str:
    for old, new in MOVED.items():
        if module == old or module.startswith(old + "."):
            return f" (moved: use {new})"
    if module.rsplit(".", 1)[-1].startswith("test_"):
        return " (a test module: move what it shares into tests/support)"
    return ""


def wrong_imports(source: str, module: str, *, is_package: bool = False) -> list[str]:
    """The imports of tests' own modules that `module` may not make."""
    fakes = module == "tests.fakes" or module.startswith("tests.fakes.")
    wrong = []
    for target in imported_modules(source, module, is_package=is_package):
        if not is_ours(target) or target == "tests":
            continue
        allowed = target.startswith("tests.fakes") if fakes else is_shared(target)
        if not allowed:
            wrong.append(f"{module} imports {target}{hint(target)}")
    return sorted(set(wrong))


def python_files() -> list[Path]:
    return sorted((REPOSITORY / "tests").rglob("*.py")) + sorted(
        (REPOSITORY / "benchmarks").rglob("*.py")
    )


def test_tests_and_benchmarks_import_only_the_support_package_and_the_fakes() -> None:
    wrong = []
    for path in python_files():
        wrong += wrong_imports(
            path.read_text(), module_name(path), is_package=path.name == "__init__.py"
        )
    assert not wrong, "\n".join(wrong)


def test_a_test_folder_holds_only_tests_and_conftests() -> None:
    misplaced = []
    for path in sorted((REPOSITORY / "tests").rglob("*.py")):
        shared = is_shared(module_name(path))
        name = path.name
        if shared and (name.startswith("test_") or name == "conftest.py"):
            misplaced.append(f"{path.relative_to(REPOSITORY)}: no tests in a support package")
        if not shared and not (name.startswith("test_") or name in ("conftest.py", "__init__.py")):
            misplaced.append(f"{path.relative_to(REPOSITORY)}: a helper belongs in tests/support")
    assert not misplaced, "\n".join(misplaced)


def test_the_rule_sees_every_way_of_importing_a_test_module() -> None:
    module = "tests.bot.slack.test_example"
    assert wrong_imports("from tests.dialogs.test_report import x", module) == [
        f"{module} imports tests.dialogs.test_report"
        " (moved: use tests.support.world (school_with_ap))"
    ]
    assert wrong_imports("import tests.dialogs.test_visit", module) == [
        f"{module} imports tests.dialogs.test_visit"
        " (a test module: move what it shares into tests/support)"
    ]
    assert wrong_imports("from .conftest import slack_api", module) == [
        f"{module} imports tests.bot.slack.conftest (moved: use tests.support.slack)"
    ]
    assert wrong_imports("from tests import chat", module) == [
        f"{module} imports tests.chat (moved: use tests.support.chat)"
    ]
    assert wrong_imports("from ...support.world import START", module) == []
    assert wrong_imports("from tests.support import world", "benchmarks.example") == []
    assert wrong_imports("from tests.support.slack import Posted", "tests.fakes.example") == [
        "tests.fakes.example imports tests.support.slack"
    ]
