"""Custom Great Expectations expectations named in expectations/*.json.

Importing this module registers them with GX (subclass definition registers by snake_case name),
so import it before building a suite. It imports GX, which is slow: import it lazily.
"""

from __future__ import annotations

from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
    ExpectColumnValuesToBeInSet,
)


class ExpectColumnValuesToBeTrue(ExpectColumnValuesToBeInSet):
    """Every non-null value of a flag column is True (JSON type: expect_column_values_to_be_true).

    Checks that need parsing or reference data (cell parses as rupiah, unit is known, code belongs
    to the unit) are computed once in plain pandas as flag columns (tasks.check.validate.prepare_frame);
    this lets a suite entry state them as an ordinary column check. Null means "not applicable"
    (e.g. an empty cell, handled by its own not-null rule) and is skipped, as GX does for every
    column map expectation.
    """

    value_set: list = [True]
