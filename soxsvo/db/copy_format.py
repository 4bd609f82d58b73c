"""The framing of PostgreSQL's binary COPY format, shared by what soxsvo writes (uploaded
tables, :mod:`soxsvo.tap.uploads`) and what it reads (query results,
:mod:`soxsvo.tap.binary_copy`). See PostgreSQL's documentation of ``COPY``, "Binary Format".
"""

from __future__ import annotations

#: The 11-byte signature every binary COPY stream starts with.
SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
#: The header soxsvo writes: the signature, flags (no OIDs) and an empty header extension.
HEADER = SIGNATURE + bytes(8)
#: The file trailer: a field count of -1.
TRAILER = b"\xff\xff"
