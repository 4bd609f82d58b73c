"""What every DAL service shares (DALI 1.1): parameters, streaming answers, VOSI, errors.

Owns request parsing common to TAP, SSA, DataLink, SODA and MOC (:mod:`.params`), the
prefetch–stream–release of a result held on a pooled connection (:mod:`.streaming`), VOSI
capabilities and availability (:mod:`.vosi`), and — in :mod:`.blueprint`, the only module
here that imports Flask — turning :class:`soxsvo.errors.SoxsvoError` into DALI error
documents. Never knows a protocol's own parameters or runs a query.
"""
