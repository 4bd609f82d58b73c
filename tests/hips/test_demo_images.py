"""The demo registers acquisition images through the Phase 3 path, so its archive has an image
HiPS; the spectra of a seed are the same with or without images."""

from __future__ import annotations

import numpy as np
import psycopg

from soxsvo.archive.register import ArchiveConfig
from soxsvo.demo.archive import build_demo_archive
from soxsvo.hips import HiPSReader
from soxsvo.hips.image import ImageOptions
from soxsvo.hips.store import public_image_hips


def test_demo_images_make_an_image_hips(hips_settings, tmp_path) -> None:
    config = ArchiveConfig.from_settings(hips_settings)
    with psycopg.connect(hips_settings.database_url) as conn:
        result = build_demo_archive(conn, config, n_transients=6, seed=11,
                                    workdir=tmp_path / "work", images=2)
        images = conn.execute(
            "SELECT o.dp_id, o.s_ra, o.s_dec, soxs.is_released(o.obs_release_date), "
            "p.prodcatg, v.known FROM ivoa.obscore o JOIN soxs.product p "
            "ON p.publisher_did = o.obs_publisher_did JOIN soxs.provenance v "
            "ON v.publisher_did = o.obs_publisher_did "
            "WHERE o.dataproduct_type = 'image'").fetchall()
        conn.commit()
        folder, action = public_image_hips(conn, hips_settings.data_path / "hips",
                                           ImageOptions.from_settings(hips_settings), 10.0)
    assert len(images) == 2 and result.spectra > 0
    assert {row[4] for row in images} == {"SCIENCE.IMAGE"}
    assert all(row[5] for row in images), "the acquisition raw frame is known"
    public = [row for row in images if row[3]]
    assert public, "the oldest visits are past their proprietary period"
    hips = HiPSReader(folder)
    assert int(hips.properties["soxs_products"]) == len(public)
    for _, ra, dec, *_ in public:
        assert np.isfinite(hips.values_at([ra], [dec])).all()
