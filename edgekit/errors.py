"""Errors users see: each names the file or field at fault and what was expected."""


class EdgekitError(Exception):
    """Base class for every error edgekit raises on purpose (the CLI prints these without a traceback)."""


class DataError(EdgekitError):
    """Input data is missing, malformed or inconsistent."""


class ConfigError(EdgekitError):
    """A recipe, override or option is invalid."""


class BundleError(EdgekitError):
    """An exported bundle is missing, malformed, tampered with or from a newer edgekit."""
