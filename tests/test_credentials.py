"""Service-account tokens minted as the official client does, and secrets that never leak."""

import json
import time

import jwt
import pandas as pd
import pytest

from conftest import run_core, write_project
from core.credentials import BearerToken, ServiceAccount
from core.emulator import DEFAULT_API_KEY, Emulator
from core.main import start

EMAIL = "sync@company.iam.example"


def key_file(folder, private_pem, key_id="kid-Secret-0042"):
    path = folder / "service-account.json"
    path.write_text(json.dumps({"type": "service_account", "client_email": EMAIL,
                                "private_key_id": key_id, "private_key": private_pem}))
    return path


@pytest.fixture
def wells_table(mariadb):
    mariadb.run("DROP TABLE IF EXISTS w", "CREATE TABLE w (id VARCHAR(12), name VARCHAR(20))",
                "INSERT INTO w VALUES ('A1', 'ALPHA'), ('B2', 'BRAVO'), ('BAD-3', 'X')")
    return mariadb


WELLS = {"wells": "SELECT 'internal' AS dataSource, id AS chosenID, name AS wellName FROM w"}


def test_token_is_minted_like_the_official_client(rsa_key, tmp_path):
    account = ServiceAccount.load(key_file(tmp_path, rsa_key[0]))

    token = BearerToken(account=account, audience="https://api.combocurve.com",
                        clock=lambda: 1_700_000_000).value()

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, rsa_key[1], algorithms=["RS256"],
                        audience="https://api.combocurve.com",
                        options={"verify_exp": False})
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "kid-Secret-0042"}
    assert claims == {"iss": EMAIL, "sub": EMAIL, "aud": "https://api.combocurve.com",
                      "iat": 1_700_000_000, "exp": 1_700_003_600}


def test_token_is_renewed_a_minute_before_it_expires(rsa_key, tmp_path):
    now = [1_700_000_000.0]
    bearer = BearerToken(account=ServiceAccount.load(key_file(tmp_path, rsa_key[0])),
                         audience="https://x", clock=lambda: now[0])
    first = bearer.value()
    now[0] += 3539
    assert bearer.value() == first
    now[0] += 2
    renewed = bearer.value()
    assert renewed != first
    assert jwt.decode(renewed, options={"verify_signature": False})["iat"] == 1_700_003_541


def test_sync_with_a_service_account_against_jwt_verification(rsa_key, wells_table, tmp_path,
                                                               monkeypatch):
    monkeypatch.delenv("COMBOCURVE_TOKEN", raising=False)
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    project = write_project(tmp_path / "p", wells_table.section() + """
        [combocurve]
        service_account = "service-account.json"
        """, WELLS)
    key_file(project, rsa_key[0])

    with Emulator(token=None, public_key=rsa_key[1], issuer=EMAIL) as emulator:
        report = start(project, base_url=emulator.base_url)
        stored = {w["chosenID"] for w in emulator.wells()}

    assert report.resource("wells").accepted == 2 and stored == {"A1", "B2"}


def test_expired_token_stops_the_run(rsa_key, wells_table, tmp_path, monkeypatch):
    expired = jwt.encode({"iss": EMAIL, "sub": EMAIL, "iat": int(time.time()) - 7200,
                          "exp": int(time.time()) - 3600, "aud": "placeholder"},
                         rsa_key[0], algorithm="RS256")
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("COMBOCURVE_TOKEN", expired)
    project = write_project(tmp_path / "p", wells_table.section(), WELLS)

    with Emulator(token=None, public_key=rsa_key[1], issuer=EMAIL) as emulator:
        report = start(project, base_url=emulator.base_url)

    wells = report.resource("wells")
    assert "HTTP 401" in wells.errors[0] and wells.not_sent == 2 and wells.rejected == 1
    assert expired not in json.dumps(report.to_dict())


SECRETS = {"api_key": "Key-Secret-0815", "token": "Tok-Secret-1234",
           "db_password": "Pw-Secret-4711", "wrong_token": "Bad-Token-Secret-99",
           "wrong_password": "Wrong-Pw-Secret-77"}


def _cli(project, *args, env):
    return run_core(project, "-v", *args, env=env)


def test_secrets_never_appear_in_output_or_files(rsa_key, wells_table, tmp_path):
    wells_table.run("CREATE USER IF NOT EXISTS 'cc_secret'@'%' IDENTIFIED BY "
                    f"'{SECRETS['db_password']}'",
                    f"GRANT SELECT ON `{wells_table.name}`.* TO 'cc_secret'@'%'")
    out = tmp_path / "out"
    config = wells_table.section().replace('user = "root"', 'user = "cc_secret"\n'
                                           'password = "${CC_DB_PASSWORD}"')
    project = write_project(tmp_path / "p", config, WELLS)
    key_file(project, rsa_key[0], key_id="kid-Secret-5150")
    env = {"PATH": "/usr/bin:/bin", "CC_DB_PASSWORD": SECRETS["db_password"],
           "COMBOCURVE_API_KEY": SECRETS["api_key"], "COMBOCURVE_TOKEN": SECRETS["token"]}
    private_key_line = rsa_key[0].splitlines()[5]

    with Emulator(api_key=SECRETS["api_key"], token=SECRETS["token"], public_key=rsa_key[1],
                  issuer=EMAIL) as emulator:
        env["COMBOCURVE_BASE_URL"] = emulator.base_url
        runs = [
            _cli(project, "--report", str(out / "ok.json"), "--snapshot-dir", str(out),
                 "--rejects-dir", str(out), env=env),
            _cli(project, "--rejects-dir", str(out), "--report", str(out / "401.json"),
                 env=env | {"COMBOCURVE_TOKEN": SECRETS["wrong_token"]}),
            _cli(project, "--report", str(out / "db.json"),
                 env=env | {"CC_DB_PASSWORD": SECRETS["wrong_password"]}),
            _cli(project, "--rejects-dir", str(out), "--report", str(out / "sa.json"),
                 "--full-refresh",
                 env={k: v for k, v in env.items() if k != "COMBOCURVE_TOKEN"}
                 | {"COMBOCURVE_SERVICE_ACCOUNT": "service-account.json"}),
        ]
    assert [r.returncode for r in runs] == [1, 1, 1, 1]  # 1: the BAD-3 row, 401, DB, BAD-3
    accepted = [json.loads((out / f"{name}.json").read_text())["resources"][0]["accepted"]
                for name in ("ok", "401", "db", "sa")]
    assert accepted == [2, 0, 0, 2]
    assert "Access denied" in runs[2].stdout + runs[2].stderr
    texts = [r.stdout + r.stderr for r in runs]
    files = sorted(p for p in out.iterdir() if p.is_file())
    assert {p.suffix for p in files} == {".json", ".jsonl", ".parquet"}
    ledger = sorted(p for p in (project / ".combocurve").iterdir() if p.is_file())
    assert "ledger.sqlite" in {p.name for p in ledger}
    texts += [p.read_bytes().decode("utf-8", "replace") for p in [*files, *ledger]]
    texts += [pd.read_parquet(p).to_csv() for p in files if p.suffix == ".parquet"]
    for secret in [*SECRETS.values(), "kid-Secret-5150", private_key_line]:
        for text in texts:
            assert secret not in text


# -- malformed secrets: trimmed when safe, refused without being shown when not -----------------


def test_a_key_and_token_with_surrounding_blanks_are_trimmed(wells_table, tmp_path, monkeypatch):
    monkeypatch.setenv("COMBOCURVE_API_KEY", f" {DEFAULT_API_KEY}\n")  # as read from a file
    monkeypatch.setenv("COMBOCURVE_TOKEN", "\tTok-Secret-1234\r\n")
    project = write_project(tmp_path / "p", wells_table.section(), WELLS)

    with Emulator(token="Tok-Secret-1234") as emulator:
        report = start(project, base_url=emulator.base_url)

    assert report.resource("wells").accepted == 2 and report.resource("wells").errors == []


@pytest.mark.parametrize("value", ["Tok-Secret\n1234", "Tok Secret-1234", "Tok-Secret\x071234",
                                   "Tok-Secr\u00e9t-1234", "Tok-Secret\u200b1234"])
@pytest.mark.parametrize("origin", ["environment", "file"])
def test_a_key_or_token_broken_inside_is_refused_without_showing_it(value, origin, tmp_path,
                                                                    monkeypatch):
    from core import ProjectError, load_project

    monkeypatch.delenv("COMBOCURVE_TOKEN", raising=False)
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    config = '[connection]\ntype = "sqlite"\n[sqlite]\ndatabase = ":memory:"\n'
    if origin == "environment":
        monkeypatch.setenv("COMBOCURVE_TOKEN", value)
    else:
        config += f"[combocurve]\ntoken = {json.dumps(value)}\n"
    project = write_project(tmp_path / "p", config, WELLS)

    with pytest.raises(ProjectError) as caught:
        load_project(project)

    message = str(caught.value)
    where = "COMBOCURVE_TOKEN" if origin == "environment" else "[combocurve] token"
    assert where in message and "copy the value again" in message
    assert "Secret" not in message and "Tok" not in message


def test_redaction_masks_whole_occurrences_and_warns_of_short_secrets(caplog):
    from core.credentials import Redactor

    redact = Redactor({"database password": "in", "token": "Tok-Secret-1234"})

    assert redact("joining 'information' in bulk") == "joining 'information' *** bulk"
    assert redact("x Tok-Secret-1234 yTok-Secret-1234z") == "x *** y***z"
    assert redact("nothing to hide") == "nothing to hide"
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("the database password is shorter than 8 characters")


def test_a_short_database_password_leaves_messages_readable(wells_table, tmp_path, monkeypatch,
                                                           caplog):
    monkeypatch.setenv("COMBOCURVE_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("COMBOCURVE_TOKEN", "emulator-token")
    wells_table.run("CREATE USER IF NOT EXISTS 'cc_short'@'%' IDENTIFIED BY 'in'",
                    f"GRANT SELECT ON `{wells_table.name}`.* TO 'cc_short'@'%'")
    config = wells_table.section().replace('user = "root"', 'user = "cc_short"\npassword = "in"')
    project = write_project(tmp_path / "p", config, {
        "wells": "SELECT 'internal' AS dataSource, id AS chosenID, nothing_in_here FROM w"})

    with Emulator() as emulator:
        report = start(project, base_url=emulator.base_url)

    [error] = report.resource("wells").errors
    assert "Unknown column 'nothing_in_here' *** '" in error
    assert "the database password is shorter than 8 characters" in caplog.text
