"""The promises of the README and of the repository itself."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^```[a-z]*\n(.*?)\n```", section, flags=re.S | re.M)


def test_readme_quick_start_has_exactly_two_one_line_commands():
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)
    serve, test = commands
    assert "quickstart" in serve and "pip install" in serve
    assert "[dev]" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = quick_start_commands()[1]
    runs = [line for line in ci.splitlines() if line.startswith(test_command)]
    assert len(runs) == 2  # once on PostgreSQL, once on SQLite
    assert "export DATABASE_URL=" in ci and "unset DATABASE_URL" in ci


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit:  # makemigrations --check exits 1 when something is missing
        pytest.fail(f"missing migrations:\n{out.getvalue()} ({exit})")


def test_quickstart_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("quickstart")
