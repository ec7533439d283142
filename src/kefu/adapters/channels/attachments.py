"""Where attachment bytes go: a small port and two stores (in memory, file system).

Keys are generated here, never taken from the sender: a file name such as ``../../etc/x`` is
kept as metadata only, so it cannot choose a path.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Protocol

from kefu.domain.errors import NotFound, ValidationError

__all__ = ["AttachmentStore", "FileSystemAttachmentStore", "InMemoryAttachmentStore"]

_KEY = re.compile(r"[0-9a-f]{32}")


class AttachmentStore(Protocol):
    """Stores attachment bytes under a generated key."""

    def put(self, data: bytes, *, filename: str, content_type: str) -> str:
        """Store ``data``; returns its key."""
        ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None:
        """Remove the attachment (no error if it is gone)."""
        ...


def _check(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValidationError(f"not an attachment key: {key!r}")
    return key


class InMemoryAttachmentStore:
    """Attachments in a dictionary (tests, the demo). Thread-safe."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[bytes, str, str]] = {}
        self._lock = threading.Lock()

    def put(self, data: bytes, *, filename: str, content_type: str) -> str:
        key = uuid.uuid4().hex
        with self._lock:
            self._data[key] = (bytes(data), filename, content_type)
        return key

    def get(self, key: str) -> bytes:
        found = self._data.get(_check(key))
        if found is None:
            raise NotFound(f"no attachment {key}", key=key)
        return found[0]

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(_check(key), None)

    def keys(self) -> list[str]:
        return sorted(self._data)


class FileSystemAttachmentStore:
    """Attachments as files under ``root`` (``root/ab/abcdef...``), written to a temporary
    file and renamed, so a crash never leaves a half-written attachment under its key."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self._root = Path(root)
        self._root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self._root / key[:2] / key

    def put(self, data: bytes, *, filename: str, content_type: str) -> str:
        del filename, content_type  # kept with the message; the file is named by its key
        key = uuid.uuid4().hex
        path = self._path(key)
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        path = self._path(_check(key))
        if not path.is_file():
            raise NotFound(f"no attachment {key}", key=key)
        return path.read_bytes()

    def delete(self, key: str) -> None:
        self._path(_check(key)).unlink(missing_ok=True)

    def keys(self) -> list[str]:
        return sorted(p.name for p in self._root.glob("*/*") if _KEY.fullmatch(p.name))
