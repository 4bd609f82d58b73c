"""The archive in the IVOA registry: VOResource records of its authority, services and data
collections, and the OAI-PMH 2.0 interface (``/oai``) registries harvest them through.

Owns the records (from the settings and the services' own capabilities) and OAI-PMH's verbs,
arguments and errors; reads no database and knows no HTTP (its views are in ``views.py``).
"""
