"""Schedule entries: cron fields expanded, and the crontab line, systemd units and Task
Scheduler XML each checked for structure; the crontab line is also run as cron would run it."""

import configparser
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from conftest import fail_or_skip, run_core, sqlite_project
from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN
from core.errors import UsageError
from core.schedule import (
    CRON_MARK,
    TASK_NAMESPACE,
    Job,
    cron_entry,
    entries,
    every,
    on_calendar,
    parse_cron,
    systemd_units,
    task_xml,
)

NS = {"t": TASK_NAMESPACE}
# The Task Scheduler schema's order of a CalendarTrigger's children (triggerBaseType's sequence,
# then calendarTriggerType's): what a validator would hold the XML to.
TRIGGER_ORDER = ["Enabled", "StartBoundary", "EndBoundary", "Repetition", "ExecutionTimeLimit",
                 "RandomDelay", "ScheduleByDay", "ScheduleByWeek", "ScheduleByMonth",
                 "ScheduleByMonthDayOfWeek"]


def cli(*argv, env=None) -> subprocess.CompletedProcess:
    return run_core("schedule", *argv, env=os.environ | (env or {}), timeout=60)


@pytest.fixture
def job(tmp_path):
    project = sqlite_project(tmp_path / "Well Data 100%")  # a space and a % on purpose
    return Job(project.resolve(), sys.executable, ("--limit", "0"))


# -- the schedule --------------------------------------------------------------------------------


@pytest.mark.parametrize(("expression", "expected"), [
    ("0 2 * * *", ((0,), (2,), None, None, None)),
    ("*/15 8-17 * * mon-fri", ((0, 15, 30, 45), tuple(range(8, 18)), None, None,
                               (1, 2, 3, 4, 5))),
    ("30 1-23/6 1,15 jan,jul *", ((30,), (1, 7, 13, 19), (1, 15), (1, 7), None)),
    ("0 0 * * 7", ((0,), (0,), None, None, (0,))),  # 7 is Sunday too
    ("@daily", ((0,), (0,), None, None, None)),
])
def test_cron_fields_are_expanded(expression, expected):
    schedule = parse_cron(expression)

    assert (schedule.minutes, schedule.hours, schedule.days, schedule.months,
            schedule.weekdays) == expected


@pytest.mark.parametrize(("expression", "message"), [
    ("0 2 * *", "five fields"), ("0 24 * * *", "hour '24' is not a value from 0 to 23"),
    ("0 2 * * funday", "day of week 'funday'"), ("*/0 * * * *", "step '0'"),
    ("0 5-2 * * *", "runs backwards"),
])
def test_bad_cron_expressions_say_which_field(expression, message):
    with pytest.raises(UsageError, match=message):
        parse_cron(expression)


@pytest.mark.parametrize(("interval", "at", "cron"), [
    ("1d", "02:00", "0 2 * * *"), ("15m", None, "*/15 * * * *"),
    ("15m", "00:05", "5-59/15 * * * *"), ("6h", "01:30", "30 1-23/6 * * *"),
    ("1h", "00:10", "10 */1 * * *"),
])
def test_every_is_a_cron_expression(interval, at, cron):
    assert every(interval, at).cron == cron


@pytest.mark.parametrize(("interval", "at"), [("7m", None), ("5h", None), ("2d", None),
                                              ("1d", "25:00"), ("daily", None)])
def test_every_refuses_what_it_cannot_keep_evenly(interval, at):
    with pytest.raises(UsageError):
        every(interval, at)


# -- cron --------------------------------------------------------------------------------------


def test_crontab_line_structure(job):
    marker, line = cron_entry(every("1d", "02:00"), job).splitlines()

    assert marker == f"{CRON_MARK} {job.project}"
    fields = line.split(" ", 5)
    assert fields[:5] == ["0", "2", "*", "*", "*"]
    command = fields[5]
    assert "%" not in command.replace("\\%", "")  # cron would cut the line at a bare %
    words = shlex.split(command.replace("\\%", "%"))
    assert words[:3] == ["mkdir", "-p", str(job.project / "logs")]
    run = words[4:words.index(">")]
    assert run == job.argv() and words[-2:] == [str(job.project / "logs/last-run.out"), "2>&1"]


def test_the_crontab_line_runs_as_cron_runs_it(job, emulator):
    """/bin/sh -c with cron's % escape undone, a bare environment plus the credentials."""
    job = Job(job.project, job.python, ("--base-url", emulator.base_url))
    line = cron_entry(every("1d", "02:00"), job).splitlines()[1]
    command = line.split(" ", 5)[5].replace("\\%", "%")

    done = subprocess.run(["/bin/sh", "-c", command], cwd="/", timeout=90, env={
        "PATH": "/usr/bin:/bin", "COMBOCURVE_API_KEY": DEFAULT_API_KEY,
        "COMBOCURVE_TOKEN": DEFAULT_TOKEN})

    log = (job.project / "logs" / "combocurve-sync.log").read_text()
    assert done.returncode == 0, (job.project / "logs" / "last-run.out").read_text()
    assert "ended, exit code 0" in log and len(emulator.wells()) == 3
    assert "wells" in (job.project / "logs" / "last-run.out").read_text()  # the summary


def test_install_replaces_this_projects_crontab_entry_only(job, tmp_path):
    """`crontab` here is a stand-in that keeps its table in a file: a test must not change
    the machine's own crontab."""
    bin_dir, table = tmp_path / "bin", tmp_path / "crontab.txt"
    bin_dir.mkdir()
    table.write_text("MAILTO=ops@example.com\n15 3 * * * /usr/bin/backup\n")
    stand_in = bin_dir / "crontab"
    stand_in.write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat "{table}"; '
                        f'else cat > "{table}"; fi\n')
    stand_in.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}

    first = cli(job.project, "--every", "1d", "--at", "02:00", "--format", "cron", "--install",
                env=env)
    second = cli(job.project, "--every", "6h", "--format", "cron", "--install", env=env)

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "added" in first.stdout and "replaced" in second.stdout
    lines = table.read_text().splitlines()
    assert lines[:2] == ["MAILTO=ops@example.com", "15 3 * * * /usr/bin/backup"]
    assert lines[2] == f"{CRON_MARK} {job.project}" and lines[3].startswith("0 */6 * * * ")
    assert len(lines) == 4


# -- systemd -----------------------------------------------------------------------------------


def test_systemd_units_structure(job):
    service, timer = systemd_units(parse_cron("*/15 8-17 * * mon-fri"), job)
    units = {}
    for name, text in (("service", service), ("timer", timer)):
        units[name] = configparser.ConfigParser(interpolation=None, strict=True)
        units[name].optionxform = str
        units[name].read_string(text)

    assert units["service"]["Service"]["Type"] == "oneshot"
    assert units["timer"]["Timer"]["Unit"] == f"{job.unit}.service"
    assert units["timer"]["Timer"]["Persistent"] == "true"
    assert units["timer"]["Install"]["WantedBy"] == "timers.target"
    assert units["timer"]["Timer"]["OnCalendar"] == (
        "Mon,Tue,Wed,Thu,Fri *-*-* 08,09,10,11,12,13,14,15,16,17:00,15,30,45:00")
    exec_start = units["service"]["Service"]["ExecStart"]
    assert shlex.split(exec_start.replace("%%", "%")) == job.argv()


@pytest.mark.parametrize("expression", ["0 2 * * *", "*/15 8-17 * * mon-fri",
                                        "30 1-23/6 1,15 jan,jul *"])
def test_systemd_accepts_the_units(job, tmp_path, expression):
    """systemd's own parser: `systemd-analyze calendar` and `verify` (offline)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        fail_or_skip("systemd-analyze is not installed")
    files = entries(parse_cron(expression), job, "systemd", unit_dir=tmp_path / "units")
    for path, text in files.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)

    calendar = subprocess.run([analyze, "calendar", on_calendar(parse_cron(expression))],
                              capture_output=True, text=True)
    verify = subprocess.run([analyze, "verify", *map(str, files)], capture_output=True,
                            text=True)

    assert calendar.returncode == 0, calendar.stderr
    assert verify.returncode == 0, verify.stderr + verify.stdout


def test_either_day_rule_is_refused_where_it_cannot_be_said(job):
    schedule = parse_cron("0 2 1 * mon")

    assert cron_entry(schedule, job)  # cron itself knows it
    for render in (lambda: systemd_units(schedule, job),
                   lambda: task_xml(schedule, job, date(2026, 1, 1))):
        with pytest.raises(UsageError, match="OR the day of the week"):
            render()


# -- Windows Task Scheduler ----------------------------------------------------------------------


def _task(schedule_text: str, job) -> ET.Element:
    text = task_xml(parse_cron(schedule_text), job, date(2026, 12, 1))
    return ET.fromstring(text.split("\n", 1)[1])  # ElementTree refuses a UTF-16 declaration
    # on a str; the declaration itself is checked in test_install_windows_writes_utf16


def test_task_xml_structure(job):
    task = _task("0 2 * * *", job)

    assert task.tag == f"{{{TASK_NAMESPACE}}}Task" and task.get("version") == "1.2"
    assert task.findtext("t:Settings/t:MultipleInstancesPolicy", namespaces=NS) == "IgnoreNew"
    [trigger] = task.findall("t:Triggers/t:CalendarTrigger", NS)
    assert trigger.findtext("t:StartBoundary", namespaces=NS) == "2026-12-01T02:00:00"
    assert trigger.findtext("t:ScheduleByDay/t:DaysInterval", namespaces=NS) == "1"
    exec_ = task.find("t:Actions/t:Exec", NS)
    assert exec_.findtext("t:Command", namespaces=NS) == job.python
    assert exec_.findtext("t:WorkingDirectory", namespaces=NS) == str(job.project)
    arguments = exec_.findtext("t:Arguments", namespaces=NS)
    assert f'"{job.project}"' in arguments  # the space in the path is quoted for Windows
    assert arguments.endswith("-q --limit 0")


@pytest.mark.parametrize(("expression", "triggers", "day_pattern", "interval"), [
    ("*/15 * * * *", 1, "ScheduleByDay", "PT15M"),
    ("0 */6 * * *", 1, "ScheduleByDay", "PT360M"),
    ("0 6,18 * * mon-fri", 1, "ScheduleByWeek", "PT720M"),  # evenly through the day
    ("0 6,17 * * mon-fri", 2, "ScheduleByWeek", None),
    ("0 2 1,15 * *", 1, "ScheduleByMonth", None),
])
def test_task_triggers_follow_the_schema(job, expression, triggers, day_pattern, interval):
    task = _task(expression, job)

    found = task.findall("t:Triggers/t:CalendarTrigger", NS)
    assert len(found) == triggers
    for trigger in found:
        names = [child.tag.split("}")[1] for child in trigger]
        assert names == sorted(names, key=TRIGGER_ORDER.index)  # the schema's sequence
        assert names[-1] == day_pattern
        assert trigger.findtext("t:Repetition/t:Interval", namespaces=NS) == interval
    if day_pattern == "ScheduleByWeek":
        days = [d.tag.split("}")[1] for d in found[0].find("t:ScheduleByWeek/t:DaysOfWeek", NS)]
        assert days == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def test_install_windows_writes_utf16_beside_the_project(job):
    done = cli(job.project, "--every", "1d", "--at", "02:00", "--format", "windows",
               "--install")

    xml = job.project / f"{job.unit}.xml"
    assert done.returncode == 0, done.stderr
    assert xml.read_bytes()[:2] in (b"\xff\xfe", b"\xfe\xff")  # a byte-order mark
    assert xml.read_text(encoding="utf-16").startswith('<?xml version="1.0" encoding="UTF-16"?>')
    assert "schtasks /Create" in done.stdout and "MultipleInstancesPolicy" in xml.read_text(
        encoding="utf-16")


# -- the verb ------------------------------------------------------------------------------------


def test_schedule_prints_the_entry(job):
    done = cli(job.project, "--cron", "0 2 * * *", "--format", "cron", "--", "--limit", "0")

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("0 2 * * * mkdir -p ")
    assert not (job.project / "logs").exists()  # printing changes nothing


@pytest.mark.parametrize(("argv", "message"), [
    (["--every", "1d", "--", "--limt", "0"], "sync options after --: unrecognized"),
    (["--every", "1d", "--cron", "0 2 * * *"], "not allowed with"),
    (["--cron", "0 2 * * *", "--at", "02:00"], "--at goes with --every"),
    (["--every", "1d", "--", "--log-file", "x.log"], "sets --log-file itself"),
    (["--every", "7m"], "--every '7m'"),
])
def test_schedule_refuses_bad_usage_with_exit_2(job, argv, message):
    done = cli(job.project, *argv)

    assert done.returncode == 2 and message in done.stderr and done.stderr.count("\n") == 1


def test_schedule_refuses_a_folder_that_is_no_project(tmp_path):
    done = cli(tmp_path / "nowhere", "--every", "1d")

    assert done.returncode == 2 and "not a directory" in done.stderr


def test_install_systemd_writes_both_units(job, tmp_path):
    units = tmp_path / "units"

    done = cli(job.project, "--every", "1d", "--format", "systemd", "--install", "--unit-dir",
               units)

    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in units.iterdir()) == [f"{job.unit}.service",
                                                       f"{job.unit}.timer"]
    assert f"enable --now {job.unit}.timer" in done.stdout
    assert Path(job.project / "logs").is_dir()
