"""Migrations: applied once each, in order, recorded, and TAP_SCHEMA derived from metadata."""

import psycopg
import pytest

from soxsvo.db import migrations
from soxsvo.db.metadata import published_tables


def test_template_has_every_migration(db_conn: psycopg.Connection) -> None:
    applied = migrations.applied_versions(db_conn)
    assert list(applied) == [m.version for m in migrations.available_migrations()]
    assert migrations.pending_migrations(db_conn) == []


def test_rerun_applies_nothing_and_keeps_data(db_conn: psycopg.Connection) -> None:
    db_conn.execute("INSERT INTO soxs.programme (proposal_id) VALUES ('114.27TL.001')")
    db_conn.commit()
    assert migrations.upgrade(db_conn) == []
    assert db_conn.execute("SELECT count(*) FROM soxs.programme").fetchone() == (1,)


def test_fresh_database_gets_all_schemas(pg_cluster) -> None:
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS fresh_migration_test")
        admin.execute("CREATE DATABASE fresh_migration_test")
    try:
        with psycopg.connect(pg_cluster.conninfo("fresh_migration_test")) as conn:
            applied = migrations.upgrade(conn)
            assert [m.name for m in applied][0] == "001_schemas"
            schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace")}
            assert {"ivoa", "soxs", "marshall", "tap_schema", "uws"} <= schemas
    finally:
        with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
            admin.execute("DROP DATABASE fresh_migration_test WITH (FORCE)")


def test_failing_migration_rolls_back(db_conn: psycopg.Connection, tmp_path) -> None:
    folder = tmp_path / "sql"
    folder.mkdir()
    for migration in migrations.available_migrations():
        (folder / migration.path.name).write_text(migration.path.read_text())
    (folder / "900_broken.sql").write_text(
        "CREATE TABLE soxs.half_done (x int);\nSELECT no_such_function();\n"
    )
    with pytest.raises(psycopg.errors.UndefinedFunction):
        migrations.upgrade(db_conn, folder)
    db_conn.rollback()
    assert 900 not in migrations.applied_versions(db_conn)
    exists = db_conn.execute("SELECT to_regclass('soxs.half_done')").fetchone()[0]
    assert exists is None


def test_badly_named_migration_is_refused(tmp_path) -> None:
    (tmp_path / "7_Oops.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="NNN_lower_case_name"):
        migrations.available_migrations(tmp_path)


def test_every_published_column_exists_in_the_database(db_conn: psycopg.Connection) -> None:
    for meta in published_tables():
        rows = db_conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = %s",
            (meta.schema, meta.name),
        ).fetchall()
        in_db = {r[0] for r in rows}
        missing = {c.name for c in meta.columns} - in_db
        assert not missing, f"{meta.qualified_name}: described but not in the database: {missing}"


def test_tap_schema_matches_metadata_and_comments(db_conn: psycopg.Connection) -> None:
    obscore = next(t for t in published_tables() if t.qualified_name == "ivoa.obscore")
    rows = db_conn.execute(
        "SELECT column_name, unit, ucd, utype, description FROM tap_schema.columns "
        "WHERE table_name = 'ivoa.obscore' ORDER BY column_index"
    ).fetchall()
    assert [r[0] for r in rows] == [c.name for c in obscore.columns]
    s_ra = obscore.column("s_ra")
    assert rows[[r[0] for r in rows].index("s_ra")][1:] == (
        s_ra.unit, s_ra.ucd, s_ra.utype, s_ra.description
    )
    comment = db_conn.execute(
        "SELECT col_description('ivoa.obscore'::regclass, "
        "(SELECT attnum FROM pg_attribute WHERE attrelid = 'ivoa.obscore'::regclass "
        "AND attname = 's_ra'))"
    ).fetchone()[0]
    assert comment == s_ra.description


def test_110_takes_consortium_classifications_out_of_the_public_columns(pg_cluster,
                                                                       tmp_path) -> None:
    # Before 110 the Marshall copied the consortium's classification into marshall.transient.
    before = tmp_path / "sql"
    before.mkdir()
    for migration in migrations.available_migrations():
        if migration.version < 110:
            (before / migration.path.name).write_text(migration.path.read_text())
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
        admin.execute("DROP DATABASE IF EXISTS privacy_migration_test")
        admin.execute("CREATE DATABASE privacy_migration_test")
    try:
        with psycopg.connect(pg_cluster.conninfo("privacy_migration_test")) as conn:
            migrations.upgrade(conn, before)
            conn.execute("INSERT INTO marshall.transient (transient_id, name, ra, dec, "
                         "classification, redshift) VALUES (1, 'SN a', 1, 1, 'SN Ia', 0.05), "
                         "(2, 'SN b', 2, 2, 'SN II', 0.02), (3, 'SN c', 3, 3, 'SN IIn', 0.07)")
            # 1: classified with a redshift; 2: without one (0.02 is a survey's); 3: untouched
            conn.execute("INSERT INTO marshall.classification (transient_id, type, redshift, "
                         "classified_by) VALUES (1, 'SN Ia', 0.05, 'anna'), "
                         "(2, 'SN II', NULL, 'anna')")
            conn.commit()
            migrations.upgrade(conn)
            rows = conn.execute(
                "SELECT t.classification, t.redshift, w.consortium_type, w.consortium_redshift "
                "FROM marshall.transient t JOIN marshall.workflow w USING (transient_id) "
                "ORDER BY transient_id").fetchall()
            assert rows == [(None, None, "SN Ia", 0.05), (None, 0.02, "SN II", None),
                            ("SN IIn", 0.07, None, None)]
    finally:
        with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as admin:
            admin.execute("DROP DATABASE privacy_migration_test WITH (FORCE)")
