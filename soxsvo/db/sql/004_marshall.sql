-- The Marshall's core: transients, their survey aliases and their photometry.

CREATE TABLE marshall.transient (
    transient_id    bigserial PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    ra              double precision NOT NULL CHECK (ra >= 0 AND ra < 360),
    dec             double precision NOT NULL CHECK (dec BETWEEN -90 AND 90),
    discovery_mjd   double precision,
    discovery_survey text,
    classification  text,
    redshift        double precision,
    current_mag     double precision,
    current_mag_mjd double precision,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX transient_q3c ON marshall.transient (q3c_ang2ipix(ra, dec));

CREATE TABLE marshall.alias (
    name         text PRIMARY KEY,
    transient_id bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    survey       text NOT NULL
);
CREATE INDEX alias_transient ON marshall.alias (transient_id);

-- Photometry stored as flux density (microjansky, AB zero point 23.9) with the original
-- measurement and its system kept beside it.
CREATE TABLE marshall.photometry (
    photometry_id  bigserial PRIMARY KEY,
    transient_id   bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    survey         text NOT NULL,
    band           text NOT NULL,
    mjd            double precision NOT NULL,
    flux_ujy       double precision,
    flux_err_ujy   double precision,
    upper_limit    boolean NOT NULL DEFAULT false,
    orig_value     double precision,
    orig_error     double precision,
    orig_unit      text NOT NULL,
    source_id      text NOT NULL,
    UNIQUE (survey, source_id)
);
CREATE INDEX photometry_transient ON marshall.photometry (transient_id, mjd);

ALTER TABLE soxs.observation
    ADD COLUMN transient_id bigint REFERENCES marshall.transient;
CREATE INDEX observation_transient ON soxs.observation (transient_id);
