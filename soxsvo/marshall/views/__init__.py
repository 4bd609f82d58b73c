"""The Marshall's web face: its pages (:mod:`.pages`) and REST API (:mod:`.api`), thin views
over the Marshall's plain functions; :mod:`.support` holds what both read from the request."""
