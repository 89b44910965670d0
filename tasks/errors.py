"""Errors whose message is shown to a person as-is (in Indonesian)."""


class TriwulanError(Exception):
    """Base: the CLI prints str(error) on one line and exits non-zero."""


class PeriodError(TriwulanError, ValueError):
    pass


class ReferenceDataError(TriwulanError):
    """Reference data is missing or inconsistent; carries every problem found, not just the first."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Data referensi tidak konsisten:\n- " + "\n- ".join(problems))
