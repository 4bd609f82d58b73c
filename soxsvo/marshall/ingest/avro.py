"""Avro container files (the ZTF and Rubin alert packets) read with fastavro.

Surveys send every packet with its full writer schema embedded; parsing that schema costs
more than decoding the alert itself (2-4 ms for a ZTF packet). The container is therefore
walked here (header, metadata, blocks, sync markers, per the Avro 1.11 specification) and each
distinct schema is parsed by fastavro once per process; records are decoded with fastavro's
``schemaless_reader``. Codecs other than null and deflate go through ``fastavro.reader``.

An adapter may name the fields it reads: records are then decoded against a reader schema
that keeps only those (Avro schema resolution skips the others without building Python
objects for them), a fifth less CPU per ZTF packet, whose candidates carry ~100 fields each.
"""

from __future__ import annotations

import io
import json
import zlib
from collections.abc import Iterator
from functools import lru_cache

import fastavro

from soxsvo.marshall.ingest.base import AlertFormatError

AVRO_MAGIC = b"Obj\x01"
_SYNC_SIZE = 16


class _FramingError(ValueError):
    """The container's framing is broken."""


def _long(buffer: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at ``pos``: (value, next position)."""
    shift = result = 0
    while True:
        if pos >= len(buffer):
            raise _FramingError("truncated number")
        byte = buffer[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
        if shift > 63:
            raise _FramingError("number too long")


def _bytes(buffer: bytes, pos: int) -> tuple[bytes, int]:
    size, pos = _long(buffer, pos)
    if size < 0 or pos + size > len(buffer):
        raise _FramingError("truncated string")
    return buffer[pos:pos + size], pos + size


def _header(data: bytes) -> tuple[dict[str, bytes], bytes, int]:
    """Metadata map, sync marker and the position of the first block."""
    pos, meta = len(AVRO_MAGIC), {}
    while True:
        count, pos = _long(data, pos)
        if count == 0:
            break
        if count < 0:  # a negative count is followed by the block's size in bytes
            count = -count
            _, pos = _long(data, pos)
        for _ in range(count):
            key, pos = _bytes(data, pos)
            value, pos = _bytes(data, pos)
            meta[key.decode("utf-8", "replace")] = value
    sync = data[pos:pos + _SYNC_SIZE]
    if len(sync) != _SYNC_SIZE:
        raise _FramingError("truncated header")
    return meta, sync, pos + _SYNC_SIZE


@lru_cache(maxsize=32)
def _parsed_schema(schema_json: bytes) -> dict:
    return fastavro.parse_schema(json.loads(schema_json))


@lru_cache(maxsize=32)
def _projection(schema_json: bytes, fields: frozenset[str]) -> dict | None:
    """Parsed reader schema keeping only record fields named in ``fields`` (at any depth),
    or None when the projection cannot be built (then every field is decoded)."""
    try:
        return fastavro.parse_schema(_prune(json.loads(schema_json), fields))
    except Exception:  # noqa: BLE001 - e.g. a kept field naming a type defined in a pruned one
        return None


def _prune(schema: object, fields: frozenset[str]) -> object:
    if isinstance(schema, list):
        return [_prune(branch, fields) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "record":
        kept = [dict(f, type=_prune(f["type"], fields)) for f in schema["fields"]
                if f["name"] in fields]
        return dict(schema, fields=kept)
    if schema.get("type") == "array":
        return dict(schema, items=_prune(schema["items"], fields))
    if schema.get("type") == "map":
        return dict(schema, values=_prune(schema["values"], fields))
    return schema


@lru_cache(maxsize=32)
def _schema_name(schema_json: bytes) -> str:
    return full_name(json.loads(schema_json))


def full_name(schema: object) -> str:
    """``namespace.name`` of a record schema (writers store either form)."""
    if not isinstance(schema, dict):
        return ""
    name, namespace = schema.get("name", ""), schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def schema_name(data: bytes) -> str | None:
    """Full name of the writer schema of an Avro container file, or None if it is not one."""
    if not data.startswith(AVRO_MAGIC):
        return None
    try:
        meta, _, _ = _header(data)
        return _schema_name(meta["avro.schema"])
    except (_FramingError, KeyError, ValueError):
        return None


def _blocks(data: bytes, start: int, sync: bytes, codec: str) -> Iterator[tuple[int, bytes]]:
    pos = start
    while pos < len(data):
        count, pos = _long(data, pos)
        payload, pos = _bytes(data, pos)
        if data[pos:pos + _SYNC_SIZE] != sync:
            raise _FramingError("block not followed by the file's sync marker")
        pos += _SYNC_SIZE
        if codec == "deflate":
            payload = zlib.decompress(payload, -15)
        yield count, payload


def _decode(data: bytes, fields: frozenset[str] | None) -> tuple[str, list[dict]]:
    meta, sync, start = _header(data)
    codec = meta.get("avro.codec", b"null").decode()
    schema_json = meta["avro.schema"]
    if codec not in ("null", "deflate"):
        reader = fastavro.reader(io.BytesIO(data))
        return full_name(reader.writer_schema), list(reader)
    schema = _parsed_schema(schema_json)
    reader = _projection(schema_json, fields) if fields else None
    decoded = []
    for count, payload in _blocks(data, start, sync, codec):
        stream = io.BytesIO(payload)
        decoded.extend(fastavro.schemaless_reader(stream, schema, reader)
                       for _ in range(count))
        if stream.tell() != len(payload):
            raise _FramingError("block longer than its records")
    return _schema_name(schema_json), decoded


def records(data: bytes, origin: str, expected_prefix: str,
            fields: frozenset[str] | None = None) -> Iterator[dict]:
    """Every record of an Avro container whose schema name starts with ``expected_prefix``.

    With ``fields``, records hold only the fields of those names (at any depth; every other
    field is skipped while decoding). All records are decoded before the first is returned,
    so that a packet damaged half-way yields nothing rather than some of its alerts.
    """
    if not data.startswith(AVRO_MAGIC):
        raise AlertFormatError(origin, "not an Avro container file (no 'Obj\\x01' header)")
    try:
        name, decoded = _decode(data, fields)
    # fastavro and zlib report damage with many exception types (EOFError, ValueError, ...).
    except Exception as exc:  # noqa: BLE001
        raise AlertFormatError(origin, f"corrupt Avro packet ({type(exc).__name__}: {exc})"
                               ) from exc
    if not name.startswith(expected_prefix):
        raise AlertFormatError(origin, f"Avro schema {name!r} is not {expected_prefix}*")
    if not decoded:
        raise AlertFormatError(origin, "Avro container holds no alert")
    return iter(decoded)
