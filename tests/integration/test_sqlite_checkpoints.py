"""The server's SQLite file is checkpointed by a background thread, not by the committing
connection (whose commits would otherwise pay for the copy and its fsync)."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import Engine, text

from kefu.adapters.storage import make_engine, sqlite_url
from kefu.adapters.storage.checkpoint import Checkpointer

ROWS = 2_500  # 4 KiB each: past SQLite's automatic checkpoint at 1,000 pages


def fill(path: Path, **options: bool) -> Engine:
    engine = make_engine(sqlite_url(str(path)), **options)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)"))
    for _ in range(ROWS // 50):
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO blobs (data) VALUES (randomblob(4000))"), [{}] * 50
            )
    return engine


def test_given_background_checkpoints_then_commits_leave_the_copy_to_the_checkpointer(
    tmp_path: Path,
) -> None:
    control = fill(tmp_path / "control.sqlite3")
    assert (tmp_path / "control.sqlite3").stat().st_size > 5_000_000  # copied while writing
    engine = fill(tmp_path / "kefu.sqlite3", background_checkpoints=True)
    database = tmp_path / "kefu.sqlite3"
    assert database.stat().st_size < 1_000_000  # everything still in the log
    assert (tmp_path / "kefu.sqlite3-wal").stat().st_size > 9_000_000
    checkpointer = Checkpointer(engine, interval_s=0.05)
    checkpointer.start()
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    checkpointer.stop()
    assert checkpointer.checkpoints >= 2  # at least one in the thread, one on stop
    assert database.stat().st_size > 9_000_000
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM blobs")).scalar_one() == ROWS
    engine.dispose()
    control.dispose()
