"""Who is asking: the caller's identity and the reader transaction every user-facing read uses.

Every path that shows archive data to a user (TAP, SSA, DataLink, SODA, files, previews, MOC,
HiPS, Marshall pages, REST API) opens its transaction with :func:`begin_as_reader`, passing the
request's :class:`Identity`. The reader role is subject to PostgreSQL row-level security; the
identity is handed to the policies as transaction-local settings, so the database, not Python,
decides which rows a caller may see.
"""

from __future__ import annotations

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
