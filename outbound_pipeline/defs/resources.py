"""Resources shared by every area: the warehouse and the platform connections."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import dlt
from dlt.pipeline.pipeline import Pipeline

from outbound_pipeline.connections import Connection, for_platform, load_connections
from outbound_pipeline.settings import Settings, load_settings
from outbound_pipeline.warehouse import Warehouse

OWNERS = ["team:revops-data"]


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse named by ``OUTBOUND_WAREHOUSE_URL`` (DuckDB file or PostgreSQL)."""

    url: str
    pipelines_dir: str

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse.from_url(self.url)

    def pipeline(self, name: str, dataset: str) -> Pipeline:
        """A dlt pipeline into ``dataset``; its state lives in the warehouse with the data."""
        Path(self.pipelines_dir).mkdir(parents=True, exist_ok=True)
        return dlt.pipeline(
            pipeline_name=name,
            destination=self.warehouse.dlt_destination(),
            dataset_name=dataset,
            pipelines_dir=self.pipelines_dir,
        )


class ConnectionsResource(dg.ConfigurableResource):
    """Platform accounts from the connections file (keys stay in the environment)."""

    path: str

    def for_platform(self, platform: str) -> list[Connection]:
        connections = for_platform(load_connections(Path(self.path)), platform)
        if not connections:
            raise dg.Failure(
                description=(
                    f"No {platform} connections are configured in {self.path}. Add one (see "
                    "connections.example.yaml) or set OUTBOUND_CONNECTIONS to your file; "
                    "`outbound sandbox` writes one for the local simulators."
                )
            )
        return connections


def warehouse_kind(settings: Settings) -> str:
    return Warehouse.from_url(settings.warehouse_url).kind


def pool_for(settings: Settings, platform: str) -> str:
    """The concurrency pool of an asset that calls ``platform`` and writes the warehouse.

    On DuckDB only one process may write the file, so every writer shares one pool; on Postgres
    the pool is per platform, which keeps concurrent runs inside the platform's rate limit.
    Pool limits come from the instance's dagster.yaml (``concurrency.pools.default_limit: 1``).
    """
    return "duckdb_writer" if warehouse_kind(settings) == "duckdb" else f"{platform}_api"


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    settings = settings or load_settings()
    # The URL may hold a password: pass it as an EnvVar when it comes from the environment so
    # the UI shows the variable's name, not its value.
    url: str | dg.EnvVar = (
        dg.EnvVar("OUTBOUND_WAREHOUSE_URL")
        if os.environ.get("OUTBOUND_WAREHOUSE_URL") == settings.warehouse_url
        else settings.warehouse_url
    )
    return {
        "warehouse": WarehouseResource(url=url, pipelines_dir=str(settings.dlt_pipelines_dir)),
        "connections": ConnectionsResource(path=str(settings.connections_path)),
    }
