"""The OpenAPI 3.0 paths and schemas of ``/api/nights`` (merged into ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

_PROBLEM = {"$ref": "#/components/schemas/Problem"}
_TIME = {"type": "string", "format": "date-time"}
_NTIME = {"type": "string", "format": "date-time", "nullable": True}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": _PROBLEM}}}


def _obj(required: list[str], **properties: Any) -> dict[str, Any]:
    # OpenAPI 3.0 wants a non-empty ``required`` list, or none at all.
    return {"type": "object", "properties": properties, **({"required": required}
                                                           if required else {})}


_LEFT_OUT = _obj(["target", "key", "priority", "programme", "code", "reason"],
                 target={"type": "string"}, key={"type": "string"},
                 priority={"type": "integer"}, programme={"type": "string"},
                 code={"type": "string", "enum": ["pointing", "window", "not_observable",
                                                  "constraint", "too_short", "share",
                                                  "no_time", "removed"]},
                 reason={"type": "string"},
                 backup={"type": "boolean",
                         "description": "a back-up target for poor seeing or clouds"})

SCHEMAS: dict[str, Any] = {
    "NightBlock": _obj(
        ["obs_id", "target", "programme", "priority", "too", "start", "end", "exposure_s",
         "airmass_start", "airmass_end", "status", "reason", "ra", "dec"],
        obs_id={"type": "string", "description": "ObsLocTAP obs_id"},
        target={"type": "string"},
        programme={"type": "string", "enum": ["GTO", "ESO", "calibration"]},
        priority={"type": "integer", "minimum": 0, "maximum": 4}, too={"type": "boolean"},
        start=_TIME, end=_TIME, exposure_s={"type": "number"},
        airmass_start={"type": "number"}, airmass_end={"type": "number"},
        status={"type": "string",
                "enum": ["scheduled", "running", "done", "aborted", "failed_qc"]},
        reason={"type": "string"}, ra={"type": "number"}, dec={"type": "number"}),
    "LeftOut": _LEFT_OUT,
    "NightPlan": _obj(
        ["night", "start", "end", "version", "current_version", "created_at", "actor",
         "reason", "replanned_from", "blocks", "left_out", "displaced"],
        night={"type": "string", "format": "date"}, start=_TIME, end=_TIME,
        version={"type": "integer"}, current_version={"type": "integer"},
        created_at=_TIME, actor={"type": "string"}, reason={"type": "string"},
        replanned_from=_NTIME,
        blocks={"type": "array", "items": {"$ref": "#/components/schemas/NightBlock"}},
        left_out={"type": "array", "items": {"$ref": "#/components/schemas/LeftOut"}},
        displaced={"type": "array", "items": {"$ref": "#/components/schemas/LeftOut"}}),
}

_CHANGED = _obj(["target", "start", "end", "programme", "priority"],
                target={"type": "string"}, start=_TIME, end=_TIME,
                programme={"type": "string"}, priority={"type": "integer"},
                reason={"type": "string", "description": "why it was removed"})

_NUMBER = {"type": "number", "nullable": True}
_REQUEST = _obj([], exposure_s={**_NUMBER, "description": "seconds (else from snr)"},
                snr={**_NUMBER, "description": "S/N asked for (exposure-time model)"},
                cadence_days={**_NUMBER, "description": "observe again after so many days"},
                window_start=_NTIME, window_end=_NTIME, max_airmass=_NUMBER,
                min_moon_distance={**_NUMBER, "description": "degrees"})

_NIGHT = {"name": "night", "in": "path", "required": True,
          "description": "date of the night's evening (local, La Silla)",
          "schema": {"type": "string", "format": "date"}}
_ERRORS = {"401": _problem("not authenticated"), "403": _problem("not a consortium member")}
_PLAN = {"description": "the night's plan",
         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NightPlan"}}}}


def _post(summary: str, body: dict[str, Any], errors: dict[str, Any]) -> dict[str, Any]:
    return {"post": {
        "summary": summary, "parameters": [_NIGHT],
        "requestBody": {"required": False, "content": {"application/json": {"schema": body}}},
        "responses": {"201": _PLAN, **errors, **_ERRORS}}}


PATHS: dict[str, Any] = {
    "/nights/{night}": {"get": {
        "summary": "A night's plan: blocks with reasons, targets left out, blocks displaced",
        "parameters": [_NIGHT, {"name": "version", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": _PLAN, "400": _problem("bad night or version"),
                      "404": _problem("no plan for this night, or no such version"),
                      **_ERRORS}}},
    "/nights/{night}/diff": {"get": {
        "summary": "What changed between two versions: blocks added, removed (why), moved",
        "parameters": [_NIGHT,
                       {"name": "from", "in": "query", "required": True,
                        "schema": {"type": "integer", "minimum": 1}},
                       {"name": "to", "in": "query", "required": True,
                        "schema": {"type": "integer", "minimum": 1}}],
        "responses": {"200": {"description": "the changes", "content": {"application/json": {
            "schema": _obj(["night", "from", "to", "added", "removed", "moved"],
                           night={"type": "string", "format": "date"},
                           **{"from": {"type": "integer"}, "to": {"type": "integer"}},
                           added={"type": "array", "items": _CHANGED},
                           removed={"type": "array", "items": _CHANGED},
                           moved={"type": "array", "items": _obj(
                               ["target", "from_start", "to_start"], target={"type": "string"},
                               from_start=_TIME, to_start=_TIME)})}}},
                      "400": _problem("bad night or versions"),
                      "404": _problem("no such version"), **_ERRORS}}},
    "/nights/requests/{transient_id}": {"put": {
        "summary": "What is asked of a transient's observation (replaces the earlier request)",
        "parameters": [{"name": "transient_id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _REQUEST}}},
        "responses": {"200": {"description": "the stored request", "content": {
            "application/json": {"schema": _obj(["transient_id", "requested_by"],
                                                transient_id={"type": "integer"},
                                                requested_by={"type": "string"},
                                                **_REQUEST["properties"])}}},
                      "400": _problem("impossible constraints or bad values"),
                      "404": _problem("no such transient"), **_ERRORS}}},
    "/nights/{night}/plan": _post(
        "Plan the night from the follow-up lists, ESO targets and fixed blocks",
        _obj([], reason={"type": "string"}),
        {"400": _problem("bad night, or nothing to plan"),
         "409": _problem("the night has started: re-plan it")}),
    "/nights/{night}/replan": _post(
        "Re-plan from now, ToOs first; executed and running blocks stay",
        _obj([], too={"oneOf": [{"type": "string"},
                                {"type": "array", "items": {"type": "string"}}],
                      "description": "transient or event names (an event: its candidates)"},
             reason={"type": "string"},
             now={"type": "string", "format": "date-time",
                  "description": "re-plan from this time (default now)"}),
        {"400": _problem("nothing left of the night, a ToO never observable tonight, an "
                         "event without localisation or candidates, bad input"),
         "404": _problem("no plan yet, or no such transient or event")}),
}
