"""Tell people how an unattended run went: a chat webhook, and healthchecks-style pings.

    [notify]
    webhook = "${SLACK_WEBHOOK}"     # Slack or Teams incoming webhook, or any URL taking JSON
    format = "slack"                 # slack | teams | json (default: guessed from the host)
    on = ["failure", "rejects"]      # and/or "success"
    rejects_threshold = 0.01         # "rejects": more than this share of the rows read
    ping_url = "https://hc-ping.com/<uuid>"   # GET /start before; after: POST the URL, or /fail
    timeout = 10                     # seconds: per delivery, and the wait for them at the end

Deliveries run in a thread of their own, in order: a receiver that is slow, down or hanging
never fails the sync nor delays it; at the end the caller waits at most `timeout` seconds for
what is still queued, then goes on. What could not be delivered is logged, naming the
receiver's host only: webhook and ping URLs carry their secret in the path.
"""

import logging
import queue
import socket
import threading
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson

from .client import HttpSession
from .credentials import Secret
from .errors import UploadError
from .project import Network, NotifySettings
from .report import RunReport

log = logging.getLogger(__name__)


def outcome(report: RunReport, rejects_threshold: float = 0.0) -> str:
    """"failure" (a resource failed: an error, or deletions left undone; or the run was
    stopped), "rejects" (more than the threshold's share of the rows read was not accepted)
    or "success"."""
    if report.interrupted or any(r.failed for r in report.resources):
        return "failure"
    read, missed = _rows(report)
    return "rejects" if missed and missed / read > rejects_threshold else "success"


def _rows(report: RunReport) -> tuple[int, int]:
    """Rows read, and of them not accepted (rejected or not sent), over every resource."""
    return (sum(r.rows_read for r in report.resources),
            sum(r.rejected + r.not_sent for r in report.resources))


class Notifier:
    """Pings and webhooks around one run: `started()`, then `finished(report)` or
    `failed(error)`, then `close()` (or use it as a context manager)."""

    def __init__(self, settings: NotifySettings, network: Network | None = None, *,
                 project: str = ""):
        self.settings, self.network, self.project = settings, network, project
        self._queue: queue.Queue = queue.Queue()
        self._worker: threading.Thread | None = None
        self._http: HttpSession | None = None

    def __enter__(self) -> "Notifier":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def started(self) -> None:
        if self.settings.ping_url:
            self._ping("/start", "GET", None)

    def finished(self, report: RunReport) -> None:
        """Ping success or /fail and send the webhook if its `on` says so."""
        event = outcome(report, self.settings.rejects_threshold)
        self._end(event, self._headline(event, report), report.summary(), report.to_dict())

    def failed(self, error: BaseException) -> None:
        """The run raised (another run holds the lock, a second Ctrl-C...)."""
        text = str(error) or type(error).__name__
        self._end("failure", f"ComboCurve Sync failed: {self._where()}: {text}", text, None)

    def close(self) -> None:
        """Wait at most `timeout` seconds for deliveries still queued, then give up on them."""
        if self._worker is None:
            return
        self._queue.put(None)
        self._worker.join(self.settings.timeout)
        if self._worker.is_alive():
            pending = self._queue.qsize() + 1
            log.warning("notify: %d notification(s) not delivered within %g s; the receiver "
                        "is slow or hanging", pending, self.settings.timeout)
        else:
            self._http.close()
        self._worker = None

    # -- what is sent --------------------------------------------------------------------------

    def _end(self, event: str, headline: str, details: str, report: dict | None) -> None:
        if self.settings.ping_url:
            failed = event != "success"
            self._ping("/fail" if failed else "", "POST", details.encode())
        if self.settings.webhook and event in self.settings.on:
            body = _webhook_body(self.settings.format, event, headline, details,
                                 {"project": self.project, "host": socket.gethostname(),
                                  "report": report})
            self._deliver("webhook", "POST", self.settings.webhook, body, "application/json")

    def _headline(self, event: str, report: RunReport) -> str:
        where = f"{self._where()}, run {report.run_id}"
        if event == "failure":
            return f"ComboCurve Sync failed: {where}"
        read, missed = _rows(report)
        if event == "rejects":
            return (f"ComboCurve Sync: {missed:,} of {read:,} rows not accepted "
                    f"({missed / read:.1%}): {where}")
        return f"ComboCurve Sync succeeded: {read:,} rows read, {missed:,} not accepted: {where}"

    def _where(self) -> str:
        return f"project {self.project or '?'} on {socket.gethostname()}"

    def _ping(self, suffix: str, method: str, body: bytes | None) -> None:
        url = Secret(self.settings.ping_url.reveal().rstrip("/") + suffix)
        self._deliver(f"ping {suffix or '(success)'}", method, url, body,
                      "text/plain; charset=utf-8")

    # -- delivery ------------------------------------------------------------------------------

    def _deliver(self, what: str, method: str, url: Secret, body: bytes | None,
                 content_type: str) -> None:
        def send() -> None:
            host = urlsplit(url.reveal()).hostname
            try:
                status = self._http.send(method, url, body=body, content_type=content_type,
                                         timeout=self.settings.timeout)
            except UploadError as exc:
                problem = str(exc)
            else:
                if 200 <= status < 300:
                    log.debug("notify: %s delivered to %s", what, host)
                    return
                problem = f"HTTP {status}"
            log.warning("notify: %s to %s not delivered: %s", what, host, problem)

        self._enqueue(send)

    def _enqueue(self, task: Callable[[], None]) -> None:
        if self._worker is None:
            self._http = self._http or HttpSession(self.network)
            self._worker = threading.Thread(target=self._work, name="combocurve-notify",
                                            daemon=True)
            self._worker.start()
        self._queue.put(task)

    def _work(self) -> None:
        while (task := self._queue.get()) is not None:
            task()


def _webhook_body(kind: str, event: str, headline: str, details: str, context: dict) -> bytes:
    """Slack's and Teams' incoming-webhook formats, or JSON with the whole report."""
    if kind == "slack":
        payload = {"text": f"{headline}\n```\n{details}\n```"}
    elif kind == "teams":  # an Adaptive Card, as Teams' Workflows webhooks take it
        payload = {"type": "message", "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
            "content": {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard", "version": "1.4", "body": [
                            {"type": "TextBlock", "text": headline, "weight": "Bolder",
                             "wrap": True},
                            {"type": "TextBlock", "text": details, "fontType": "Monospace",
                             "wrap": True}]}}]}
    else:
        payload = {"event": event, "text": headline, "details": details, **context}
    return orjson.dumps(payload)
