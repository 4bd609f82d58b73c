"""The function registry (soxsvo.adql.functions): one declaration per function.

Pins the SQL and result metadata every declared function translates to, so that a change
of a declaration (or of the registry machinery) shows up as a failing row here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soxsvo.adql import ADQLNameError, ADQLSyntaxError, ADQLValidationError, translate
from soxsvo.adql.functions import FUNCTIONS, LANGUAGE_FEATURES, UDF_NAMES
from tests.adql.helpers import SCHEMA

_FROM = " FROM test.pts AS p, test.regions AS r"
_SQL_FROM = ' AS "v" FROM "test"."pts" AS "p" CROSS JOIN "test"."regions" AS "r"'
_FUNCTIONS_SQL = (Path(__file__).resolve().parents[2] / "soxsvo" / "db" / "sql" / "repeatable"
                  / "adql_functions.sql")

#: (ADQL call, SQL of the select item, (datatype, arraysize, xtype, unit) of the column).
EXAMPLES = [
    ('ABS(p.ra)',
     'CAST(abs("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('CEILING(p.ra)',
     'CAST(ceiling("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('FLOOR(p.ra)',
     'CAST(floor("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('DEGREES(p.ra)',
     'CAST(degrees("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('RADIANS(p.ra)',
     'CAST(radians("p"."ra") AS double precision)',
     ('double', None, None, 'rad')),
    ('EXP(p.ra)',
     'CAST(exp("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('LOG(p.ra)',
     'CAST(ln("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('LOG10(p.ra)',
     'CAST(log("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('MOD(p.id, 3)',
     'CAST(mod("p"."id", 3) AS bigint)',
     ('long', None, None, None)),
    ('MOD(p.ra, 3)',
     'CAST(CAST(mod(CAST("p"."ra" AS numeric), CAST(3 AS numeric)) AS double precision) AS '
     'double precision)',
     ('double', None, None, None)),
    ('PI()',
     'CAST(pi() AS double precision)',
     ('double', None, None, None)),
    ('POWER(p.ra, 2)',
     'CAST(power("p"."ra", 2) AS double precision)',
     ('double', None, None, None)),
    ('RAND()',
     'CAST(random() AS double precision)',
     ('double', None, None, None)),
    ('ROUND(p.id)',
     'round("p"."id")',
     ('int', None, None, None)),
    ('ROUND(p.ra, 2)',
     'CAST(CAST(round(CAST(CAST("p"."ra" AS double precision) AS numeric), CAST(2 AS '
     'integer)) AS double precision) AS '
     'double precision)',
     ('double', None, None, 'deg')),
    ('SQRT(p.ra)',
     'CAST(sqrt("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('TRUNCATE(p.ra)',
     'CAST(trunc("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('TRUNCATE(p.ra, 1)',
     'CAST(CAST(trunc(CAST(CAST("p"."ra" AS double precision) AS numeric), CAST(1 AS '
     'integer)) AS double precision) AS '
     'double precision)',
     ('double', None, None, 'deg')),
    ('ACOS(p.ra)',
     'CAST(acos("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('ASIN(p.ra)',
     'CAST(asin("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('ATAN(p.ra)',
     'CAST(atan("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('ATAN2(p.ra, p.dec)',
     'CAST(atan2("p"."ra", "p"."dec") AS double precision)',
     ('double', None, None, None)),
    ('COS(p.ra)',
     'CAST(cos("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('COT(p.ra)',
     'CAST(cot("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('SIN(p.ra)',
     'CAST(sin("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('TAN(p.ra)',
     'CAST(tan("p"."ra") AS double precision)',
     ('double', None, None, None)),
    ('AVG(p.ra)',
     'CAST(avg("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('MAX(p.name)',
     'max("p"."name")',
     ('char', '*', None, None)),
    ('MIN(p.ra)',
     'CAST(min("p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('SUM(p.id)',
     'CAST(sum("p"."id") AS bigint)',
     ('long', None, None, None)),
    ('SUM(DISTINCT p.ra)',
     'CAST(sum(DISTINCT "p"."ra") AS double precision)',
     ('double', None, None, 'deg')),
    ('COUNT(*)',
     'CAST(count(*) AS bigint)',
     ('long', None, None, None)),
    ('COUNT(DISTINCT p.id)',
     'CAST(count(DISTINCT "p"."id") AS bigint)',
     ('long', None, None, None)),
    ("POINT('ICRS', p.ra, p.dec)",
     'CAST(ARRAY["p"."ra", "p"."dec"] AS double precision[])',
     ('double', '2', 'point', 'deg')),
    ('CIRCLE(p.ra, p.dec, 1)',
     'CAST(ARRAY["p"."ra", "p"."dec", 1] AS double precision[])',
     ('double', '3', 'circle', 'deg')),
    ('CIRCLE(POINT(1, 2), 3)',
     'CAST(ARRAY[1, 2, 3] AS double precision[])',
     ('double', '3', 'circle', 'deg')),
    ('BOX(10, 20, 2, 4)',
     'CAST(ARRAY[8.949189418141847, 17.99716808810581, 11.050810581858151, 17.99716808810581, '
     '11.077860019335024, 21.996478632505347, 8.922139980664976, 21.996478632505347] AS double '
     'precision[])',
     ('double', '*', 'polygon', 'deg')),
    ('POLYGON(1, 2, 3, 4, 5, 7)',
     'CAST(ARRAY[1, 2, 3, 4, 5, 7] AS double precision[])',
     ('double', '*', 'polygon', 'deg')),
    ("REGION('Circle ICRS 1 2 3')",
     'CAST(ARRAY[1.0, 2.0, 3.0] AS double precision[])',
     ('double', '3', 'circle', 'deg')),
    ('CENTROID(r.s_region)',
     'soxs_adql.centroid("r"."s_region")',
     ('double', '2', 'point', 'deg')),
    ('CENTROID(CIRCLE(1, 2, 3))',
     'CAST(ARRAY[1, 2] AS double precision[])',
     ('double', '2', 'point', 'deg')),
    ('AREA(r.s_region)',
     'CAST(soxs_adql.area("r"."s_region") AS double precision)',
     ('double', None, None, 'deg**2')),
    ('CONTAINS(POINT(p.ra, p.dec), CIRCLE(1, 2, 3))',
     'CAST(q3c_radial_query("p"."ra", "p"."dec", 1, 2, 3) AS integer)',
     ('int', None, None, None)),
    ('INTERSECTS(r.s_region, CIRCLE(1, 2, 3))',
     'CAST((q3c_join(1, 2, "r"."s_ra", "r"."s_dec", (3) + ("r"."s_fov") / 2.0) AND '
     'soxs_adql.intersects("r"."s_region", CAST(ARRAY[1, 2, 3] AS double precision[]))) AS '
     'integer)',
     ('int', None, None, None)),
    ('DISTANCE(POINT(p.ra, p.dec), POINT(1, 2))',
     'CAST(q3c_dist("p"."ra", "p"."dec", 1, 2) AS double precision)',
     ('double', None, None, 'deg')),
    ('DISTANCE(p.ra, p.dec, 1, 2)',
     'CAST(q3c_dist("p"."ra", "p"."dec", 1, 2) AS double precision)',
     ('double', None, None, 'deg')),
    ('DISTANCE(r.s_region, POINT(1, 2))',
     'CAST(soxs_adql.distance("r"."s_region", CAST(ARRAY[1, 2] AS double precision[])) AS double '
     'precision)',
     ('double', None, None, 'deg')),
    ('COORD1(POINT(p.ra, p.dec))',
     'CAST("p"."ra" AS double precision)',
     ('double', None, None, 'deg')),
    ('COORD2(r.s_region)',
     'CAST(("r"."s_region")[2] AS double precision)',
     ('double', None, None, 'deg')),
    ('COORDSYS(POINT(1, 2))',
     "CAST('ICRS' AS text)",
     ('char', '*', None, None)),
    ('LOWER(p.name)',
     'lower(CAST("p"."name" AS text))',
     ('char', '*', None, None)),
    ('UPPER(p.id)',
     'upper(CAST("p"."id" AS text))',
     ('char', '*', None, None)),
    ('COALESCE(p.ra, p.dec, 0)',
     'CAST(COALESCE("p"."ra", "p"."dec", 0) AS double precision)',
     ('double', None, None, 'deg')),
    ("NULLIF(p.name, 'x')",
     'NULLIF("p"."name", %(p0)s)',
     ('char', '*', None, None)),
    ("IN_UNIT(p.ra, 'arcsec')",
     'CAST(("p"."ra" * 3600.0) AS double precision)',
     ('double', None, None, 'arcsec')),
    ('BIT_AND(p.id, 3)',
     'CAST(("p"."id" & 3) AS bigint)',
     ('long', None, None, None)),
    ('BIT_OR(p.id, 3)',
     'CAST(("p"."id" | 3) AS bigint)',
     ('long', None, None, None)),
    ('BIT_XOR(p.id, 3)',
     'CAST(("p"."id" # 3) AS bigint)',
     ('long', None, None, None)),
    ('BIT_NOT(p.id)',
     'CAST((~ "p"."id") AS bigint)',
     ('long', None, None, None)),
    ('ivo_healpix_index(5, p.ra, p.dec)',
     'CAST(soxs_adql.healpix_index(5, "p"."ra", "p"."dec") AS bigint)',
     ('long', None, None, None)),
    ('ivo_healpix_index(5, POINT(p.ra, p.dec))',
     'CAST(soxs_adql.healpix_index(5, "p"."ra", "p"."dec") AS bigint)',
     ('long', None, None, None)),
    ('ivo_healpix_center(5, p.id)',
     'soxs_adql.healpix_center(5, "p"."id")',
     ('double', '2', 'point', 'deg')),
    ('ivo_interval_overlaps(p.ra, p.dec, 1, 2)',
     'CAST(("p"."ra") <= (2) AND (1) <= ("p"."dec") AS integer)',
     ('int', None, None, None)),
    ("ivo_hasword(p.name, 'x')",
     'CAST(to_tsvector(\'simple\', CAST("p"."name" AS text)) @@ plainto_tsquery(\'simple\', '
     'CAST(%(p0)s AS text)) AS integer)',
     ('int', None, None, None)),
    ("ivo_nocasematch(p.name, 'a%')",
     'CAST(CAST("p"."name" AS text) ILIKE CAST(%(p0)s AS text) AS integer)',
     ('int', None, None, None)),
    ("ivo_string_agg(p.name, ',')",
     'string_agg(CAST("p"."name" AS text), CAST(%(p0)s AS text))',
     ('char', '*', None, None)),
    ('ESO_INTERSECTION(r.s_region, CIRCLE(1, 2, 3))',
     'CAST(soxs_adql.intersection_area("r"."s_region", CAST(ARRAY[1, 2, 3] AS double '
     'precision[])) AS double precision)',
     ('double', None, None, 'deg**2')),
    ("eso_dateadd_sec(60, '2020-01-01T00:00:00')",
     '(CAST(%(p0)s AS timestamp) + make_interval(secs => CAST(60 AS double precision)))',
     ('char', '*', 'timestamp', None)),
]


def test_every_declared_function_has_an_example() -> None:
    called = {re.match(r"\w+", call).group() for call, _, _ in EXAMPLES}
    assert {name if name in FUNCTIONS else name.lower() for name in called} == set(FUNCTIONS)


@pytest.mark.parametrize(("call", "sql", "column"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_sql_form_and_result_metadata(call: str, sql: str, column: tuple) -> None:
    t = translate(f"SELECT {call} AS v" + _FROM, SCHEMA)
    assert t.sql == "SELECT " + sql + _SQL_FROM
    c = t.columns[0]
    assert (c.datatype, c.arraysize, c.xtype, c.unit) == column


def test_names_follow_the_adql_case_rules() -> None:
    for name, fn in FUNCTIONS.items():
        assert name == fn.name == (name.lower() if fn.udf else name.upper())
    assert sorted(UDF_NAMES) == ["eso_dateadd_sec", "eso_intersection", "ivo_hasword",
                                 "ivo_healpix_center", "ivo_healpix_index",
                                 "ivo_interval_overlaps", "ivo_nocasematch", "ivo_string_agg"]


def test_named_sql_functions_exist_in_the_database_code() -> None:
    defined = set(re.findall(r"CREATE OR REPLACE FUNCTION soxs_adql\.(\w+)\(",
                             _FUNCTIONS_SQL.read_text()))
    named = {fn.sql_function for fn in FUNCTIONS.values() if fn.sql_function}
    assert named and named <= defined


def test_capabilities_declare_every_udf_and_optional_function() -> None:
    udf = "ivo://ivoa.net/std/TAPRegExt#features-udf"
    for fn in FUNCTIONS.values():
        if fn.udf:
            assert (udf, fn.signature, fn.description) in LANGUAGE_FEATURES
        elif fn.feature is not None:
            assert (f"ivo://ivoa.net/std/TAPRegExt#features-{fn.feature}", fn.name,
                    fn.description) in LANGUAGE_FEATURES
    types = [t for t, _, _ in LANGUAGE_FEATURES]
    assert types == sorted(types, key=types.index), "each feature type appears in one block"


def test_argument_counts_come_from_the_declarations() -> None:
    with pytest.raises(ADQLSyntaxError, match=r"ROUND takes 1 to 2 argument\(s\), 3 given"):
        translate("SELECT ROUND(1, 2, 3) AS v" + _FROM, SCHEMA)
    with pytest.raises(ADQLSyntaxError, match=r"COALESCE takes 1 or more argument\(s\), 0"):
        translate("SELECT COALESCE() AS v" + _FROM, SCHEMA)
    with pytest.raises(ADQLValidationError,
                       match=r"ivo_hasword\(haystack TEXT, needle TEXT\) -> INTEGER: wrong"):
        translate("SELECT ivo_hasword(p.name) AS v" + _FROM, SCHEMA)


def test_only_declared_functions_translate() -> None:
    with pytest.raises(ADQLNameError, match="function 'ivo_nothing' is not available here"):
        translate("SELECT ivo_nothing(1) AS v" + _FROM, SCHEMA)
    with pytest.raises(ADQLNameError, match="function 'my_udf' is not available here"):
        translate("SELECT my_udf(1) AS v" + _FROM, SCHEMA, udfs=("my_udf",))
