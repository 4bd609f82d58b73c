"""SSA getData: find the one spectrum a publisher DID names, as the caller may see it, and
give it as the archived FITS or as a Spectrum Data Model 2.0 VOTable (the shared writer of
:mod:`soxsvo.formats.sdm`)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from soxsvo.dali.params import DALIParams
from soxsvo.errors import InputError, NotFoundError
from soxsvo.formats import Info
from soxsvo.formats.sdm import SpectrumPixels, SpectrumRecord, sdm_votable
from soxsvo.phase3.spectrum import read_phase3_spectrum

#: getData FORMAT values and the format they give (FITS as archived unless told otherwise).
GETDATA_FORMATS = {
    "fits": "fits", "native": "fits", "application/fits": "fits", "all": "fits",
    "votable": "votable", "compliant": "votable", "application/x-votable+xml": "votable",
}


@dataclass(frozen=True)
class StoredSpectrum:
    """Where a spectrum's file is and what ObsCore says about it."""

    path: str
    sha256: str
    size: int
    record: SpectrumRecord


def parse_getdata(params: DALIParams) -> tuple[str, str]:
    """PUBDID and the wanted format (``fits`` or ``votable``) of a getData request."""
    pubdid = (params.get("PUBDID") or "").strip()
    if not pubdid:
        raise InputError("getData needs PUBDID=<publisher DID>, the ssa_pubdid of a queryData "
                         "row")
    fmt = (params.get("FORMAT") or "fits").strip().lower()
    if fmt not in GETDATA_FORMATS:
        raise InputError(f"FORMAT={params.get('FORMAT')!r} is not a getData format; use "
                         f"{', '.join(GETDATA_FORMATS)}")
    return pubdid, GETDATA_FORMATS[fmt]


_SELECT = (
    "SELECT p.file_path, p.sha256, p.file_size, o.obs_publisher_did, o.dp_id, o.obs_title, "
    "o.target_name, o.s_ra, o.s_dec, o.t_min, o.t_max, o.t_exptime, o.em_min, o.em_max, "
    "o.em_res_power, o.snr, o.o_calib_status, o.obs_collection, "
    "to_char(o.obs_creation_date, 'YYYY-MM-DD\"T\"HH24:MI:SS') "
    "FROM ivoa.obscore o JOIN soxs.product p ON p.publisher_did = o.obs_publisher_did "
    "WHERE o.obs_publisher_did = %s AND o.dataproduct_type = 'spectrum'"
)


def find_spectrum(conn: psycopg.Connection, pubdid: str) -> StoredSpectrum:
    """The spectrum ``pubdid`` names, read in the caller's reader transaction.

    Raises
    ------
    DALIError
        404 when there is no such spectrum or the caller may not see it (the two are
        indistinguishable on purpose: a proprietary DID reveals nothing).
    """
    row = conn.execute(_SELECT, (pubdid,)).fetchone()
    if row is None:
        raise NotFoundError(f"no spectrum with PUBDID {pubdid} is available to you")
    path, sha256, size, *meta = row
    return StoredSpectrum(path, sha256, size, SpectrumRecord(*meta))


def spectrum_votable(stored: StoredSpectrum, acref: str,
                     response_format: str | None = None) -> Iterator[bytes]:
    """The whole spectrum ``stored`` as an SDM 2.0 VOTable (BINARY2 by default).

    The file is read now, before the first chunk: a broken file fails the request with an
    error status instead of cutting a started answer.
    """
    spectrum = read_phase3_spectrum(stored.path)
    pixels = SpectrumPixels(spectrum.wave, spectrum.flux, spectrum.err, spectrum.qual,
                            spectrum.fluxcal)
    return sdm_votable(stored.record, pixels, acref=acref, response_format=response_format,
                       resource_infos=[Info("SERVICE_PROTOCOL", "1.1", "SSAP")])
