"""Company networks: a real authenticating proxy (tinyproxy, started by .ci/services) and the
emulator over HTTPS with a certificate from a private CA made for the tests.

`https_emulator` is the emulator serving HTTPS (`Emulator(tls=...)`) with a certificate from
conftest's `private_ca`, made for the test run.
"""

import logging

import pytest

from conftest import WEB_PROXY_PASSWORD, WEB_PROXY_USER, sqlite_project
from core import ProjectError, load_project
from core.client import RetryPolicy
from core.emulator import Emulator
from core.main import start

pytestmark = pytest.mark.usefixtures("emulator_credentials", "clean_network_environment")

FAST = RetryPolicy(max_wait=1, base_delay=0.05, max_delay=0.1, connect_timeout=3,
                   read_timeout=10)


@pytest.fixture
def clean_network_environment(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "REQUESTS_CA_BUNDLE",
                 "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def https_emulator(private_ca):
    """The emulator serving HTTPS with the private CA's certificate; base_url is https://."""
    with Emulator(tls=(private_ca / "server.pem", private_ca / "server.key")) as emulator:
        assert emulator.base_url.startswith("https://")
        yield emulator


def project_with(tmp_path, **combocurve):
    lines = "\n".join(f'{key} = "{value}"' for key, value in combocurve.items())
    return sqlite_project(tmp_path / "p", extra=f"[combocurve]\n{lines}\n")


def proxy_url(web_proxy, password="${PROXY_PASSWORD}") -> str:
    return f"http://{WEB_PROXY_USER}:{password}@{web_proxy}"


def sync(project, emulator, **options):
    return start(project, base_url=emulator.base_url, retry=FAST, **options)


# -- certificates ------------------------------------------------------------------------------


def test_a_private_ca_is_trusted_through_ca_bundle(https_emulator, private_ca, tmp_path):
    project = project_with(tmp_path, ca_bundle=private_ca / "ca.pem")

    report = sync(project, https_emulator)

    assert report.ok, report.summary()
    assert len(https_emulator.wells()) == 3


def test_without_the_ca_the_certificate_is_refused_in_one_line(https_emulator, tmp_path):
    report = sync(project_with(tmp_path), https_emulator, concurrency=1)

    wells = report.resource("wells")
    [error] = wells.errors
    assert "TLS certificate is not trusted (" in error and "ca_bundle" in error
    assert "\n" not in error and wells.requests == 1  # no retries: they cannot help
    assert wells.not_sent == 3 and https_emulator.requests == []
    assert report.unreachable  # exit 3: the API was never reached


def test_the_system_trust_store_is_used_on_request(https_emulator, private_ca, tmp_path,
                                                   monkeypatch):
    """`ca_bundle = "system"` goes through truststore; on Linux that is OpenSSL's default
    store, which SSL_CERT_FILE points at the private CA here (the machine's is untouched)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(private_ca / "ca.pem"))

    trusted = sync(project_with(tmp_path, ca_bundle="system"), https_emulator)
    certifi_only = sync(project_with(tmp_path / "certifi"), https_emulator)

    assert trusted.ok, trusted.summary()
    assert "not trusted" in certifi_only.resource("wells").errors[0]


def test_a_missing_ca_bundle_file_is_a_project_error(tmp_path):
    with pytest.raises(ProjectError, match=r"ca_bundle: no file .*company-ca\.pem"):
        load_project(project_with(tmp_path, ca_bundle="company-ca.pem"))


# -- the proxy ---------------------------------------------------------------------------------


def test_https_through_the_authenticating_proxy(web_proxy, https_emulator, private_ca,
                                                tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PASSWORD", WEB_PROXY_PASSWORD)
    project = project_with(tmp_path, proxy=proxy_url(web_proxy),
                           ca_bundle=private_ca / "ca.pem")

    report = sync(project, https_emulator)

    assert report.ok, report.summary()
    assert len(https_emulator.wells()) == 3


@pytest.mark.parametrize("password", ["Wrong-Proxy-Pass-9", None])
def test_a_refused_proxy_login_is_one_clear_line(web_proxy, https_emulator, private_ca,
                                                 tmp_path, monkeypatch, caplog, password):
    """The proxy refuses the tunnel (407 without credentials; tinyproxy says 401 to wrong
    ones, other proxies 407): no retries, no request reaches the API."""
    monkeypatch.setenv("PROXY_PASSWORD", password or "")
    proxy = proxy_url(web_proxy) if password else f"http://{web_proxy}"
    project = project_with(tmp_path, proxy=proxy, ca_bundle=private_ca / "ca.pem")

    with caplog.at_level(logging.DEBUG):
        report = sync(project, https_emulator, concurrency=1)

    wells = report.resource("wells")
    [error] = wells.errors
    expected = "401 Unauthorized" if password else "407 Proxy Authentication Required"
    assert f"the proxy refused its credentials (HTTP {expected}); check the user" in error
    assert wells.requests == 1 and https_emulator.requests == [] and report.unreachable
    everything = report.summary() + str(report.to_dict()) + caplog.text
    assert "Wrong-Proxy-Pass-9" not in everything


def test_https_proxy_from_the_environment(web_proxy, https_emulator, private_ca, tmp_path,
                                          monkeypatch):
    project = project_with(tmp_path, ca_bundle=private_ca / "ca.pem")

    monkeypatch.setenv("HTTPS_PROXY", proxy_url(web_proxy, "Wrong-Proxy-Pass-9"))
    refused = sync(project, https_emulator)
    monkeypatch.setenv("HTTPS_PROXY", proxy_url(web_proxy, WEB_PROXY_PASSWORD))
    accepted = sync(project, https_emulator)

    assert "the proxy refused its credentials" in refused.resource("wells").errors[0]
    assert accepted.ok, accepted.summary()


def test_no_proxy_bypasses_the_project_proxy(web_proxy, emulator, tmp_path, monkeypatch):
    monkeypatch.setenv("PROXY_PASSWORD", "Wrong-Proxy-Pass-9")  # would be refused
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    project = project_with(tmp_path, proxy=proxy_url(web_proxy))

    assert sync(project, emulator).ok


def test_the_project_proxy_wins_over_the_environment(web_proxy, emulator, tmp_path,
                                                     monkeypatch):
    monkeypatch.setenv("PROXY_PASSWORD", WEB_PROXY_PASSWORD)
    monkeypatch.setenv("HTTP_PROXY", proxy_url(web_proxy, "Wrong-Proxy-Pass-9"))
    project = project_with(tmp_path, proxy=proxy_url(web_proxy))

    assert sync(project, emulator).ok


def test_the_proxy_password_is_a_secret_and_never_echoed(tmp_path, monkeypatch, web_proxy):
    monkeypatch.setenv("PROXY_PASSWORD", "Pr0xy-Secret-5")
    loaded = load_project(project_with(tmp_path, proxy=proxy_url(web_proxy)))
    bad = project_with(tmp_path / "bad", proxy="ccsync:Pr0xy-Secret-5@proxy.example.com:80")

    with pytest.raises(ProjectError) as caught:
        load_project(bad)

    assert "Pr0xy-Secret-5" in list(loaded.named_secrets().values())
    assert "Pr0xy-Secret-5" not in repr(loaded)
    assert "Pr0xy-Secret-5" not in str(caught.value)
