"""The ``/moc`` endpoints: coverage MOCs of the archive and MOC queries (thin Flask views)."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

from flask import Response, request, url_for

from soxsvo.dali.blueprint import dal_blueprint
from soxsvo.errors import InputError, NotFoundError
from soxsvo.moc.coverage import KINDS, Orders, collections, coverage
from soxsvo.moc.events import event_region
from soxsvo.moc.query import TARGETS, QueryResult, query_moc
from soxsvo.moc.serialize import FORMATS, MOCInputError, moc_bytes, read_region
from soxsvo.web.context import connection, current_identity, current_settings

blueprint = dal_blueprint("moc", __name__, url_prefix="/moc")

#: Form fields an uploaded region may come in, in order of preference.
UPLOAD_FIELDS = ("moc", "skymap", "file", "upload")


def _params() -> dict[str, str]:
    # DALI parameter names are case-insensitive; values come from the query string or form.
    return {key.lower(): value for key, value in request.values.items()}


@blueprint.get("")
@blueprint.get("/")
def index() -> Response:
    """Links to the coverage MOCs and the MOC query endpoint, as JSON."""
    links = {kind: url_for("moc.coverage_moc", kind=kind, _external=True) for kind in KINDS}
    links["query"] = url_for("moc.query", _external=True)
    return Response(json.dumps({"mocs": links, "formats": list(FORMATS),
                                "targets": list(TARGETS)}, indent=2),
                    mimetype="application/json")


@blueprint.get("/<kind>")
def coverage_moc(kind: str) -> Response:
    """Space, time or space-time MOC of the public spectra (``collection=``, ``fmt=``)."""
    params = _params()
    if kind not in KINDS:
        raise NotFoundError(f"no MOC {kind!r}; there are {', '.join(KINDS)}")
    fmt = params.get("fmt", "fits").lower()
    if fmt not in FORMATS:
        raise InputError(f"fmt={fmt} is not supported; use one of {', '.join(FORMATS)}")
    collection = params.get("collection") or None
    settings = current_settings()
    with connection() as conn:
        # Only names that exist: arbitrary names would each leave a cache file behind.
        if collection is not None and collection not in (known := collections(conn)):
            raise NotFoundError(f"unknown collection {collection!r}; known: {', '.join(known)}")
        # coverage() reads in a transaction of its own, as the reader for the caller.
        conn.rollback()
        result = coverage(conn, kind, settings.data_path / "moc",
                          Orders.from_settings(settings.moc), collection, current_identity(),
                          settings.query.sync_timeout)
    cached = fmt == "fits" and result.path is not None
    body = result.path.read_bytes() if cached else moc_bytes(result.moc, fmt)
    mime, extension = FORMATS[fmt]
    name = f"soxs-{kind}-moc{'-' + collection if collection else ''}.{extension}"
    response = Response(body, mimetype=mime)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.headers["X-MOC-Products"] = str(result.count)
    return response


def _uploaded_region() -> bytes:
    for field in UPLOAD_FIELDS:
        if field in request.files:
            return request.files[field].read()
    if request.files:
        return next(iter(request.files.values())).read()
    if "moc" in request.values:
        return request.values["moc"].encode("utf-8")
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return b""
    return request.get_data(cache=False)


def _float(params: dict[str, str], name: str) -> float | None:
    if name not in params:
        return None
    try:
        value = float(params[name])
    except ValueError:
        raise InputError(f"{name}={params[name]} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{name}={params[name]} is not a finite number")
    return value


def _maxrec(params: dict[str, str]) -> int:
    tap = current_settings().tap
    try:
        maxrec = int(params.get("maxrec", tap.maxrec_default))
    except ValueError:
        raise InputError(f"maxrec={params['maxrec']} is not an integer") from None
    if maxrec < 0:
        raise InputError("maxrec must not be negative")
    return min(maxrec, tap.maxrec_hard)


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """Rows of ``target`` inside an uploaded MOC or sky-map credible region, or inside the
    credible region of a stored event's newest sky map (``event=<name>``)."""
    params = _params()
    target = params.get("target", "transients").lower()
    if target not in TARGETS:
        raise InputError(f"target={target} is unknown; use one of {', '.join(TARGETS)}")
    fmt = (params.get("fmt") or params.get("responseformat") or "votable").lower()
    credible = _float(params, "credible")
    if credible is not None and not 0 < credible <= 1:
        raise InputError(f"credible={params['credible']} must be in (0, 1], e.g. 0.9")
    maxrec = _maxrec(params)
    event = params.get("event", "").strip()
    region = None if event else _upload_region(credible)
    # Resolved before the query runs, so an unknown format costs no database work.
    writer = None if fmt == "json" else _writer(fmt)
    with connection() as conn:
        if event:
            # Events and their sky maps are public (GCN); the query itself runs as the caller.
            region = event_region(conn, event, 0.9 if credible is None else credible)
            conn.rollback()
        result = query_moc(conn, region, target, maxrec, current_settings().query.sync_timeout,
                           current_identity())
    if writer is None:
        return Response(json_result(result, target), mimetype="application/json")
    chunks = writer.stream(result.columns, [result.rows] if result.rows else [],
                           overflow=result.overflow, table_name=target)
    return Response(b"".join(chunks), mimetype=writer.mime_type)


def _upload_region(credible: float | None):
    try:
        return read_region(_uploaded_region(), credible)
    except MOCInputError as exc:
        raise InputError(str(exc)) from None


def _writer(fmt: str):
    from soxsvo.formats import UnknownFormatError, resolve_format

    try:
        return resolve_format(fmt)
    except UnknownFormatError as exc:
        raise InputError(str(exc)) from None


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def json_result(result: QueryResult, target: str) -> str:
    """A MOC query result as JSON: column metadata, rows as arrays and the overflow flag."""
    columns = [{"name": c.name, "datatype": c.datatype, "unit": c.unit, "ucd": c.ucd}
               for c in result.columns]
    return json.dumps({"target": target, "columns": columns,
                       "data": [list(row) for row in result.rows],
                       "overflow": result.overflow}, default=_json_value)
