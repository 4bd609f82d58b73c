"""``soxsvo alerts ingest``: files and folders, auto-detection, and rejected files."""

from __future__ import annotations

from click.testing import CliRunner

from soxsvo.cli import main
from tests.marshall.ingest import samples
from tests.marshall.ingest.conftest import table_counts


def _run(settings, *args):
    env = {"SOXSVO_DATA_DIR": str(settings.data_path),
           "SOXSVO_DATABASE_URL": settings.database_url}
    return CliRunner().invoke(main, ["alerts", "ingest", *args], env=env)


def test_folder_of_mixed_alerts(settings, data_dir, tmp_path, db_conn) -> None:
    folder = tmp_path / "incoming"
    (folder / "ztf").mkdir(parents=True)
    real = data_dir / samples.ZTF_DIR / "alerts"
    for path in real.glob("*.avro"):
        (folder / "ztf" / path.name).write_bytes(path.read_bytes())
    (folder / "gaia.csv").write_bytes(samples.gaia_alerts([("Gaia26xyz", 12.0, -30.0, 17.0,
                                                           "")]))
    (folder / "S261120ab.json").write_bytes(samples.lvk_notice("S261120ab"))
    result = _run(settings, str(folder))
    assert result.exit_code == 0, result.output
    assert "4 files: 3 alerts ingested (3 new transients" in result.output
    assert "1 event notices" in result.output
    counts = table_counts(db_conn)
    assert (counts["transient"], counts["event"]) == (3, 1)
    again = _run(settings, str(folder))
    assert "0 alerts ingested" in again.output and "4 already known" in again.output


def test_corrupt_packet_is_named_and_nothing_of_it_ingested(settings, data_dir, tmp_path,
                                                            db_conn) -> None:
    records = [samples.ztf_record(data_dir, object_id=f"ZTF26aaacor{c}", candid=i,
                                  ra=40.0 + i, dec=0.0) for i, c in enumerate("abc")]
    whole = samples.ztf_packet(data_dir, records)
    bad = tmp_path / "broken.avro"
    bad.write_bytes(whole[: len(whole) - 40])  # the last block is cut short
    good = tmp_path / "good.csv"
    good.write_bytes(samples.gaia_alerts([("Gaia26good", 12.0, -30.0, 17.0, "")]))
    result = _run(settings, str(bad), str(good))
    assert result.exit_code == 2
    assert f"rejected {bad}: corrupt Avro packet" in result.output
    names = [r[0] for r in db_conn.execute("SELECT name FROM marshall.transient").fetchall()]
    assert names == ["Gaia26good"]  # none of the broken packet's three alerts
    assert bad.stat().st_size == len(whole) - 40  # input untouched


def test_wrong_source_and_missing_path(settings, data_dir, tmp_path) -> None:
    path = tmp_path / "gaia.csv"
    path.write_bytes(samples.gaia_alerts([("Gaia26abc", 12.0, -30.0, 17.0, "")]))
    result = _run(settings, "--source", "ztf", str(path))
    assert result.exit_code == 2 and "not an Avro container file" in result.output
    missing = _run(settings, str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "no such file or folder" in missing.output


def test_parallel_consumers_ingest_each_alert_once(settings, data_dir, tmp_path,
                                                   db_conn) -> None:
    folder = tmp_path / "stream"
    folder.mkdir()
    # Eight alerts of four new objects, split over two consumer processes.
    for i in range(8):
        packet = samples.ztf_packet(data_dir, object_id=f"ZTF26aapar{'abcd'[i % 4]}",
                                    candid=7000 + i, ra=100.0 + (i % 4), dec=-20.0)
        (folder / f"{i}.avro").write_bytes(packet)
    result = _run(settings, "--workers", "2", str(folder))
    assert result.exit_code == 0, result.output
    assert "8 alerts ingested (4 new transients" in result.output
    counts = table_counts(db_conn)
    assert (counts["transient"], counts["alert"]) == (4, 8)


def test_wrongly_typed_gcn_field_is_named_and_exit_2(settings, tmp_path, db_conn) -> None:
    bad = tmp_path / "svom.json"
    bad.write_text('{"$schema": "https://gcn.nasa.gov/schema/main/gcn/notices/core/'
                   'Alert.schema.json", "mission": "SVOM", "id": ["sb26"], "trigger_time": 5}')
    result = _run(settings, str(bad))
    assert result.exit_code == 2, result.output
    assert "trigger_time" in result.output and "Traceback" not in result.output
    assert table_counts(db_conn)["event"] == 0
