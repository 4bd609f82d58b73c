"""The NTT night: night model, exposure times, the scheduler, stored plans and observations.

Owns the observability of targets at La Silla, the plan of each night (every version, with
who/why) and the record of executed blocks; never imports Flask, never formats an answer.
"""
