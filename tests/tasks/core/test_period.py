import pytest

from triwulan.tasks.core.errors import PeriodError
from triwulan.tasks.core.period import Period, parse_period


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
    "text", ["2024-TW5", "2024-Q2", "TW2-2024", "2024TW2", "2024-tw", "", "24-TW2", "2024-TW2x"]
)
def test_malformed_period_shows_the_right_form(text):
    with pytest.raises(PeriodError) as excinfo:
        parse_period(text)
    assert "2024-TW2" in str(excinfo.value) and "TAHUN-TWn" in str(excinfo.value)


@pytest.mark.parametrize("text", ["2024-tw2", "2024-Tw2", "2024-tW2", " 2024-TW2 ", "\t2024-tw2\n"])
def test_any_letter_case_and_surrounding_spaces_are_accepted(text):
    period = parse_period(text)
    assert period == Period(2024, 2) and period.label == "2024-TW2"


def test_only_ascii_digits_make_a_year():
    with pytest.raises(PeriodError):
        parse_period("\u0662\u0660\u0662\u0664-TW2")  # Arabic-Indic digits
