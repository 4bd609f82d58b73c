"""What the archive holds: the counts and newest products shown on the landing page."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg.rows import namedtuple_row


@dataclass(frozen=True)
class ArchiveSummary:
    """Counts of the archive's contents."""

    transients: int
    photometry: int
    observations: int
    spectra: int
    public_spectra: int
    spectra_by_subtype: list[tuple[str | None, int]]
    first_night: str | None
    last_night: str | None
    newest: list


def archive_summary(conn: psycopg.Connection, newest: int = 10) -> ArchiveSummary:
    """Count transients, photometry, observations and spectra; list the newest spectra.

    Run as the reader for a caller (:func:`soxsvo.access.begin_as_reader`), ``spectra`` counts
    what that caller may see; as the archive's own role, all spectra. ``public_spectra`` and
    the newest spectra listed are those the caller may see (public ones for the owner role).
    """
    one = lambda query: conn.execute(query).fetchone()[0]  # noqa: E731
    by_subtype = conn.execute(
        "SELECT dataproduct_subtype, count(*) FROM ivoa.obscore "
        "WHERE dataproduct_type = 'spectrum' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    nights = conn.execute("SELECT min(night), max(night) FROM soxs.observation").fetchone()
    cur = conn.cursor(row_factory=namedtuple_row)
    latest = cur.execute(
        "SELECT target_name, dataproduct_subtype AS subtype, t_min, snr, dp_id, "
        "to_char(obs_release_date, 'YYYY-MM-DD') AS release FROM ivoa.obscore "
        "WHERE dataproduct_type = 'spectrum' "
        "AND soxs.can_see(obs_release_date, data_rights, proposal_id) "
        "ORDER BY t_min DESC, dp_id LIMIT %s", (newest,)
    ).fetchall()
    summary = ArchiveSummary(
        transients=one("SELECT count(*) FROM marshall.transient"),
        photometry=one("SELECT count(*) FROM marshall.photometry"),
        observations=one("SELECT count(*) FROM soxs.observation"),
        spectra=sum(n for _, n in by_subtype),
        public_spectra=conn.execute(
            "SELECT count(*) FROM ivoa.obscore WHERE dataproduct_type = 'spectrum' "
            "AND soxs.is_public(obs_release_date, data_rights)"
        ).fetchone()[0],
        spectra_by_subtype=by_subtype,
        first_night=nights[0].isoformat() if nights[0] else None,
        last_night=nights[1].isoformat() if nights[1] else None,
        newest=latest,
    )
    conn.rollback()
    return summary

