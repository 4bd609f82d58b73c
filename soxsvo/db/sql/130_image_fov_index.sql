-- SIAP 2.0 (soxsvo/sia) pre-filters each region with a q3c cone of the region's bounding
-- radius plus half the largest image: max(s_fov) of the images a caller sees must be cheap to
-- read at every query. This index makes it a backward index scan that stops at the first
-- visible row (text equality is LEAKPROOF, so row-level security keeps it an index scan).
CREATE INDEX obscore_type_fov ON ivoa.obscore (dataproduct_type, s_fov);
