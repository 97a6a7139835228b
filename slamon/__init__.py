"""slamon — approval-SLA compliance monitor for Guizhou's data-sharing platform."""

__version__ = "0.1.0"
