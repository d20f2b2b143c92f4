"""Signed credentials (_core/jwt_auth.py): every way a token is refused, each answered by the error
the file names; the key owns the tasks; times checked on an injected clock. A made-up API."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import jwt
import pytest

from taskmock._core.jwt_auth import JwtAuth
from taskmock._core.scenario import load_behaviour_file
from taskmock.errors import ScenarioError
from tests.conftest import FIXTURES

FORGE = FIXTURES / "mechanisms" / "mocks" / "forge.yaml"
NOW = 1_900_000_000.0  # the injected wall clock
ONE = "secret-one-0123456789abcdefghijklmn"
TWO = "secret-two-0123456789abcdefghijklmn"


@pytest.fixture
def auth() -> JwtAuth:
    loaded = load_behaviour_file(FORGE).auth
    assert isinstance(loaded, JwtAuth)
    return replace(loaded, now=lambda: NOW)


def bearer(claims: dict[str, object], secret: str = ONE, **headers: object) -> str:
    return "Bearer " + jwt.encode(claims, secret, algorithm="HS256", headers=headers or None)


def fresh(key: str = "key-one") -> dict[str, object]:
    return {"iss": key, "exp": int(NOW) + 1800, "nbf": int(NOW) - 5}


def test_a_token_signed_with_a_known_key_is_accepted_and_its_key_is_the_owner(
    auth: JwtAuth,
) -> None:
    assert auth.authenticate({"authorization": bearer(fresh())}) == ("key-one", "key-one")
    # Two tokens of one key (signed a second apart) are one owner: they see the same tasks.
    later = {**fresh(), "exp": int(NOW) + 1801, "nbf": int(NOW) - 4}
    assert auth.authenticate({"authorization": bearer(later)}) == ("key-one", "key-one")
    two = auth.authenticate({"authorization": bearer(fresh("key-two"), TWO)})
    assert two == ("key-two", "key-two")


@pytest.mark.parametrize(
    ("value", "error", "detail"),
    [
        (None, "no-token", "no credential"),
        ("Bearer", "no-token", "no credential"),
        ("Bearer not.a.jwt", "unauthorized", "not a valid token"),
        ("Token " + jwt.encode(fresh(), ONE), "unauthorized", "not a valid token"),
        (
            bearer(fresh("key-nine"), "whatever-0123456789abcdefghijklmnop"),
            "unauthorized",
            "the token names no known key",
        ),
        (bearer(fresh(), TWO), "unauthorized", "the token's signature does not verify"),
        (
            bearer({**fresh(), "exp": int(NOW) - 1}),
            "token-expired",
            "the token has expired",
        ),
        (
            bearer({**fresh(), "nbf": int(NOW) + 60}),
            "token-early",
            "the token is not valid yet",
        ),
        (bearer({"iss": "key-one", "exp": int(NOW) + 60}), "unauthorized", "not a valid token"),
        (bearer({**fresh(), "exp": "tomorrow"}), "unauthorized", "not a valid token"),
        (
            "Bearer " + jwt.encode(fresh(), key=None, algorithm="none"),  # type: ignore[arg-type]
            "unauthorized",
            "the token's signature does not verify",
        ),
    ],
    ids=[
        "no header",
        "prefix only",
        "not a jwt",
        "wrong prefix",
        "unknown key",
        "bad signature",
        "expired",
        "not yet valid",
        "nbf required",
        "exp not a number",
        "alg none",
    ],
)
def test_each_refusal_is_answered_by_the_error_the_file_names(
    auth: JwtAuth, value: str | None, error: str, detail: str
) -> None:
    headers = {} if value is None else {"authorization": value}
    assert auth.authenticate(headers) is None
    assert auth.refusal(headers) == (error, detail)


def test_a_badly_signed_expired_token_is_refused_for_its_signature(auth: JwtAuth) -> None:
    """PyJWT checks the signature before the times, and so does the mock."""
    headers = {"authorization": bearer({**fresh(), "exp": int(NOW) - 10}, TWO)}
    assert auth.refusal(headers)[0] == "unauthorized"


def test_leeway_allows_clock_skew(auth: JwtAuth) -> None:
    skewed = {**fresh(), "nbf": int(NOW) + 3}
    assert auth.authenticate({"authorization": bearer(skewed)}) is None
    assert replace(auth, leeway=5).authenticate({"authorization": bearer(skewed)}) is not None


def test_keys_given_later_are_accepted_and_replace_a_secret(auth: JwtAuth) -> None:
    more = auth.with_keys(
        {
            "key-three": "secret-three-0123456789abcdefghijkl",
            "key-one": "rotated-0123456789abcdefghijklmnopqr",
        }
    )
    assert more.authenticate(
        {"authorization": bearer(fresh("key-three"), "secret-three-0123456789abcdefghijkl")}
    )
    assert more.authenticate({"authorization": bearer(fresh())}) is None  # old secret
    assert (
        more.authenticate(
            {"authorization": bearer(fresh(), "rotated-0123456789abcdefghijklmnopqr")}
        )
        is not None
    )
    assert auth.with_keys({}) is auth


def test_the_example_is_a_token_valid_now_and_owner_of_reads_tokens_and_key_ids(
    auth: JwtAuth,
) -> None:
    example = auth.example
    assert example.startswith("Bearer ")
    claims = jwt.decode(
        example[7:], ONE, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False}
    )
    assert claims["iss"] == "key-one"
    assert claims["exp"] - claims["nbf"] == 1805
    assert auth.authenticate({"authorization": example}) == ("key-one", "key-one")
    assert auth.owner_of(example) == "key-one"
    assert auth.owner_of(example[7:]) == "key-one"  # the bare token
    assert auth.owner_of("key-two") == "key-two"  # a key id names that key
    assert auth.token(example) == example[7:]


@pytest.mark.parametrize(
    ("old", "new", "pointer", "fragment"),
    [
        (
            "expired: token-expired",
            "expired: token-expird",
            "/auth/jwt/errors/expired",
            "no error 'token-expird' in errors of kind 'renders'; did you mean 'token-expired'?",
        ),
        ("missing: no-token", "mising: no-token", "/auth/jwt/errors", "mising"),
        ("keys: { key-one", "keyz: { key-one", "/auth/jwt/keyz", "did you mean 'keys'?"),
    ],
)
def test_a_broken_signed_auth_is_named_precisely(
    tmp_path: Path, old: str, new: str, pointer: str, fragment: str
) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "mocks").mkdir()
    spec = FORGE.parent.parent / "specs" / "forge.yaml"
    (tmp_path / "specs" / "forge.yaml").write_text(spec.read_text())
    assert old in FORGE.read_text()
    (tmp_path / "mocks" / "forge.yaml").write_text(FORGE.read_text().replace(old, new))
    with pytest.raises(ScenarioError) as caught:
        load_behaviour_file(tmp_path / "mocks" / "forge.yaml")
    found = [p for p in caught.value.problems if p.pointer == pointer]
    assert found, [str(p) for p in caught.value.problems]
    assert fragment in found[0].message
    assert found[0].line is not None
