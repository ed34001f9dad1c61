"""Users, API keys and access tokens of the HTTP API (kept under ``RISKGRAPH_HOME/auth``).

* Users (``users.json``) sign in with a password, hashed with Argon2id (argon2-cffi's
  defaults, RFC 9106); the password itself is never stored.
* Systems use API keys (``keys.json``): ``rg_<key id>_<secret>``; only the SHA-256 of the
  secret is kept (a 256-bit random secret needs no slow hash), so a key is shown once.
* Access tokens are JWTs signed with HS256 (:meth:`api.settings.Settings.token_key`),
  short-lived, carrying ``sub``, ``role``, ``regions``, ``iat`` and ``exp``.

Roles: ``investigator`` (read, explore, handle warnings), ``analyst`` (statistics, plans),
``admin`` (everything, users and keys), ``partner`` (batch scoring of its own regions).
Regions are GB/T 2260 code prefixes; none means every region (not for partners).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_ALGORITHM = "HS256"
KEY_PREFIX = "rg_"
_NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
_REGION = re.compile(r"^\d{2,6}$")
_hasher = PasswordHasher()


class Role(StrEnum):
    investigator = "investigator"
    analyst = "analyst"
    admin = "admin"
    partner = "partner"


class AuthError(ValueError):
    """Bad credentials or a bad token: the caller is not authenticated."""


class AccountError(ValueError):
    """A user or key that cannot be created or changed as asked."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user (from a token) or a system (from an API key)."""

    name: str  # username, or "key:<key id>"
    role: Role
    regions: tuple[str, ...]  # region-code prefixes; empty: all

    def may_see_region(self, region_code: str | None) -> bool:
        if not self.regions:
            return True
        return region_code is not None and str(region_code).startswith(self.regions)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _checked(name: str, role: str, regions: tuple[str, ...]) -> tuple[str, Role, tuple[str, ...]]:
    if not _NAME.match(name):
        raise AccountError(f"name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-'")
    try:
        checked_role = Role(role)
    except ValueError:
        raise AccountError(f"role {role!r}: use one of {', '.join(Role)}") from None
    bad = [r for r in regions if not _REGION.match(r)]
    if bad:
        raise AccountError(f"regions {bad}: use GB/T 2260 code prefixes of 2-6 digits")
    if checked_role is Role.partner and not regions:
        raise AccountError("a partner system needs its regions (--region 3301 ...)")
    return name, checked_role, tuple(sorted(set(regions)))


class _JsonFile:
    """A small JSON object on disk, replaced atomically, mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.path.exists():
            return {}
        data: dict[str, dict[str, Any]] = json.loads(self.path.read_text("utf-8"))
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
        temporary.replace(self.path)


class UserStore:
    """Users with Argon2id password hashes, a role and regions (``auth/users.json``)."""

    def __init__(self, folder: Path) -> None:
        self._file = _JsonFile(folder / "users.json")

    def add(self, username: str, password: str, role: str,
            regions: tuple[str, ...] = ()) -> Principal:
        username, checked_role, regions = _checked(username, role, regions)
        if len(password) < 8:
            raise AccountError("the password needs at least 8 characters")
        users = self._file.read()
        if username in users:
            raise AccountError(f"user {username!r} exists already (remove it first)")
        users[username] = {"password_hash": _hasher.hash(password), "role": checked_role.value,
                           "regions": list(regions),
                           "created": _now().isoformat(timespec="seconds")}
        self._file.write(users)
        return Principal(username, checked_role, regions)

    def remove(self, username: str) -> None:
        users = self._file.read()
        if users.pop(username, None) is None:
            raise AccountError(f"no user {username!r}")
        self._file.write(users)

    def list(self) -> list[dict[str, Any]]:
        return [{"username": name, "role": entry["role"], "regions": entry["regions"],
                 "created": entry["created"]}
                for name, entry in sorted(self._file.read().items())]

    def authenticate(self, username: str, password: str) -> Principal:
        entry = self._file.read().get(username)
        if entry is None:
            _hasher.hash(password)  # the same work as a wrong password: no user probing
            raise AuthError("wrong username or password")
        try:
            _hasher.verify(entry["password_hash"], password)
        except (VerificationError, InvalidHashError):
            raise AuthError("wrong username or password") from None
        return Principal(username, Role(entry["role"]), tuple(entry["regions"]))


class KeyStore:
    """API keys of systems (``auth/keys.json``): only each secret's SHA-256 is kept."""

    def __init__(self, folder: Path) -> None:
        self._file = _JsonFile(folder / "keys.json")
        self._cache: tuple[float, dict[str, dict[str, Any]]] | None = None

    def create(self, name: str, role: str, regions: tuple[str, ...] = ()) -> tuple[str, str]:
        """A new key for system ``name``: returns (key id, the key to hand over once)."""
        name, checked_role, regions = _checked(name, role, regions)
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        keys = self._file.read()
        keys[key_id] = {"name": name, "role": checked_role.value, "regions": list(regions),
                        "sha256": hashlib.sha256(secret.encode()).hexdigest(),
                        "created": _now().isoformat(timespec="seconds"), "revoked": None}
        self._file.write(keys)
        return key_id, f"{KEY_PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str) -> None:
        keys = self._file.read()
        if key_id not in keys:
            raise AccountError(f"no key {key_id!r}")
        keys[key_id]["revoked"] = _now().isoformat(timespec="seconds")
        self._file.write(keys)

    def list(self) -> list[dict[str, Any]]:
        return [{"key_id": key_id, **{k: v for k, v in entry.items() if k != "sha256"}}
                for key_id, entry in sorted(self._file.read().items())]

    def _entries(self) -> dict[str, dict[str, Any]]:
        # Read again only when the file changed (a revocation takes effect at once).
        try:
            stamp = self._file.path.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != stamp:
            self._cache = (stamp, self._file.read())
        return self._cache[1]

    def authenticate(self, key: str) -> Principal:
        parts = key.removeprefix(KEY_PREFIX).split("_", 1)
        entry = self._entries().get(parts[0]) if key.startswith(KEY_PREFIX) else None
        if entry is None or len(parts) != 2 or entry["revoked"]:
            raise AuthError("unknown or revoked API key")
        digest = hashlib.sha256(parts[1].encode()).hexdigest()
        if not hmac.compare_digest(digest, entry["sha256"]):
            raise AuthError("unknown or revoked API key")
        return Principal(f"key:{parts[0]}", Role(entry["role"]), tuple(entry["regions"]))


def issue_token(principal: Principal, key: bytes, minutes: int) -> tuple[str, int]:
    """A signed access token for ``principal`` and its lifetime in seconds."""
    now = _now()
    claims = {"sub": principal.name, "role": principal.role.value,
              "regions": list(principal.regions), "iat": now,
              "exp": now + dt.timedelta(minutes=minutes)}
    return jwt.encode(claims, key, algorithm=TOKEN_ALGORITHM), minutes * 60


def read_token(token: str, key: bytes) -> Principal:
    """The principal of a valid token; :class:`AuthError` when it is expired, forged or
    malformed."""
    try:
        claims = jwt.decode(token, key, algorithms=[TOKEN_ALGORITHM],
                            options={"require": ["exp", "iat", "sub", "role"]})
        return Principal(str(claims["sub"]), Role(claims["role"]),
                         tuple(str(r) for r in claims.get("regions", [])))
    except jwt.ExpiredSignatureError:
        raise AuthError("the token has expired; get a new one") from None
    except (jwt.InvalidTokenError, ValueError):
        raise AuthError("invalid token") from None
