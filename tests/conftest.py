"""Fixtures that talk to real things: MariaDB and PostgreSQL on 127.0.0.1, and our emulator;
and what the test modules share: the CLI as a child process (run_core), waiting on a condition
(wait_for), JSON-lines files (read_jsonl), keys and a private CA, project folders.

Each test module gets fresh databases of its own. Under CI=true an unreachable database fails
the run; elsewhere it skips with the reason, so a laptop without servers can still run the rest.
"""

import datetime
import importlib.util
import ipaddress
import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

import pytest
import sqlalchemy as sa

from core.emulator import DEFAULT_API_KEY, DEFAULT_TOKEN, Emulator

ROOT = Path(__file__).resolve().parent.parent
MARIADB = os.environ.get("TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306")
POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")


def fail_or_skip(message: str) -> NoReturn:
    """What this machine lacks fails the run under CI=true, where it must be there; elsewhere
    the test skips with the reason, so a laptop without it can still run the rest."""
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def _reachable(url: str, label: str) -> sa.Engine:
    engine = sa.create_engine(url + ("/postgres" if url.startswith("postgresql") else ""),
                              isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            return engine
    except sa.exc.OperationalError as exc:
        fail_or_skip(f"{label} is not reachable at {url}: {exc.orig}")


@pytest.fixture(scope="session")
def mariadb_server():
    engine = _reachable(MARIADB, "MariaDB")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    engine = _reachable(POSTGRES, "PostgreSQL")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def mariadb(mariadb_server, request):
    """A fresh MariaDB database for this module: an object with `.name` and `.url`."""
    yield from _fresh_database(mariadb_server, MARIADB, request, "`{}`",
                               create_options=" CHARACTER SET utf8mb4")


@pytest.fixture(scope="module")
def postgres(postgres_server, request):
    """A fresh PostgreSQL database for this module."""
    yield from _fresh_database(postgres_server, POSTGRES, request, '"{}"',
                               drop_options=" WITH (FORCE)")


@pytest.fixture(params=["mariadb", "postgres"])
def production(request):
    """The module's MariaDB, then its PostgreSQL, holding tests/production_data.py afresh."""
    from production_data import fill

    database = request.getfixturevalue(request.param)
    fill(database)
    return database


@pytest.fixture
def maria(mariadb):
    """The module's MariaDB holding tests/production_data.py afresh."""
    from production_data import fill

    fill(mariadb)
    return mariadb


def _fresh_database(server, url: str, request, quote: str, *, create_options: str = "",
                    drop_options: str = ""):
    name = f"cc_{request.module.__name__.split('.')[-1][:20]}_{secrets.token_hex(3)}"
    quoted = quote.format(name)
    with server.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {quoted}{create_options}")
    database = Database(name, f"{url}/{name}")
    yield database
    database.dispose()
    with server.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {quoted}{drop_options}")


class Database:
    """A test database: run SQL in it, and write the project section that reaches it."""

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    @property
    def kind(self) -> str:
        return "mysql" if self.url.startswith("mysql") else "postgres"

    def run(self, *statements: str) -> None:
        with self.engine.connect() as conn:
            conn = conn.execution_options(no_parameters=True)  # a literal % stays a %
            for statement in statements:
                conn.exec_driver_sql(statement)

    def rows(self, sql: str) -> list[dict]:
        with self.engine.connect() as conn:
            conn = conn.execution_options(no_parameters=True)
            return [dict(r._mapping) for r in conn.exec_driver_sql(sql)]

    def section(self, driver: str | None = None) -> str:
        """The project's connection to this database, through `driver` if given."""
        url = sa.make_url(self.url)
        return textwrap.dedent(f"""\
            [connection]
            type = "{self.kind}"

            [{self.kind}]
            host = "{url.host}"
            port = {url.port}
            user = "{url.username}"
            database = "{self.name}"
            """) + (f'driver = "{driver}"\n' if driver else "")

    def dispose(self) -> None:
        self.engine.dispose()


# The company web proxy that .ci/services starts (.ci/tinyproxy.conf): Basic auth on 127.0.0.1.
WEB_PROXY = os.environ.get("TEST_WEB_PROXY", "127.0.0.1:8899")
WEB_PROXY_USER, WEB_PROXY_PASSWORD = "ccsync", "Proxy-Secret-42"


@pytest.fixture(scope="session")
def web_proxy() -> str:
    """`host:port` of a running tinyproxy that wants WEB_PROXY_USER / WEB_PROXY_PASSWORD."""
    host, port = WEB_PROXY.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except OSError as exc:
        fail_or_skip(f"the test web proxy is not reachable at {WEB_PROXY} ({exc}); bash "
                     ".ci/services starts tinyproxy there")
    return WEB_PROXY


MYSQL_DRIVERS = {"pymysql": "pymysql", "mysqlclient": "MySQLdb", "mariadb": "mariadb"}


@pytest.fixture(params=list(MYSQL_DRIVERS))
def mysql_driver(request) -> str:
    """Each MySQL driver in turn (.ci/setup installs the C ones): the values sent must not
    depend on which driver read them. A missing one fails under CI=true, else skips."""
    name = request.param
    if importlib.util.find_spec(MYSQL_DRIVERS[name]) is None:
        fail_or_skip(f"the {name} driver is not installed: pip install -e '.[{name}]'")
    return name


@pytest.fixture
def emulator():
    """A fresh emulator on a free port of 127.0.0.1."""
    with Emulator() as running:
        yield running


@pytest.fixture(scope="module")
def emulator_server():
    """One emulator for a test module; `emu` resets it for each test (cheaper than a new one)."""
    with Emulator() as running:
        yield running


@pytest.fixture
def emu(emulator_server):
    """The module's emulator, as just constructed: empty store and log, no faults."""
    emulator_server.reset()
    return emulator_server


@pytest.fixture
def emulator_credentials(monkeypatch):
    """The emulator's API key and token in the environment, as a user's shell would hold them."""
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("COMBOCURVE_TOKEN", DEFAULT_TOKEN)


@pytest.fixture
def api_env(emulator, emulator_credentials, monkeypatch):
    """Point the sync at the emulator through the environment, with its credentials."""
    monkeypatch.setenv("COMBOCURVE_BASE_URL", emulator.base_url)
    return emulator


@pytest.fixture
def no_api_env(monkeypatch):
    """No ComboCurve base URL, key, token nor service account in the environment."""
    for name in ("COMBOCURVE_BASE_URL", "COMBOCURVE_API_KEY", "COMBOCURVE_TOKEN",
                 "COMBOCURVE_SERVICE_ACCOUNT"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def well_id(emu):
    """The id of well W1/internal, stored before the rows that refer to it."""
    from api_calls import store_wells

    (stored,) = store_wells(emu, "W1")
    return stored


# -- keys and certificates -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def rsa_key() -> tuple[str, bytes]:
    """An RSA key pair as a service account's key file and a JWT verifier hold it: the private
    key in PKCS#8 PEM (text), the public key in SubjectPublicKeyInfo PEM (bytes)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


@pytest.fixture(scope="session")
def private_ca(tmp_path_factory) -> Path:
    """A folder holding `ca.pem` (a company root CA, as a TLS-inspecting proxy would use) and
    a certificate for 127.0.0.1 and localhost that it signed: `server.pem`, `server.key`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Oil Co"),
                          x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("Example Oil Root CA"))
          .issuer_name(name("Example Oil Root CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                       key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, key_cert_sign=True, crl_sign=True,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    server = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
              .issuer_name(ca.subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number())
              .not_valid_before(now - datetime.timedelta(minutes=5))
              .not_valid_after(now + datetime.timedelta(days=1))
              .add_extension(x509.SubjectAlternativeName([
                  x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                  x509.DNSName("localhost")]), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                             critical=False)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                  ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return folder


# -- the CLI as a child process, and waiting on things ---------------------------------------

CORE = (sys.executable, "-m", "core")


def run_core(*args, command: Sequence[str] = CORE, wait: bool = True, env: dict | None = None,
             timeout: float = 120, **popen):
    """`python -m core *args` as a user runs it, from the repository's root, text in and out.

    `env` is the child's whole environment; by default this process's, where the
    emulator_credentials fixture puts the emulator's key and token. With `wait` it runs to its
    end (at most `timeout` seconds) and answers the CompletedProcess with stdout and stderr;
    without, the running Popen with both on pipes. `command` stands for `python -m core`: a
    wrapper around it, say. Any other keyword goes to subprocess (preexec_fn...)."""
    argv = [*command, *map(str, args)]
    if wait:
        return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout, **popen)
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **popen)


def wait_for(condition: Callable[[], object], seconds: float = 30, *, what: str = "it",
             interval: float = 0.01, fail: bool = True):
    """Call `condition` every `interval` seconds until it answers something true, and answer
    that. After `seconds` without: an AssertionError ("never saw <what>"), or with fail=False
    its last answer, for a watcher that acts either way and leaves the verdict to the test."""
    deadline = time.monotonic() + seconds
    while not (answer := condition()):
        if time.monotonic() >= deadline:
            assert not fail, f"never saw {what}"
            return answer
        time.sleep(interval)
    return answer


def read_jsonl(path) -> list[dict]:
    """Every line of a JSON-lines file (rejects, audit trail, log), parsed: a line written only
    in part fails here."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


def load_sample(url: str, database: str = "global") -> dict[str, int]:
    """Load schema/ and its sample data with the project's own one-command loader."""
    spec = importlib.util.spec_from_file_location("schema_load", ROOT / "schema" / "load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.load(url, database=database)


@pytest.fixture(scope="session")
def sample_mariadb(mariadb_server):
    """The sample schema and data in MariaDB's `global` database, as example/ expects."""
    return load_sample(MARIADB)


# A project section for the embedded default: the file wells.db in the project folder
SQLITE_SECTION = """\
    [connection]
    type = "sqlite"
    [sqlite]
    database = "wells.db"
    """


def write_project(folder: Path, config: str, resources: dict[str, str]) -> Path:
    """A sync project folder: combocurve.toml and resources/<name>.sql files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "combocurve.toml").write_text(textwrap.dedent(config), encoding="utf-8")
    (folder / "resources").mkdir(exist_ok=True)
    for name, sql in resources.items():
        (folder / "resources" / f"{name}.sql").write_text(textwrap.dedent(sql), encoding="utf-8")
    return folder


SQLITE_WELLS_SQL = ("SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM w "
                    "ORDER BY n")


def sqlite_project(folder: Path, chosen_ids=("A1", "B2", "C3"), extra: str = "") -> Path:
    """A project over a SQLite file holding one well per chosen id."""
    folder.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(folder / "wells.db") as db:
        db.execute("CREATE TABLE w (n INTEGER, id TEXT, name TEXT)")
        db.executemany("INSERT INTO w VALUES (?, ?, ?)",
                       [(n, cid, f"WELL {n}") for n, cid in enumerate(chosen_ids)])
    db.close()
    return write_project(folder, textwrap.dedent(SQLITE_SECTION) + textwrap.dedent(extra),
                         {"wells": SQLITE_WELLS_SQL})


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens: a connection there is refused."""
    with socket.create_server(("127.0.0.1", 0)) as spare:
        return spare.getsockname()[1]  # closed again on leaving: nothing listens there
