-- The surveys' scores of each alert's triggering detection, and those of the newest alert on
-- the transient, where list pages sort and filter on them (e.g. drb > 0.9) through indexes.
--   rb, drb            ZTF real-bogus and deep real-bogus (0 bogus .. 1 real)
--   sgscore1           ZTF star-galaxy score of the nearest Pan-STARRS source (1: star)
--   distpsnr1          its distance from the candidate, arcsec
--   reliability        Rubin's reliability of the diaSource (0 .. 1)
--   positive           sign of the difference: ZTF isdiffpos 't', Rubin psfFlux >= 0
--   flags              the Rubin diaSource flags that are set (empty: none)

ALTER TABLE marshall.alert
    ADD COLUMN mjd double precision,
    ADD COLUMN rb real,
    ADD COLUMN drb real,
    ADD COLUMN sgscore1 real,
    ADD COLUMN distpsnr1 real,
    ADD COLUMN reliability real,
    ADD COLUMN positive boolean,
    ADD COLUMN flags text[] NOT NULL DEFAULT '{}';
CREATE INDEX alert_transient_mjd ON marshall.alert (transient_id, mjd DESC);

ALTER TABLE marshall.transient
    ADD COLUMN score_mjd double precision,
    ADD COLUMN rb real,
    ADD COLUMN drb real,
    ADD COLUMN sgscore1 real,
    ADD COLUMN distpsnr1 real,
    ADD COLUMN reliability real,
    ADD COLUMN positive boolean,
    ADD COLUMN flags text[];
CREATE INDEX transient_rb ON marshall.transient (rb);
CREATE INDEX transient_drb ON marshall.transient (drb);
CREATE INDEX transient_sgscore1 ON marshall.transient (sgscore1);
CREATE INDEX transient_reliability ON marshall.transient (reliability);
