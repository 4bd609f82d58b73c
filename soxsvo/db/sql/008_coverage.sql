-- MOC queries: a HEALPix NESTED index at order 29 of every sky position, as an expression
-- index. A MOC is a set of HEALPix cells; at order 29 every cell of order k <= 29 is one
-- contiguous range of order-29 indices, so "rows inside a MOC" becomes a join of the MOC's
-- ranges with a btree range scan each (see docs/moc.md). q3c's own ipix is not HEALPix, so
-- its index cannot answer this.
--
-- An expression index rather than a new column: the tables (and TAP_SCHEMA, generated from
-- their metadata) keep their shape, writers need not know about it, and the value cannot go
-- stale. The function is soxsvo's own (not soxs_adql.healpix_index) so that the index never
-- depends on a function another package may replace: an IMMUTABLE function that changes under
-- an index silently corrupts it.

-- HEALPix NESTED index at order 29 (nside 2^29) of (ra, dec) in degrees; the ang2pix_nest of
-- Gorski et al. (2005), with the bit interleaving done by "magic number" spreading instead of
-- a loop over 29 bits (index builds over millions of rows call it once per row).
CREATE OR REPLACE FUNCTION soxs.hpx29(lon double precision, lat double precision)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    nside constant bigint := 536870912;  -- 2^29
    z double precision := sin(radians(lat));
    za double precision := abs(z);
    tt double precision := (lon - 360.0 * floor(lon / 360.0)) / 90.0;  -- in [0, 4)
    jp bigint; jm bigint; ifp bigint; ifm bigint; face bigint; ix bigint; iy bigint;
    ntt bigint; tp double precision; tmp double precision;
BEGIN
    IF tt >= 4 THEN tt := 0; END IF;  -- lon a hair below 0 rounds to 360
    IF za <= 2.0 / 3.0 THEN
        jp := floor(nside * (0.5 + tt - z * 0.75));
        jm := floor(nside * (0.5 + tt + z * 0.75));
        ifp := jp >> 29;
        ifm := jm >> 29;
        IF ifp = ifm THEN face := ifp | 4;
        ELSIF ifp < ifm THEN face := ifp;
        ELSE face := ifm + 8;
        END IF;
        ix := jm & (nside - 1);
        iy := nside - (jp & (nside - 1)) - 1;
    ELSE
        ntt := least(3, floor(tt)::bigint);
        tp := tt - ntt;
        tmp := nside * sqrt(3 * (1 - za));
        jp := least(nside - 1, floor(tp * tmp)::bigint);
        jm := least(nside - 1, floor((1 - tp) * tmp)::bigint);
        IF z >= 0 THEN
            face := ntt; ix := nside - jm - 1; iy := nside - jp - 1;
        ELSE
            face := ntt + 8; ix := jp; iy := jm;
        END IF;
    END IF;
    -- spread the 29 bits of ix and iy to the even and odd bits of a 58-bit number
    ix := (ix | (ix << 16)) & x'0000FFFF0000FFFF'::bigint;
    ix := (ix | (ix << 8)) & x'00FF00FF00FF00FF'::bigint;
    ix := (ix | (ix << 4)) & x'0F0F0F0F0F0F0F0F'::bigint;
    ix := (ix | (ix << 2)) & x'3333333333333333'::bigint;
    ix := (ix | (ix << 1)) & x'5555555555555555'::bigint;
    iy := (iy | (iy << 16)) & x'0000FFFF0000FFFF'::bigint;
    iy := (iy | (iy << 8)) & x'00FF00FF00FF00FF'::bigint;
    iy := (iy | (iy << 4)) & x'0F0F0F0F0F0F0F0F'::bigint;
    iy := (iy | (iy << 2)) & x'3333333333333333'::bigint;
    iy := (iy | (iy << 1)) & x'5555555555555555'::bigint;
    RETURN (face << 58) | ix | (iy << 1);
END $$;

COMMENT ON FUNCTION soxs.hpx29(double precision, double precision) IS
    'HEALPix NESTED index at order 29 of (ra, dec) in degrees; backs the MOC-query indexes';

CREATE INDEX transient_hpx29 ON marshall.transient (soxs.hpx29(ra, dec));
CREATE INDEX observation_hpx29 ON soxs.observation (soxs.hpx29(ra, dec));
CREATE INDEX obscore_hpx29 ON ivoa.obscore (soxs.hpx29(s_ra, s_dec));

-- Incremental upkeep of the cached coverage MOCs looks for products that became visible since
-- the cache was written: registered after it, or released after it.
CREATE INDEX obscore_release ON ivoa.obscore (obs_release_date);
CREATE INDEX product_registered ON soxs.product (registered_at);

GRANT EXECUTE ON FUNCTION soxs.hpx29(double precision, double precision) TO soxsvo_reader;
