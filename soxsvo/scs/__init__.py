"""Simple Cone Search 1.03 over every published table with a position (``/scs/<schema.table>``).

Owns the cone tables, RA/DEC/SR/VERB and the SCS flavour of the results (UCD1 main columns,
``INFO name="Error"``); runs the cone as ADQL through :mod:`soxsvo.tap.query` as the caller, so
row-level security and the column metadata are TAP's. Never reads outside a reader transaction.
"""
