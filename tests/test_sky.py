"""The one position parser behind the archive page and SSA POS."""

import pytest

from soxsvo.utils.sky import PositionError, decimal_position, parse_position


@pytest.mark.parametrize("text", ["150.25 -30.5", "150.25, -30.5", "150.25,-30.5",
                                  "10:01:00 -30:30:00"])
def test_degrees_and_sexagesimal_give_the_same_position(text) -> None:
    ra, dec = parse_position(text)
    assert ra == pytest.approx(150.25) and dec == pytest.approx(-30.5)


def test_ra_360_is_ra_0() -> None:
    assert decimal_position("360", "0") == (0.0, 0.0)


@pytest.mark.parametrize(("ra", "dec", "words"), [
    ("400", "0", "right ascension 400.0 is outside"), ("10", "-91", "declination -91.0"),
    ("nan", "0", "finite"), ("ten", "0", "'ten' is not a number")])
def test_bad_numbers_are_named(ra, dec, words) -> None:
    with pytest.raises(PositionError, match=words):
        decimal_position(ra, dec)
    if words != "'ten' is not a number":   # free text falls through to sexagesimal
        with pytest.raises(PositionError, match=words):
            parse_position(f"{ra} {dec}")


def test_archive_page_and_ssa_say_the_same_about_a_bad_position(client) -> None:
    page = client.get("/archive?pos=400 10").get_data(as_text=True)
    assert "right ascension 400.0 is outside [0, 360) degrees" in page
    ssa = client.get("/ssa?REQUEST=queryData&POS=400,10").get_data(as_text=True)
    assert "right ascension 400.0 is outside [0, 360) degrees" in ssa
