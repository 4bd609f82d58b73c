"""The rule in PostgreSQL: soxs.can_see, the policies, and what the reader role cannot touch."""

from __future__ import annotations

import psycopg
import pytest

from soxsvo.access import ANONYMOUS, Identity, begin_as_reader

CALLERS = {
    "anonymous": ANONYMOUS,
    "pi": Identity(user="pi", programmes=frozenset({"117.AAAA.001"})),
    "member": Identity(user="member", roles=frozenset({"consortium"})),
    "admin": Identity(user="admin", roles=frozenset({"admin"})),
}
#: (release in days from now, data_rights, programme) -> callers that see it
CASES = [
    ((-10, "public", "117.OOOO.001"), {"anonymous", "pi", "member", "admin"}),
    # Registered as proprietary, period over since: public (the date governs).
    ((-10, "proprietary", "117.OOOO.001"), {"anonymous", "pi", "member", "admin"}),
    # Withheld by the operator: never public, rights still apply.
    ((-10, "secure", "117.AAAA.001"), {"pi", "admin"}),
    ((+10, "proprietary", "117.AAAA.001"), {"pi", "admin"}),
    ((+10, "proprietary", "116.CONS.001"), {"member", "admin"}),
    ((+10, "proprietary", "117.OOOO.001"), {"admin"}),
    ((+10, "proprietary", None), {"admin"}),
]


@pytest.fixture
def rows(db_conn: psycopg.Connection) -> psycopg.Connection:
    db_conn.execute("INSERT INTO soxs.programme (proposal_id, consortium) VALUES "
                    "('116.CONS.001', true), ('117.AAAA.001', false), ('117.OOOO.001', false)")
    for i, ((days, rights, programme), _) in enumerate(CASES):
        db_conn.execute(
            "INSERT INTO soxs.product (publisher_did, dp_id, prodcatg, file_path, "
            "original_name, sha256, md5, file_size) VALUES (%s, %s, 'S', 'f', 'f', %s, 'm', 1)",
            (f"ivo://t?{i}", f"P{i}", f"{i:064x}"))
        db_conn.execute(
            "INSERT INTO ivoa.obscore (dataproduct_type, calib_level, obs_collection, obs_id, "
            "obs_publisher_did, obs_release_date, data_rights, proposal_id, access_url, "
            "access_format, access_estsize, facility_name, instrument_name, dp_id, prodcatg, "
            "s_ra, s_dec) VALUES ('spectrum', 2, 'SOXS', 'o', %s, "
            "(now() AT TIME ZONE 'UTC') + make_interval(days => %s), %s, %s, 'u', 'f', 1, "
            "'ESO-NTT', 'SOXS', %s, 'S', %s, 0)",
            (f"ivo://t?{i}", days, rights, programme, f"P{i}", 10.0 * i))
    db_conn.commit()
    return db_conn


@pytest.mark.parametrize("caller", CALLERS)
def test_policy_and_function_agree_with_the_rule(rows, caller) -> None:
    expected = {f"P{i}" for i, (_, seen_by) in enumerate(CASES) if caller in seen_by}
    begin_as_reader(rows, 10, CALLERS[caller])
    by_policy = {r[0] for r in rows.execute("SELECT dp_id FROM ivoa.obscore")}
    by_product_policy = {r[0] for r in rows.execute("SELECT dp_id FROM soxs.product")}
    rows.rollback()
    begin_as_reader(rows, 10, CALLERS[caller])
    # The function alone gives the same answer for single-row paths.
    rows.execute("RESET ROLE")
    by_function = {r[0] for r in rows.execute(
        "SELECT dp_id FROM ivoa.obscore WHERE soxs.can_see(obs_release_date, data_rights, "
        "proposal_id)")}
    rows.rollback()
    assert by_policy == by_product_policy == by_function == expected


def test_identity_ends_with_the_transaction(rows) -> None:
    begin_as_reader(rows, 10, CALLERS["admin"])
    assert rows.execute("SELECT count(*) FROM ivoa.obscore").fetchone()[0] == len(CASES)
    rows.commit()
    begin_as_reader(rows, 10, ANONYMOUS)
    assert rows.execute("SELECT count(*) FROM ivoa.obscore").fetchone()[0] == 2
    rows.rollback()
    assert rows.execute("SELECT current_setting('soxs.admin', true)").fetchone()[0] in ("", None)


@pytest.mark.parametrize("statement", [
    "SELECT soxs.set_caller('x', 'admin', '')",
    "SELECT * FROM auth.account",
    "SELECT * FROM auth.token",
    "SELECT * FROM uws.job",
])
def test_the_reader_cannot_name_itself_or_read_accounts(rows, statement) -> None:
    begin_as_reader(rows, 10, ANONYMOUS)
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        rows.execute(statement)
    rows.rollback()


def test_cone_search_keeps_its_index_under_row_level_security(rows) -> None:
    # Without LEAKPROOF index functions the policy would force a sequential scan.
    rows.execute("SET enable_seqscan = off")  # a 7-row table: make the choice visible
    for caller in ("anonymous", "member"):
        begin_as_reader(rows, 10, CALLERS[caller])
        plan = "\n".join(r[0] for r in rows.execute(
            "EXPLAIN SELECT dp_id FROM ivoa.obscore "
            "WHERE q3c_radial_query(s_ra, s_dec, 10.0, 0.0, 0.1)"))
        rows.rollback()
        assert "obscore_q3c" in plan, plan
        rows.execute("SET enable_seqscan = off")
