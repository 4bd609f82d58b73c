"""The soxspipe link: packaging reduced products as Phase 3 spectra, merging the arms, and the
reduction hook that runs the pipeline on new raw frames.

Owns what is specific to SOXS's pipeline; the Phase 3 format lives in :mod:`soxsvo.phase3`,
registration in :mod:`soxsvo.archive`. Never serves HTTP.
"""
