"""Helpers of the ingest and watch tests: tiny valid spectra and archive consistency checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg
from p3_products import make_spectrum

from soxsvo.archive.register import file_checksums
from soxsvo.phase3.spectrum import Phase3Spectrum, write_phase3_spectrum


def tiny_spectrum(index: int = 0, *, n: int = 2000, obid: int | None = None,
                  **overrides) -> Phase3Spectrum:
    """A small valid UV-VIS spectrum (500-700 nm); ``index`` makes its bytes and OB unique."""
    fields = dict(obids=[4_000_000 + index if obid is None else obid],
                  mjd_obs=61000.10 + index * 1e-4, mjd_end=61000.125 + index * 1e-4)
    fields.update(overrides)
    return make_spectrum(n=n, seed=index, **fields)


def write_tiny(folder: Path, index: int = 0, name: str | None = None, **overrides) -> Path:
    """Write :func:`tiny_spectrum` into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (name or f"spec_{index:04d}.fits")
    write_phase3_spectrum(tiny_spectrum(index, **overrides), path)
    return path


def sums(paths) -> dict[Path, str]:
    """SHA-256 of each file (to prove inputs are never modified)."""
    return {Path(p): file_checksums(Path(p))[0] for p in paths}


def assert_consistent(conninfo: str, store: Path) -> int:
    """Every ObsCore row has its product row and stored file, and every stored file its row;
    no temporary file is left in the store. Returns the number of products."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            "SELECT p.file_path, o.obs_publisher_did FROM soxs.product p "
            "FULL JOIN ivoa.obscore o ON o.obs_publisher_did = p.publisher_did").fetchall()
    assert all(path is not None and did is not None for path, did in rows), rows
    referenced = {Path(path) for path, _ in rows}
    stored = set(store.rglob("*")) if store.exists() else set()
    stored = {p for p in stored if p.is_file()}
    assert not [p for p in stored if p.suffix == ".part"], "temporary file left in the store"
    assert referenced == stored
    return len(rows)


def bad_products(folder: Path) -> dict[str, Path]:
    """One file per fault case the validator must reject."""
    from astropy.io import fits

    from soxsvo.phase3.spectrum import to_hdulist

    folder.mkdir(parents=True, exist_ok=True)
    good = write_tiny(folder / "src", 900)
    blob = good.read_bytes()
    out: dict[str, Path] = {}

    def put(name: str, data: bytes) -> None:
        out[name] = folder / f"{name}.fits"
        out[name].write_bytes(data)

    put("truncated", blob[: len(blob) // 2])
    put("not_fits", b"this is not a FITS file\n" * 10)

    def with_hdul(name: str, change) -> None:
        hdul = to_hdulist(tiny_spectrum(901 + len(out)))
        hdul = change(hdul) or hdul
        out[name] = folder / f"{name}.fits"
        hdul.writeto(out[name], checksum=True)

    def prodcatg(h):
        h[0].header["PRODCATG"] = "SCIENCE.CUBE"

    def header_type(h):
        h[0].header["RA"] = "ten degrees"
        h[0].header["NCOMBINE"] = "one"

    def table(h, drop=(), nan_flux=False, cut_err=False, empty=False):
        t = h[1]
        cols = []
        for c in t.columns:
            if c.name in drop:
                continue
            arr = t.data[c.name]
            fmt = c.format
            if nan_flux and c.name == "FLUX":
                arr = np.full_like(arr, np.nan)
            if cut_err and c.name == "ERR":
                arr, fmt = arr[:, :1000], "1000E"
            if empty and c.name in ("WAVE", "FLUX"):
                arr, fmt = arr[:, :0], "0" + fmt.lstrip("0123456789")
            cols.append(fits.Column(name=c.name, format=fmt, unit=c.unit, array=arr))
        keep = [c for c in t.header.cards
                if not c.keyword.startswith(("TTYPE", "TFORM", "TUNIT", "TUTYP", "TUCD",
                                             "NAXIS", "TFIELDS", "PCOUNT", "GCOUNT",
                                             "XTENSION", "BITPIX"))]
        h[1] = fits.BinTableHDU.from_columns(cols, header=fits.Header(keep))

    with_hdul("wrong_prodcatg", prodcatg)
    with_hdul("wrong_header_types", header_type)
    with_hdul("missing_wave", lambda h: table(h, drop=("WAVE",)))
    with_hdul("missing_flux", lambda h: table(h, drop=("FLUX",)))
    with_hdul("empty_arrays", lambda h: table(h, empty=True))
    with_hdul("nan_only_flux", lambda h: table(h, nan_flux=True))
    with_hdul("mismatched_lengths", lambda h: table(h, cut_err=True))
    good.unlink()
    (folder / "src").rmdir()
    return out
