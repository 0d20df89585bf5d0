"""Every verb ends an expected error the same way (core.cli.attempt): one `Error:` line, no
traceback, the shared exit codes; and sync and verify end with the same summary, report and
exit code (core.cli.conclude)."""

import logging
from pathlib import Path

import pytest

from core.cli import ExitCode, conclude
from core.cli import schedule as schedule_verb
from core.cli import state as state_verb
from core.errors import LockedError, RunFailedError, SyncError
from core.report import ResourceReport, RunReport


def _raise(error: BaseException):
    """A stand-in that raises `error` (a mock, said so: a SyncError or a Ctrl-C at this point
    of a verb cannot be made to happen on demand)."""
    def raising(*_args, **_kwargs):
        raise error
    return raising


@pytest.mark.parametrize(("error", "code", "line"), [
    (SyncError("the ledger went away"), ExitCode.FAILED, "Error: the ledger went away\n"),
    (LockedError("another run holds it"), ExitCode.LOCKED, "Error: another run holds it\n"),
    (KeyboardInterrupt(), ExitCode.STOPPED, "Error: interrupted\n")])
def test_state_and_schedule_say_an_error_on_one_line(monkeypatch, capsys, tmp_path, error,
                                                     code, line):
    monkeypatch.setattr(state_verb, "load_project", _raise(error))
    monkeypatch.setattr(schedule_verb, "plan", _raise(error))

    state = state_verb.run(state_verb.parser().parse_args([str(tmp_path)]))
    said_by_state = capsys.readouterr()
    scheduled = schedule_verb.run(schedule_verb.parser().parse_args([str(tmp_path),
                                                                     "--every", "1d"]))
    said_by_schedule = capsys.readouterr()

    assert state == scheduled == code
    assert said_by_state.err == said_by_schedule.err == line  # no traceback
    assert said_by_state.out == said_by_schedule.out == ""


@pytest.mark.parametrize("then", [None, "hook"])
def test_a_report_that_cannot_be_written_is_the_last_line_and_logged(tmp_path, capsys, caplog,
                                                                     then):
    (tmp_path / "a-file").write_text("")
    args = state_verb.parser().parse_args([str(tmp_path)])
    args.report = Path(tmp_path / "a-file" / "report.json")  # its folder is a file
    report = RunReport("r", resources=[ResourceReport("wells", rows_read=1, accepted=1)])
    seen = []

    with caplog.at_level(logging.INFO, logger="core.cli"):
        code = conclude(args, report, then=(lambda r, c: seen.append(c)) if then else None)

    said = capsys.readouterr()
    assert code == ExitCode.FAILED  # every row accepted, but the report is lost
    assert said.out.startswith("resource") and "wells" in said.out
    assert said.err.startswith("Error: cannot write the report ") and said.err.count("\n") == 1
    assert seen == ([ExitCode.FAILED] if then else [])
    assert [r.getMessage() for r in caplog.records] == [said.err[len("Error: "):-1]]


def test_a_failed_job_names_the_records_left_undeleted():
    kept = ResourceReport("wells", rows_read=5, accepted=5, not_deleted=3,
                          deletions_refused="the deletions would exceed 5% of the ledger")
    report = RunReport("r", resources=[kept, ResourceReport("daily-productions")])

    assert str(RunFailedError(report)) == \
        "run r failed: wells: 0 rejected, 0 not sent, 3 not deleted"
