"""dbt models as Dagster assets: staging, intermediate and analytics, downstream of the raw dlt
tables (one lineage graph). Date-partitioned incremental models (tag ``partitioned``) are a
separate, daily-partitioned asset set; dbt tests become asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    build_dbt_asset_selection,
    dbt_assets,
)
from dagster_dbt.dbt_project import DagsterDbtProjectPreparer

from outbound_pipeline.dbt_args import PARTITIONED_TAG, build_args, partition_window
from outbound_pipeline.defs.resources import OWNERS, WarehouseResource, warehouse_kind
from outbound_pipeline.executables import dbt_executable
from outbound_pipeline.settings import DBT_PROJECT_DIR, Settings

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
LAYERS = ("staging", "intermediate", "analytics")
EVENT_DRIVEN_TAG = "event_driven"
"""dbt tag of the models rebuilt after each landing load (email_activities, hourly_metrics, ...)."""


class OutboundDbtTranslator(DagsterDbtTranslator):
    """Sources resolve to the dlt assets (``raw/<platform>/<table>``), the landed webhook
    events (``landing/webhook_events``) or the asset their ``meta.dagster.asset_key`` names
    (``classified_replies``); models keep their names and are grouped by layer."""

    def __init__(self, kind: str) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))
        self.kind = kind

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key"):
            return super().get_asset_key(dbt_resource_props)
        if dbt_resource_props["resource_type"] == "source":
            source = dbt_resource_props["source_name"]
            if source.startswith("raw_"):
                return dg.AssetKey(["raw", source.removeprefix("raw_"), dbt_resource_props["name"]])
            return dg.AssetKey([source, dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        layer = next((part for part in fqn if part in LAYERS), None)
        return layer or "analytics"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS

    def get_kinds(self, dbt_resource_props: Mapping[str, Any]) -> set[str]:  # type: ignore[override]
        return {"dbt", self.kind}

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        return dbt_resource_props.get("description") or f"dbt model {dbt_resource_props['name']}"


class EnvironmentDbtPreparer(DagsterDbtProjectPreparer):
    """dagster-dbt's preparer (``dbt deps`` when needed, ``dbt parse``, under its lock), running
    the environment's own dbt: the default one looks for ``dbt`` on PATH only."""

    def _dbt(self, project: DbtProject) -> DbtCliResource:
        return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())

    def _prepare_packages(self, project: DbtProject) -> None:
        self._dbt(project).cli(["deps", "--quiet"], target_path=project.target_path).wait()

    def _prepare_manifest(self, project: DbtProject) -> None:
        self._dbt(project).cli(self._prepare_project_cli_args,
                               target_path=project.target_path).wait()
        self._invalidate_seeds_in_partial_parse(project)


PREPARER = EnvironmentDbtPreparer()


def _manifest_path():
    """The manifest is prepared at build time (`make` runs `dbt parse`); `dagster dev` refreshes
    it when models change. A missing manifest is prepared once here."""
    PREPARER.prepare_if_dev(DBT_PROJECT)
    if not DBT_PROJECT.manifest_path.exists():
        PREPARER.prepare(DBT_PROJECT)
    return DBT_PROJECT.manifest_path


def _dbt_env(warehouse: WarehouseResource) -> None:
    # profiles.yml reads the target from these variables; dbt runs as a subprocess of this one.
    os.environ.update(warehouse.warehouse.dbt_env())


def build_transform_defs(settings: Settings) -> dg.Definitions:
    kind = warehouse_kind(settings)
    translator = OutboundDbtTranslator(kind)
    pool = "duckdb_writer" if kind == "duckdb" else None
    manifest = _manifest_path()
    daily = dg.DailyPartitionsDefinition(start_date=settings.history_start.isoformat())

    @dbt_assets(manifest=manifest, project=DBT_PROJECT, dagster_dbt_translator=translator,
                exclude=f"tag:{PARTITIONED_TAG}", name="dbt_models", pool=pool)
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                   warehouse: WarehouseResource) -> Iterator:
        """Every model that is rebuilt whole: staging views and analytics tables."""
        _dbt_env(warehouse)
        yield from dbt.cli(build_args(), context=context).stream()

    @dbt_assets(manifest=manifest, project=DBT_PROJECT, dagster_dbt_translator=translator,
                select=f"tag:{PARTITIONED_TAG}", name="dbt_daily_models",
                partitions_def=daily, backfill_policy=dg.BackfillPolicy.single_run(),
                pool=pool)
    def dbt_daily_models(context: dg.AssetExecutionContext, dbt: DbtCliResource,
                         warehouse: WarehouseResource) -> Iterator:
        """Incremental date-grained models: the run's partition window goes in as vars."""
        _dbt_env(warehouse)
        window = partition_window(*context.partition_time_window)
        yield from dbt.cli(build_args(window=window), context=context).stream()

    return dg.Definitions(
        assets=[dbt_models, dbt_daily_models],
        resources={"dbt": DbtCliResource(project_dir=DBT_PROJECT,
                                         dbt_executable=dbt_executable())},
    )


def dbt_asset_selections(defs: dg.Definitions) -> tuple[dg.AssetSelection, dg.AssetSelection]:
    """(whole-rebuild models, partitioned models), for jobs."""
    by_name = _dbt_assets_by_name(defs)
    return (dg.AssetSelection.assets(by_name["dbt_models"]),
            dg.AssetSelection.assets(by_name["dbt_daily_models"]))


def event_driven_selection(defs: dg.Definitions) -> dg.AssetSelection:
    """The models a landing run rebuilds (dbt tag ``event_driven``)."""
    return build_dbt_asset_selection([_dbt_assets_by_name(defs)["dbt_models"]],
                                     dbt_select=f"tag:{EVENT_DRIVEN_TAG}")


def _dbt_assets_by_name(defs: dg.Definitions) -> dict[str, dg.AssetsDefinition]:
    return {a.op.name: a for a in defs.assets or [] if isinstance(a, dg.AssetsDefinition)}
