"""DataLink 1.1 (``/datalink``): the links of each product — the FITS, its preview, raw frames,
calibrations, associated files, the other products of its observation — and the SODA cutout
service descriptor. Visibility is the database's: every read runs as the caller's reader role.
"""
