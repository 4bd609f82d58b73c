"""The leak-matrix archive: a demo archive of its own with four marked products and four callers.

Products (chosen among the demo's spectra, then given a programme and a release date):

``public``    released, of programme A           -> everybody sees it
``own_a``     proprietary, of programme A        -> PI of A and admin
``consortium`` proprietary, of a consortium programme -> consortium members and admin
``other``     proprietary, of programme O (nobody's) -> admin only

Callers: anonymous, ``pia`` (PI of A), ``member`` (consortium), ``admin``. The three
proprietary products are moved to empty corners of the sky and made the newest spectra, so
that a MOC cell or a landing-page line can only come from them.

The consortium's work on three transients (made with the Marshall's own workflow functions):

``private``   a survey said SN (public); the consortium classified it TDE, commented on it,
              gave it priority 1 and put it on its follow-up list, all unpublished
              -> members and admin see the consortium's work, everyone the survey's class
``published`` classified SLSN-II by the consortium and reported to TNS -> everybody
``scratch``   for the classification requests of the existence-oracle test
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
import requests

from soxsvo.config import Settings, load_settings
from tests.support import free_port, soxsvo_serve

from .matrix import (
    CONSORTIUM_PROGRAMME,
    PASSWORD,
    PLACES,
    PRIVATE_CLASS,
    PRIVATE_COMMENT,
    PRIVATE_LIST,
    PRIVATE_PRIORITY,
    PROGRAMME_A,
    PROGRAMME_O,
    PUBLISHED_CLASS,
    ROLES,
    SEES,
    SEES_CONSORTIUM_WORK,
    SURVEY_CLASS,
)


@dataclass(frozen=True)
class Product:
    key: str
    dp_id: str
    did: str


@dataclass(frozen=True)
class Transient:
    key: str
    transient_id: int
    name: str
    ra: float
    dec: float


@dataclass(frozen=True)
class AccessArchive:
    settings: Settings
    products: dict[str, Product]
    tokens: dict[str, str]
    transients: dict[str, Transient]

    def session(self, role: str) -> requests.Session:
        """A requests session that authenticates as ``role`` with its API token (Bearer)."""
        session = requests.Session()
        if role != "anonymous":
            session.headers["Authorization"] = f"Bearer {self.tokens[role]}"
        return session

    def visible(self, role: str) -> set[str]:
        return SEES[role]

    def sees_consortium_work(self, role: str) -> bool:
        return SEES_CONSORTIUM_WORK[role]


def _mark_products(conn: psycopg.Connection) -> dict[str, Product]:
    conn.execute("INSERT INTO soxs.programme (proposal_id, title, consortium) VALUES "
                 "(%s, 'Programme A', false), (%s, 'Programme O', false) ON CONFLICT DO NOTHING",
                 (PROGRAMME_A, PROGRAMME_O))
    rows = conn.execute("SELECT dp_id, obs_publisher_did FROM ivoa.obscore "
                        "ORDER BY dp_id LIMIT 4").fetchall()
    assert len(rows) == 4, "the demo archive has at least four spectra"
    plan = {"public": (PROGRAMME_A, "-1 year"), "own_a": (PROGRAMME_A, "1 year"),
            "consortium": (CONSORTIUM_PROGRAMME, "1 year"), "other": (PROGRAMME_O, "1 year")}
    products = {}
    for (key, (programme, shift)), (dp_id, did) in zip(plan.items(), rows, strict=True):
        rights = "public" if shift.startswith("-") else "proprietary"
        conn.execute(
            "UPDATE ivoa.obscore SET proposal_id = %s, data_rights = %s, "
            "obs_release_date = (now() AT TIME ZONE 'UTC') + %s::interval "
            "WHERE obs_publisher_did = %s", (programme, rights, shift, did))
        if key in PLACES:
            ra, dec, t_min = PLACES[key]
            conn.execute("UPDATE ivoa.obscore SET s_ra = %s, s_dec = %s, t_min = %s, "
                         "t_max = %s + 0.01 WHERE obs_publisher_did = %s",
                         (ra, dec, t_min, t_min, did))
        products[key] = Product(key, dp_id, did)
    conn.commit()
    return products


def _add_callers(conn: psycopg.Connection) -> dict[str, str]:
    from soxsvo.access import tokens, users

    users.add_user(conn, "pia", PASSWORD, "PI of A")
    users.grant(conn, "pia", programme=PROGRAMME_A, capacity="pi")
    users.add_user(conn, "member", PASSWORD, "Consortium member")
    users.grant(conn, "member", role="consortium")
    users.add_user(conn, "admin", PASSWORD, "Archive operator")
    users.grant(conn, "admin", role="admin")
    return {role: tokens.create_token(conn, role, "leak matrix") for role in ROLES[1:]}


def _add_consortium_work(conn: psycopg.Connection, settings: Settings) -> dict[str, Transient]:
    from soxsvo.access import Identity
    from soxsvo.marshall import workflow
    from soxsvo.marshall.lists import WorkflowConfig

    rows = conn.execute("SELECT transient_id, name, ra, dec FROM marshall.transient "
                        "ORDER BY transient_id LIMIT 3").fetchall()
    found = {key: Transient(key, *row)
             for key, row in zip(("private", "published", "scratch"), rows, strict=True)}
    private, published = found["private"].transient_id, found["published"].transient_id
    # What surveys reported, as alert ingestion would have stored it.
    conn.execute("UPDATE marshall.transient SET classification = %s, redshift = %s "
                 "WHERE transient_id = %s", (*SURVEY_CLASS, private))
    conn.execute("UPDATE marshall.transient SET classification = NULL, redshift = NULL "
                 "WHERE transient_id = %s", (published,))
    conn.commit()
    config = WorkflowConfig.from_settings(settings)
    member = Identity("member", frozenset({"consortium"}))
    type_, z = PRIVATE_CLASS
    workflow.classify(conn, config, private, type=type_, redshift=z, actor="member",
                      identity=member)
    workflow.comment(conn, private, PRIVATE_COMMENT, "member")
    workflow.prioritise(conn, private, PRIVATE_PRIORITY, "member")
    workflow.move(conn, config, private, PRIVATE_LIST, "member", enforce=False)
    type_, z = PUBLISHED_CLASS
    reported = workflow.classify(conn, config, published, type=type_, redshift=z,
                                 actor="member", identity=member)
    workflow.report_to_tns(conn, published, reported, "member")
    return found


@pytest.fixture(scope="session")
def access_archive(pg_cluster, tmp_path_factory) -> AccessArchive:
    """The leak-matrix archive (see the module docstring), built once, read-only to tests."""
    from soxsvo.archive.register import ArchiveConfig
    from soxsvo.demo.archive import build_demo_archive

    name = "access_archive"
    with psycopg.connect(pg_cluster.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "soxsvo_template"')
    data_dir = tmp_path_factory.mktemp("access-data")
    settings = load_settings({"SOXSVO_DATA_DIR": str(data_dir),
                              "SOXSVO_DATABASE_URL": pg_cluster.conninfo(name)})
    with psycopg.connect(settings.database_url) as conn:
        build_demo_archive(conn, ArchiveConfig.from_settings(settings), n_transients=12,
                           seed=7, workdir=data_dir / "work")
        products = _mark_products(conn)
        tokens = _add_callers(conn)
        transients = _add_consortium_work(conn, settings)
    return AccessArchive(settings, products, tokens, transients)


@pytest.fixture(scope="session")
def access_server(access_archive: AccessArchive) -> Iterator[str]:
    """`soxsvo serve` (gunicorn and UWS workers) over the leak-matrix archive; its base URL."""
    port = free_port()
    with soxsvo_serve(access_archive.settings, port,
                      base_url=f"http://127.0.0.1:{port}") as url:
        yield url
