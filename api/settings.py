"""All of riskgraph's settings, in one typed object read from ``RISKGRAPH_*`` variables."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
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

    def person_key(self) -> bytes:
        """The person-ID hashing key: the configured one, or one kept in ``home``."""
        if self.person_id_key is not None:
            return self.person_id_key.get_secret_value().encode()
        path = self.home / "person_id.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return path.read_text().strip().encode()
