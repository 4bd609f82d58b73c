"""Fixtures of the ingestion tests: a fresh migrated database and ingestion helpers."""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.marshall.ingest import AlertIngestSummary, IngestConfig, ingest_bytes


@pytest.fixture
def config() -> IngestConfig:
    return IngestConfig()


@pytest.fixture
def ingest(db_conn: psycopg.Connection, config: IngestConfig):
    """Ingest byte blobs (one file each) into this test's database; returns the summaries."""

    def run(*blobs: bytes, source: str | None = None) -> list[AlertIngestSummary]:
        summaries = [ingest_bytes(db_conn, blob, f"sample-{i}", config, source)
                     for i, blob in enumerate(blobs)]
        db_conn.commit()
        return summaries

    return run


def transients(conn: psycopg.Connection) -> list[tuple]:
    """(name, ra, dec) of every transient, by name."""
    rows = conn.execute("SELECT name, ra, dec FROM marshall.transient ORDER BY name").fetchall()
    conn.commit()
    return rows


def aliases(conn: psycopg.Connection, name: str) -> set[str]:
    rows = conn.execute(
        "SELECT a.name FROM marshall.alias a JOIN marshall.transient t USING (transient_id) "
        "WHERE t.name = %s", (name,)).fetchall()
    conn.commit()
    return {r[0] for r in rows}


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    counts = {table: conn.execute(f"SELECT count(*) FROM marshall.{table}").fetchone()[0]
              for table in ("transient", "alias", "photometry", "alert", "crossmatch",
                            "event", "event_notice", "event_skymap")}
    conn.commit()
    return counts
