"""Credentials: which requests an API accepts, and whose tasks they may see.

A scenario file's `auth` says it. The plain form (`AuthRule`) matches a header value against
prefix-and-pattern shapes, in one header or in several (a key in `x-api-key`, or a bearer token in
`Authorization`): the fast path, a remembered pure function of the header value. The signed form
(`auth.jwt`, `_core/jwt_auth.py`) verifies a JSON Web Token on every request against the keys it
knows. Both answer the same questions:

- `authenticate(headers)`: (owner, token) of an accepted request, or None;
- `refusal(headers)`: which entry of the file's `errors` refuses it, and why;
- `example`: a header value that is accepted now (for hints, fixtures and tests);
- `owner_of(given)`: the owner a whole header value or a bare token names (control plane).

A task belongs to its owner: for the plain form the credential as sent, scheme and token
together (`Token abc` and `Bearer abc` are two owners); for a JWT the key it was signed with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any, Protocol

__all__ = ["UNAUTHORIZED", "AuthRule", "Authenticator", "CredentialForm", "auth_rule"]

#: The error a refused request gets unless the auth says otherwise.
UNAUTHORIZED = "unauthorized"

# Header values up to this long have their parse remembered; longer ones are parsed each time.
_REMEMBERED_CREDENTIAL = 256


class Authenticator(Protocol):
    """What the vendor routes, the control plane and the fixture ask of an API's auth."""

    @property
    def header(self) -> str:
        """The header a client sends its credential in (the first, when several are accepted)."""
        ...

    @property
    def example(self) -> str:
        """A header value accepted now."""
        ...

    def authenticate(self, headers: Mapping[str, str]) -> tuple[str, str] | None:
        """(owner, token) for an accepted request (header names in lower case), else None."""
        ...

    def refusal(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """(error name, detail) for a request `authenticate` refused."""
        ...

    def owner_of(self, given: str) -> str:
        """The owner a whole header value or a bare token names."""
        ...

    def token(self, value: str) -> str:
        """The token inside a header value (`abc` in `Token abc`)."""
        ...

    def with_keys(self, keys: Mapping[str, str]) -> Authenticator:
        """This auth also accepting tokens signed with `keys` (only signed forms use keys)."""
        ...


@dataclass(frozen=True)
class CredentialForm:
    """One accepted shape: in `header`, the text `prefix` and then a token matching `pattern`."""

    header: str
    prefix: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class AuthRule:
    """Credential shapes an API accepts, each in its header; the first that matches wins.

    `header` is the first form's header; forms in other headers are tried when it is absent.
    """

    header: str
    credentials: tuple[tuple[str, re.Pattern[str]], ...]
    example: str
    others: tuple[CredentialForm, ...] = ()  # forms in other headers than `header`

    @cached_property
    def header_key(self) -> str:
        """The header name as requests carry it (lower case)."""
        return self.header.lower()

    @cached_property
    def _other_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(form.header.lower() for form in self.others))

    def authenticate(self, headers: Mapping[str, str]) -> tuple[str, str] | None:
        """(owner, token) of the first accepted credential among the request's headers."""
        value = headers.get(self.header_key)
        if value:  # `credential`, inlined: every request authenticates
            if len(value) > _REMEMBERED_CREDENTIAL:
                return self._parse(value)
            return self._credentials(value)
        if not self.others:
            return None
        for key in self._other_keys:
            other = headers.get(key)
            if other:
                return self._in_other(key, other)
        return None

    def refusal(self, headers: Mapping[str, str]) -> tuple[str, str]:
        """Every refusal is the file's `unauthorized` error."""
        return UNAUTHORIZED, "missing, malformed or unknown credentials"

    def with_keys(self, keys: Mapping[str, str]) -> AuthRule:
        """Plain credentials use no keys: the same rule."""
        return self

    def credential(self, value: str | None) -> tuple[str, str] | None:
        """(owner, token) for a well-formed value of `header`, or None when missing or malformed."""
        if not value:
            return None
        if len(value) > _REMEMBERED_CREDENTIAL:
            return self._parse(value)
        return self._credentials(value)

    def owner(self, value: str | None) -> str | None:
        """The owner a header value names (the whole credential), or None when malformed."""
        found = self.credential(value)
        return None if found is None else found[0]

    def owner_of(self, given: str) -> str:
        """The owner named by a whole header value (`Token abc`) or a bare token (`abc`, read with
        the first scheme that accepts it); other text names an owner no request can be."""
        if self.credential(given) is not None:
            return given
        for form in self.others:
            if given.startswith(form.prefix) and form.pattern.fullmatch(given[len(form.prefix) :]):
                return given
        for prefix, pattern in (
            *self.credentials,
            *((f.prefix, f.pattern) for f in self.others),
        ):
            if pattern.fullmatch(given):
                return prefix + given
        return given

    def token(self, value: str) -> str:
        """The token inside a header value (`abc` in `Token abc`)."""
        found = self.credential(value)
        if found is None:
            for form in self.others:
                if value.startswith(form.prefix) and form.pattern.fullmatch(
                    value[len(form.prefix) :]
                ):
                    return value[len(form.prefix) :]
        return value if found is None else found[1]

    @cached_property
    def _credentials(self) -> Callable[[str], tuple[str, str] | None]:
        # A pure function of the header value; clients send the same few credentials.
        return lru_cache(maxsize=1024)(self._parse)

    def _parse(self, value: str) -> tuple[str, str] | None:
        for prefix, pattern in self.credentials:
            if value.startswith(prefix) and pattern.fullmatch(value[len(prefix) :]):
                return value, value[len(prefix) :]
        return None

    def _in_other(self, key: str, value: str) -> tuple[str, str] | None:
        for form in self.others:
            token = value[len(form.prefix) :]
            if (
                form.header.lower() == key
                and value.startswith(form.prefix)
                and form.pattern.fullmatch(token)
            ):
                return value, token
        return None


def auth_rule(raw: Mapping[str, Any]) -> AuthRule:
    """The plain rule of a checked `auth` section (forms whose `header` differs go to `others`)."""
    header = str(raw["header"])
    own: list[tuple[str, re.Pattern[str]]] = []
    others: list[CredentialForm] = []
    for form in raw["credentials"]:
        where = str(form.get("header", header))
        compiled = re.compile(form["pattern"])
        if where.lower() == header.lower():
            own.append((form["prefix"], compiled))
        else:
            others.append(CredentialForm(where, form["prefix"], compiled))
    return AuthRule(header, tuple(own), str(raw["example"]), tuple(others))
