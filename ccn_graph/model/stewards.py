"""Data stewards: who may write, and where.

A steward has a name and a scope: one or more Member States (ISO 3166-1 alpha-2 codes), or the
whole network. Its bearer token is shown once when it is added; the registry
(``{data_dir}/stewards.json``) keeps only a scrypt hash of the token's secret part, found by the
token's public identifier. Tokens look like ``ccn.{identifier}.{secret}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from pathlib import Path

from ccn_graph.model.iris import MEMBER_STATES, steward_iri

__all__ = ["NETWORK", "Steward", "StewardError", "Stewards"]

NETWORK = "network"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_TOKEN = re.compile(r"^ccn\.([a-z0-9]{12})\.([A-Za-z0-9_-]{32,64})$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
# The salt and hash a token of no active steward is checked against (no secret hashes to zeros).
_NO_STEWARD = (secrets.token_bytes(16), bytes(_SCRYPT["dklen"]))


class StewardError(ValueError):
    """A steward command cannot be carried out; the message says why."""


@dataclasses.dataclass(frozen=True)
class Steward:
    name: str
    scope: tuple[str, ...]  # ("network",) or Member State codes

    @property
    def network(self) -> bool:
        return NETWORK in self.scope

    def may_write(self, member_state_code: str | None) -> bool:
        """Whether the steward may write a record of this Member State (None: a network record)."""
        if self.network:
            return True
        return member_state_code is not None and member_state_code.upper() in self.scope


class Stewards:
    """The registry of stewards in a data dir. Thread-safe; verified tokens are cached briefly."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "stewards.json"
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[float, Steward]] = {}

    def _load(self) -> dict:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {"stewards": []}

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1))
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    @staticmethod
    def parse_scope(text: str) -> tuple[str, ...]:
        """``network`` or comma-separated Member State codes; raises StewardError otherwise."""
        if text.strip().lower() == NETWORK:
            return (NETWORK,)
        codes = tuple(sorted({c.strip().upper() for c in text.split(",") if c.strip()}))
        unknown = [c for c in codes if c not in MEMBER_STATES]
        if not codes or unknown:
            raise StewardError(
                "the scope is 'network' or Member State codes such as RO,BE; "
                f"not {', '.join(unknown) or text!r}"
            )
        return codes

    def add(self, name: str, scope: tuple[str, ...]) -> str:
        """Add a steward and return its token (shown once, never stored)."""
        if not _NAME.match(name):
            raise StewardError(
                "a steward's name is 1 to 64 letters, digits, spaces, dots, dashes or underscores"
            )
        identifier = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        salt = secrets.token_bytes(16)
        digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
        with self._lock:
            data = self._load()
            if any(s["name"] == name and not s.get("revoked") for s in data["stewards"]):
                raise StewardError(f"there is already a steward called {name!r}; revoke it first")
            # Activities name their steward by an IRI made from the name, and the submission log
            # by the name: a name is taken again only by the same steward (same name, same scope).
            for other in data["stewards"]:
                if steward_iri("", other["name"]) == steward_iri("", name) and (
                    other["name"] != name or tuple(other["scope"]) != tuple(scope)
                ):
                    raise StewardError(
                        f"the name {name!r} would be taken for steward {other['name']!r} (scope "
                        f"{', '.join(other['scope'])}) in the provenance; choose another name"
                    )
            data["stewards"].append(
                {
                    "name": name,
                    "scope": list(scope),
                    "id": identifier,
                    "salt": salt.hex(),
                    "hash": digest.hex(),
                    "added": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "revoked": None,
                }
            )
            self._save(data)
        return f"ccn.{identifier}.{secret}"

    def revoke(self, name: str) -> None:
        with self._lock:
            data = self._load()
            found = [s for s in data["stewards"] if s["name"] == name and not s.get("revoked")]
            if not found:
                raise StewardError(f"no active steward is called {name!r}")
            for entry in found:
                entry["revoked"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self._save(data)
            self._verified.clear()

    def list(self) -> list[dict]:
        return [
            {k: s[k] for k in ("name", "scope", "added", "revoked")}
            for s in self._load()["stewards"]
        ]

    def verify(self, token: str) -> Steward | None:
        """The steward a token belongs to, or None. The secret is hashed whether or not its
        identifier is known, and the hashes are compared in constant time."""
        match = _TOKEN.match(token or "")
        if not match:
            return None
        cache_key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._verified.get(cache_key)
        if (
            cached
            and time.monotonic() - cached[0] < 60
            and self._active(cached[1].name, match.group(1))
        ):
            return cached[1]
        identifier, secret = match.groups()
        entry = next(
            (e for e in self._load()["stewards"] if e["id"] == identifier and not e.get("revoked")),
            None,
        )
        # An identifier no active steward has is hashed all the same, against a hash nothing
        # matches: a refusal takes as long either way and does not tell which identifiers exist.
        salt, expected = (
            (bytes.fromhex(entry["salt"]), bytes.fromhex(entry["hash"])) if entry else _NO_STEWARD
        )
        digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
        if not hmac.compare_digest(digest, expected) or entry is None:
            return None
        steward = Steward(entry["name"], tuple(entry["scope"]))
        self._verified[cache_key] = (time.monotonic(), steward)
        return steward

    def _active(self, name: str, identifier: str) -> bool:
        return any(
            s["id"] == identifier and s["name"] == name and not s.get("revoked")
            for s in self._load()["stewards"]
        )
