"""Typed errors. The library raises these; only the CLI turns them into one-line messages.

Every message is already the Chinese sentence a user reads: the CLI prints ``str(error)``.
"""

from __future__ import annotations


class SlamonError(Exception):
    """Base class of every error slamon reports to a user."""


class InputError(SlamonError):
    """A value given on the command line or in a record cannot be used."""


class ConfigError(SlamonError):
    """The configuration file is missing, malformed or names a bad value."""


class RuleError(SlamonError):
    """A rule file is malformed, or a rule id is unknown."""


class CalendarError(SlamonError):
    """A calendar file is malformed, or a date lies outside the supported range."""


class StoreError(SlamonError):
    """The store cannot be opened or has a schema this code does not know."""


class SourceError(SlamonError):
    """A source of application records failed."""


class MailError(SlamonError):
    """The mail configuration or the SMTP server refused to work."""
