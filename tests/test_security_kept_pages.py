"""Kept pages hold nothing from the request that built them (issue 13, finding 7).

``/`` and each meal's page are kept for every visitor (meals/cache.py): what the first
visitor sent (a query string, a CSRF token) must never reach the next one.
"""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def public_urls(meal) -> list[str]:
    return [reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk])]


def test_a_kept_page_does_not_show_the_first_visitor_s_query_string_to_the_next(meal):
    for url in public_urls(meal):
        Client().get(url + "?utm=attacker-was-here")
        later = Client().get(url).content.decode()
        assert "attacker-was-here" not in later, url
        # The language switch brings each visitor back to their own page.
        assert f'name="next" value="{url}"' in later, url


def test_each_visitor_of_a_kept_page_gets_their_own_csrf_token(meal):
    for url in public_urls(meal):
        pages = []
        for _ in range(2):
            browser = Client(enforce_csrf_checks=True)
            page = browser.get(url).content.decode()
            pages.append((browser, re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)))
        (first, first_tokens), (second, second_tokens) = pages
        assert first_tokens and second_tokens, url
        assert not set(first_tokens) & set(second_tokens), url
        # Each token is good for its own visitor's cookie only.
        language = reverse("set_language")
        assert second.post(language, {"language": "en", "csrfmiddlewaretoken": second_tokens[0]}).status_code == 302
        assert second.post(language, {"language": "en", "csrfmiddlewaretoken": first_tokens[0]}).status_code == 403


class BookingFormFields(HTMLParser):
    """What a browser sends with the booking form: its own fields and those tied to it with ``form=``."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._inside = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._inside = attributes.get("id") == "booking-form"
        elif tag == "input" and attributes.get("type") == "hidden":
            if self._inside or attributes.get("form") == "booking-form":
                self.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False


def test_two_visitors_book_from_the_same_kept_meal_page(meal):
    url = reverse("meals:meal", args=[meal.pk])
    for n in range(2):  # the second page comes from the cache
        browser = Client(enforce_csrf_checks=True)
        finder = BookingFormFields()
        finder.feed(browser.get(url).content.decode())
        assert "csrfmiddlewaretoken" in finder.fields
        guest = {"name": f"Convive {n}", "email": f"convive{n}@example.org", "party_size": "1"}
        response = browser.post(reverse("meals:book", args=[meal.pk]), {**finder.fields, **guest})
        assert response.status_code == 302, n
    assert meal.bookings.count() == 2
