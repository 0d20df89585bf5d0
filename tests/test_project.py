"""Project folders, valid and invalid: each invalid case is a folder with its expected message."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_core
from core import ProjectError, load_project

PROJECTS = Path(__file__).parent / "projects"
INVALID = sorted(p for p in (PROJECTS / "invalid").iterdir() if p.is_dir())
VALID = sorted(p for p in (PROJECTS / "valid").iterdir() if p.is_dir())


@pytest.fixture(autouse=True)
def _clean_environment(no_api_env, monkeypatch):
    monkeypatch.delenv("CC_TEST_UNSET_HOST", raising=False)


@pytest.mark.parametrize("folder", INVALID, ids=[p.name for p in INVALID])
def test_invalid_project_is_refused_with_its_message(folder):
    expected = (folder / "expected.txt").read_text(encoding="utf-8").strip()

    with pytest.raises(ProjectError) as caught:
        load_project(folder)

    message = str(caught.value)
    assert expected in message
    assert str(folder) in message or folder.name in message  # names where the problem is
    assert "\n" not in message


@pytest.mark.parametrize("folder", VALID, ids=[p.name for p in VALID])
def test_valid_project_loads(folder):
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))

    project = load_project(folder)

    assert project.connection.describe() == expected["connection"]
    assert [q.resource.name for q in project.queries] == expected["resources"]
    assert project.base_url == expected["base_url"]


def test_secrets_do_not_show_in_reprs():
    project = load_project(PROJECTS / "valid" / "env-defaults")

    assert project.connection.password.reveal() == "s3cret-pw"
    for text in (repr(project), str(project.connection), repr(project.credentials)):
        assert "s3cret-pw" not in text


def test_environment_overrides_the_file(monkeypatch):
    monkeypatch.setenv("COMBOCURVE_BASE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("COMBOCURVE_TOKEN", "from-env")
    monkeypatch.setenv("CC_TEST_HOST", "elsewhere")

    project = load_project(PROJECTS / "valid" / "env-defaults")

    assert project.base_url == "http://127.0.0.1:9"
    assert project.credentials.token.reveal() == "from-env"
    assert project.connection.host == "elsewhere"


def test_dry_run_needs_no_credentials():
    project = load_project(PROJECTS / "invalid" / "no-credentials", require_credentials=False)

    assert not project.credentials.complete


# Runs the CLI on every folder in one child process (one import of pandas, not one per folder)
_EVERY_FOLDER = """
import contextlib, io, json, sys, traceback
from core.cli import main
results = {}
for folder in sys.argv[1:]:
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main([folder, "--dry-run"])
    except BaseException:
        code, err = None, io.StringIO(traceback.format_exc())
    results[folder] = [code, err.getvalue()]
print(json.dumps(results))
"""


def test_cli_refuses_every_invalid_project_with_one_line_and_exit_2():
    folders = [f for f in INVALID if f.name != "no-credentials"]  # a dry run needs none
    done = subprocess.run([sys.executable, "-c", _EVERY_FOLDER, *map(str, folders)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    results = json.loads(done.stdout)

    for folder in folders:
        code, stderr = results[str(folder)]
        expected = (folder / "expected.txt").read_text(encoding="utf-8").strip()
        assert (code, stderr.count("\n")) == (2, 1), (folder.name, stderr)
        assert stderr.startswith("Error: ") and expected in stderr, folder.name


def test_cli_invalid_project_exits_2_with_one_line(tmp_path):
    done = run_core(PROJECTS / "invalid" / "no-type", timeout=60)

    assert done.returncode == 2
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1
    assert "[connection] needs type" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("argv", [["--limit", "-1"], ["--page-size", "0"],
                                  ["--page-size", "20001"], ["--resource", "monthly"],
                                  ["--no-such-flag"], ["--max-wait", "inf"],
                                  ["--max-wait", "nan"], ["--limit", "99999999999999999999999"]])
def test_cli_bad_usage_exits_2(argv):
    done = run_core(ROOT / "example", *argv, timeout=60)

    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("url", "problem"), [
    ("http://127.0.0.1:99999", "(Port out of range 0-65535)"),
    ("http://127.0.0.1:80a", "(Port could not be cast to integer value as '80a')"),
    ("http://[::1", "(Invalid IPv6 URL)"),
    ("http://api .example.com", "(the host 'api .example.com' is not a valid name)"),
    ("http://api..example.com", "(the host 'api..example.com' is not a valid name)"),
    ("https://sync:Url-Secret-2@api.example.com", "holds a user name or password"),
    ("ftp://api.example.com", "is not an http(s) URL"),
    ("https://api.example.com/?debug=1", "(no ?query or #fragment)"),
])
def test_a_bad_base_url_is_named_by_where_it_came_from(url, problem, monkeypatch):
    folder = PROJECTS / "valid" / "env-defaults"
    attempts = {
        "--base-url": lambda: load_project(folder, base_url=url),
        "--base-url ": lambda: load_project(folder).with_base_url(url),  # start(Project, ...)
        "COMBOCURVE_BASE_URL": lambda: (monkeypatch.setenv("COMBOCURVE_BASE_URL", url),
                                        load_project(folder)),
    }
    for where, attempt in attempts.items():
        with pytest.raises(ProjectError) as caught:
            attempt()
        message = str(caught.value)
        assert where.strip() in message and problem in message
        assert "Url-Secret-2" not in message


@pytest.mark.parametrize("max_wait", [-1, 1e9, float("inf"), float("nan"), "600", True])
def test_an_absurd_max_wait_is_a_usage_error(max_wait):
    from core import UsageError
    from core.main import start

    with pytest.raises(UsageError) as caught:
        start(PROJECTS / "valid" / "env-defaults", max_wait=max_wait, dry_run=True)

    assert str(caught.value) == ("max wait (--max-wait) must be a number of seconds from 0 to "
                                 f"86400, not {max_wait!r}")
