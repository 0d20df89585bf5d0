"""Other clients against the emulator: ComboCurve's official Python client and
combocurve-api-helper page through it, and it serves HTTPS with a certificate of our own."""

import json
import os
import subprocess
import sys

import pytest
import requests

from api_calls import AUTH, DAILY, TIMEOUT, WELLS, daily, put, results, well
from conftest import ROOT
from core.emulator import DEFAULT_API_KEY, Emulator

CLIENT_EMAIL = "sync@example-project.iam.gserviceaccount.com"
OFFICIAL_AUDIENCE = "https://api.combocurve.com"  # what both clients put in their JWTs


@pytest.fixture(scope="module")
def service_account(rsa_key):
    """A service account as ComboCurve's key file holds it, and its public key in PEM."""
    private_pem, public_pem = rsa_key
    account = {"client_email": CLIENT_EMAIL, "client_id": "1234", "private_key": private_pem,
               "private_key_id": "key-1"}
    return account, public_pem


@pytest.fixture
def jwt_emulator(service_account):
    """An emulator that takes the clients' own service-account JWTs (no static token)."""
    with Emulator(token=None, public_key=service_account[1], audience=OFFICIAL_AUDIENCE,
                  issuer=CLIENT_EMAIL) as emulator:
        yield emulator


def test_official_client_pages_through_the_wells(jwt_emulator, service_account):
    """combocurve-api-v1 mints the JWT and reads the Link header; the base URL is simply the
    URL of the first request, as its README pages through the API."""
    from combocurve_api_v1 import ComboCurveAuth, ServiceAccount
    from combocurve_api_v1.pagination import get_next_page_url

    emu = jwt_emulator
    auth = ComboCurveAuth(ServiceAccount(**service_account[0]), DEFAULT_API_KEY)
    for first in (0, 1000):
        records = [well(f"W{i}") for i in range(first, min(first + 1000, 1250))]
        assert results(put(emu, WELLS, records, headers=auth.get_auth_headers()))
    url, pages, seen = f"{emu.base_url}{WELLS}?take=500", 0, []
    while url is not None:
        response = requests.get(url, headers=auth.get_auth_headers(), timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        seen += [record["chosenID"] for record in response.json()]
        pages += 1
        url = get_next_page_url(response.headers)
    assert pages == 3 and sorted(seen) == sorted(f"W{i}" for i in range(1250))
    queries = [r.query for r in emu.requests if r.method == "GET"]
    assert queries[0] == "take=500" and all("&cursor=" in query for query in queries[1:])


@pytest.fixture
def helper_api(jwt_emulator, service_account, tmp_path, monkeypatch):
    """combocurve-api-helper pointed at the emulator. It reads ~/.combocurve/cc-api.config.json
    when imported and the service account from a file: both go in a temporary HOME. Its base
    URL is a class attribute, API_BASE_URL, set here on the instance: no code of it is patched."""
    home = tmp_path / "home"
    (home / ".combocurve").mkdir(parents=True)
    config = home / ".combocurve" / "cc-api.config.json"
    config.write_text(json.dumps({"apikey": DEFAULT_API_KEY}))
    key_file = home / ".combocurve" / "combocurve.json"
    key_file.write_text(json.dumps(service_account[0]))
    monkeypatch.setenv("HOME", str(home))
    from combocurve_api_helper import ComboCurveAPI

    api = ComboCurveAPI.from_alternate_config(key_file, config)
    api.API_BASE_URL = f"{jwt_emulator.base_url}/v1"
    return api


def test_helper_reads_counts_and_deletes(helper_api, jwt_emulator):
    emu = jwt_emulator
    written = helper_api.put_company_wells([well(f"W{i}") for i in range(1000)])
    written += helper_api.put_company_wells([well(f"W{i}") for i in range(1000, 1100)])
    assert sum(response["successCount"] for response in written) == 1100
    wells = helper_api.get_company_wells()
    assert len(wells) == 1100 and len({w["id"] for w in wells}) == 1100
    assert [r.query for r in emu.requests if r.method == "GET"][0] == "take=1000"
    assert sum(r.method == "GET" for r in emu.requests) == 2  # 1000 + 100: two pages
    assert helper_api.count_company_wells({"dataSource": "internal"}) == 1100

    well_id = wells[0]["id"]
    rows = [daily(f"2024-01-{day:02d}", wells[0]["chosenID"], oil=day) for day in range(1, 11)]
    helper_api.put_company_daily_productions(rows)
    got = helper_api.get_company_daily_productions({"well": well_id})
    assert [row["oil"] for row in got] == list(range(1, 11))
    headers = helper_api.delete_company_daily_productions(well_id, "2024-01-03", "2024-01-05")
    assert headers["X-Delete-Count"] == "3"
    assert helper_api.count_company_daily_productions({"well": well_id}) == 7


# -- HTTPS ------------------------------------------------------------------------------------


def test_tls_serves_https_to_a_client_trusting_the_ca(private_ca):
    with Emulator(tls=(private_ca / "server.pem", private_ca / "server.key")) as emu:
        assert emu.base_url.startswith("https://127.0.0.1:")
        with pytest.raises(requests.exceptions.SSLError):  # the system CAs don't know ours
            requests.get(emu.base_url + WELLS, headers=AUTH, timeout=TIMEOUT)
        with requests.Session() as session:  # verify per call: REQUESTS_CA_BUNDLE beats Session
            created = session.put(emu.base_url + WELLS, json=[well()], headers=AUTH,
                                  timeout=TIMEOUT, verify=private_ca / "ca.pem")
            assert results(created)[0]["status"] == "Created"
            listed = session.get(emu.base_url + WELLS, headers=AUTH, timeout=TIMEOUT,
                                 verify=private_ca / "ca.pem")
        assert listed.headers["Link"].startswith(f"<{emu.base_url}{WELLS}?")
        assert [r.status for r in emu.requests] == [207, 200]  # the refused handshake: no request


def test_cli_serves_tls_and_refuses_a_lone_certificate(private_ca):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "core.emulator", "--tls-cert", str(private_ca / "server.pem")]
    lone = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert lone.returncode == 2 and "--tls-cert and --tls-key go together" in lone.stderr
    swapped = [*command, "--tls-key", str(private_ca / "ca.pem")]  # a certificate, not its key
    wrong = subprocess.run(swapped, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert wrong.returncode == 2 and wrong.stderr.startswith("Error: cannot load a key")
    assert "Traceback" not in wrong.stderr
    command += ["--tls-key", str(private_ca / "server.key"), "--read-quota"]
    with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) as proc:
        try:
            base_url = proc.stdout.readline().strip()
            answer = requests.get(base_url + DAILY, headers=AUTH, timeout=TIMEOUT,
                                  verify=str(private_ca / "ca.pem"))
        finally:
            proc.terminate()
        assert proc.wait(timeout=5) == 0
    assert base_url.startswith("https://127.0.0.1:")
    assert answer.status_code == 200 and answer.json() == []
