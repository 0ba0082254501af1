"""URL converters for the secret links (a guest's booking, a volunteer's calendar feed).

``<token:token>`` matches only what ``members.models.new_token`` makes: exactly
``TOKEN_LENGTH`` characters of the URL-safe base64 alphabet. Anything else (a
NUL byte, which PostgreSQL refuses in a query, a longer or shorter string)
is a 404 before any view or query runs.
"""

from members.models import TOKEN_LENGTH


class TokenConverter:
    regex = f"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class SmsCodeConverter(TokenConverter):
    """The short code of a booking's SMS links (``meals.sms.new_code``): ten letters and digits."""

    regex = "[A-Za-z0-9]{10}"
