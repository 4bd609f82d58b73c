"""TAP asynchronous queries as UWS 1.1 jobs: the job store, its XML, the views and the workers.

Owns ``uws.*`` rows, job folders under ``<data_dir>/uws/`` and the worker processes; never
runs a query inside a web request, nor parses ADQL or serialises rows itself.
"""
