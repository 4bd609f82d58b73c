"""Small helpers with no home of their own: sky positions (``sky``) and atomic file writes
(``atomic``). They import nothing else of soxsvo."""
