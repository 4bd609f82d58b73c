"""Who is asking: the caller's identity and the reader transaction every user-facing read uses.

Every path that shows archive data to a user (TAP, SSA, DataLink, SODA, files, previews, MOC,
HiPS, Marshall pages, REST API) reads inside :func:`reading` (or, for a transaction that must
outlive a ``with`` block such as a streamed result, :func:`begin_as_reader` and
:func:`forbid_writes`), passing the request's :class:`Identity`. The reader role is subject to
PostgreSQL row-level security; the identity is handed to the policies as transaction-local
settings, so the database, not Python, decides which rows a caller may see.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

READER_ROLE = "soxsvo_reader"


@dataclass(frozen=True)
class Identity:
    """The caller of a request.

    Attributes
    ----------
    user : str or None
        Login name; ``None`` for an anonymous caller.
    roles : frozenset of str
        Any of ``consortium``, ``admin`` (programme rights are in ``programmes``).
    programmes : frozenset of str
        ESO ``proposal_id`` values the caller is PI or co-I of.
    """

    user: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    programmes: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_anonymous(self) -> bool:
        return self.user is None

    def has_role(self, role: str) -> bool:
        return role in self.roles or "admin" in self.roles


ANONYMOUS = Identity()


def begin_as_reader(conn: psycopg.Connection, timeout_s: float,
                    identity: Identity = ANONYMOUS) -> None:
    """Open a transaction as the read-only role, for ``identity``, with a statement timeout.

    All settings are LOCAL: they end with the transaction, so a pooled connection never carries
    one caller's identity into the next request. The settings ``soxs.user``, ``soxs.roles``,
    ``soxs.programmes`` (as given) and ``soxs.visible_programmes``, ``soxs.admin`` (derived)
    feed ``soxs.can_see``, the one visibility rule of every row-level security policy.
    """
    # The caller is named (soxs.set_caller derives its visible programmes) while the
    # connection is still the archive's own role: the reader may not call it.
    conn.execute("SELECT soxs.set_caller(%s, %s, %s)",
                 (identity.user or "", ",".join(sorted(identity.roles)),
                  ",".join(sorted(identity.programmes))))
    conn.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(READER_ROLE)))
    conn.execute(sql.SQL("SET LOCAL statement_timeout = {}").format(
        sql.Literal(int(timeout_s * 1000))))


def forbid_writes(conn: psycopg.Connection, *, jit: bool = False) -> None:
    """Make the rest of the transaction read-only and, unless ``jit``, plan without JIT.

    Callable mid-transaction (after an upload's temporary tables exist: PostgreSQL allows
    going read-only, never back). q3c's selectivity estimates put any q3c join at costs far
    above ``jit_above_cost``: PostgreSQL then spends 150-300 ms compiling a query that runs in
    50 ms; no user query here gains enough from JIT to pay for that.
    """
    conn.execute("SET LOCAL transaction_read_only = on")
    if not jit:
        conn.execute("SET LOCAL jit = off")


@contextmanager
def reading(conn: psycopg.Connection, identity: Identity = ANONYMOUS, timeout_s: float = 30.0,
            *, read_only: bool = True, jit: bool = False) -> Iterator[psycopg.Connection]:
    """The one reader transaction: as ``identity``, under row-level security, with a timeout.

    Parameters
    ----------
    conn : psycopg.Connection
        A connection not in a transaction; the transaction ends with the block.
    identity : Identity
        Whose rights the rows are filtered by.
    timeout_s : float
        Statement timeout.
    read_only : bool
        Refuse writes for the rest of the transaction (default).
    jit : bool
        Let PostgreSQL JIT-compile (off by default, see :func:`forbid_writes`).
    """
    with conn.transaction():
        begin_as_reader(conn, timeout_s, identity)
        if read_only:
            forbid_writes(conn, jit=jit)
        elif not jit:
            conn.execute("SET LOCAL jit = off")
        yield conn
