"""The landing store: append-only JSON-lines segments in a folder.

Layout under the landing folder::

    open/<host>-<pid>-<uuid>.jsonl   the segment a receiver process is appending to (locked)
    sealed/<sequence>.jsonl          sealed segments, numbered in the order they were sealed
    SEQUENCE                         the last sequence number handed out
    .seal.lock                       serializes sealing against listing

A receiver process owns one open segment at a time and holds an exclusive ``flock`` on it while
it lives. An append is one ``write`` of complete lines followed by ``fsync``; only then is the
event acknowledged. A segment is sealed (renamed into ``sealed/`` under the next sequence number)
when it reaches a size or an age. Sealing and listing take the seal lock, so a reader that sees
sealed segment *n* also sees every segment numbered below *n*: a cursor over sequence numbers
never skips one. When a receiver dies (even by ``kill -9``) its lock is released, and the next
receiver to start seals its segment after cutting any torn last line, which was never
acknowledged.

The interface (append, seal, list sealed after a cursor, read one) is what an object-storage
version would implement with conditional puts instead of renames.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SEGMENT_SUFFIX = ".jsonl"
SEQUENCE_WIDTH = 12


class LandingError(RuntimeError):
    """A landing segment cannot be read; the message names the segment and line."""


@dataclass(frozen=True)
class SealedSegment:
    segment_id: str
    path: Path
    size: int


class LandingStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.open_dir = self.root / "open"
        self.sealed_dir = self.root / "sealed"

    def ensure(self) -> LandingStore:
        self.open_dir.mkdir(parents=True, exist_ok=True)
        self.sealed_dir.mkdir(parents=True, exist_ok=True)
        return self

    # sealing

    @contextmanager
    def _seal_lock(self, exclusive: bool) -> Iterator[None]:
        self.ensure()
        fd = os.open(self.root / ".seal.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    def seal(self, path: Path) -> str:
        """Moves a complete, synced open segment into ``sealed/``; returns its segment id."""
        with self._seal_lock(exclusive=True):
            sequence_file = self.root / "SEQUENCE"
            last = int(sequence_file.read_text() or 0) if sequence_file.exists() else 0
            segment_id = f"{last + 1:0{SEQUENCE_WIDTH}d}"
            _write_atomically(sequence_file, segment_id)
            os.rename(path, self.sealed_dir / f"{segment_id}{SEGMENT_SUFFIX}")
            _fsync_dir(self.sealed_dir)
            _fsync_dir(self.open_dir)
        return segment_id

    def recover(self) -> list[str]:
        """Seals the open segments of receivers that are gone; returns the new segment ids.

        A segment whose lock can be taken has no living writer. Its last line may be torn (the
        writer died inside ``write``); that line was never acknowledged and is cut off.
        """
        sealed = []
        self.ensure()
        for path in sorted(self.open_dir.glob(f"*{SEGMENT_SUFFIX}")):
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live receiver owns it
                if not path.exists():
                    continue  # sealed by its owner between the listing and the lock
                data = path.read_bytes()
                keep = data.rfind(b"\n") + 1
                if keep == 0:
                    path.unlink()
                    continue
                if keep < len(data):
                    os.ftruncate(fd, keep)
                os.fsync(fd)
                sealed.append(self.seal(path))
            finally:
                os.close(fd)
        return sealed

    # reading

    def sealed_after(self, cursor: str | None, limit: int | None = None) -> list[SealedSegment]:
        """Sealed segments numbered after ``cursor`` (all when None), oldest first."""
        with self._seal_lock(exclusive=False):
            names = sorted(p.name for p in self.sealed_dir.glob(f"*{SEGMENT_SUFFIX}"))
        result = []
        for name in names:
            segment_id = name[: -len(SEGMENT_SUFFIX)]
            if cursor is not None and segment_id <= cursor:
                continue
            path = self.sealed_dir / name
            result.append(SealedSegment(segment_id, path, path.stat().st_size))
            if limit is not None and len(result) >= limit:
                break
        return result

    def path_of(self, segment_id: str) -> Path:
        return self.sealed_dir / f"{segment_id}{SEGMENT_SUFFIX}"

    def read(self, segment_id: str) -> list[dict[str, Any]]:
        path = self.path_of(segment_id)
        if not path.exists():
            raise LandingError(f"landing segment {segment_id} is not in {self.sealed_dir}")
        records = []
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise LandingError(
                        f"landing segment {segment_id}, line {number}: not JSON ({exc})"
                    ) from None
                if not isinstance(record, dict) or "event_key" not in record:
                    raise LandingError(
                        f"landing segment {segment_id}, line {number}: not a landed event"
                    )
                records.append(record)
        return records


class SegmentWriter:
    """One process's appender. Not thread-safe: callers serialize appends and seals."""

    def __init__(self, store: LandingStore, *, max_bytes: int, max_age_seconds: float) -> None:
        self.store = store.ensure()
        self.max_bytes = max_bytes
        self.max_age_seconds = max_age_seconds
        self._fd: int | None = None
        self._path: Path | None = None
        self._size = 0
        self._opened_at = 0.0
        self.sealed_count = 0

    def _open(self) -> None:
        name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:12]}{SEGMENT_SUFFIX}"
        staging = self.store.open_dir / f".{name}"
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        # Lock before the file is visible under its listed name, so recovery never takes it.
        fcntl.flock(fd, fcntl.LOCK_EX)
        path = self.store.open_dir / name
        os.rename(staging, path)
        _fsync_dir(self.store.open_dir)
        self._fd, self._path, self._size = fd, path, 0
        self._opened_at = time.monotonic()

    def append(self, data: bytes) -> str | None:
        """Writes complete lines and syncs them to disk. Returns a segment id if the append
        filled the segment and it was sealed."""
        if self._fd is None:
            self._open()
        assert self._fd is not None
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fdatasync(self._fd)
        self._size += len(data)
        if self._size >= self.max_bytes:
            return self.seal()
        return None

    def seal_if_due(self) -> str | None:
        if self._fd is not None and self._size and (
            time.monotonic() - self._opened_at >= self.max_age_seconds
        ):
            return self.seal()
        return None

    def seal(self) -> str | None:
        if self._fd is None or self._path is None:
            return None
        fd, path, size = self._fd, self._path, self._size
        self._fd, self._path, self._size = None, None, 0
        try:
            if size == 0:
                path.unlink()
                return None
            os.fsync(fd)
            segment_id = self.store.seal(path)
            self.sealed_count += 1
            return segment_id
        finally:
            os.close(fd)

    @property
    def open_bytes(self) -> int:
        return self._size


def _write_atomically(path: Path, content: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, content.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
