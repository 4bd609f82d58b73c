"""DALI examples (``/tap/examples``): real SOXS science queries, each runnable as written.

The document is XHTML with RDFa (DALI 1.1 section 2.3): each example is an element with
``typeof="example"``, a ``name`` property and a ``query`` property holding the ADQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Example:
    """One named science query with its explanation."""

    slug: str
    name: str
    text: str
    query: str


EXAMPLES: tuple[Example, ...] = (
    Example("cone-transients", "Transients within 2 degrees of a position",
            "A cone search on the Marshall's transients; q3c's index answers it.",
            "SELECT name, ra, dec, classification, current_mag FROM marshall.transient\n"
            "WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 53.0, -28.0, 2.0)) = 1"),
    Example("spectra-of-target", "All SOXS spectra of one target",
            "ObsCore rows of every spectrum of one transient, newest first; access_url is "
            "each product's DataLink document (FITS, preview, raw frames, cutouts).",
            "SELECT obs_publisher_did, dataproduct_subtype, t_min, snr, access_url,\n"
            "access_format FROM ivoa.obscore WHERE dataproduct_type = 'spectrum'\n"
            "AND target_name = 'SN 2026aab' ORDER BY t_min DESC"),
    Example("halpha-coverage", "Spectra covering H-alpha at z < 0.1",
            "Wavelength constraint in metres, as ObsCore stores em_min and em_max.",
            "SELECT TOP 100 target_name, em_min, em_max, em_res_power, snr\n"
            "FROM ivoa.obscore WHERE em_min < 656.28e-9 AND em_max > 721.9e-9"),
    Example("time-window", "Spectra taken in a time window (MJD)",
            "ObsCore time coverage: t_min and t_max are MJD.",
            "SELECT obs_id, target_name, t_min, t_max, t_exptime FROM ivoa.obscore\n"
            "WHERE t_min BETWEEN 60800 AND 61400 ORDER BY t_min"),
    Example("best-snr-per-target", "Best merged spectrum of each target",
            "Aggregate per target; the merged UV-VIS+NIR spectrum is the primary product.",
            "SELECT target_name, MAX(snr) AS best_snr, COUNT(*) AS n_spectra\n"
            "FROM ivoa.obscore WHERE dataproduct_subtype = 'merged'\n"
            "GROUP BY target_name ORDER BY best_snr DESC"),
    Example("upload-crossmatch", "Crossmatch an uploaded list with the transients",
            "Upload a VOTable or CSV with columns ra, dec as TAP_UPLOAD.mine (e.g. pyvo's "
            "upload argument); DISTANCE in a join becomes q3c_join.",
            "SELECT u.ra, u.dec, t.name, DISTANCE(POINT('', u.ra, u.dec),\n"
            "POINT('', t.ra, t.dec)) * 3600 AS sep_arcsec\n"
            "FROM TAP_UPLOAD.mine AS u JOIN marshall.transient AS t\n"
            "ON DISTANCE(POINT('', u.ra, u.dec), POINT('', t.ra, t.dec)) < 2.0/3600"),
    Example("healpix-counts", "Transients per HEALPix cell (order 3)",
            "MOC-style counts with the ivo_healpix_index UDF.",
            "SELECT ivo_healpix_index(3, ra, dec) AS hpx3, COUNT(*) AS n\n"
            "FROM marshall.transient GROUP BY hpx3 ORDER BY n DESC"),
    Example("light-curve", "Light curve of one transient from every survey",
            "Photometry as flux density in microjansky with the original magnitudes.",
            "SELECT p.mjd, p.survey, p.band, p.flux_ujy, p.flux_err_ujy, p.upper_limit\n"
            "FROM marshall.photometry AS p JOIN marshall.alias AS a\n"
            "ON a.transient_id = p.transient_id WHERE a.name = 'SN 2026aab' ORDER BY 1"),
    Example("observations-per-night", "SOXS observations per night",
            "The observing log: how many observation blocks each night executed.",
            "SELECT night, COUNT(*) AS n_obs, SUM(exptime) AS exptime_s\n"
            "FROM soxs.observation GROUP BY night ORDER BY night DESC"),
    Example("provenance", "Raw frames a product was made from",
            "Provenance (PROVi) joined to the raw frames the archive knows.",
            "SELECT p.publisher_did, r.arcfile, r.arm, r.exptime FROM soxs.provenance AS p\n"
            "JOIN soxs.raw_frame AS r ON r.arcfile = p.raw_arcfile\n"
            "WHERE p.publisher_did IN (SELECT TOP 1 obs_publisher_did FROM ivoa.obscore)"),
    Example("classified-with-spectra", "Classified transients that have SOXS spectra",
            "A join from the Marshall to ObsCore through the observation log.",
            "SELECT DISTINCT t.name, t.classification, t.redshift FROM marshall.transient AS t\n"
            "JOIN soxs.observation AS o ON o.transient_id = t.transient_id\n"
            "WHERE t.classification IS NOT NULL ORDER BY 1"),
    Example("region-footprints", "Spectra whose footprint touches a circle",
            "INTERSECTS on s_region gives the exact spherical answer.",
            "SELECT obs_publisher_did, target_name, s_ra, s_dec FROM ivoa.obscore\n"
            "WHERE INTERSECTS(s_region, CIRCLE('ICRS', 53.0, -28.0, 3.0)) = 1"),
)


def examples_document(base_url: str) -> str:
    """The DALI examples XHTML document."""
    items = []
    for ex in EXAMPLES:
        items.append(
            f'<div id="{ex.slug}" resource="#{ex.slug}" typeof="example">\n'
            f'<h2 property="name">{escape(ex.name)}</h2>\n<p>{escape(ex.text)}</p>\n'
            f'<pre class="dachs-ex-tapquery literal-block" property="query">'
            f"{escape(ex.query)}</pre>\n</div>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html>\n<html xmlns="http://www.w3.org/1999/xhtml" lang="en">\n'
        "<head><title>SOXS TAP examples</title></head>\n"
        f'<body vocab="http://www.ivoa.net/rdf/examples#">\n'
        f'<h1>Example queries for the SOXS TAP service</h1>\n'
        f'<p>Run them at <a href="{escape(base_url)}/tap">{escape(base_url)}/tap</a>.</p>\n'
        + "\n".join(items) + "\n</body>\n</html>\n")
