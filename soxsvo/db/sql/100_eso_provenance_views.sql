-- ESO's provenance and raw-frame tables (phase3v2.files, phase3v2.provenance, dbo.raw) as views
-- over soxsvo's own data, so that the queries ESO archive users send run unchanged here.
-- Column descriptions, units and UCDs: soxsvo/db/columns/{phase3v2,dbo}.*.toml.
--
-- The views are security_invoker: a reader's query on them is a query on the underlying
-- tables, whose row-level security (soxsvo/db/sql/009, 021, 030, 040: a product, its ancillary files and
-- its provenance are visible exactly when its ObsCore row is) decides what is returned.

CREATE SCHEMA IF NOT EXISTS phase3v2;
COMMENT ON SCHEMA phase3v2 IS 'ESO-compatible views of the files of each product and their provenance.';
CREATE SCHEMA IF NOT EXISTS dbo;
COMMENT ON SCHEMA dbo IS 'ESO-compatible view of the raw frames.';

-- ESO identifies every archived file of a product (the product itself and its ASSONi ancillary
-- files) by an integer file_id; one sequence numbers both tables so that ids never collide.
CREATE SEQUENCE soxs.file_id_seq;
ALTER TABLE soxs.product ADD COLUMN file_id bigint NOT NULL DEFAULT nextval('soxs.file_id_seq');
ALTER TABLE soxs.ancillary ADD COLUMN file_id bigint NOT NULL
    DEFAULT nextval('soxs.file_id_seq');
ALTER SEQUENCE soxs.file_id_seq OWNED BY soxs.product.file_id;
CREATE UNIQUE INDEX product_file_id ON soxs.product (file_id);
CREATE UNIQUE INDEX ancillary_file_id ON soxs.ancillary (file_id);

-- ESO names raw frames, and the raw frames of its provenance, by the archive file name without
-- '.fits'. Stored and indexed, because ESO's queries look frames up by that name
-- (source_file = '...', joins on dbo.raw dp_id); a plain column keeps the index usable under
-- row-level security, where a condition on a non-LEAKPROOF expression could not use it.
ALTER TABLE soxs.provenance ADD COLUMN eso_name text
    GENERATED ALWAYS AS (regexp_replace(raw_arcfile, '\.fits$', '')) STORED;
CREATE INDEX provenance_eso_name ON soxs.provenance (eso_name);
ALTER TABLE soxs.raw_frame ADD COLUMN eso_name text
    GENERATED ALWAYS AS (regexp_replace(arcfile, '\.fits$', '')) STORED;
CREATE UNIQUE INDEX raw_frame_eso_name ON soxs.raw_frame (eso_name);

-- One row per archived file of a product: the product's own file, then its ancillary files.
CREATE VIEW phase3v2.files WITH (security_invoker = true) AS
    SELECT p.file_id, p.dp_id AS archive_id, p.original_name AS name,
           p.prodcatg AS category, p.file_size, p.md5 AS checksum
      FROM soxs.product AS p
    UNION ALL
    SELECT a.file_id, p.dp_id, a.name, a.category, a.file_size, a.md5
      FROM soxs.ancillary AS a JOIN soxs.product AS p USING (publisher_did);

-- PROVi: the product file made from each raw frame.
CREATE VIEW phase3v2.provenance WITH (security_invoker = true) AS
    SELECT p.file_id AS product_file, v.eso_name AS source_file
      FROM soxs.provenance AS v JOIN soxs.product AS p USING (publisher_did);

-- Raw frames with what soxsvo knows of their observation and programme. Like ESO's dbo.raw
-- (and soxs.raw_frame here), it lists the metadata of every frame; release_date says when its
-- programme's proprietary period ends.
CREATE VIEW dbo.raw WITH (security_invoker = true) AS
    SELECT r.eso_name AS dp_id,
           r.arcfile AS origfile,
           o.proposal_id AS prog_id,
           g.title AS prog_title,
           g.pi_name AS pi_coi,
           CAST('SOXS' AS text) AS instrument,
           CAST('ESO-NTT' AS text) AS telescope,
           r.arm AS ins_mode,
           r.dpr_catg AS dp_cat,
           r.dpr_type AS dp_type,
           r.dpr_tech AS dp_tech,
           o.target_name AS object,
           r.ra, r.dec,
           r.mjd_obs,
           CAST(timestamp '1858-11-17' + make_interval(secs => r.mjd_obs * 86400) AS timestamp(3))
               AS exp_start,
           to_char(timestamp '1858-11-17' + make_interval(secs => r.mjd_obs * 86400),
                   'YYYY-MM-DD"T"HH24:MI:SS.MS') AS date_obs,
           r.exptime AS exposure,
           o.ob_id, o.ob_name,
           o.night,
           o.airmass AS tel_airm_start,
           o.seeing AS tel_ambi_fwhm_start,
           CAST(o.night + make_interval(months => coalesce(g.proprietary_months, 12)) AS timestamp)
               AS release_date
      FROM soxs.raw_frame AS r
      LEFT JOIN soxs.observation AS o USING (obs_id)
      LEFT JOIN soxs.programme AS g ON g.proposal_id = o.proposal_id;

GRANT USAGE ON SCHEMA phase3v2, dbo TO soxsvo_reader;
GRANT SELECT ON phase3v2.files, phase3v2.provenance, dbo.raw TO soxsvo_reader;
-- The views read their tables as the caller (security_invoker): soxs.product, ancillary,
-- provenance, raw_frame and observation are granted already (soxsvo/db/sql/006, 040); of the programmes,
-- what ESO publishes too (title, PI, proprietary period), not the consortium flag.
GRANT SELECT (proposal_id, title, pi_name, proprietary_months) ON soxs.programme
    TO soxsvo_reader;
