"""``/soda/sync``: SODA 1.0 synchronous cutouts: spectra by wavelength, images by sky region
(thin view)."""

from __future__ import annotations

from flask import Response, request

from soxsvo.archive.products import find_product
from soxsvo.dali.blueprint import dal_blueprint, request_params
from soxsvo.errors import InputError, NotFoundError
from soxsvo.soda.band import Band, BandError, parse_band
from soxsvo.soda.cutout import EmptyCutoutError, cut_spectrum
from soxsvo.soda.image import cut_image, parse_region
from soxsvo.soda.votable import cutout_url, cutout_votable
from soxsvo.web.context import current_settings, reading

blueprint = dal_blueprint("soda", __name__, url_prefix="/soda")

FITS_FORMATS = ("application/fits", "fits", "image/fits")
VOTABLE_FORMATS = ("application/x-votable+xml", "votable", "text/xml")
#: SODA parameters that have no meaning for a 1D spectrum of one position.
UNSUPPORTED = ("POS", "CIRCLE", "POLYGON", "TIME", "POL")


def _response_format(value: str | None) -> str:
    normal = (value or "application/fits").split(";")[0].strip().lower()
    if normal in FITS_FORMATS:
        return "fits"
    if normal in VOTABLE_FORMATS:
        return "votable"
    raise InputError(f"UsageFault: RESPONSEFORMAT {value!r} is not supported; use "
                     "application/fits or application/x-votable+xml")


def _band(params) -> Band:
    values = params.getall("BAND")
    if len(values) > 1:
        raise InputError("UsageFault: one BAND per request; this service does not combine "
                         "several bands")
    if not values:
        return Band(float("-inf"), float("inf"))
    try:
        return parse_band(values[0])
    except BandError as exc:
        raise InputError(f"UsageFault: {exc}") from None


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """Cut the spectrum named by ``ID`` to ``BAND`` (metres); FITS (default) or VOTable."""
    params = request_params(request)
    ids = [value.strip() for value in params.getall("ID") if value.strip()]
    if len(ids) != 1:
        raise InputError("UsageFault: give exactly one ID (the publisher DID of a spectrum); "
                         f"got {len(ids)}")
    kind = _response_format(params.get("RESPONSEFORMAT"))
    with reading() as conn:
        product = find_product(conn, ids[0])
    if product is None:
        raise NotFoundError(f"NotFoundFault: {ids[0]}: no such product (unknown, or not "
                            "released to you)")
    if not product.is_spectrum:
        return _image_cutout(product, params, kind)
    for name in UNSUPPORTED:
        if name in params:
            raise InputError(f"UsageFault: {name} is not supported: SOXS spectra are cut by "
                             "wavelength (BAND) only")
    band = _band(params)
    try:
        cutout = cut_spectrum(product.file_path, band)
    except EmptyCutoutError as exc:
        raise InputError(f"UsageFault: {exc}") from None
    stem = f"{product.dp_id}_{cutout.wave_nm[0]:.1f}-{cutout.wave_nm[-1]:.1f}nm"
    if kind == "fits":
        response = Response(cutout.fits_bytes(), mimetype="application/fits")
        name = f"{stem}.fits"
    else:
        acref = cutout_url(current_settings().public_url, product, band)
        response = Response(cutout_votable(product, cutout, acref),
                            mimetype="application/x-votable+xml")
        name = f"{stem}.vot"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if not product.released:
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _image_cutout(product, params, kind: str) -> Response:
    """Cut an image product by its one POS, CIRCLE or POLYGON; FITS only."""
    for name in ("BAND", "TIME", "POL"):
        if name in params:
            raise InputError(f"UsageFault: {name} is not supported for images: they are cut "
                             "by sky region (POS, CIRCLE or POLYGON)")
    if kind != "fits":
        raise InputError("UsageFault: image cutouts are FITS only (RESPONSEFORMAT "
                         "application/fits)")
    data = cut_image(product.file_path, parse_region(params))
    response = Response(data, mimetype="application/fits")
    response.headers["Content-Disposition"] = f'attachment; filename="{product.dp_id}_cut.fits"'
    if not product.released:
        response.headers["Cache-Control"] = "private, no-store"
    return response
