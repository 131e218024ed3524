"""Where the archive lives by default, and an archive newer than this server refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.storage.archive import META, SCHEMA, Archive, default_url
from server.storage.database import sqlite_url


def test_the_archive_sits_beside_a_sqlite_file_and_in_its_own_schema_elsewhere(tmp_path):
    assert default_url(sqlite_url(tmp_path / "hurrinet.db")) == sqlite_url(tmp_path / "hurrinet-archive.db")
    assert default_url(sqlite_url(tmp_path / "live.db")) == sqlite_url(tmp_path / "live-archive.db")
    postgres = "postgresql+psycopg://hn:secret@db.example.lc/hurrinet"
    assert default_url(postgres) == postgres
    assert Archive(postgres).schema == SCHEMA and Archive(sqlite_url(tmp_path / "a.db")).schema == ""
    assert "secret" not in Archive(postgres).where


def test_an_archive_of_a_newer_version_is_refused_not_misread(tmp_path):
    archive = Archive(sqlite_url(tmp_path / "hurrinet-archive.db"))
    assert archive.search().incidents == []  # made on first use
    with archive.engine.begin() as conn:
        conn.execute(sa.update(META).where(META.c.key == "version").values(value="99"))
    archive.dispose()
    with pytest.raises(RuntimeError, match="version 99"):
        Archive(archive.url).search()
