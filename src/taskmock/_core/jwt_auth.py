"""Signed credentials: a JSON Web Token verified on every request (`auth.jwt` in a scenario file).

Some APIs take no fixed key: the caller signs a short-lived token for each request with a secret
(HS256 over `{"iss": ACCESS_KEY, "exp": ..., "nbf": ...}`) and sends it as `Bearer <token>`. The
mock verifies each one against the keys it knows (key id -> secret: the file's, plus those given
to `taskmock serve --jwt-key ID=SECRET` or the fixture's `jwt_keys`), and files tasks under the key
(the claim that names it), so every token of one key sees the same tasks::

    auth:
      header: Authorization
      jwt:
        prefix: "Bearer "
        algorithms: [HS256]
        key-claim: iss
        require: [exp, nbf]
        keys: { demo-key: demo-secret }
        errors: { missing: auth-missing, expired: auth-expired, not-yet-valid: auth-early }

Each refusal names an entry of the file's `errors` (`unauthorized` unless said): `missing` (no
header, or no token after the prefix), `malformed` (not a JWT, a required claim missing, a time
claim that is not a number), `unknown-key`, `bad-signature` (checked before the times, as PyJWT
does), `expired` (`exp` passed), `not-yet-valid` (`nbf` not reached). Token times are checked
against wall time, not the mock's clock: clients sign with their own clock, and a manual mock
clock starts in 2024. PyJWT (the `jwt` extra) is imported on the first verification.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from taskmock._core.auth import UNAUTHORIZED
from taskmock._core.registry import Option
from taskmock.errors import MissingExtraError

__all__ = ["JWT_OPTIONS", "REFUSALS", "JwtAuth", "jwt_auth"]

#: Why a token is refused, as keys of `auth.jwt.errors`.
REFUSALS = ("missing", "malformed", "unknown-key", "bad-signature", "expired", "not-yet-valid")

#: The options of `auth.jwt` (documented in mocks/REFERENCE.md).
JWT_OPTIONS = (
    Option("prefix", 'Text before the token in the header value (e.g. "Bearer "; default "").'),
    Option("algorithms", "The accepted signing algorithms (default [HS256])."),
    Option(
        "key-claim",
        "The claim naming the key whose secret verifies the token (default iss); its value owns "
        "the tasks the token creates.",
    ),
    Option("require", "Claims every token must carry (e.g. [exp, nbf])."),
    Option("leeway", "Seconds of clock skew allowed on exp and nbf (default 0)."),
    Option(
        "keys",
        "Key id -> secret. `taskmock serve --jwt-key ID=SECRET` and the fixture's jwt_keys add "
        "more (test values: never a real secret in a file).",
        required=True,
    ),
    Option("lifetime", "Seconds an example token (hints, fixtures) stays valid (default 1800)."),
    Option(
        "errors",
        f"Why a token is refused ({', '.join(REFUSALS)}) -> the entry of `errors` that answers "
        "it (default unauthorized).",
    ),
)

_DETAILS = {
    "missing": "no credential",
    "malformed": "not a valid token",
    "unknown-key": "the token names no known key",
    "bad-signature": "the token's signature does not verify",
    "expired": "the token has expired",
    "not-yet-valid": "the token is not valid yet",
}


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _pyjwt() -> Any:
    try:
        import jwt
    except ModuleNotFoundError as exc:
        if exc.name != "jwt":
            raise
        raise MissingExtraError("JWT credentials", "jwt") from None
    return jwt


@dataclass(frozen=True)
class JwtAuth:
    """Verify a signed token per request; the owner is the key that signed it."""

    header: str
    keys: Mapping[str, str] = field(repr=False)
    prefix: str = ""
    algorithms: tuple[str, ...] = ("HS256",)
    key_claim: str = "iss"
    require: tuple[str, ...] = ()
    leeway: float = 0.0
    lifetime: int = 1800
    errors: Mapping[str, str] = field(default_factory=dict)
    now: Callable[[], float] = time.time  # wall time: clients sign with their own clock

    @cached_property
    def header_key(self) -> str:
        """The header name as requests carry it (lower case)."""
        return self.header.lower()

    @property
    def example(self) -> str:
        """A header value valid now: a token signed with the first key (needs PyJWT)."""
        key, secret = next(iter(self.keys.items()))
        return self.prefix + self.sign(key, secret)

    def sign(self, key: str, secret: str, **claims: Any) -> str:
        """A token for `key`, valid from 5 s ago for `lifetime` seconds (claims override)."""
        now = int(self.now())
        payload = {self.key_claim: key, "exp": now + self.lifetime, "nbf": now - 5, **claims}
        with _short_keys_allowed(secret):
            return str(_pyjwt().encode(payload, secret, algorithm=self.algorithms[0]))

    def authenticate(self, headers: Mapping[str, str]) -> tuple[str, str] | None:
        """(key, key) for a token that verifies, else None (see `refusal` for why)."""
        try:
            key = self._verify(headers.get(self.header_key))
        except _Refused:
            return None
        return key, key

    def refusal(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """(error name, detail) for a refused request."""
        try:
            self._verify(headers.get(self.header_key))
        except _Refused as refused:
            return self.errors.get(refused.reason, UNAUTHORIZED), _DETAILS[refused.reason]
        return UNAUTHORIZED, "refused"  # accepted meanwhile: a key was added (cannot happen)

    def owner_of(self, given: str) -> str:
        """The key a whole header value or a bare token was signed with; other text (a key id)
        names that key."""
        for candidate in (given, self.prefix + given):
            try:
                return self._verify(candidate)
            except _Refused:
                continue
        return given

    def token(self, value: str) -> str:
        """The token inside a header value."""
        return value[len(self.prefix) :] if value.startswith(self.prefix) else value

    def with_keys(self, keys: Mapping[str, str]) -> JwtAuth:
        """This auth with more keys (a key given again gets the new secret)."""
        return replace(self, keys={**self.keys, **keys}) if keys else self

    def _verify(self, value: str | None) -> str:
        """The key a header value's token was signed with; _Refused(reason) otherwise."""
        if not value or value.strip() == self.prefix.strip():
            raise _Refused("missing")
        if not value.startswith(self.prefix):
            raise _Refused("malformed")
        jwt = _pyjwt()
        token = value[len(self.prefix) :]
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _Refused("malformed") from None
        key = claims.get(self.key_claim) if isinstance(claims, dict) else None
        if not isinstance(key, str) or key not in self.keys:
            raise _Refused("malformed" if key is None else "unknown-key")
        secret = self.keys[key]
        try:
            with _short_keys_allowed(secret):
                claims = jwt.decode(
                    token,
                    secret,
                    algorithms=list(self.algorithms),
                    # Times are ours to check (on an injectable clock); PyJWT checks the rest.
                    options={
                        "require": list(self.require),
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                        "verify_aud": False,
                        "verify_iss": False,
                    },
                )
        except (jwt.InvalidSignatureError, jwt.InvalidAlgorithmError):
            raise _Refused("bad-signature") from None
        except jwt.PyJWTError:
            raise _Refused("malformed") from None
        self._check_times(claims)
        return key

    def _check_times(self, claims: Mapping[str, Any]) -> None:
        now = self.now()
        for name in ("exp", "nbf"):
            value = claims.get(name)
            if value is not None and not _number(value):
                raise _Refused("malformed")
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if exp is not None and now >= float(exp) + self.leeway:
            raise _Refused("expired")
        if nbf is not None and now < float(nbf) - self.leeway:
            raise _Refused("not-yet-valid")


# PyJWT warns of an HMAC secret shorter than this; the secret is the user's, not ours to judge.
_SHORT_SECRET = 32


@contextmanager
def _short_keys_allowed(secret: str) -> Iterator[None]:
    """Silence PyJWT's short-key warning (a test suite that makes warnings errors would see a
    server error); only around a short secret, as the warnings filter is process-wide."""
    if len(secret.encode()) >= _SHORT_SECRET:
        yield
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The HMAC key is")
        yield


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def jwt_auth(header: str, raw: Mapping[str, Any]) -> JwtAuth:
    """The signed auth of a checked `auth.jwt` section."""
    return JwtAuth(
        header=header,
        keys={str(k): str(v) for k, v in raw["keys"].items()},
        prefix=str(raw.get("prefix", "")),
        algorithms=tuple(raw.get("algorithms", ("HS256",))),
        key_claim=str(raw.get("key-claim", "iss")),
        require=tuple(raw.get("require", ())),
        leeway=float(raw.get("leeway", 0)),
        lifetime=int(raw.get("lifetime", 1800)),
        errors={str(k): str(v) for k, v in (raw.get("errors") or {}).items()},
    )
