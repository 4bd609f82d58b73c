"""Cross-match transients against the loaded catalogues and choose their context.

All candidates within ``host_radius_arcsec`` of each transient are found with one
``q3c_join`` over every catalogue partition. Per transient:

- a star, AGN or variable within ``star_radius_arcsec`` is the transient's counterpart (the
  nearest wins): the context is ``star`` / ``agn`` / ``variable``;
- otherwise the host is the nearest galaxy (in angle) whose projected separation at its
  redshift is at most ``host_max_kpc`` (galaxies without a redshift are eligible on angle);
  the context is ``host``;
- otherwise ``none``.

Distances are luminosity distances and projected separations use the proper scale
(``kpc_proper_per_arcmin``), both from astropy's Planck18 cosmology.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg
from astropy.cosmology import Planck18
from psycopg.rows import dict_row

_CANDIDATES = """
SELECT t.transient_id, s.catalog, c.kind, s.source_id, s.ra, s.dec,
       q3c_dist(t.ra, t.dec, s.ra, s.dec) * 3600.0 AS separation_arcsec, s.redshift
FROM marshall.transient t
JOIN marshall.catalog_source s ON q3c_join(t.ra, t.dec, s.ra, s.dec, %(radius)s)
JOIN marshall.catalog c ON c.name = s.catalog
WHERE t.transient_id = ANY(%(ids)s)
"""


def _distances(redshift: np.ndarray, separation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    usable = np.isfinite(redshift) & (redshift > 0)
    distance = np.full(redshift.shape, np.nan)
    projected = np.full(redshift.shape, np.nan)
    if usable.any():
        z = redshift[usable]
        distance[usable] = Planck18.luminosity_distance(z).to_value("Mpc")
        scale = Planck18.kpc_proper_per_arcmin(z).to_value("kpc / arcmin") / 60.0
        projected[usable] = separation[usable] * scale
    return distance, projected


def _choose(rows: list[dict], star_radius: float, host_max_kpc: float) -> dict | None:
    counterparts = [r for r in rows if r["kind"] != "galaxy"
                    and r["separation_arcsec"] <= star_radius]
    if counterparts:
        return min(counterparts, key=lambda r: r["separation_arcsec"])
    hosts = [r for r in rows if r["kind"] == "galaxy"
             and (r["projected_kpc"] is None or r["projected_kpc"] <= host_max_kpc)]
    return min(hosts, key=lambda r: r["separation_arcsec"]) if hosts else None


def _nan_to_none(value: float) -> float | None:
    return None if not np.isfinite(value) else float(value)


def crossmatch_transients(conn: psycopg.Connection, transient_ids: Sequence[int], *,
                          host_radius_arcsec: float = 30.0, star_radius_arcsec: float = 1.5,
                          host_max_kpc: float = 50.0) -> int:
    """Record the catalogue neighbours and the context of each transient.

    Earlier cross-matches of these transients are replaced.

    Parameters
    ----------
    conn : psycopg.Connection
    transient_ids : sequence of int
    host_radius_arcsec, star_radius_arcsec, host_max_kpc : float
        See :class:`soxsvo.marshall.ingest.config.IngestConfig`.

    Returns
    -------
    int
        Cross-match rows written.
    """
    if not transient_ids:
        return 0
    ids = list(transient_ids)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_CANDIDATES, {"ids": ids,
                                         "radius": max(host_radius_arcsec,
                                                       star_radius_arcsec) / 3600.0}).fetchall()
    if rows:
        redshift = np.array([np.nan if r["redshift"] is None else r["redshift"] for r in rows])
        separation = np.array([r["separation_arcsec"] for r in rows])
        distance, projected = _distances(redshift, separation)
        for row, d, p in zip(rows, distance, projected, strict=True):
            row["distance_mpc"], row["projected_kpc"] = _nan_to_none(d), _nan_to_none(p)
    by_transient: dict[int, list[dict]] = {}
    for row in rows:
        # A star catalogue searched to the host radius: keep only what could be the transient.
        if row["kind"] != "galaxy" and row["separation_arcsec"] > star_radius_arcsec:
            continue
        by_transient.setdefault(row["transient_id"], []).append(row)
    contexts = {}
    for transient_id, candidates in by_transient.items():
        best = _choose(candidates, star_radius_arcsec, host_max_kpc)
        for candidate in candidates:
            candidate["best"] = candidate is best
        contexts[transient_id] = "none" if best is None else (
            "host" if best["kind"] == "galaxy" else best["kind"])
    conn.execute("DELETE FROM marshall.crossmatch WHERE transient_id = ANY(%s)", (ids,))
    written = 0
    with conn.cursor().copy(
            "COPY marshall.crossmatch (transient_id, catalog, kind, source_id, ra, dec, "
            "separation_arcsec, redshift, distance_mpc, projected_kpc, best) FROM STDIN"
    ) as copy:
        for candidates in by_transient.values():
            for r in candidates:
                copy.write_row((r["transient_id"], r["catalog"], r["kind"], r["source_id"],
                                r["ra"], r["dec"], r["separation_arcsec"], r["redshift"],
                                r["distance_mpc"], r["projected_kpc"], r["best"]))
                written += 1
    conn.execute(
        "UPDATE marshall.transient t SET context = coalesce(c.context, 'none') "
        "FROM unnest(%s::bigint[]) AS i(transient_id) "
        "LEFT JOIN unnest(%s::bigint[], %s::text[]) AS c(transient_id, context) "
        "USING (transient_id) WHERE t.transient_id = i.transient_id "
        "AND t.transient_id = ANY(%s)",  # lets the planner probe the primary key
        (ids, list(contexts), list(contexts.values()), ids))
    return written
