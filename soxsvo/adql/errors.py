"""Exception hierarchy of the ADQL translator.

Every failure the package reports is an :class:`ADQLError`; callers (the TAP layer, the
CLI) can therefore catch one class and show ``line``/``column`` to the user.
"""

from __future__ import annotations

from soxsvo.errors import InputError


class ADQLError(InputError):
    """Base class of every error raised for a bad ADQL query.

    Parameters
    ----------
    message : str
        Human-readable explanation (without the position).
    line, column : int or None
        1-based position of the offending token in the query text, when known.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        self.message = message
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.message} (line {self.line}, column {self.column})"
        return self.message


class ADQLSyntaxError(ADQLError):
    """The text is not ADQL 2.1 (lexical or grammatical error)."""


class ADQLValidationError(ADQLError):
    """The query is ADQL but cannot be run here (unknown name, ambiguous column...)."""


class ADQLNameError(ADQLValidationError):
    """An unknown table, column or function; ``suggestions`` lists close names.

    Parameters
    ----------
    suggestions : tuple of str
        Known names that resemble the unknown one (from :mod:`difflib`).
    """

    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        suggestions: tuple[str, ...] = (),
    ):
        self.suggestions = tuple(suggestions)
        if self.suggestions:
            message = f"{message}; did you mean {', '.join(self.suggestions)}?"
        super().__init__(message, line, column)


class ADQLUnsupportedError(ADQLValidationError):
    """A legal ADQL construct this service does not implement (e.g. STC-S unions)."""
