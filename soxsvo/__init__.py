"""soxsvo: the archive, Virtual Observatory services and follow-up marshall of SOXS.

SOXS (Son Of X-Shooter) is the 350-2000 nm spectrograph at ESO's NTT. soxsvo keeps every
transient, observation and reduced spectrum in one PostgreSQL database with q3c and serves
them through TAP, SSA, DataLink, MOC, HiPS, SAMP and the Marshall web interface.
"""

__version__ = "0.1.0"
