"""The few error types packer raises. The CLI maps them to exit codes in one place."""

from __future__ import annotations


class PackerError(Exception):
    """A problem the user can fix. The message says how; the CLI prints it as one line."""

    exit_code = 1


class ConfigError(PackerError):
    """A bad option or config key (names the file and key)."""


class BudgetError(PackerError):
    """The budget cannot hold even the fixed parts of the output."""


class EncodingError(PackerError):
    """The token vocabulary is unknown, missing or corrupt."""


class EmptyPackError(PackerError):
    """Nothing could be packed: never a silent success."""


class ConcurrentChangeError(PackerError):
    """A file changed between counting and writing; the partial output was discarded."""
