"""Find, read and check a sync project folder before any connection or request is made.

A project is `combocurve.toml` plus `resources/<resource>.sql`. Every problem is a ProjectError
that names the folder, file or key at fault and says what to do about it.
"""

import dataclasses
import difflib
import logging
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlsplit

from . import sqltext
from .credentials import Secret, ServiceAccount
from .errors import ProjectError
from .resources import FILE_ALIASES, RESOURCES, Resource, resource_for_file

log = logging.getLogger(__name__)

CONFIG_FILE = "combocurve.toml"
DEFAULT_BASE_URL = "https://test-api.combocurve.com"
# ComboCurve's test API takes this published key (example/combocurve.toml): a first run with
# the test API and a token needs no key of its own.
PUBLIC_TEST_API_KEY = "AIzaSyCtjb6vep5dWTyrQNvoVBkKYWBH3WeGG2E"
DEFAULT_PORTS = {"mysql": 3306, "postgres": 5432, "sqlserver": 1433}
SERVER_KEYS = {"host", "port", "user", "password", "database", "options", "connect_timeout"}
# `driver = "..."` in [mysql] or [sqlserver]: the first is the default (see sources/drivers.py)
DRIVER_NAMES = {"mysql": ("pymysql", "mysqlclient", "mariadb"), "sqlserver": ("pymssql", "odbc")}
SQLITE_KEYS = {"database", "attach"}
CONNECTION_TYPES = (*DEFAULT_PORTS, "sqlite")
COMBOCURVE_KEYS = {"base_url", "api_key", "token", "service_account", "proxy", "ca_bundle"}
NOTIFY_KEYS = {"webhook", "format", "on", "rejects_threshold", "ping_url", "timeout"}
NOTIFY_FORMATS = ("slack", "teams", "json")
NOTIFY_EVENTS = ("failure", "rejects", "success")
SYSTEM_TRUST = "system"  # ca_bundle = "system": the operating system's trust store
STATE_KEYS = {"path", "since"}
RESOURCE_KEYS = {"write", "delete_missing"}
STATE_FOLDER = ".combocurve"  # the ledger's default home, inside the project
ENV_OVERRIDES = {"base_url": "COMBOCURVE_BASE_URL", "api_key": "COMBOCURVE_API_KEY",
                 "token": "COMBOCURVE_TOKEN", "service_account": "COMBOCURVE_SERVICE_ACCOUNT"}
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
MAX_CONNECT_TIMEOUT = 3600  # seconds: more is a typo (or infinity), not a setting
_UTF16_MARKS = (b"\xff\xfe", b"\xfe\xff")
_HOST_NAME = re.compile(r"(?!-)[\w-]{1,63}(?<!-)(\.(?!-)[\w-]{1,63}(?<!-))*\.?")


@dataclass(frozen=True)
class Connection:
    """Where the company database is. `password` is a Secret; `describe()` is safe to print."""

    type: str
    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: Secret | None = None
    database: str | None = None
    options: dict = field(default_factory=dict)
    connect_timeout: float = 10.0
    attach: dict = field(default_factory=dict)  # sqlite: schema name -> database file
    driver: str | None = None  # mysql: a C driver; sqlserver: "odbc" (no user: Windows login)

    def describe(self) -> str:
        """`mysql 127.0.0.1:3306/global`: how messages name this database, with no secret."""
        if self.type == "sqlite":
            return f"sqlite {self.database}"
        where = f"{self.host}:{self.port}"
        return f"{self.type} {where}/{self.database}" if self.database else f"{self.type} {where}"


@dataclass(frozen=True)
class Credentials:
    api_key: Secret | None = None
    token: Secret | None = None
    service_account: ServiceAccount | None = None

    @property
    def complete(self) -> bool:
        return self.api_key is not None and (self.token or self.service_account) is not None

    def named_secrets(self) -> dict[str, str]:
        """Every secret value by its name, so that outgoing text can be checked for them."""
        found = {"API key": self.api_key, "token": self.token}
        if self.service_account:
            found |= {"service account private key": self.service_account.private_key,
                      "service account private key id": self.service_account.private_key_id}
        return {name: s.reveal() for name, s in found.items() if s is not None and s.reveal()}


@dataclass(frozen=True)
class Network:
    """How HTTPS leaves a company network: through which proxy, trusting which CAs.

    Without `proxy`, HTTPS_PROXY and NO_PROXY apply as usual; `ca_bundle` is a PEM file of
    certificate authorities (a TLS-inspecting company CA), `system_trust` the operating
    system's store; with neither, certifi's bundle is trusted."""

    proxy: Secret | None = None  # http://user:password@host:port
    ca_bundle: Path | None = None
    system_trust: bool = False

    def named_secrets(self) -> dict[str, str]:
        if self.proxy is None:
            return {}
        password = urlsplit(self.proxy.reveal()).password
        return {"proxy URL": self.proxy.reveal()} | ({"proxy password": password}
                                                     if password else {})


@dataclass(frozen=True)
class NotifySettings:
    """[notify]: who hears about a run, and when (see core.notify)."""

    webhook: Secret | None = None  # Slack, Teams or any URL taking JSON; the URL is a secret
    format: str = "json"
    on: tuple[str, ...] = ("failure", "rejects")
    rejects_threshold: float = 0.0  # a share of rows read; "rejects" needs more than that
    ping_url: Secret | None = None  # healthchecks style: /start, the URL itself, /fail
    timeout: float = 10.0  # seconds: per delivery, and the wait for them at the end

    def named_secrets(self) -> dict[str, str]:
        return {name: url.reveal() for name, url in (("webhook URL", self.webhook),
                                                     ("ping URL", self.ping_url)) if url}


def shown_path(file: Path) -> str:
    """How messages name a query file: `resources/wells.sql`."""
    return f"{file.parent.name}/{file.name}"


@dataclass(frozen=True)
class Query:
    """One resource query: the resource it feeds and the SQL of its file."""

    resource: Resource
    file: Path
    sql: str

    @property
    def shown(self) -> str:
        return shown_path(self.file)


@dataclass(frozen=True)
class ResourceSettings:
    """`[resources.<name>]`: how a resource is written, and whether records this project
    wrote and the query no longer returns are deleted from ComboCurve."""

    write: str = "put"
    delete_missing: bool = False


@dataclass(frozen=True)
class StateSettings:
    """Where the ledger lives, and what `:since` is before a resource's first success."""

    folder: Path
    since: datetime | None = None  # UTC


@dataclass(frozen=True)
class Project:
    """A validated sync project; nothing in it needs another look at the folder."""

    folder: Path
    connection: Connection
    base_url: str
    credentials: Credentials
    queries: tuple[Query, ...]  # in upload order: wells before daily productions
    state: StateSettings  # the ledger's folder and the first `:since`
    settings: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))  # by name
    network: Network = Network()
    notify: NotifySettings = NotifySettings()

    def query(self, resource_name: str) -> Query:
        for query in self.queries:
            if query.resource.name == resource_name:
                return query
        raise ProjectError(f"{self.folder}: no resources/{resource_name}.sql in this project")

    def settings_for(self, resource_name: str) -> ResourceSettings:
        """The `[resources.<name>]` settings of a resource, or the defaults."""
        return self.settings.get(resource_name) or ResourceSettings()

    @property
    def state_folder(self) -> Path:
        return self.state.folder

    def with_base_url(self, base_url: str) -> "Project":
        return dataclasses.replace(self, base_url=check_base_url(base_url, "--base-url"))

    def require_credentials(self) -> None:
        if not self.credentials.complete:
            raise ProjectError(
                f"{self.folder / CONFIG_FILE}: no API credentials: set api_key and token (or "
                "service_account) in [combocurve], or COMBOCURVE_API_KEY and COMBOCURVE_TOKEN "
                "in the environment (a dry run needs none)")

    def named_secrets(self) -> dict[str, str]:
        """Every secret of the project by what it is ("database password", "token"...)."""
        password = self.connection.password
        return (self.credentials.named_secrets()
                | ({"database password": password.reveal()} if password else {})
                | self.network.named_secrets() | self.notify.named_secrets())


def load_project(project_dir=None, *, require_credentials: bool = True,
                 base_url: str | None = None) -> Project:
    """Read and validate the project in `project_dir` (default: the current directory)."""
    folder = Path(project_dir if project_dir is not None else os.getcwd())
    if not folder.is_dir():
        raise ProjectError(f"{folder}: not a directory; give the path of a sync project folder")
    config_file = folder / CONFIG_FILE
    queries = _find_queries(folder)
    if not config_file.is_file():
        raise ProjectError(f"{folder} is not a ComboCurve Sync project: no {CONFIG_FILE} "
                           "(create one; see example/combocurve.toml)")
    if not queries:
        raise ProjectError(f"{folder} is not a ComboCurve Sync project: no resources/*.sql "
                           "(add resources/wells.sql or resources/daily-productions.sql)")
    config = _read_toml(config_file)
    _check_keys(config, {"connection", "combocurve", "notify", "state", "resources",
                         *CONNECTION_TYPES}, "",
                config_file)
    connection = _connection(config, config_file, folder)
    _check_code(queries, connection.type)
    base_url, credentials = _combocurve(config, config_file, folder, base_url)
    project = Project(folder, connection, base_url, credentials, queries,
                      _state(config, config_file, folder),
                      settings=_resource_settings(config, config_file),
                      network=_network(config, config_file, folder),
                      notify=_notify(config, config_file))
    if require_credentials:
        project.require_credentials()
    return project


def _find_queries(folder: Path) -> tuple[Query, ...]:
    """The `.sql` files of resources/, matched in any letter case (WELLS.SQL feeds wells)."""
    resources = folder / "resources"
    try:
        files = sorted(resources.iterdir()) if resources.is_dir() else []
    except OSError as exc:
        raise ProjectError(f"{resources}: cannot list the folder ({exc.strerror})") from None
    by_resource: dict[str, Query] = {}
    for file in files:
        if file.suffix.lower() != ".sql":  # notes, editor backups (wells.sql~)
            continue
        resource = resource_for_file(file.stem.lower())
        if resource is None:
            names = ", ".join(f"{n}.sql" for n in [*RESOURCES, *FILE_ALIASES])
            raise ProjectError(f"{file}: unknown resource '{file.stem}'; supported: {names}")
        if resource.name in by_resource:
            raise ProjectError(f"{file}: resource '{resource.name}' is already read from "
                               f"{by_resource[resource.name].file.name}; keep one of the two")
        sql = read_text(file, "query").strip()
        if not sql.strip(" \t\r\n;"):
            raise ProjectError(f"{file}: the file is empty; write the SELECT for {resource.name}")
        by_resource[resource.name] = Query(resource, file, sql)
    return tuple(by_resource[name] for name in RESOURCES if name in by_resource)


def read_text(file: Path, what: str) -> str:
    """A project file's text (UTF-8, a byte-order mark allowed), or a ProjectError saying why
    it cannot be read: a folder, a dangling link, a device, UTF-16, bytes that are not UTF-8."""
    if not file.is_file():
        if file.is_symlink() and not file.exists():
            why = f"a link to {os.readlink(file)}, which does not exist"
        elif file.is_dir():
            why = f"a folder, not a {what} file"
        else:
            why = f"not a regular {what} file"
        raise ProjectError(f"{file}: {why}")
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise ProjectError(f"{file}: cannot read the {what} file ({exc.strerror})") from None
    if data.startswith(_UTF16_MARKS):
        raise ProjectError(f"{file}: saved as UTF-16; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")  # Windows editors may start the file with a BOM
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ProjectError(f"{file}: not UTF-8 text (byte 0x{data[exc.start]:02x} on line "
                           f"{line}); save it as UTF-8") from None


def _check_code(queries: tuple[Query, ...], kind: str) -> None:
    for query in queries:
        if sqltext.only_comments(query.sql, kind):
            raise ProjectError(f"{query.file}: holds only comments; write the SELECT for "
                               f"{query.resource.name}")


def _read_toml(config_file: Path) -> dict:
    text = read_text(config_file, "configuration")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(f"{config_file}: invalid TOML: {exc}") from None


def _check_keys(table: dict, allowed: set[str], section: str, config_file: Path) -> None:
    for key in table:
        if key not in allowed:
            where = f"[{section}] " if section else ""
            what = "key" if section else "section"
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            known = ", ".join(sorted(allowed))
            hint = f"did you mean '{close[0]}'?" if close else f"known: {known}"
            raise ProjectError(f"{config_file}: unknown {what} {where}'{key}' ({hint})")


def _section(config: dict, name: str, config_file: Path, required: bool) -> dict:
    table = config.get(name)
    if table is None and not required:
        return {}
    if not isinstance(table, dict):
        raise ProjectError(f"{config_file}: missing section [{name}]" if table is None
                           else f"{config_file}: '{name}' must be a section, [{name}]")
    return table


def _expand(value, where: str, config_file: Path, *, missing_ok: bool = False):
    """Replace `${VAR}` and `${VAR:-default}` in a string value with the environment's."""
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        name, default = match.group(1), match.group(2)
        if name in os.environ:
            return os.environ[name]
        if default is not None:
            return default
        if missing_ok:
            raise LookupError(name)
        raise ProjectError(f"{config_file}: {where}: environment variable {name} is not set "
                           f"(set it, or write ${{{name}:-default}})")

    return _ENV_REFERENCE.sub(substitute, value)


def _connection(config: dict, config_file: Path, folder: Path) -> Connection:
    kind = _section(config, "connection", config_file, required=True).get("type")
    _check_keys(config["connection"], {"type"}, "connection", config_file)
    kind = _expand(kind, "[connection] type", config_file)
    if not kind:
        raise ProjectError(f"{config_file}: [connection] needs type = one of "
                           f"{', '.join(CONNECTION_TYPES)}")
    if kind not in CONNECTION_TYPES:
        raise ProjectError(f"{config_file}: [connection] type '{kind}' is not supported; "
                           f"use one of {', '.join(CONNECTION_TYPES)}")
    table = _section(config, kind, config_file, required=True)
    allowed = SERVER_KEYS | ({"driver"} if kind in DRIVER_NAMES else set())
    _check_keys(table, SQLITE_KEYS if kind == "sqlite" else allowed, kind, config_file)
    values = {k: _expand(v, f"[{kind}] {k}", config_file) for k, v in table.items()}
    if kind == "sqlite":
        return _sqlite_connection(values, config_file, folder)

    driver = values.get("driver")
    if driver is not None and driver not in DRIVER_NAMES[kind]:
        raise ProjectError(f"{config_file}: [{kind}] driver '{driver}' is not one of "
                           f"{', '.join(DRIVER_NAMES[kind])}")
    windows_login = driver == "odbc" and not values.get("user")  # Trusted_Connection
    for key in ("host",) if windows_login else ("host", "user"):
        if not isinstance(values.get(key), str) or not values[key]:
            raise ProjectError(f"{config_file}: [{kind}] needs {key} = \"...\"")
    for key in ("password", "database"):
        if not isinstance(values.get(key, ""), str):
            raise ProjectError(f"{config_file}: [{kind}] {key} must be a string")
    options = values.get("options", {})
    if not isinstance(options, dict):
        raise ProjectError(f"{config_file}: [{kind}] options must be a table of driver options")
    return Connection(
        type=kind, host=values["host"], user=values.get("user") or None, driver=driver,
        port=_port(values.get("port", DEFAULT_PORTS[kind]), f"[{kind}] port", config_file),
        password=Secret(values["password"]) if values.get("password") else None,
        database=values.get("database") or None,
        options={k: _expand(v, f"[{kind}.options] {k}", config_file) for k, v in options.items()},
        connect_timeout=_seconds(values.get("connect_timeout", 10), f"[{kind}] connect_timeout",
                                 config_file))


def _port(value, where: str, config_file: Path) -> int:
    """A TCP port: a whole number from 1 to 65535 (digits from a ${VAR} are fine)."""
    text = value.strip() if isinstance(value, str) else None
    if text is not None and text.isascii() and text.isdigit():
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ProjectError(f"{config_file}: {where} must be a whole number from 1 to 65535, "
                           f"not {value!r}")
    return value


def _seconds(value, where: str, config_file: Path) -> float:
    """A duration in seconds: above 0, finite and at most MAX_CONNECT_TIMEOUT."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not 0 < number <= MAX_CONNECT_TIMEOUT:  # also refuses NaN and infinity
        raise ProjectError(f"{config_file}: {where} must be a number of seconds above 0 and at "
                           f"most {MAX_CONNECT_TIMEOUT}, not {value!r}")
    return number


def check_base_url(url: str, where: str) -> str:
    """The API base URL without its trailing slash; a ProjectError naming `where` when it is no
    plain http(s) URL (a bad port or bracket, a user name or password, a query)."""
    base_url = url.strip().rstrip("/")
    hint = "an http(s) URL such as https://test-api.combocurve.com"
    try:
        parts = urlsplit(base_url)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as exc:
        raise ProjectError(f"{where} '{base_url}' is not {hint} ({exc})") from None
    if parts.username is not None or parts.password is not None:  # never echo credentials
        raise ProjectError(f"{where} holds a user name or password; give only the scheme, host "
                           "and port, and the credentials in [combocurve]")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProjectError(f"{where} '{base_url}' is not {hint}")
    if "[" not in parts.netloc and not _HOST_NAME.fullmatch(parts.hostname):
        raise ProjectError(f"{where} '{base_url}' is not {hint} (the host '{parts.hostname}' "
                           "is not a valid name)")
    if parts.query or parts.fragment:
        raise ProjectError(f"{where} '{base_url}' is not {hint} (no ?query or #fragment)")
    return base_url


def _sqlite_connection(values: dict, config_file: Path, folder: Path) -> Connection:
    database = values.get("database")
    if not isinstance(database, str) or not database:
        raise ProjectError(f"{config_file}: [sqlite] needs database = \"file.db\"")
    attach = values.get("attach", {})
    if not isinstance(attach, dict) or not all(isinstance(v, str) for v in attach.values()):
        raise ProjectError(f"{config_file}: [sqlite] attach must map schema names to files")

    def resolve(path: str, where: str) -> str:
        if path == ":memory:":
            return path
        full = folder / _expand(path, where, config_file)
        if not full.is_file():
            raise ProjectError(f"{config_file}: {where}: no database file {full}")
        return str(full.resolve())

    return Connection(type="sqlite", database=resolve(database, "[sqlite] database"),
                      attach={name: resolve(path, f"[sqlite.attach] {name}")
                              for name, path in attach.items()})


def _resource_settings(config: dict, config_file: Path) -> MappingProxyType:
    """`[resources.<name>]` tables: `write` (one of the resource's ways, e.g. put or patch for
    wells) and `delete_missing` (true or false)."""
    tables = _section(config, "resources", config_file, required=False)
    _check_keys(tables, set(RESOURCES), "resources", config_file)
    found = {}
    for name, table in tables.items():
        where = f"[resources.{name}]"
        if not isinstance(table, dict):
            raise ProjectError(f"{config_file}: {where} must be a table of settings")
        _check_keys(table, RESOURCE_KEYS, f"resources.{name}", config_file)
        writes = RESOURCES[name].writes
        write = _expand(table.get("write", writes[0]), f"{where} write", config_file)
        if write not in writes:
            raise ProjectError(f"{config_file}: {where} write = {write!r}: {name} can be "
                               f"written with {' or '.join(repr(w) for w in writes)}")
        delete_missing = table.get("delete_missing", False)
        if not isinstance(delete_missing, bool):
            raise ProjectError(f"{config_file}: {where} delete_missing must be true or false")
        found[name] = ResourceSettings(write, delete_missing)
    return MappingProxyType(found)


def _state(config: dict, config_file: Path, folder: Path) -> StateSettings:
    table = _section(config, "state", config_file, required=False)
    _check_keys(table, STATE_KEYS, "state", config_file)
    path = _expand(table.get("path", STATE_FOLDER), "[state] path", config_file)
    if not isinstance(path, str) or not path.strip():
        raise ProjectError(f"{config_file}: [state] path must be a folder name or path")
    return StateSettings(folder / path, _since(table.get("since"), config_file))


def _since(value, config_file: Path) -> datetime | None:
    """`[state] since`: a TOML date or date-time, or ISO text; a time without zone is UTC."""
    value = _expand(value, "[state] since", config_file)
    if value is None:
        return None
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    elif isinstance(value, date) and not isinstance(value, datetime):
        moment = datetime(value.year, value.month, value.day)
    if not isinstance(moment, datetime):
        raise ProjectError(f"{config_file}: [state] since must be a date or date-time such as "
                           f"2024-01-01 or 2024-01-01T00:00:00Z, not {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _combocurve(config: dict, config_file: Path, folder: Path, base_url_override):
    table = _section(config, "combocurve", config_file, required=False)
    _check_keys(table, COMBOCURVE_KEYS, "combocurve", config_file)
    values, origins = {}, {}  # origins: how messages name where each value came from
    for key in ENV_OVERRIDES:
        env = os.environ.get(ENV_OVERRIDES[key])
        if env:
            values[key], origins[key] = env, ENV_OVERRIDES[key]
            continue
        origins[key] = f"{config_file}: [combocurve] {key}"
        if not isinstance(table.get(key, ""), str):
            raise ProjectError(f"{config_file}: [combocurve] {key} must be a string")
        try:
            values[key] = _expand(table.get(key), f"[combocurve] {key}", config_file,
                                  missing_ok=True)
        except LookupError:
            values[key] = None  # an unset credential is "no credential", checked later
    if base_url_override:
        base_url = check_base_url(base_url_override, "--base-url")
    elif values["base_url"]:
        base_url = check_base_url(values["base_url"], origins["base_url"])
    else:
        base_url = DEFAULT_BASE_URL
    account = None
    if values["service_account"]:
        account = ServiceAccount.load(folder / values["service_account"])
    api_key, token = (_header_secret(values[k], origins[k]) for k in ("api_key", "token"))
    if not api_key and base_url == DEFAULT_BASE_URL:
        log.debug("no API key given: using ComboCurve's public test API key for %s", base_url)
        api_key = PUBLIC_TEST_API_KEY
    credentials = Credentials(api_key=Secret(api_key) if api_key else None,
                              token=Secret(token) if token else None, service_account=account)
    return base_url, credentials


def _header_secret(value: str | None, where: str) -> str | None:
    """An API key or token as an HTTP header can carry it. Surrounding blanks and line breaks
    (a file or a secret store often adds one) are trimmed; anything else that is not visible
    ASCII is refused, without showing the value, which the HTTP library would have put whole
    into its error message."""
    if value is None:
        return None
    value = value.strip()
    if value and not (value.isascii() and value.isprintable() and " " not in value):
        raise ProjectError(f"{where} holds a space, a line break, a control or a non-ASCII "
                           "character inside; copy the value again")
    return value


def _network(config: dict, config_file: Path, folder: Path) -> Network:
    """[combocurve] proxy and ca_bundle; an unset ${VAR} in them is an error, not "none"."""
    table = config.get("combocurve") or {}
    proxy, ca_bundle = (_expand(_string(table, key, "combocurve", config_file),
                                f"[combocurve] {key}", config_file)
                        for key in ("proxy", "ca_bundle"))
    if proxy and not _is_http_url(proxy):  # the value is never shown: it may hold a password
        raise ProjectError(f"{config_file}: [combocurve] proxy is not an http(s) URL such "
                           "as http://user:${PROXY_PASSWORD}@proxy.example.com:8080 (a "
                           "password with @ : / # ? or % must be percent-encoded)")
    if not ca_bundle or ca_bundle == SYSTEM_TRUST:
        return Network(Secret(proxy) if proxy else None, None, ca_bundle == SYSTEM_TRUST)
    file = folder / ca_bundle
    if not file.is_file():
        raise ProjectError(f"{config_file}: [combocurve] ca_bundle: no file {file} (a PEM file "
                           f"of certificate authorities, or \"{SYSTEM_TRUST}\" for the "
                           "operating system's trust store)")
    return Network(Secret(proxy) if proxy else None, file.resolve())


def _is_http_url(url: str) -> bool:
    """An http(s) URL with a host and, if any, a port that is a number in range: checked
    without showing it (a proxy's or a webhook's URL holds a secret)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _notify(config: dict, config_file: Path) -> NotifySettings:
    table = _section(config, "notify", config_file, required=False)
    _check_keys(table, NOTIFY_KEYS, "notify", config_file)
    urls = {}
    for key in ("webhook", "ping_url"):
        url = _expand(_string(table, key, "notify", config_file), f"[notify] {key}",
                      config_file)
        if url and not _is_http_url(url):
            raise ProjectError(f"{config_file}: [notify] {key} is not an http(s) URL")
        urls[key] = Secret(url) if url else None
    kind = _expand(table.get("format"), "[notify] format", config_file) or \
        _guess_format(urls["webhook"])
    if kind not in NOTIFY_FORMATS:
        raise ProjectError(f"{config_file}: [notify] format '{kind}' is not one of "
                           f"{', '.join(NOTIFY_FORMATS)}")
    on = table.get("on", list(NotifySettings.on))
    if not isinstance(on, list) or not set(on) <= set(NOTIFY_EVENTS):
        raise ProjectError(f"{config_file}: [notify] on must be a list of "
                           f"{', '.join(repr(e) for e in NOTIFY_EVENTS)}, not {on!r}")
    threshold = table.get("rejects_threshold", 0.0)
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) \
            or not 0 <= threshold < 1:
        raise ProjectError(f"{config_file}: [notify] rejects_threshold is a share of the rows "
                           f"read, from 0 to below 1 (0.01 is 1%), not {threshold!r}")
    timeout = _seconds(table.get("timeout", NotifySettings.timeout), "[notify] timeout",
                       config_file)
    return NotifySettings(urls["webhook"], kind, tuple(on), float(threshold), urls["ping_url"],
                          timeout)


def _string(table: dict, key: str, section: str, config_file: Path) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ProjectError(f"{config_file}: [{section}] {key} must be a string")
    return value


def _guess_format(webhook: Secret | None) -> str:
    """Slack's and Teams' webhook hosts speak their own formats; anything else gets JSON."""
    host = urlsplit(webhook.reveal()).hostname or "" if webhook else ""
    if host == "hooks.slack.com":
        return "slack"
    if host.endswith((".webhook.office.com", ".logic.azure.com", ".powerplatform.com")):
        return "teams"
    return "json"
