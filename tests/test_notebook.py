"""notebooks/explore.ipynb: it runs top to bottom against the sample database and the emulator,
and it is committed without outputs."""

import os
import re

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient

from conftest import MARIADB, ROOT
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN

NOTEBOOKS = ROOT / "notebooks"
NOTEBOOK = NOTEBOOKS / "explore.ipynb"


def run_notebook() -> nbformat.NotebookNode:
    """Execute a copy of the notebook in memory (the repository file is never written)."""
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    return notebook


def text_of(cell) -> str:
    """Everything a cell printed or displayed, as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
            parts.append(output.data.get("text/html", ""))
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "\n".join(parts)


def tagged(notebook, tag: str):
    cells = [c for c in notebook.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


@pytest.fixture
def database_env(sample_mariadb, monkeypatch):
    """The example project reaches the test MariaDB through its ${MYSQL_*} variables."""
    url = sa.make_url(MARIADB)
    monkeypatch.setenv("MYSQL_HOST", url.host or "127.0.0.1")
    monkeypatch.setenv("MYSQL_PORT", str(url.port or 3306))
    monkeypatch.setenv("MYSQL_USER", url.username or "root")
    monkeypatch.setenv("MYSQL_PASSWORD", url.password or "")
    monkeypatch.delenv("PROJECT_DIR", raising=False)
    monkeypatch.delenv("COMBOCURVE_SERVICE_ACCOUNT", raising=False)
    monkeypatch.setenv("MPLBACKEND", "agg")  # the notebook's %matplotlib inline must win


@pytest.mark.timeout(300)
def test_notebook_runs_against_the_emulator(database_env, emulator, monkeypatch):
    monkeypatch.setenv("COMBOCURVE_BASE_URL", emulator.base_url)
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("COMBOCURVE_TOKEN", DEFAULT_TOKEN)

    notebook = run_notebook()

    assert emulator.base_url in text_of(tagged(notebook, "api"))  # it used ours, started none
    puts = [(r.path, r.status) for r in emulator.requests if r.method == "PUT"]
    assert {path for path, _ in puts} == {"/v1/wells", "/v1/daily-productions",
                                          "/v1/monthly-productions",
                                          "/v1/ownership-qualifiers"}, puts
    assert all(status in (200, 207) for _, status in puts), puts
    posts = [r.status for r in emulator.requests if r.method == "POST"]
    assert posts and set(posts) == {201}  # a directional survey created per well
    assert len(emulator.wells()) == 300
    assert len(emulator.daily_productions()) == 1000  # start()'s default row limit
    assert len(emulator.monthly_productions()) == 1000
    assert len(emulator.directional_surveys()) == len(posts)
    assert len(emulator.ownership_qualifiers()) == 410

    for tag in ("plot", "monthly"):
        assert any("image/png" in output.get("data", {})
                   for output in tagged(notebook, tag).outputs), f"the {tag} cell drew no image"
    monthly = text_of(tagged(notebook, "monthly"))
    assert "dated 15 (the day of the month sent)" in monthly, monthly
    sums = re.findall(r"January 2024, (?:the monthly row|sum of daily rows): +(\{.*\})", monthly)
    assert len(sums) == 2 and sums[0] == sums[1], monthly  # the sample's months add up

    assert "0 rows would be rejected" in text_of(tagged(notebook, "validate"))
    rejects = text_of(tagged(notebook, "rejects"))
    assert "must be 1-32 letters and digits" in rejects
    assert "must be exactly 14 digits" in rejects

    summary = text_of(tagged(notebook, "sync"))
    assert "wells" in summary and "daily-productions" in summary
    again = text_of(tagged(notebook, "again"))  # the second run: the ledger says unchanged
    assert re.search(r"^wells\s+300\s+300\s+0\s+0\s+0\s+0\s+0\s", again, re.M), again
    assert len([r for r in emulator.requests if r.method == "PUT"]) == len(puts)
    assert len([r for r in emulator.requests if r.method == "POST"]) == len(posts)
    assert "Emulator stopped" not in text_of(tagged(notebook, "cleanup"))  # not its to stop
    assert not (ROOT / "example" / "rejects").exists()  # a clean sync leaves nothing behind
    assert not (ROOT / "example" / ".combocurve").exists()  # nor a ledger in example/


@pytest.mark.timeout(300)
def test_notebook_starts_its_own_emulator_when_no_api_is_set(database_env, monkeypatch):
    """Run as an analyst would, with no COMBOCURVE_* variables: nothing may leave 127.0.0.1."""
    for name in ("COMBOCURVE_BASE_URL", "COMBOCURVE_API_KEY", "COMBOCURVE_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    notebook = run_notebook()

    started = text_of(tagged(notebook, "api"))
    assert "Started a local ComboCurve emulator at http://127.0.0.1:" in started
    project = text_of(tagged(notebook, "project"))
    assert "http://127.0.0.1:" in project and "combocurve.com" not in project, project
    summary = text_of(tagged(notebook, "sync"))
    # read, sent, accepted, rejected, not sent: every well went to the notebook's emulator
    assert re.search(r"^wells\s+300\s+0\s+300\s+300\s+0\s+0\s", summary, re.M), summary
    assert re.search(r"^daily-productions\s+1000\s+0\s+1000\s+1000\s+0\s+0\s", summary,
                     re.M), summary
    assert "Emulator stopped." in text_of(tagged(notebook, "cleanup"))
    assert "COMBOCURVE_BASE_URL" not in os.environ  # the kernel's changes stayed in the kernel


def test_committed_notebook_has_no_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert notebook.nbformat == 4
    assert notebook.metadata.kernelspec.name == "python3"
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for cell in code:
        assert cell.outputs == [], f"cell {cell.id} has outputs: strip them before committing"
        assert cell.execution_count is None, f"cell {cell.id} has an execution count"
