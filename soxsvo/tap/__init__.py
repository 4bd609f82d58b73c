"""TAP 1.1: synchronous and asynchronous (UWS) queries, VOSI, uploads and examples.

Owns the TAP protocol and the execution of translated queries as the read-only role;
never parses ADQL itself (``soxsvo.adql``) nor serialises rows (``soxsvo.formats``).
"""
