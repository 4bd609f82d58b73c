-- DataLink, SODA and previews read products, their ancillary files and master calibrations as
-- the reader role: each of these rows is visible exactly when its ObsCore row is (whose own
-- row-level security decides), so a proprietary product's files stay hidden on every path.

-- Ancillary files (ASSONi) found beside a product at registration are stored content-addressed
-- like the product; the checksum and size serve as ETag and DataLink content_length.
ALTER TABLE soxs.ancillary ADD COLUMN sha256 text, ADD COLUMN file_size bigint
    CHECK (file_size IS NULL OR file_size >= 0);

-- Master calibrations a product was reduced with (ESO PRO REC1 CALi NAME/CATG), where the
-- product's header names them.
CREATE TABLE soxs.calibration (
    publisher_did text NOT NULL REFERENCES soxs.product ON DELETE CASCADE,
    name          text NOT NULL,
    category      text NOT NULL DEFAULT '',
    PRIMARY KEY (publisher_did, name)
);

-- soxs.product's row-level security (visible with its ObsCore row) is sql/030's; DataLink
-- reads all of its columns.
GRANT SELECT ON soxs.product, soxs.ancillary, soxs.calibration TO soxsvo_reader;

ALTER TABLE soxs.ancillary ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_ancillary ON soxs.ancillary FOR SELECT TO soxsvo_reader
    USING (EXISTS (SELECT 1 FROM ivoa.obscore o
                   WHERE o.obs_publisher_did = ancillary.publisher_did));

ALTER TABLE soxs.calibration ENABLE ROW LEVEL SECURITY;
CREATE POLICY visible_calibration ON soxs.calibration FOR SELECT TO soxsvo_reader
    USING (EXISTS (SELECT 1 FROM ivoa.obscore o
                   WHERE o.obs_publisher_did = calibration.publisher_did));

-- ObsCore access_url points at DataLink (ObsCore 1.1 section 4.7): rows registered before this
-- migration linked the FITS file directly. The DID is percent-encoded as a query value.
UPDATE ivoa.obscore
   SET access_url = regexp_replace(access_url, '/files/[^/]*$', '') || '/datalink/links?ID='
           || replace(replace(replace(replace(replace(replace(replace(replace(
                  obs_publisher_did, '%', '%25'), ':', '%3A'), '/', '%2F'), '?', '%3F'),
                  '#', '%23'), '&', '%26'), '+', '%2B'), ' ', '%20'),
       access_format = 'application/x-votable+xml;content=datalink'
 WHERE access_format = 'application/fits' AND access_url ~ '/files/[^/]*$';
