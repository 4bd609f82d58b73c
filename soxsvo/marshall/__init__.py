"""The Marshall: transients from every survey, their context, and the consortium's triage.

Owns survey ingestion (:mod:`soxsvo.marshall.ingest`), catalogue context
(:mod:`soxsvo.marshall.context`), the workflow state (lists, priorities, classifications,
comments, history), its automatic rules, the list and object pages and the ``/api`` REST
interface. Never VO protocol details.
"""
