"""Errors that services raise and that pages and the API translate into answers."""

from django.core.exceptions import ValidationError  # noqa: F401  (re-exported for services)


class StateConflict(Exception):
    """The object's state forbids the change (a line after the deadline, a transition out of
    order). Pages show the message; the API answers 409."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message
