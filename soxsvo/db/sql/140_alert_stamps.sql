-- Alert stamps: the science, reference and difference cutouts of ZTF and Rubin alerts, kept
-- as the packet carries them (ZTF: gzip-compressed FITS; Rubin: FITS). PNGs are drawn from
-- them on request (soxsvo.marshall.stamps), never stored.

CREATE TABLE marshall.stamp (
    stamp_id     bigserial PRIMARY KEY,
    transient_id bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    survey       text NOT NULL,
    alert_id     text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('science', 'reference', 'difference')),
    mjd          double precision,
    file_name    text,
    data         bytea NOT NULL,
    UNIQUE (survey, alert_id, kind)
);
-- Latest first per transient: the list row shows the newest triplet, the page all of them.
CREATE INDEX stamp_transient ON marshall.stamp (transient_id, mjd DESC NULLS LAST, alert_id DESC);
-- The bytes are already compressed (or FITS noise, which does not compress): TOAST would
-- only spend CPU trying.
ALTER TABLE marshall.stamp ALTER COLUMN data SET STORAGE EXTERNAL;

-- A stamp shows what the transient is: whoever may not see the transient row may not see its
-- stamps. The policy asks marshall.transient itself, so it follows whatever row-level security
-- that table has now or gets later (a policy's sub-select runs under the caller's policies).
GRANT SELECT ON marshall.stamp TO soxsvo_reader;
ALTER TABLE marshall.stamp ENABLE ROW LEVEL SECURITY;
CREATE POLICY stamp_of_visible_transient ON marshall.stamp FOR SELECT TO soxsvo_reader
    USING (EXISTS (SELECT 1 FROM marshall.transient t
                   WHERE t.transient_id = stamp.transient_id));
