"""Rows/s of the largest Smartlead resource (``email_statistics``) into each warehouse, beside a
plain insert of the same Arrow rows (DuckDB ``CREATE TABLE AS``, PostgreSQL ``COPY``)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import dlt
import pyarrow as pa

from outbound_pipeline.platforms.smartlead.client import SmartleadClient
from outbound_pipeline.platforms.smartlead.source import (
    UPSERT,
    arrow_batches,
    statistics_table,
)
from outbound_pipeline.warehouse import Warehouse
from outbound_pipeline_tests.benchmarks import machine


def fetch_statistics(clients: list[SmartleadClient]) -> list[pa.Table]:
    """Every sent email of the sandbox world, batched exactly as the source yields it."""
    pages = (statistics_table(client.connection, int(campaign["id"]), page, set())
             for client in clients for campaign in client.campaigns()
             for page in client.statistics(int(campaign["id"])))
    tables = list(arrow_batches(pages))
    machine.check_work("statistics fetch", "rows", asked=1,
                       done=sum(t.num_rows for t in tables))
    return tables


def dlt_load(warehouse: Warehouse, tables: list[pa.Table], workdir: Path) -> float:
    pipeline = dlt.pipeline(pipeline_name=f"bench_load_{uuid.uuid4().hex[:6]}",
                            destination=warehouse.dlt_destination(),
                            dataset_name=f"bench_{uuid.uuid4().hex[:6]}",
                            pipelines_dir=str(workdir / "dlt"))
    @dlt.resource(name="email_statistics", write_disposition=UPSERT,
                  primary_key=("connection", "stats_id"))
    def email_statistics():
        yield from tables

    started = time.monotonic()
    resource = email_statistics()
    if warehouse.arrow_file_format:
        resource.apply_hints(file_format=warehouse.arrow_file_format)
    pipeline.run(resource).raise_on_failed_jobs()
    elapsed = time.monotonic() - started
    _check_rows(f"dlt load into {warehouse.kind}", warehouse,
                f"{pipeline.dataset_name}.email_statistics", tables)
    return elapsed


def plain_duckdb(warehouse: Warehouse, table: pa.Table) -> float:
    with warehouse.connect() as con:
        started = time.monotonic()
        con.register("incoming", table)
        con.execute("create or replace table plain_email_statistics as select * from incoming")
        elapsed = time.monotonic() - started
    _check_rows("plain CREATE TABLE AS", warehouse, "plain_email_statistics", [table])
    return elapsed


def plain_postgres_copy(warehouse: Warehouse, table: pa.Table) -> float:
    columns = ", ".join(f"{f.name} {_pg_type(f.type)}" for f in table.schema)
    rows = table.to_pylist()
    names = table.schema.names
    with warehouse.connect() as con:
        started = time.monotonic()
        con.execute("drop table if exists plain_email_statistics")
        con.execute(f"create table plain_email_statistics ({columns})")
        with con.cursor() as cur, cur.copy(
                f"copy plain_email_statistics ({', '.join(names)}) from stdin") as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])
        con.commit()
        elapsed = time.monotonic() - started
    _check_rows("plain COPY", warehouse, "plain_email_statistics", [table])
    return elapsed


def _check_rows(what: str, warehouse: Warehouse, table: str, tables: list[pa.Table]) -> None:
    """Every generated row is in ``table`` once the timed load is over."""
    loaded = warehouse.query(f"select count(*) from {table}")[0][0]
    machine.check_work(what, "rows loaded", asked=sum(t.num_rows for t in tables),
                       done=loaded)


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz"
    return "text"
