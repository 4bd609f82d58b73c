"""The Marshall: transients from every survey, the consortium's triage workflow, its pages and API.

Owns the workflow state (lists, priorities, classifications, comments, history), its automatic
rules, the list and object pages and the ``/api`` REST interface. Never VO protocol details.
"""
