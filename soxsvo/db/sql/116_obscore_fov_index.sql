-- The largest field of view, read by INTERSECTS/CONTAINS of s_region with a constant shape:
-- (SELECT max(s_fov) FROM ivoa.obscore) bounds every footprint's, so the q3c cone around the
-- shape can use obscore_q3c (see soxsvo.adql.translate.scope.Source.region_of). This index
-- makes that max one index probe instead of a scan of the table.
CREATE INDEX obscore_fov ON ivoa.obscore (s_fov);
