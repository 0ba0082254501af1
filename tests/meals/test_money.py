import re
from decimal import Decimal

import pytest
from django.test import override_settings
from hypothesis import example, given, settings
from hypothesis import strategies as st

from meals.money import AmountField, parse_amount

CEILING = Decimal(500)

cents = st.integers(min_value=0, max_value=int(CEILING * 100)).map(lambda n: Decimal(n) / 100)


def french(amount: Decimal, *, separator: str) -> str:
    units, _, fraction = f"{amount:.2f}".partition(".")
    return f"{units}{separator}{fraction}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5", "5.00"),
        ("5,50", "5.50"),
        ("5.50", "5.50"),
        ("5 €", "5.00"),
        ("5€", "5.00"),
        ("5\u202f€", "5.00"),
        ("€5.50", "5.50"),
        ("5,5", "5.50"),
        (" 12 ", "12.00"),
        ("0", "0.00"),
        (",50", "0.50"),
        ("500", "500.00"),
    ],
)
def test_parse_amount_accepts_what_french_people_type(text, expected):
    amount = parse_amount(text)
    assert isinstance(amount, Decimal)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize(
    "text",
    [
        "-1",
        "abc",
        "",
        "   ",
        "€",
        "1e400",
        "NaN",
        "nan",
        "Infinity",
        "-0,01",
        "99999999999999",
        "5,555",
        "<b>5</b>",
        "１２",
        "٥",
        "5,",
        "5.5.5",
        "1 000",
        "+5",
        "500,01",
        "0x10",
        None,
    ],
)
def test_parse_amount_refuses_anything_else_with_a_french_message(text):
    with pytest.raises(ValueError) as error:
        parse_amount(text)
    message = str(error.value)
    assert message
    assert any(word in message for word in ("montant", "virgule", "plafond", "négatif"))


def test_parse_amount_refuses_above_the_configured_ceiling():
    with override_settings(CONTRIBUTION_CEILING=20):
        assert parse_amount("20") == Decimal("20.00")
        with pytest.raises(ValueError, match="plafond"):
            parse_amount("20,01")


def test_parse_amount_takes_a_higher_ceiling_for_the_cash_box():
    assert parse_amount("1 234".replace(" ", ""), ceiling=10000) == Decimal("1234.00")


@settings(deadline=None)
@given(amount=cents, separator=st.sampled_from([",", "."]), euro=st.sampled_from(["", "€", " €", "\u00a0€"]))
@example(amount=Decimal("0"), separator=",", euro="")
@example(amount=CEILING, separator=".", euro=" €")
def test_every_valid_amount_round_trips_with_comma_or_dot_and_euro_sign(amount, separator, euro):
    assert parse_amount(french(amount, separator=separator) + euro) == amount


@settings(deadline=None)
@given(amount=cents)
def test_whole_and_one_decimal_amounts_round_trip(amount):
    whole = amount.to_integral_value()
    assert parse_amount(str(int(whole))) == whole
    one_place = f"{amount:.1f}".replace(".", ",")
    assert parse_amount(one_place) == Decimal(one_place.replace(",", "."))


SPACES = " \t\u00a0\u202f"


def plain_amount(text: str) -> Decimal | None:
    """The reference grammar, written independently: digits, optional 1-2 decimals, optional €."""
    stripped = text.strip(SPACES)
    if stripped.endswith("€"):
        stripped = stripped[:-1].rstrip(SPACES)
    elif stripped.startswith("€"):
        stripped = stripped[1:].lstrip(SPACES)
    if not re.fullmatch(r"[0-9]{0,9}(?:[.,][0-9]{1,2})?", stripped, re.ASCII) or not stripped:
        return None
    return Decimal(stripped.replace(",", ".").rjust(1, "0")).quantize(Decimal("0.01"))


@settings(deadline=None)
@given(text=st.text(max_size=12))
@example(text="1e400")
@example(text="NaN")
@example(text="Infinity")
@example(text="-0,01")
@example(text="5,555")
def test_anything_that_is_not_a_plain_amount_in_range_is_refused(text):
    expected = plain_amount(text)
    if expected is not None and expected <= CEILING:
        assert parse_amount(text) == expected
    else:
        with pytest.raises(ValueError):
            parse_amount(text)


@settings(deadline=None)
@given(amount=st.decimals(min_value=Decimal("500.01"), max_value=Decimal("99999999"), places=2))
def test_amounts_above_the_ceiling_are_refused(amount):
    with pytest.raises(ValueError):
        parse_amount(french(amount, separator=","))


@settings(deadline=None)
@given(amount=st.decimals(min_value=Decimal("-99999"), max_value=Decimal("-0.01"), places=2))
def test_negative_amounts_are_refused(amount):
    with pytest.raises(ValueError, match="négatif"):
        parse_amount(french(amount, separator=","))


def test_amount_field_cleans_to_decimal_and_reports_a_french_error():
    field = AmountField(required=True)
    assert field.clean("5,50") == Decimal("5.50")
    from django import forms

    with pytest.raises(forms.ValidationError) as error:
        field.clean("abc")
    assert "montant" in error.value.messages[0]
    with pytest.raises(forms.ValidationError):
        field.clean("")
