"""Errors that map to exit codes: bad user input exits 2, naming the field."""


class InputError(Exception):
    """A field of an input file is missing or invalid, or a needed package is absent (exit code 2)."""

    def __init__(self, field, message):
        super().__init__(f"{field}: {message}")
        self.field = field
