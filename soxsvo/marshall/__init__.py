"""The Marshall: transients from every survey, their photometry, context and follow-up.

Owns survey ingestion (:mod:`soxsvo.marshall.ingest`), catalogue context
(:mod:`soxsvo.marshall.context`), workflow and pages; never VO protocol details.
"""
