"""Errors whose message is shown to a person as-is (in Indonesian)."""


class TriwulanError(Exception):
    """Base: the CLI prints str(error) on one line and exits non-zero."""


class RunFailed(TriwulanError):
    """A run that passed its checks and failed midway: exit 1, the details are in its log file."""

    exit_code = 1


class DeliveryFailed(TriwulanError):
    """The report was written but leadership did not get it: exit 3, the run ends Failed."""

    exit_code = 3

    def __init__(self, message: str, summary: dict | None = None) -> None:
        super().__init__(message)
        self.summary = summary


class PeriodError(TriwulanError, ValueError):
    pass


class ReferenceDataError(TriwulanError):
    """Reference data is missing or inconsistent; carries every problem found, not just one.

    str() is a single line (the CLI contract); `problems` keeps them apart for tests and tools.
    """

    def __init__(self, problems: list[str]):
        self.problems = problems
        if len(problems) == 1:
            message = problems[0]
        else:
            message = f"Data referensi tidak konsisten ({len(problems)} masalah): " + "; ".join(
                problems
            )
        super().__init__(message)
