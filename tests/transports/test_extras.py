"""Without its extras taskmock still imports and serves; a feature that needs one names it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.conftest import FIXTURES

MECHANISMS = FIXTURES / "mechanisms"
pytestmark = pytest.mark.slow

# Run in a fresh interpreter where httpx, trustme, uvicorn and PyJWT cannot be imported.
WITHOUT_EXTRAS = """
import sys
for name in ("httpx", "trustme", "uvicorn", "jwt"):
    sys.modules[name] = None  # `import name` now fails as if it were not installed
"""


def python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRAS + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_taskmock_imports_and_its_asgi_app_and_fixture_work_without_extras() -> None:
    done = python("""
        import asyncio
        import taskmock, taskmock.pytest_plugin, taskmock.testing, taskmock._cli.main
        from taskmock.errors import MissingExtraError
        app = taskmock.asgi_app()
        try:
            taskmock.httpx_transport()
        except MissingExtraError as error:
            print(error)
        server = taskmock.testing.MockServer().start()
        server.stop()
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "taskmock.httpx_transport() needs the 'httpx' extra: pip install 'taskmock[httpx]'"
    )


def test_serve_tls_without_the_extra_exits_2_naming_it() -> None:
    done = python("""
        from taskmock._cli.main import main
        sys.exit(main(["serve", "--port", "0", "--tls"]))
    """)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "taskmock: error: TLS with a throw-away certificate needs the 'tls' extra: "
        "pip install 'taskmock[tls]'"
    )


def test_a_signed_auth_without_the_extra_answers_a_problem_naming_it() -> None:
    """PyJWT is imported on the first verification: the mock loads and serves every other API,
    and a request to an API whose auth verifies JWTs gets a 501 problem naming the extra."""
    done = python(f"""
        from taskmock._http.app import MockApp, MockConfig
        from taskmock._http.messages import Request
        from taskmock._cli.serve_cmd import _banner
        app = MockApp(MockConfig(apis=("forge",), catalogs=({str(MECHANISMS)!r},)))
        reply = app.handle(Request("GET", "/forge/v1/renders", "", {{"authorization": "Bearer x"}}, b""))
        print(reply.status, reply.json()["detail"])
        print([line for line in _banner(app, "http://h").splitlines() if "extra" in line][0])
    """)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "501 JWT credentials needs the 'jwt' extra: pip install 'taskmock[jwt]'",
        "# JWT credentials needs the 'jwt' extra: pip install 'taskmock[jwt]'",
    ]
