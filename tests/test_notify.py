"""Alerts: webhook and ping delivery to a real local receiver, which may also refuse or hang."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import closed_port, run_core, sqlite_project
from core import run_job
from core.notify import Notifier
from core.project import NotifySettings, load_project
from core.report import ResourceReport, RunReport

pytestmark = pytest.mark.usefixtures("emulator_credentials")

HOOK_SECRET = "T0001/B0002/Hook-Secret-77"
PING_SECRET = "ping-uuid-Secret-88"


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers `status`, or
    with `hang` holds every request without a word until the test ends."""

    def __init__(self, status: int = 200, hang: bool = False):
        self.status, self.hang = status, hang
        self.received: list[tuple[str, str, bytes]] = []
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                receiver.received.append((self.command, self.path, self.rfile.read(length)))
                if receiver.hang:
                    receiver.release.wait(30)
                    return
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST = _serve

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[tuple[str, str]]:
        return [(method, path) for method, path, _ in self.received]

    def hook(self) -> dict:
        [body] = [body for _, path, body in self.received if path.startswith("/hook")]
        return json.loads(body)


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


def notify_project(tmp_path, receiver, chosen_ids=("A1", "B2", "C3"), **settings):
    settings = {"webhook": f"{receiver.url}/hook/{HOOK_SECRET}",
                "ping_url": f"{receiver.url}/ping/{PING_SECRET}", "timeout": 2, **settings}
    lines = [f"{key} = {json.dumps(value)}" for key, value in settings.items()]
    return sqlite_project(tmp_path / "p", chosen_ids, extra="[notify]\n" + "\n".join(lines))


def test_failure_pings_start_then_fail_and_posts_to_slack(receiver, tmp_path):
    project = notify_project(tmp_path, receiver, format="slack")

    report = run_job(project, check=False, base_url=f"http://127.0.0.1:{closed_port()}",
                     max_wait=0.2)

    assert not report.ok
    assert receiver.paths() == [("GET", f"/ping/{PING_SECRET}/start"),
                                ("POST", f"/ping/{PING_SECRET}/fail"),
                                ("POST", f"/hook/{HOOK_SECRET}")]
    text = receiver.hook()["text"]
    assert text.startswith("ComboCurve Sync failed: project p on ") and report.run_id in text
    assert "```" in text and "gave up after" in text
    assert b"gave up after" in receiver.received[1][2]  # the summary goes with the fail ping


def test_success_pings_success_and_stays_quiet_by_default(receiver, emulator, tmp_path):
    report = run_job(notify_project(tmp_path, receiver), base_url=emulator.base_url)

    assert report.ok
    assert receiver.paths() == [("GET", f"/ping/{PING_SECRET}/start"),
                                ("POST", f"/ping/{PING_SECRET}")]


@pytest.mark.parametrize(("threshold", "alerted"), [(0.0, True), (0.2, True), (0.5, False)])
def test_rejects_alert_above_their_threshold(receiver, emulator, tmp_path, threshold, alerted):
    project = notify_project(tmp_path, receiver, ("A1", "bad-id", "C3"), format="json",
                             rejects_threshold=threshold)  # 1 of 3 rows rejected: 33%

    report = run_job(project, check=False, base_url=emulator.base_url)

    assert report.resource("wells").rejected == 1
    ending = receiver.paths()[1]
    if alerted:
        assert ending == ("POST", f"/ping/{PING_SECRET}/fail")
        body = receiver.hook()
        assert body["event"] == "rejects" and "1 of 3 rows not accepted (33.3%)" in body["text"]
        assert body["report"]["resources"][0]["rejected"] == 1 and body["project"] == "p"
    else:
        assert ending == ("POST", f"/ping/{PING_SECRET}")
        assert len(receiver.received) == 2


def test_teams_gets_an_adaptive_card(receiver, emulator, tmp_path):
    project = notify_project(tmp_path, receiver, format="teams", on=["success"])

    run_job(project, base_url=emulator.base_url)

    body = receiver.hook()
    [attachment] = body["attachments"]
    card = attachment["content"]
    assert body["type"] == "message"
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["type"] == "AdaptiveCard" and card["version"]
    assert card["body"][0]["text"].startswith("ComboCurve Sync succeeded: 3 rows read")


def test_a_run_that_raises_is_a_failure_too(receiver, tmp_path):
    from core import LockedError
    from core.state import Ledger

    project = notify_project(tmp_path, receiver, format="json")
    held = Ledger.open(load_project(project, require_credentials=False).state_folder)
    try:  # another run of the project holds the lock
        with pytest.raises(LockedError):
            run_job(project)
    finally:
        held.close()

    assert [path for _, path in receiver.paths()][-2:] == [f"/ping/{PING_SECRET}/fail",
                                                           f"/hook/{HOOK_SECRET}"]
    assert receiver.hook()["event"] == "failure"
    assert "another run of this project is in progress" in receiver.hook()["text"]


@pytest.mark.parametrize("via", ["run_job", "cli"])
def test_an_invalid_option_is_refused_before_any_ping(receiver, tmp_path, via):
    from core import UsageError

    project = notify_project(tmp_path, receiver, format="json")
    if via == "run_job":
        with pytest.raises(UsageError, match="concurrency must be 1 or more, not 0"):
            run_job(project, dry_run=True, concurrency=0)
    else:
        done = run_core(project, "--concurrency", "0", timeout=90)
        assert done.returncode == 2
        assert done.stderr == "Error: concurrency must be 1 or more, not 0\n"

    assert receiver.received == []  # no /start, no /fail, no webhook


def test_a_hanging_receiver_neither_fails_nor_holds_up_the_sync(emulator, tmp_path, caplog):
    hanging = Receiver(hang=True)
    try:
        project = notify_project(tmp_path, hanging, format="json", timeout=0.5)
        with caplog.at_level(logging.WARNING, logger="core.notify"):
            report = run_job(project, check=False, base_url=emulator.base_url)
        start_ping_unanswered = not hanging.release.is_set()
    finally:
        hanging.close()

    assert report.ok and len(emulator.wells()) == 3
    # the sync ran while the receiver was still holding the /start ping without an answer
    assert start_ping_unanswered and hanging.paths()[0][1].endswith("/start")
    assert all(r.finished for r in emulator.requests)
    assert any("not delivered" in r.getMessage() for r in caplog.records)


def test_undelivered_notifications_are_logged_without_their_secrets(tmp_path, emulator, caplog):
    refusing = Receiver(status=500)
    try:
        project = notify_project(tmp_path, refusing, format="json", on=["success"])
        with caplog.at_level(logging.DEBUG):
            report = run_job(project, base_url=emulator.base_url)
    finally:
        refusing.close()

    assert report.ok  # a notification that fails never fails the sync
    warnings = [r.getMessage() for r in caplog.records if r.name == "core.notify"]
    assert any("webhook to 127.0.0.1 not delivered: HTTP 500" in w for w in warnings)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert HOOK_SECRET not in logged and PING_SECRET not in logged
    assert HOOK_SECRET not in json.dumps(report.to_dict())


def test_notification_urls_are_secrets_of_the_project(tmp_path, receiver):
    project = load_project(notify_project(tmp_path, receiver), require_credentials=False)

    assert any(HOOK_SECRET in s for s in list(project.named_secrets().values()))
    assert any(PING_SECRET in s for s in list(project.named_secrets().values()))
    assert HOOK_SECRET not in repr(project.notify)


@pytest.mark.parametrize(("host", "expected"), [
    ("hooks.slack.com", "slack"), ("prod-12.westus.logic.azure.com", "teams"),
    ("example.webhook.office.com", "teams"), ("alerts.example.com", "json")])
def test_format_is_guessed_from_the_webhook_host(tmp_path, host, expected):
    project = sqlite_project(tmp_path / "p", extra=f'[notify]\nwebhook = "https://{host}/x"\n')

    assert load_project(project, require_credentials=False).notify.format == expected


def test_nothing_to_notify_starts_no_thread():
    with Notifier(NotifySettings()) as notifier:
        notifier.started()
        notifier.finished(RunReport("r", resources=[ResourceReport("wells", rows_read=1)]))
        assert notifier._worker is None


def test_deletions_refused_by_the_guard_alert_as_a_failure(receiver, tmp_path):
    """The mass-delete guard kept records the query no longer returns: no error, every row
    accepted, but the run is not ok (exit 1), so the ping says /fail."""
    settings = load_project(notify_project(tmp_path, receiver, format="json"),
                            require_credentials=False).notify
    kept = ResourceReport("wells", rows_read=3, accepted=3, not_deleted=2,
                          deletions_refused="more than --max-delete-fraction")
    report = RunReport("r", resources=[kept])

    with Notifier(settings, project="p") as notifier:
        notifier.finished(report)

    assert not report.ok
    assert receiver.paths() == [("POST", f"/ping/{PING_SECRET}/fail"),
                                ("POST", f"/hook/{HOOK_SECRET}")]
    assert receiver.hook()["event"] == "failure"
