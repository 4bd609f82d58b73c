-- The archive proper: programmes, observations, raw frames, products and their provenance.

CREATE TABLE soxs.programme (
    proposal_id        text PRIMARY KEY,
    title              text NOT NULL DEFAULT '',
    pi_name            text NOT NULL DEFAULT '',
    consortium         boolean NOT NULL DEFAULT false,
    proprietary_months integer NOT NULL DEFAULT 12 CHECK (proprietary_months >= 0)
);

CREATE TABLE soxs.observation (
    obs_id        text PRIMARY KEY,
    ob_id         bigint NOT NULL,
    ob_name       text NOT NULL DEFAULT '',
    proposal_id   text NOT NULL REFERENCES soxs.programme,
    night         date NOT NULL,
    arm           text NOT NULL CHECK (arm IN ('UVVIS', 'NIR', 'ACQ', 'BOTH')),
    template      text NOT NULL DEFAULT '',
    target_name   text NOT NULL,
    ra            double precision NOT NULL CHECK (ra >= 0 AND ra < 360),
    dec           double precision NOT NULL CHECK (dec BETWEEN -90 AND 90),
    mjd_start     double precision NOT NULL,
    mjd_end       double precision NOT NULL CHECK (mjd_end >= mjd_start),
    exptime       double precision NOT NULL CHECK (exptime >= 0),
    airmass       double precision,
    seeing        double precision,
    status        text NOT NULL DEFAULT 'completed'
                  CHECK (status IN ('scheduled', 'executing', 'completed', 'failed', 'aborted'))
);
CREATE INDEX observation_q3c ON soxs.observation (q3c_ang2ipix(ra, dec));
CREATE INDEX observation_night ON soxs.observation (night);

CREATE TABLE soxs.raw_frame (
    arcfile     text PRIMARY KEY CHECK (arcfile ~ '^SOXS\.[0-9T:.-]+\.fits$'),
    obs_id      text REFERENCES soxs.observation,
    arm         text NOT NULL,
    dpr_catg    text NOT NULL DEFAULT 'SCIENCE',
    dpr_type    text NOT NULL DEFAULT 'OBJECT',
    dpr_tech    text NOT NULL DEFAULT '',
    mjd_obs     double precision NOT NULL,
    exptime     double precision NOT NULL,
    ra          double precision,
    dec         double precision
);
CREATE INDEX raw_frame_obs ON soxs.raw_frame (obs_id);
CREATE INDEX raw_frame_q3c ON soxs.raw_frame (q3c_ang2ipix(ra, dec));

CREATE TABLE soxs.product (
    publisher_did  text PRIMARY KEY,
    dp_id          text NOT NULL UNIQUE,
    obs_id         text REFERENCES soxs.observation,
    prodcatg       text NOT NULL,
    arm            text,
    file_path      text NOT NULL,
    original_name  text NOT NULL,
    sha256         text NOT NULL UNIQUE,
    md5            text NOT NULL,
    file_size      bigint NOT NULL CHECK (file_size > 0),
    procsoft       text NOT NULL DEFAULT '',
    version        integer NOT NULL DEFAULT 1,
    status         text NOT NULL DEFAULT 'current'
                   CHECK (status IN ('current', 'obsolete', 'deprecated')),
    superseded_by  text REFERENCES soxs.product,
    registered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_obs ON soxs.product (obs_id);

-- PROVi of a product: the raw frames it was made from. raw_arcfile is kept even when the frame
-- is unknown to the archive (the gap is recorded, not hidden).
CREATE TABLE soxs.provenance (
    publisher_did text NOT NULL REFERENCES soxs.product ON DELETE CASCADE,
    raw_arcfile   text NOT NULL,
    known         boolean NOT NULL,
    PRIMARY KEY (publisher_did, raw_arcfile)
);
CREATE INDEX provenance_raw ON soxs.provenance (raw_arcfile);

-- ASSONi of a product: associated files (2D spectrum, sky spectrum, previews).
CREATE TABLE soxs.ancillary (
    publisher_did text NOT NULL REFERENCES soxs.product ON DELETE CASCADE,
    name          text NOT NULL,
    category      text NOT NULL,
    md5           text,
    file_path     text,
    PRIMARY KEY (publisher_did, name)
);
