"""HTTPS: `taskmock serve --tls` (a throw-away CA, or the user's own certificate) and the fixture's
`tls=True`. Clients that trust the printed CA bundle get in; clients that do not are refused."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme

from tests.support import API_NAMES

pytestmark = pytest.mark.slow


@dataclass
class Served:
    process: subprocess.Popen[str]
    base: str
    banner: list[str]
    trusted: Path | None = None  # the CA to trust, when it is not the printed one

    @property
    def ca_bundle(self) -> Path:
        found = [line for line in self.banner if line.startswith("CA bundle: ")]
        return Path(found[0].removeprefix("CA bundle: "))

    def stop(self) -> str:
        # One answer first: the banner comes before the loop takes signals (a Ctrl-C that early
        # ends the process without its closing line).
        assert curl("--cacert", str(self.trusted), self.base + "/__taskmock/health").returncode == 0
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=15)
        return err


def serve(*flags: str, trusted: Path | None = None) -> Served:
    command = [sys.executable, "-m", "taskmock", "serve", "--port", "0", "--clock", "manual"]
    process = subprocess.Popen(
        [*command, *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    banner = [process.stdout.readline().rstrip("\n")]
    match = re.search(r"at (https://127\.0\.0\.1:\d+) ", banner[0])
    assert match, banner[0] + process.stderr.read()  # type: ignore[union-attr]
    last = "REQUESTS_CA_BUNDLE" if "--tls-cert" not in flags else "control plane"
    while last not in banner[-1]:
        banner.append(process.stdout.readline().rstrip("\n"))
    served = Served(process, match.group(1), banner, trusted)
    if served.trusted is None:
        served.trusted = served.ca_bundle
    return served


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    running = serve("--tls")
    yield running
    running.stop()


def curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["curl", "-sS", "--max-time", "10", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_banner_says_where_the_ca_is_and_how_to_trust_it(served: Served) -> None:
    path = served.ca_bundle
    assert path.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert f"export SSL_CERT_FILE={path} REQUESTS_CA_BUNDLE={path}" in served.banner
    curls = [line for line in served.banner if line.startswith("curl -s --cacert ")]
    assert len(curls) == 2 * len(API_NAMES)  # every pasted command already trusts it


def test_curl_with_the_printed_ca_reaches_it(served: Served) -> None:
    done = curl("--cacert", str(served.ca_bundle), served.base + "/__taskmock/health")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "ok"
    localhost = served.base.replace("127.0.0.1", "localhost")
    created = curl(
        "--cacert",
        str(served.ca_bundle),
        "-d",
        '{"api": "tensorpix"}',
        localhost + "/__taskmock/tasks",
    )
    assert json.loads(created.stdout)["poll_url"].startswith(localhost + "/api/jobs/")  # https


def test_an_httpx_client_trusts_it_through_ssl_cert_file(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(served.ca_bundle))
    with httpx.Client() as client:  # reads SSL_CERT_FILE, as it trusts the environment
        reply = client.get(served.base + "/__taskmock/health")
    assert reply.json()["status"] == "ok"


def test_without_the_ca_the_handshake_fails(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    refused = curl(served.base + "/__taskmock/health")
    assert refused.returncode == 60  # curl: the peer's certificate cannot be authenticated
    with httpx.Client() as client, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY"):
        client.get(served.base + "/__taskmock/health")
    plain = curl("http" + served.base.removeprefix("https") + "/__taskmock/health")
    assert plain.returncode != 0 or "200" not in plain.stdout  # no plain HTTP on a TLS port


def test_the_temporary_ca_goes_with_the_server_and_a_chosen_one_stays(tmp_path: Path) -> None:
    running = serve("--tls")
    temporary = running.ca_bundle
    assert "taskmock stopped" in running.stop()
    assert not temporary.parent.exists()
    chosen = tmp_path / "sub" / "ca.pem"
    running = serve("--tls-ca-out", str(chosen))
    assert running.ca_bundle == chosen
    running.stop()
    assert chosen.read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_the_users_own_certificate_and_key(tmp_path: Path) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1")
    cert, key, trusted = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(trusted))
    running = serve("--tls-cert", str(cert), "--tls-key", str(key), trusted=trusted)
    try:
        assert not any(line.startswith("CA bundle") for line in running.banner)
        done = curl("--cacert", str(trusted), running.base + "/__taskmock/health")
    finally:
        running.stop()
    assert json.loads(done.stdout)["status"] == "ok"


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--tls-key", "k.pem"], "--tls-key needs --tls-cert"),
        (["--tls-cert", "missing.pem"], "cannot read missing.pem: no such file"),
        (["--tls", "--tls-cert", "c.pem"], "--tls-cert serves your certificate"),
        (["--tls-cert", "README.md"], "cannot use README.md as a PEM certificate chain and key"),
    ],
)
def test_tls_flags_that_cannot_work_exit_2_with_a_message(flags: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "taskmock", "serve", "--port", "0", *flags],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_fixture_serves_https_when_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import json, ssl, urllib.request
import pytest

@pytest.mark.taskmock(tls=True)
def test_https(taskmock):
    assert taskmock.base_url().startswith("https://127.0.0.1:")
    job = taskmock.create("tensorpix")
    context = ssl.create_default_context(cafile=str(taskmock.ca_bundle))
    request = urllib.request.Request(job.poll_url, headers=taskmock.headers("tensorpix"))
    with urllib.request.urlopen(request, context=context) as reply:
        body = json.load(reply)
    assert body["input_video"]["file"].startswith("https://127.0.0.1:")

def test_plain_by_default(taskmock):
    assert taskmock.base_url().startswith("http://") and taskmock.ca_bundle is None
""")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
