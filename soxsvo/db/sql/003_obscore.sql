-- ivoa.obscore: ObsCore 1.1 plus the ESO archive's extra columns, one row per product.
-- Column descriptions, units and UCDs live in soxsvo/db/columns/ivoa.obscore.toml and are
-- applied as comments and TAP_SCHEMA rows by `soxsvo db upgrade`.

CREATE TABLE ivoa.obscore (
    dataproduct_type    text NOT NULL,
    dataproduct_subtype text,
    calib_level         smallint NOT NULL CHECK (calib_level BETWEEN 0 AND 4),
    obs_collection      text NOT NULL,
    obs_id              text NOT NULL,
    obs_title           text,
    obs_creator_did     text,
    obs_creator_name    text,
    obs_publisher_did   text NOT NULL PRIMARY KEY REFERENCES soxs.product,
    obs_creation_date   timestamp,
    obs_release_date    timestamp NOT NULL,
    publisher_id        text,
    data_rights         text NOT NULL DEFAULT 'proprietary'
                        CHECK (data_rights IN ('public', 'proprietary', 'secure')),
    proposal_id         text,
    bib_reference       text,
    access_url          text NOT NULL,
    access_format       text NOT NULL,
    access_estsize      bigint NOT NULL,
    target_name         text,
    target_class        text,
    s_ra                double precision,
    s_dec               double precision,
    s_fov               double precision,
    s_region            double precision[],
    s_resolution        double precision,
    s_xel1              bigint,
    s_xel2              bigint,
    s_pixel_scale       double precision,
    t_min               double precision,
    t_max               double precision,
    t_exptime           double precision,
    t_resolution        double precision,
    t_xel               bigint,
    em_min              double precision,
    em_max              double precision,
    em_res_power        double precision,
    em_resolution       double precision,
    em_xel              bigint,
    em_ucd              text,
    em_unit             text,
    o_ucd               text,
    o_unit              text,
    o_calib_status      text,
    pol_states          text,
    pol_xel             bigint,
    facility_name       text NOT NULL,
    instrument_name     text NOT NULL,
    -- the ESO archive's extras
    snr                 double precision,
    obstech             text,
    p3orig              text,
    dp_id               text NOT NULL UNIQUE,
    abmaglim            double precision,
    filter              text,
    multi_ob            char(1),
    n_obs               integer,
    gal_lat             double precision,
    gal_lon             double precision,
    publication_date    timestamp NOT NULL DEFAULT now(),
    last_mod_date       timestamp NOT NULL DEFAULT now(),
    release_description text,
    -- SOXS: the Phase 3 category and whether a newer version replaced this product
    prodcatg            text NOT NULL,
    superseded          boolean NOT NULL DEFAULT false
);
CREATE INDEX obscore_q3c ON ivoa.obscore (q3c_ang2ipix(s_ra, s_dec));
CREATE INDEX obscore_em ON ivoa.obscore (em_min, em_max);
CREATE INDEX obscore_t ON ivoa.obscore (t_min, t_max);
CREATE INDEX obscore_target ON ivoa.obscore (lower(target_name));
CREATE INDEX obscore_obs_id ON ivoa.obscore (obs_id);
