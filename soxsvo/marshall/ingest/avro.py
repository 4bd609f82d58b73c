"""Avro container files (the ZTF and Rubin alert packets) read with fastavro."""

from __future__ import annotations

import io
from collections.abc import Iterator

import fastavro

from soxsvo.marshall.ingest.base import AlertFormatError

AVRO_MAGIC = b"Obj\x01"


def schema_name(data: bytes) -> str | None:
    """Full name of the writer schema of an Avro container file, or None if it is not one."""
    if not data.startswith(AVRO_MAGIC):
        return None
    try:
        schema = fastavro.reader(io.BytesIO(data)).writer_schema
    except Exception:  # noqa: BLE001 - any damage to the header means "not this format"
        return None
    return full_name(schema)


def full_name(schema: object) -> str:
    """``namespace.name`` of a record schema (writers store either form)."""
    if not isinstance(schema, dict):
        return ""
    name, namespace = schema.get("name", ""), schema.get("namespace")
    return name if "." in name or not namespace else f"{namespace}.{name}"


def records(data: bytes, origin: str, expected_prefix: str) -> Iterator[dict]:
    """Every record of an Avro container whose schema name starts with ``expected_prefix``.

    All records are decoded before the first is returned, so that a packet damaged half-way
    yields nothing rather than some of its alerts.
    """
    if not data.startswith(AVRO_MAGIC):
        raise AlertFormatError(origin, "not an Avro container file (no 'Obj\\x01' header)")
    try:
        reader = fastavro.reader(io.BytesIO(data))
        name = full_name(reader.writer_schema)
        if not name.startswith(expected_prefix):
            raise AlertFormatError(origin, f"Avro schema {name!r} is not {expected_prefix}*")
        decoded = list(reader)
    except AlertFormatError:
        raise
    # fastavro reports damage with many exception types (EOFError, ValueError, ...).
    except Exception as exc:  # noqa: BLE001
        raise AlertFormatError(origin, f"corrupt Avro packet ({type(exc).__name__}: {exc})"
                               ) from exc
    if not decoded:
        raise AlertFormatError(origin, "Avro container holds no alert")
    return iter(decoded)
