import pytest

from triwulan.tasks.errors import PeriodError
from triwulan.tasks.period import Period, parse_period


def test_parse_and_names():
    period = parse_period("2024-TW2")
    assert period == Period(2024, 2)
    assert (period.label, period.roman, period.long) == (
        "2024-TW2",
        "TW II",
        "Triwulan II Tahun 2024",
    )
    assert period.previous() == [Period(2024, 1)]


@pytest.mark.parametrize(
    "text", ["2024-TW5", "2024-Q2", "TW2-2024", "2024TW2", "2024-tw2", "", "24-TW2"]
)
def test_malformed_period_shows_the_right_form(text):
    with pytest.raises(PeriodError) as excinfo:
        parse_period(text)
    assert "2024-TW2" in str(excinfo.value) and "TAHUN-TWn" in str(excinfo.value)
