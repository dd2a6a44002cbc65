"""The warehouse target: an embedded DuckDB file or a PostgreSQL database.

One URL picks it (``OUTBOUND_WAREHOUSE_URL``); this module turns it into everything else that
needs it: the dlt destination, a DB-API connection for checks and summaries, and the dbt target.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

import dlt
from dlt.common.destination import Destination

ARROW_RESOURCES = {"email_statistics", "campaign_leads"}
"""Resources that yield Arrow tables. Only these load as csv on PostgreSQL: dlt's csv writer
counts dict rows by their number of columns, which would misreport rows loaded."""


_DUCKDB_OPEN = threading.Lock()
_DUCKDB_SESSIONS: dict[Path, tuple[Any, int]] = {}
"""Open DuckDB files of :meth:`Warehouse.session` blocks: the connection and its users."""


class WarehouseUrlError(ValueError):
    """OUTBOUND_WAREHOUSE_URL cannot be used."""


@dataclass(frozen=True)
class Warehouse:
    """A parsed warehouse URL.

    ``duckdb:///abs/path.duckdb`` (or ``duckdb:///relative.duckdb``) or
    ``postgresql://user:password@host:port/database`` (``postgresql+psycopg://`` also accepted).
    """

    kind: Literal["duckdb", "postgres"]
    url: str
    duckdb_path: Path | None = None

    @classmethod
    def from_url(cls, url: str) -> Warehouse:
        if url.startswith("duckdb:///"):
            raw = url[len("duckdb:///") :]
            if not raw:
                raise WarehouseUrlError("a duckdb URL needs a file path: duckdb:///PATH")
            return cls(kind="duckdb", url=url, duckdb_path=Path(raw).resolve())
        scheme = url.split("://", 1)[0]
        if scheme in ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"):
            parts = urlsplit(url)
            if not parts.hostname or not parts.path.strip("/"):
                raise WarehouseUrlError(
                    "a postgres URL needs a host and a database: postgresql://user@host:5432/db"
                )
            normal = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, ""))
            return cls(kind="postgres", url=normal)
        raise WarehouseUrlError(
            f"OUTBOUND_WAREHOUSE_URL must start with duckdb:/// or postgresql://, got {scheme}://"
        )

    @property
    def display_url(self) -> str:
        """The URL with any password replaced, safe for logs and metadata."""
        if self.kind == "duckdb":
            return self.url
        parts = urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    # dlt

    def dlt_destination(self) -> Destination:
        if self.kind == "duckdb":
            assert self.duckdb_path is not None
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            return dlt.destinations.duckdb(credentials=str(self.duckdb_path))
        parts = urlsplit(self.url)
        url = self.url
        if parts.password is None:
            # dlt insists on a password field; libpq only sends it when the server asks for
            # one, so a password-less (trust/peer/.pgpass) setup keeps working.
            user = parts.username or "postgres"
            netloc = f"{user}:unused@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        return dlt.destinations.postgres(credentials=url)

    @property
    def arrow_file_format(self) -> str | None:
        """How Arrow resources load: PostgreSQL through COPY (csv), several times faster than
        INSERT statements; DuckDB with dlt's default (parquet)."""
        return "csv" if self.kind == "postgres" else None

    def prefer_bulk_load(self, source: Any) -> Any:
        """Applies :attr:`arrow_file_format` to a dlt source's Arrow resources."""
        file_format = self.arrow_file_format
        if file_format:
            for name in ARROW_RESOURCES & set(source.resources):
                source.resources[name].apply_hints(file_format=file_format)
        return source

    # SQL

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[Any]:
        """A DB-API connection. Committed on success, rolled back on error."""
        if self.kind == "duckdb":
            import duckdb

            assert self.duckdb_path is not None
            if read_only and not self.duckdb_path.exists():
                raise FileNotFoundError(f"no warehouse yet at {self.duckdb_path}")
            self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
            # Opening and closing share DuckDB's per-process database cache; threads that
            # race on it fail with "Unique file handle conflict", so they take turns.
            with _DUCKDB_OPEN:
                anchor = _DUCKDB_SESSIONS.get(self.duckdb_path)
                if anchor is not None and not read_only:
                    con = anchor[0].cursor()  # a cheap connection to the open database
                else:
                    con = duckdb.connect(str(self.duckdb_path), read_only=read_only)
            try:
                yield con
            finally:
                with _DUCKDB_OPEN:
                    con.close()
        else:
            import psycopg

            con = psycopg.connect(self.url)
            try:
                yield con
                con.commit()
            except BaseException:
                con.rollback()
                raise
            finally:
                con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keeps the DuckDB file open for the block, so the many short connections of a job
        step cost a cursor each instead of opening the file each time (nothing on
        PostgreSQL). The file stays locked against other processes until the block ends."""
        if self.kind != "duckdb":
            yield
            return
        import duckdb

        assert self.duckdb_path is not None
        self.duckdb_path.parent.mkdir(parents=True, exist_ok=True)
        with _DUCKDB_OPEN:
            anchor = _DUCKDB_SESSIONS.get(self.duckdb_path)
            if anchor is None:
                anchor = (duckdb.connect(str(self.duckdb_path)), 0)
            _DUCKDB_SESSIONS[self.duckdb_path] = (anchor[0], anchor[1] + 1)
        try:
            yield
        finally:
            with _DUCKDB_OPEN:
                con, users = _DUCKDB_SESSIONS[self.duckdb_path]
                if users == 1:
                    del _DUCKDB_SESSIONS[self.duckdb_path]
                    con.close()
                else:
                    _DUCKDB_SESSIONS[self.duckdb_path] = (con, users - 1)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self.connect() as con:
            if self.kind == "duckdb":
                con.execute("begin transaction")
                try:
                    yield Transaction(con, "duckdb")
                    con.execute("commit")
                except BaseException:
                    with suppress(Exception):  # a commit that failed has already ended it
                        con.execute("rollback")
                    raise
            else:
                yield Transaction(con, "postgres")  # connect() commits or rolls back

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Runs one statement and returns its rows (``%s``-free: use ``?`` placeholders)."""
        if self.kind == "postgres":
            sql = sql.replace("?", "%s")
        # DuckDB: read-write like every other connection in the process (dbt-duckdb and dlt keep
        # theirs open); the file admits only one configuration at a time.
        with self.connect() as con:
            cur = con.execute(sql, list(params))
            return [tuple(r) for r in cur.fetchall()]

    def table_exists(self, schema: str, table: str) -> bool:
        rows = self.query(
            "select count(*) from information_schema.tables where table_schema = ? "
            "and table_name = ?",
            (schema, table),
        )
        return bool(rows[0][0])

    def tables(self, schema: str) -> list[str]:
        rows = self.query(
            "select table_name from information_schema.tables where table_schema = ? "
            "order by table_name",
            (schema,),
        )
        return [r[0] for r in rows]

    # dbt

    def dbt_env(self) -> dict[str, str]:
        """Environment variables read by ``dbt_project/profiles.yml``."""
        if self.kind == "duckdb":
            return {"OUTBOUND_DBT_TARGET": "duckdb", "OUTBOUND_DUCKDB_PATH": str(self.duckdb_path)}
        parts = urlsplit(self.url)
        return {
            "OUTBOUND_DBT_TARGET": "postgres",
            "OUTBOUND_PG_HOST": parts.hostname or "localhost",
            "OUTBOUND_PG_PORT": str(parts.port or 5432),
            "OUTBOUND_PG_USER": unquote(parts.username or "postgres"),
            "OUTBOUND_PG_PASSWORD": unquote(parts.password or ""),
            "OUTBOUND_PG_DATABASE": parts.path.strip("/"),
        }


class Transaction:
    """One open transaction (:meth:`Warehouse.transaction`), with ``?`` placeholders on both
    engines and bulk insert/update that are fast on both."""

    def __init__(self, con: Any, kind: str) -> None:
        self._con = con
        self._kind = kind

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self._kind == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._con.execute(self._sql(sql), list(params))
        try:
            return [tuple(r) for r in cur.fetchall()]
        except Exception:  # noqa: BLE001 - statements without rows
            return []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        if self._kind == "postgres":
            with self._con.cursor() as cur:
                cur.executemany(self._sql(sql), [list(r) for r in rows])
        else:
            self._con.executemany(sql, [list(r) for r in rows])

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
               on_conflict: str = "") -> None:
        """Inserts many rows: one Arrow scan on DuckDB (whose executemany runs a statement
        per row), a pipelined executemany on PostgreSQL."""
        if not rows:
            return
        names = ", ".join(columns)
        if self._kind == "postgres":
            marks = ", ".join("?" for _ in columns)
            self.executemany(f"insert into {table} ({names}) values ({marks}) {on_conflict}",
                             rows)
            return
        self._con.register("incoming_rows", _arrow(columns, rows))
        try:
            self._con.execute(f"insert into {table} ({names}) select {names} "
                              f"from incoming_rows {on_conflict}")
        finally:
            self._con.unregister("incoming_rows")

    def update(self, table: str, key: str, columns: Sequence[str],
               rows: Sequence[Sequence[Any]]) -> None:
        """Sets ``columns`` of the rows whose ``key`` is the last value of each row."""
        if not rows:
            return
        if self._kind == "postgres":
            sets = ", ".join(f"{c} = ?" for c in columns)
            self.executemany(f"update {table} set {sets} where {key} = ?", rows)
            return
        self._con.register("changed_rows", _arrow([*columns, key], rows))
        try:
            sets = ", ".join(f"{c} = changed_rows.{c}" for c in columns)
            self._con.execute(f"update {table} set {sets} from changed_rows "
                              f"where {table}.{key} = changed_rows.{key}")
        finally:
            self._con.unregister("changed_rows")


def _arrow(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Any:
    import pyarrow as pa

    return pa.table({c: [row[i] for row in rows] for i, c in enumerate(columns)})
