"""All of riskgraph's settings, in one typed object read from ``RISKGRAPH_*`` variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.server import LocalNeo4jServer


def _default_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "riskgraph"


class Settings(BaseSettings):
    """Configuration of the CLI and the service (env vars ``RISKGRAPH_<NAME>``)."""

    model_config = SettingsConfigDict(env_prefix="RISKGRAPH_", extra="ignore")

    graph: Literal["memory", "neo4j"] = "memory"
    # An existing Neo4j server; when unset, `--graph neo4j` starts the project's own one.
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: SecretStr | None = None
    neo4j_database: str = "neo4j"
    home: Path = _default_home()
    # Indicator weights: None follows features/indicators.toml ([weights] source, "ahp");
    # "fitted" takes the file of `riskgraph indicators fit` (fitted_weights).
    weights: Literal["ahp", "fitted"] | None = None
    fitted_weights: Path | None = None
    # Key of the keyed hash that replaces identity numbers; generated once when unset.
    person_id_key: SecretStr | None = None

    # --- the HTTP API (riskgraph serve) ---
    # Key that signs access tokens (HS256); generated once into home/auth/jwt.key when unset.
    jwt_key: SecretStr | None = None
    token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Per client (token subject, API key or address): sustained requests/s and burst.
    rate_limit_per_second: float = Field(default=50.0, gt=0)
    rate_limit_burst: int = Field(default=100, ge=1)
    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_batch: int = Field(default=10_000, ge=1)
    # Caps of the investigator queries (the engine's own limits are higher or equal).
    max_nodes: int = Field(default=2_000, ge=1)
    max_hops: int = Field(default=4, ge=1, le=4)
    max_depth: int = Field(default=10, ge=1, le=10)
    # How long the enterprise directory (search, regions, statistics) read from Neo4j is
    # reused before it is read again; the embedded store's follows its file.
    directory_seconds: float = Field(default=300.0, ge=0)
    # How long a request waits for an unreachable Neo4j before it answers 503.
    store_timeout_seconds: float = Field(default=3.0, gt=0)

    @property
    def memory_store_path(self) -> Path:
        """Where the embedded store is kept between commands."""
        return self.home / "memory-store.pickle"

    @property
    def snapshot_root(self) -> Path:
        """Monthly snapshots live in ``snapshot_root/snapshots/YYYY-MM``."""
        return self.home

    # Memory of the project's own server: the defaults suit tests and the demo; a province
    # (1,000,000 enterprises) wants e.g. 4g and 6g on a 24 GB machine.
    neo4j_heap: str = "1g"
    neo4j_pagecache: str = "512m"
    # Sessions writing in parallel: 2 help when the machine has a core to spare.
    neo4j_workers: int = 1

    @property
    def neo4j_instance_dir(self) -> Path:
        return self.home / "instances" / "default"

    def local_neo4j_server(self) -> LocalNeo4jServer:
        """The project's own Neo4j server, as these settings configure it."""
        return LocalNeo4jServer(self.neo4j_instance_dir, heap_max=self.neo4j_heap,
                                pagecache=self.neo4j_pagecache)

    @property
    def auth_dir(self) -> Path:
        """Users, API keys and the token-signing key of the HTTP API."""
        return self.home / "auth"

    @property
    def audit_path(self) -> Path:
        """The hash-chained audit log of the HTTP API."""
        return self.home / "audit" / "audit.jsonl"

    def person_key(self) -> bytes:
        """The person-ID hashing key: the configured one, or one kept in ``home``."""
        if self.person_id_key is not None:
            return self.person_id_key.get_secret_value().encode()
        return _kept_secret(self.home / "person_id.key")

    def token_key(self) -> bytes:
        """The access-token signing key: the configured one, or one kept in ``home``."""
        if self.jwt_key is not None:
            return self.jwt_key.get_secret_value().encode()
        return _kept_secret(self.auth_dir / "jwt.key")


def _kept_secret(path: Path) -> bytes:
    """A random key generated once into ``path`` (mode 0600) and read from it after."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            return path.read_text().strip().encode()
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
