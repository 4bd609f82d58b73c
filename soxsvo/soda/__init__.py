"""SODA 1.0 (``/soda/sync``): cutouts of spectra by wavelength, as Phase 3 FITS or VOTable."""
