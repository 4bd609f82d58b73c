"""The web layer: app factory (:mod:`soxsvo.web.app`), the request context (:mod:`.context`,
a leaf), authentication, login, pages, files, templates and static assets.

Owns HTTP wiring only; domain logic lives in the other packages and is called from thin views.
This ``__init__`` imports nothing, so importing the context never loads the whole app.
"""
