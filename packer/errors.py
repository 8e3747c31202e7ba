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
    """A file changed between counting and writing. A file output is left as it was; a
    stream (`streamed`) may already hold the blocks written before the change was seen."""

    def __init__(self, path: str, streamed: bool = False) -> None:
        self.path, self.streamed = path, streamed
        what = "the output stream may hold part of the pack" if streamed else "nothing was written"
        super().__init__(f"{path} changed while packing; {what}, run packer again")

    def __reduce__(self) -> tuple[type[ConcurrentChangeError], tuple[str, bool]]:
        return type(self), (self.path, self.streamed)  # from a worker process, whole


class SecretsError(PackerError):
    """Secrets are left unredacted in what would be sent."""


class CostError(PackerError):
    """A review would cost more than --max-cost allows, or was not confirmed."""


class ApiError(PackerError):
    """The model API refused or could not be reached (the message names the fix)."""

    exit_code = 3


class NothingToReview(PackerError):
    """`review --staged` / `--diff` found no changes: nothing is sent, and that is no failure."""

    exit_code = 0
