-- Context catalogues (galaxies with redshifts, stars, AGN, variables) and each transient's
-- cross-matches against them.

-- One row per loaded catalogue; its rows live in a partition of marshall.catalog_source, so
-- that reloading a catalogue swaps one partition and a cross-match is one q3c_join.
CREATE TABLE marshall.catalog (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,40}$'),
    kind        text NOT NULL CHECK (kind IN ('galaxy', 'star', 'agn', 'variable')),
    source_file text NOT NULL,
    row_count   bigint NOT NULL,
    loaded_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE marshall.catalog_source (
    catalog    text NOT NULL,
    source_id  text NOT NULL,
    ra         double precision NOT NULL CHECK (ra >= 0 AND ra < 360),
    dec        double precision NOT NULL CHECK (dec BETWEEN -90 AND 90),
    redshift   double precision,
    mag        double precision
) PARTITION BY LIST (catalog);
CREATE INDEX catalog_source_q3c ON marshall.catalog_source (q3c_ang2ipix(ra, dec));

-- Every catalogue object near a transient, one row each; ``best`` marks the chosen host
-- galaxy, or the star / AGN / variable that the transient coincides with.
CREATE TABLE marshall.crossmatch (
    transient_id      bigint NOT NULL REFERENCES marshall.transient ON DELETE CASCADE,
    catalog           text NOT NULL,
    kind              text NOT NULL,
    source_id         text NOT NULL,
    ra                double precision NOT NULL,
    dec               double precision NOT NULL,
    separation_arcsec double precision NOT NULL,
    redshift          double precision,
    distance_mpc      double precision,
    projected_kpc     double precision,
    best              boolean NOT NULL DEFAULT false,
    PRIMARY KEY (transient_id, catalog, source_id)
);
CREATE INDEX crossmatch_best ON marshall.crossmatch (transient_id) WHERE best;

-- The transient's context in one word (host / star / agn / variable / none), for lists.
ALTER TABLE marshall.transient ADD COLUMN context text;

GRANT SELECT ON marshall.catalog, marshall.catalog_source, marshall.crossmatch TO soxsvo_reader;
