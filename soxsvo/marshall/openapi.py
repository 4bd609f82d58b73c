"""The OpenAPI 3.0 description of the Marshall's REST API, served at ``/api/openapi.json``.

Written beside the handlers in :mod:`soxsvo.marshall.views.api`; the tests validate the document and
check real responses against it, so the two cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import Any

from soxsvo.marshall.listing import SORTS
from soxsvo.marshall.lists import LISTS
from soxsvo.observing import openapi as nights


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


_NUM = {"type": "number", "nullable": True}
_STR = {"type": "string", "nullable": True}
_TIME = {"type": "string", "format": "date-time", "nullable": True}

_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object", "required": ["title", "status", "detail"],
        "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                       "status": {"type": "integer"}, "detail": {"type": "string"}},
    },
    "ListName": {"type": "string", "enum": list(LISTS)},
    "TransientRow": {
        "type": "object",
        "required": ["transient_id", "name", "ra", "dec", "list", "priority"],
        "properties": {
            "transient_id": {"type": "integer"}, "name": {"type": "string"},
            "ra": {"type": "number", "description": "ICRS, degrees"},
            "dec": {"type": "number", "description": "ICRS, degrees"},
            "discovery_mjd": _NUM, "discovery_survey": _STR,
            "classification": {**_STR, "description": "the consortium's newest classification "
                               "(private until reported to TNS), else the public one"},
            "redshift": {**_NUM, "description": "the consortium's newest redshift, else the "
                         "public one"},
            "current_mag": {**_NUM, "description": "AB magnitude of the latest detection "
                            "(its night's weighted mean); never a limit"},
            "current_mag_mjd": _NUM, "list": _ref("ListName"),
            "priority": {"type": "integer", "minimum": 1, "maximum": 4},
            "snoozed_until": _TIME, "list_since": _TIME,
            "current_mag_band": _STR,
            "last_limit_mag": {**_NUM, "description": "latest non-detection: limiting AB "
                               "magnitude"},
            "last_limit_mjd": _NUM, "last_limit_band": _STR,
            "score_mjd": {**_NUM, "description": "MJD of the newest alert with scores"},
            "rb": {**_NUM, "description": "ZTF real-bogus score (0 bogus .. 1 real)"},
            "drb": {**_NUM, "description": "ZTF deep real-bogus score"},
            "sgscore1": {**_NUM, "description": "ZTF star-galaxy score of the nearest "
                         "Pan-STARRS source (1: star)"},
            "distpsnr1": {**_NUM, "description": "distance to that source, arcsec"},
            "reliability": {**_NUM, "description": "Rubin diaSource reliability"},
            "positive": {"type": "boolean", "nullable": True,
                         "description": "sign of the newest alert's difference"},
            "flags": {"type": "array", "nullable": True, "items": {"type": "string"},
                      "description": "Rubin diaSource flags set on the newest alert"},
        },
    },
    "Photometry": {
        "type": "object", "required": ["survey", "band", "mjd", "upper_limit"],
        "properties": {
            "survey": {"type": "string"}, "band": {"type": "string"}, "mjd": {"type": "number"},
            "flux_ujy": {**_NUM, "description": "flux density (microjansky); the limit for "
                         "upper limits"},
            "flux_err_ujy": _NUM, "upper_limit": {"type": "boolean"},
            "mag": {**_NUM, "description": "AB magnitude from flux_ujy (of its absolute value "
                    "for a significant negative difference)"}, "mag_err": _NUM,
            "negative": {"type": "boolean", "description": "a detection fainter than in the "
                         "reference (negative difference flux)"},
            "orig_value": _NUM, "orig_error": _NUM, "orig_unit": {"type": "string"},
        },
    },
    "Spectrum": {
        "type": "object", "required": ["dp_id", "obs_publisher_did"],
        "properties": {
            "dp_id": {"type": "string"}, "obs_publisher_did": {"type": "string"},
            "obs_id": _STR, "target_name": _STR, "t_min": _NUM, "t_exptime": _NUM,
            "em_min": _NUM, "em_max": _NUM, "snr": _NUM, "dataproduct_subtype": _STR,
            "obs_release_date": _TIME, "proposal_id": _STR,
        },
    },
    "Classification": {
        "type": "object", "required": ["type", "classified_by", "classified_at"],
        "properties": {
            "classification_id": {"type": "integer"}, "type": {"type": "string"},
            "redshift": _NUM, "phase_days": _NUM, "spectrum_dp_id": _STR,
            "classified_by": {"type": "string"},
            "classified_at": {"type": "string", "format": "date-time"},
            "reported_to_tns_at": {**_TIME, "description": "when it was reported to TNS and "
                                   "became public; null: private to the consortium"},
        },
    },
    "Comment": {
        "type": "object", "required": ["comment_id", "author", "body", "created_at"],
        "properties": {
            "comment_id": {"type": "integer"}, "author": {"type": "string"},
            "body": {"type": "string"}, "mentions": {"type": "array", "items": {"type": "string"}},
            "created_at": {"type": "string", "format": "date-time"},
        },
    },
    "HistoryEntry": {
        "type": "object", "required": ["actor", "action", "detail", "at"],
        "properties": {
            "actor": {"type": "string"}, "action": {"type": "string"},
            "detail": {"type": "object", "additionalProperties": True},
            "at": {"type": "string", "format": "date-time"},
        },
    },
}
_SCHEMAS["Transient"] = {
    "allOf": [_ref("TransientRow"), {
        "type": "object",
        "required": ["aliases", "photometry", "spectra", "classifications", "comments",
                     "history"],
        "properties": {
            "aliases": {"type": "array", "items": {
                "type": "object", "required": ["name", "survey"],
                "properties": {"name": {"type": "string"}, "survey": {"type": "string"},
                               "url": _STR}}},
            "photometry": {"type": "array", "items": _ref("Photometry")},
            "spectra": {"type": "array", "items": _ref("Spectrum")},
            "classifications": {"type": "array", "items": _ref("Classification")},
            "comments": {"type": "array", "items": _ref("Comment")},
            "history": {"type": "array", "items": _ref("HistoryEntry")},
            "host": {"type": "object", "nullable": True, "additionalProperties": True},
            "public_classification": {**_STR, "description": "what everyone sees: reported "
                                      "to TNS by a survey or by the consortium"},
            "public_redshift": _NUM,
            "stamps": {"type": "array", "description": "alert cutouts, latest alert first; "
                       "each PNG at /marshall/stamp/{id}.png", "items": {
                           "type": "object", "required": ["survey", "alert_id", "stamps"],
                           "properties": {
                               "survey": {"type": "string"}, "alert_id": {"type": "string"},
                               "mjd": _NUM,
                               "stamps": {"type": "object", "description": "kind → stamp id",
                                          "additionalProperties": {"type": "integer"}}}}},
        },
    }],
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": _ref("Problem")}}}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {"401": _problem("not authenticated"), "403": _problem("not a consortium member")}
_TID = {"name": "transient_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _action(summary: str, body: dict[str, Any], response: dict[str, Any],
            status: str = "200") -> dict[str, Any]:
    return {"post": {
        "summary": summary, "parameters": [_TID],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {status: _json(response), "400": _problem("CSRF token missing (session)"),
                      "404": _problem("no such transient"),
                      "409": _problem("move not allowed"), "422": _problem("invalid value"),
                      **_ERRORS},
    }}


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _query(name: str, kind: str, description: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": kind, **extra}}


_LIST_PARAMS = [
    _query("q", "string", "text contained in the name or an alias", maxLength=100),
    _query("mag_min", "number", "brightest current AB magnitude"),
    _query("mag_max", "number", "faintest current AB magnitude"),
    _query("age_min", "number", "least days since discovery"),
    _query("age_max", "number", "most days since discovery"),
    _query("survey", "string", "a survey that reported it"),
    _query("classification", "string", "a type of the taxonomy, or 'unclassified'"),
    _query("ra", "number", "cone centre RA (deg)", minimum=0, maximum=360),
    _query("dec", "number", "cone centre Dec (deg)", minimum=-90, maximum=90),
    _query("radius", "number", "cone radius (deg)", minimum=0, maximum=180),
    _query("priority", "integer", "only this priority", minimum=1, maximum=4),
    _query("rb_min", "number", "least ZTF rb of the newest alert"),
    _query("drb_min", "number", "least ZTF drb of the newest alert"),
    _query("reliability_min", "number", "least Rubin reliability of the newest alert"),
    _query("sgscore_max", "number", "most ZTF sgscore1 (1: star)"),
    _query("distpsnr_min", "number", "least distance to the nearest PS1 source (arcsec)"),
    _query("sign", "string", "sign of the newest difference", enum=["positive", "negative"]),
    _query("unflagged", "string", "1: newest Rubin alert without flags", enum=["1"]),
    _query("sort", "string", "sort key", enum=list(SORTS)),
    _query("order", "string", "sort order", enum=["asc", "desc"]),
    _query("page", "integer", "page (1-based)", minimum=1),
    _query("page_size", "integer", "rows per page", minimum=1),
]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.0.3 document of ``/api``."""
    paths: dict[str, Any] = {
        "/lists": {"get": {
            "summary": "Workflow lists and their counts",
            "responses": {"200": _json(_obj(["lists"], lists={"type": "array", "items": _obj(
                ["name", "title", "count"], name=_ref("ListName"), title={"type": "string"},
                count={"type": "integer"})})), **_ERRORS}}},
        "/lists/{list}/transients": {"get": {
            "summary": "One page of a workflow list",
            "parameters": [{"name": "list", "in": "path", "required": True,
                            "schema": _ref("ListName")}, *_LIST_PARAMS],
            "responses": {"200": _json(_obj(
                ["list", "total", "total_exact", "page", "page_size", "pages", "transients"],
                list=_ref("ListName"), total={"type": "integer"},
                total_exact={"type": "boolean", "description": "false: at least total match "
                             "(filtered counts stop at 1,000)"},
                page={"type": "integer"},
                page_size={"type": "integer"}, pages={"type": "integer"},
                transients={"type": "array", "items": _ref("TransientRow")})),
                "404": _problem("no such list"), "422": _problem("bad filter"), **_ERRORS}}},
        "/transients/{transient_id}": {"get": {
            "summary": "A transient with photometry, aliases, spectra, workflow and history",
            "parameters": [_TID],
            "responses": {"200": _json(_ref("Transient")),
                          "404": _problem("no such transient"), **_ERRORS}}},
        "/transients/{transient_id}/history": {"get": {
            "summary": "Who did what, when", "parameters": [_TID],
            "responses": {"200": _json(_obj(["transient_id", "history"],
                                            transient_id={"type": "integer"},
                                            history={"type": "array",
                                                     "items": _ref("HistoryEntry")})),
                          "404": _problem("no such transient"), **_ERRORS}}},
        "/transients/{transient_id}/move": _action(
            "Move to another workflow list",
            _obj(["list"], list=_ref("ListName"),
                 snooze_until={"type": "string", "format": "date-time",
                               "description": "end of the snooze (list 'snoozed')"}),
            _obj(["transient_id", "previous_list", "list"], transient_id={"type": "integer"},
                 previous_list=_ref("ListName"), list=_ref("ListName"))),
        "/transients/{transient_id}/priority": _action(
            "Set the priority (1 highest)",
            _obj(["priority"], priority={"type": "integer", "minimum": 1, "maximum": 4}),
            _obj(["transient_id", "previous_priority", "priority"],
                 transient_id={"type": "integer"}, previous_priority={"type": "integer"},
                 priority={"type": "integer"})),
        "/transients/{transient_id}/classification": _action(
            "Record a classification",
            _obj(["type"], type={"type": "string", "description": "a type of the taxonomy"},
                 redshift=_NUM, phase_days={**_NUM, "description": "days from maximum"},
                 spectrum_dp_id=_STR),
            _obj(["transient_id", "classification_id", "type"],
                 transient_id={"type": "integer"}, classification_id={"type": "integer"},
                 type={"type": "string"}), "201"),
        "/transients/{transient_id}/classifications/{classification_id}/tns": {"post": {
            **_action(
                "Mark a classification as reported to TNS (it becomes public; final)",
                {"type": "object", "properties": {"reported_at": {
                    "type": "string", "format": "date-time",
                    "description": "when it was reported (default now)"}}},
                _obj(["transient_id", "classification_id", "reported_to_tns_at"],
                     transient_id={"type": "integer"}, classification_id={"type": "integer"},
                     reported_to_tns_at={"type": "string", "format": "date-time"}))["post"],
            "parameters": [_TID, {"name": "classification_id", "in": "path", "required": True,
                                  "schema": {"type": "integer"}}]}},
        "/transients/{transient_id}/comments": _action(
            "Add a comment (@name mentions)",
            _obj(["body"], body={"type": "string", "minLength": 1, "maxLength": 10000}),
            _obj(["transient_id", "comment_id", "mentions"], transient_id={"type": "integer"},
                 comment_id={"type": "integer"},
                 mentions={"type": "array", "items": {"type": "string"}}), "201"),
        "/spectra/{dp_id}": {"get": {
            "summary": "Binned wavelength and flux of an archived spectrum, for plotting",
            "parameters": [{"name": "dp_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _json(_obj(
                ["dp_id", "arm", "wave_nm", "flux", "flux_unit"], dp_id={"type": "string"},
                arm={"type": "string"}, wave_nm={"type": "array", "items": {"type": "number"}},
                flux={"type": "array", "items": _NUM}, flux_unit={"type": "string"})),
                "404": _problem("no such spectrum, or not visible to you"), **_ERRORS}}},
    }
    paths.update(nights.PATHS)
    return {
        "openapi": "3.0.3",
        "info": {"title": "SOXS Marshall API", "version": "1.0",
                 "description": "Triage workflow of the SOXS consortium: lists, priorities, "
                                "classifications, comments and history of transients; the "
                                "plans of the NTT nights (/nights)."},
        "servers": [{"url": "/api"}],
        "security": [{"bearerToken": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": {**_SCHEMAS, **nights.SCHEMAS},
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer",
                                "description": "an API token from /account"},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "browser session; writes need X-CSRFToken"},
            },
        },
    }
