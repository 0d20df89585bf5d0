"""Entries that run a sync unattended: a crontab line, a systemd service and timer, or a
Windows Task Scheduler task, all written from one schedule.

A schedule is `every("1d", at="02:00")` (minutes that divide an hour, hours that divide a
day, or one day) or `parse_cron("0 2 * * *")`, held as the five cron fields expanded to their
values, so that each format is written from the same facts. Times are the machine's local
time in all three. Every entry runs `python -m core sync PROJECT --log-file
PROJECT/logs/combocurve-sync.log -q` and leaves its exit code to the scheduler (cron has
none to keep: the log file's last line says it).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from subprocess import list2cmdline
from xml.sax.saxutils import escape

from .errors import UsageError

FORMATS = ("cron", "systemd", "windows")
LOG_FILE = Path("logs") / "combocurve-sync.log"
LAST_RUN = Path("logs") / "last-run.out"  # cron: the console output of the last run
TASK_NAMESPACE = "http://schemas.microsoft.com/windows/2004/02/mit/task"
CRON_MARK = "# combocurve-sync:"  # the line above a crontab entry, naming its project

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_MACROS = {"@hourly": "0 * * * *", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
           "@weekly": "0 0 * * 0", "@monthly": "0 0 1 * *", "@yearly": "0 0 1 1 *",
           "@annually": "0 0 1 1 *"}
_WINDOWS_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_WINDOWS_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
                   "September", "October", "November", "December")


@dataclass(frozen=True)
class Schedule:
    """When to run: a cron expression and the values each of its fields allows."""

    cron: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...] | None  # day of month; None: any
    months: tuple[int, ...] | None  # None: any
    weekdays: tuple[int, ...] | None  # 0 = Sunday; None: any

    def times(self) -> list[tuple[int, int]]:
        return [(h, m) for h in self.hours for m in self.minutes]


def parse_cron(expression: str) -> Schedule:
    """A five-field cron expression (numbers, names, *, ranges, steps, lists, @daily...)."""
    text = _MACROS.get(expression.strip().lower(), expression.strip())
    fields = text.split()
    if len(fields) != 5:
        raise UsageError(f"--cron '{expression}': a cron expression has five fields "
                         "(minute hour day-of-month month day-of-week), e.g. '0 2 * * *'")
    values = [_field(expression, text, *spec, names)
              for text, spec, names in zip(fields, _FIELDS,
                                           (None, None, None, _MONTHS, _DAYS), strict=True)]
    weekdays = None if fields[4] == "*" else tuple(sorted({d % 7 for d in values[4]}))
    return Schedule(" ".join(fields), values[0], values[1],
                    None if fields[2] == "*" else values[2],
                    None if fields[3] == "*" else values[3], weekdays)


def every(interval: str, at: str | None = None) -> Schedule:
    """`15m` (minutes dividing an hour), `6h` (hours dividing a day) or `1d`, first at `at`
    (HH:MM, default 00:00) each day."""
    match = re.fullmatch(r"(\d+)\s*([mhd])", interval.strip().lower())
    hour, minute = _time_of_day(at or "00:00")
    count, unit = (int(match[1]), match[2]) if match else (0, "")
    if unit == "m" and 0 < count < 60 and 60 % count == 0:
        start = minute % count
        return parse_cron(f"{start}-59/{count} * * * *" if start else f"*/{count} * * * *")
    if unit == "h" and 0 < count < 24 and 24 % count == 0:
        start = hour % count
        return parse_cron(f"{minute} {start}-23/{count} * * *" if start
                          else f"{minute} */{count} * * *")
    if unit == "d" and count == 1:
        return parse_cron(f"{minute} {hour} * * *")
    raise UsageError(f"--every '{interval}': give minutes that divide an hour (15m), hours "
                     "that divide a day (6h) or 1d; for anything else use --cron")


def _time_of_day(at: str) -> tuple[int, int]:
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", at.strip())
    if not match:
        raise UsageError(f"--at '{at}': give a time of day as HH:MM, e.g. 02:00")
    return int(match[1]), int(match[2])


def _field(expression: str, text: str, name: str, low: int, high: int,
           names: tuple[str, ...] | None) -> tuple[int, ...]:
    def number(token: str) -> int:
        token = token.lower()
        if names and token in names:
            return names.index(token) + (1 if names is _MONTHS else 0)
        if not token.isdigit() or not low <= int(token) <= high:
            raise UsageError(f"--cron '{expression}': {name} '{text}' is not a value from "
                             f"{low} to {high}")
        return int(token)

    found: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise UsageError(f"--cron '{expression}': {name} step '{step}' must be 1 or more")
        if span == "*":
            first, last = low, high if name != "day of week" else 6
        elif "-" in span:
            first, last = (number(t) for t in span.split("-", 1))
        else:
            first = number(span)
            last = (high if name != "day of week" else 6) if step else first
        if first > last:
            raise UsageError(f"--cron '{expression}': {name} range '{span}' runs backwards")
        found.update(range(first, last + 1, int(step or 1)))
    return tuple(sorted(found))


# -- what runs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """The sync one entry starts: the project (an absolute path), the interpreter, options."""

    project: Path
    python: str = sys.executable
    sync_args: tuple[str, ...] = ()
    name: str = ""

    @property
    def unit(self) -> str:
        """`combocurve-sync-<project>`: the unit, task and file name."""
        slug = re.sub(r"[^a-z0-9]+", "-", (self.name or self.project.name).lower()).strip("-")
        return f"combocurve-sync-{slug or 'project'}"

    def argv(self) -> list[str]:
        return [self.python, "-m", "core", "sync", str(self.project), "--log-file",
                str(self.project / LOG_FILE), "-q", *self.sync_args]


def entries(schedule: Schedule, job: Job, kind: str, *, start: date | None = None,
            unit_dir: Path | None = None) -> dict[Path, str]:
    """The files of one entry, by where they go: the crontab (as a pseudo path), the systemd
    unit folder, or the project folder for the Task Scheduler XML."""
    if kind == "cron":
        return {Path("crontab"): cron_entry(schedule, job)}
    if kind == "systemd":
        folder = unit_dir or default_unit_dir()
        service, timer = systemd_units(schedule, job)
        return {folder / f"{job.unit}.service": service, folder / f"{job.unit}.timer": timer}
    if kind == "windows":
        return {job.project / f"{job.unit}.xml": task_xml(schedule, job, start or date.today())}
    raise UsageError(f"unknown schedule format '{kind}'; choose from {', '.join(FORMATS)}")


def default_format() -> str:
    if os.name == "nt":
        return "windows"
    return "systemd" if Path("/run/systemd/system").is_dir() else "cron"


def default_unit_dir() -> Path:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/etc/systemd/system")
    return Path.home() / ".config" / "systemd" / "user"


def cron_entry(schedule: Schedule, job: Job) -> str:
    """A marker comment naming the project, then the crontab line; overlaps are harmless
    (the project's lock turns a second run away with exit 75). The console output of the
    last run goes to logs/last-run.out, so cron mails nothing."""
    logs = shlex.quote(str((job.project / LAST_RUN).parent))
    command = f"mkdir -p {logs} && " + " ".join(shlex.quote(arg) for arg in job.argv())
    command += f" > {shlex.quote(str(job.project / LAST_RUN))} 2>&1"
    return f"{CRON_MARK} {job.project}\n{schedule.cron} {command.replace('%', chr(92) + '%')}\n"


def systemd_units(schedule: Schedule, job: Job) -> tuple[str, str]:
    """A oneshot service and its timer (`OnCalendar=`, `Persistent=` catches up after a
    machine was off). Variables for ${...} in combocurve.toml may go in combocurve.env."""
    service = (
        "[Unit]\n"
        f"Description=ComboCurve Sync of {_systemd_text(str(job.project))}\n"
        "Wants=network-online.target\nAfter=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        f"WorkingDirectory={_systemd_text(str(job.project))}\n"
        f"EnvironmentFile=-{_systemd_text(str(job.project / 'combocurve.env'))}\n"
        f"ExecStart={' '.join(_systemd_arg(arg) for arg in job.argv())}\n"
        "# SIGTERM ends the run after the current page (exit 130): give that page time\n"
        "TimeoutStopSec=5min\n")
    timer = (
        "[Unit]\n"
        f"Description=Schedule of the ComboCurve Sync of {_systemd_text(str(job.project))}\n\n"
        f"[Timer]\nOnCalendar={on_calendar(schedule)}\nPersistent=true\n"
        f"Unit={job.unit}.service\n\n"
        "[Install]\nWantedBy=timers.target\n")
    return service, timer


def on_calendar(schedule: Schedule) -> str:
    """`Mon,Fri *-*-* 02:00:00`: systemd's calendar event for the schedule."""
    _refuse_either_day(schedule, "systemd")

    def values(found: tuple[int, ...] | None) -> str:
        return "*" if found is None else ",".join(f"{v:02d}" for v in found)

    weekdays = "" if schedule.weekdays is None else \
        ",".join(_WINDOWS_DAYS[d][:3] for d in schedule.weekdays) + " "
    return (f"{weekdays}*-{values(schedule.months)}-{values(schedule.days)} "
            f"{values(schedule.hours)}:{values(schedule.minutes)}:00")


def task_xml(schedule: Schedule, job: Job, start: date) -> str:
    """A Task Scheduler 1.2 task: calendar triggers, one Exec action, and
    MultipleInstancesPolicy IgnoreNew so that a run never starts while the last one runs."""
    _refuse_either_day(schedule, "Task Scheduler")
    arguments = list2cmdline(job.argv()[1:])
    triggers = "".join(_calendar_trigger(schedule, t, start, repeat)
                       for t, repeat in _windows_starts(schedule))
    return (
        '<?xml version="1.0" encoding="UTF-16"?>\n'
        f'<Task version="1.2" xmlns="{TASK_NAMESPACE}">\n'
        "  <RegistrationInfo>\n"
        f"    <Description>ComboCurve Sync of {escape(str(job.project))}</Description>\n"
        f"    <URI>\\ComboCurve Sync\\{job.unit}</URI>\n"
        "  </RegistrationInfo>\n"
        f"  <Triggers>\n{triggers}  </Triggers>\n"
        "  <Settings>\n"
        "    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>\n"
        "    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>\n"
        "    <StopIfGoingOnBatteries>false</StopIfGoingOnBatteries>\n"
        "    <StartWhenAvailable>true</StartWhenAvailable>\n"
        "    <ExecutionTimeLimit>PT12H</ExecutionTimeLimit>\n"
        "    <Enabled>true</Enabled>\n"
        "  </Settings>\n"
        "  <Actions>\n    <Exec>\n"
        f"      <Command>{escape(job.python)}</Command>\n"
        f"      <Arguments>{escape(arguments)}</Arguments>\n"
        f"      <WorkingDirectory>{escape(str(job.project))}</WorkingDirectory>\n"
        "    </Exec>\n  </Actions>\n"
        "</Task>\n")


def _windows_starts(schedule: Schedule) -> list[tuple[tuple[int, int], int]]:
    """(first time, repeat minutes or 0) per trigger: one repeating trigger when the times
    step evenly through the whole day, else one trigger per time (at most 48)."""
    minutes = [h * 60 + m for h, m in schedule.times()]
    steps = {b - a for a, b in zip(minutes, minutes[1:], strict=False)}
    if len(minutes) > 1 and len(steps) == 1 and len(minutes) * steps.pop() == 24 * 60:
        return [(schedule.times()[0], 24 * 60 // len(minutes))]
    if len(minutes) > 48:
        raise UsageError(f"--cron '{schedule.cron}': Task Scheduler would need "
                         f"{len(minutes)} triggers a day; use --every or fewer times")
    return [(time, 0) for time in schedule.times()]


def _calendar_trigger(schedule: Schedule, time: tuple[int, int], start: date,
                      repeat: int) -> str:
    """In the schema's order: StartBoundary, Repetition, then the day pattern."""
    lines = [f"      <StartBoundary>{start.isoformat()}T{time[0]:02d}:{time[1]:02d}:00"
             "</StartBoundary>"]
    if repeat:
        lines += ["      <Repetition>", f"        <Interval>PT{repeat}M</Interval>",
                  "        <Duration>P1D</Duration>",
                  "        <StopAtDurationEnd>false</StopAtDurationEnd>", "      </Repetition>"]
    if schedule.weekdays is not None:
        days = "".join(f"<{_WINDOWS_DAYS[d]} />" for d in schedule.weekdays)
        lines += ["      <ScheduleByWeek>", "        <WeeksInterval>1</WeeksInterval>",
                  f"        <DaysOfWeek>{days}</DaysOfWeek>", "      </ScheduleByWeek>"]
    elif schedule.days is not None or schedule.months is not None:
        days = "".join(f"<Day>{d}</Day>" for d in schedule.days or range(1, 32))
        months = "".join(f"<{_WINDOWS_MONTHS[m - 1]} />" for m in schedule.months or
                         range(1, 13))
        lines += ["      <ScheduleByMonth>", f"        <DaysOfMonth>{days}</DaysOfMonth>",
                  f"        <Months>{months}</Months>", "      </ScheduleByMonth>"]
    else:
        lines += ["      <ScheduleByDay>", "        <DaysInterval>1</DaysInterval>",
                  "      </ScheduleByDay>"]
    return "    <CalendarTrigger>\n" + "\n".join(lines) + "\n    </CalendarTrigger>\n"


def _refuse_either_day(schedule: Schedule, target: str) -> None:
    if schedule.weekdays is not None and schedule.days is not None:
        raise UsageError(f"--cron '{schedule.cron}': cron runs on the day of the month OR the "
                         f"day of the week; {target} cannot say that: give one of the two")


def _systemd_text(text: str) -> str:
    """A whole setting's value (a path, a description): only specifiers need escaping."""
    return text.replace("%", "%%")


def _systemd_arg(arg: str) -> str:
    """One word of a systemd command line: specifiers (%) and variables ($) escaped, quoted
    when it holds spaces or quotes."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if re.search(r"[\s\"'\\;]", arg):
        arg = '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


# -- installing ---------------------------------------------------------------------------------


def install(files: dict[Path, str], kind: str, job: Job) -> list[str]:
    """Write the entry where its scheduler reads it; returns what was done and what is left
    to do, one line each."""
    (job.project / LOG_FILE).parent.mkdir(parents=True, exist_ok=True)
    if kind == "cron":
        return [_install_cron(files[Path("crontab")], job)]
    done = []
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-16" if kind == "windows" else "utf-8")
        done.append(f"wrote {path}")
    if kind == "systemd":
        user = "" if str(next(iter(files))).startswith("/etc/") else " --user"
        done.append(f"next: systemctl{user} daemon-reload && systemctl{user} enable --now "
                    f"{job.unit}.timer")
    else:
        xml = next(iter(files))
        command = ["schtasks", "/Create", "/TN", f"\\ComboCurve Sync\\{job.unit}", "/XML",
                   str(xml), "/F"]
        if os.name == "nt" and shutil.which("schtasks"):
            _run(command)
            done.append(f"registered task \\ComboCurve Sync\\{job.unit}")
        else:
            done.append(f"next, on the Windows machine: {list2cmdline(command)} /RU "
                        "DOMAIN\\account /RP *")
    return done


def _install_cron(entry: str, job: Job) -> str:
    """Replace this project's entry in the user's crontab, or add it; other lines stay."""
    if not shutil.which("crontab"):
        raise UsageError("--install: no crontab command on this machine; print the entry "
                         "without --install and add it to the scheduler by hand")
    listed = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    lines = listed.stdout.splitlines() if listed.returncode == 0 else []
    mark = f"{CRON_MARK} {job.project}"
    kept, skip = [], False
    for line in lines:
        if line == mark:
            skip = True  # drop the marker and the entry line after it
            continue
        if not skip:
            kept.append(line)
        skip = False
    text = "\n".join([*kept, entry.rstrip("\n")]) + "\n"
    _run(["crontab", "-"], text)
    return f"{'replaced' if len(kept) < len(lines) else 'added'} the crontab entry of {job.project}"


def _run(command: list[str], stdin: str | None = None) -> None:
    done = subprocess.run(command, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        reason = " ".join((done.stderr or done.stdout).split()) or f"exit {done.returncode}"
        raise UsageError(f"--install: {command[0]} failed: {reason}")
