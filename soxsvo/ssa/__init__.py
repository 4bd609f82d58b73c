"""Spectra for every client: SSA 1.1 queryData/getData over ObsCore and the Spectrum Data Model
VOTable serialisation of SOXS spectra.

Owns SSA parameters, its SQL over ``ivoa.obscore`` and its documents; never reads rows outside
a reader transaction (row-level security decides what a caller sees) nor writes the archive.
"""
