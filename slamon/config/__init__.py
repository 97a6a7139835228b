"""The configuration: config.yaml read and validated once at start-up into frozen dataclasses.

One module per concern: ``settings`` (the whole file, its top-level sections and the typed
reader every section parser uses), ``source``, ``web``, ``metrics`` and ``sections`` (report
document, departments). Callers import the public names from here.
"""

from slamon.config.settings import (
    DigestConfig,
    NotifyConfig,
    Settings,
    SmtpConfig,
    configuration_errors,
    find_config,
    load_settings,
    parse_settings,
)
from slamon.config.source import SourceConfig

__all__ = [
    "DigestConfig",
    "NotifyConfig",
    "Settings",
    "SmtpConfig",
    "SourceConfig",
    "configuration_errors",
    "find_config",
    "load_settings",
    "parse_settings",
]
