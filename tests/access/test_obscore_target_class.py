"""ObsCore ``target_class`` through TAP: the Marshall's public classification of the target,
never the consortium's unpublished one, whoever asks (see ``conftest.py`` for the transients:
``private`` has a survey class and an unpublished consortium class, ``published`` a consortium
class reported to TNS after its products were registered)."""

from __future__ import annotations

import pytest
import pyvo

from .matrix import PRIVATE_CLASS, PUBLISHED_CLASS, SURVEY_CLASS


def _service(archive, server, role: str) -> pyvo.dal.TAPService:
    return pyvo.dal.TAPService(f"{server}/tap", session=archive.session(role))


def _classes(archive, server, role: str, key: str) -> set[str]:
    name = archive.transients[key].name.replace("'", "''")
    result = _service(archive, server, role).search(
        f"SELECT target_class FROM ivoa.obscore WHERE target_name = '{name}'")
    return {str(value) for value in result["target_class"]}


@pytest.mark.parametrize("role", ["anonymous", "member", "admin"])
def test_target_class_is_the_surveys_while_the_consortiums_is_unpublished(
        access_archive, access_server, role) -> None:
    # One product of this transient is public, so every caller sees at least one row.
    classes = _classes(access_archive, access_server, role, "private")
    assert classes == {SURVEY_CLASS[0]}
    assert PRIVATE_CLASS[0] not in classes


def test_a_class_reported_to_tns_reaches_the_products(access_archive, access_server) -> None:
    # Its products are proprietary: the admin sees them all.
    assert _classes(access_archive, access_server, "admin", "published") == {PUBLISHED_CLASS[0]}



def test_every_product_carries_its_transients_public_class(access_archive) -> None:
    import psycopg

    with psycopg.connect(access_archive.settings.database_url) as conn:
        disagree, agree = conn.execute(
            "SELECT count(*) FILTER (WHERE o.target_class IS DISTINCT FROM t.classification), "
            "count(*) FILTER (WHERE o.target_class = t.classification) "
            "FROM ivoa.obscore o JOIN soxs.observation b USING (obs_id) "
            "JOIN marshall.transient t USING (transient_id)").fetchone()
    # Registered while the demo's transients had classes (the insert trigger) or classified
    # afterwards (the update trigger): every product agrees.
    assert disagree == 0 and agree > 10
