"""Safe to submit twice: one rendered form posted again (a double tap, a retry) writes nothing more.

Each test fetches the page a person sees, takes one of its forms exactly as
rendered (its one-time key included) and posts it again and again: one row,
one effect, and every answer the same as the first.
"""

import re
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib import messages
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from meals.models import Booking, Contribution, Meal, MealSeries, SeatBlock, ShiftSignup, ShiftTemplate, TillClosing
from tests.conftest import all_at_once

KEY = re.compile(r"^[A-Za-z0-9_-]{22}$")


class Forms(HTMLParser):
    """The POST forms of a page: action, the fields a browser would send, and the submit buttons.

    A button outside its form (``form="…" formaction="…"``, the shift board's) is one more form
    here, as a browser sends it: its form's fields, the button's own name and value, to its action.
    """

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = {"action": attributes.get("action", ""), "method": attributes.get("method", "get").lower()}
            self._form |= {"fields": [], "buttons": [], "id": attributes.get("id")}
            self.forms.append(self._form)
            return
        name = attributes.get("name")
        if tag == "button" and attributes.get("form") and attributes.get("formaction"):
            owner = next(form for form in self.forms if form["id"] == attributes["form"])
            pressed = [(name, attributes.get("value", ""))] if name else []
            self.forms.append(
                {"action": attributes["formaction"], "method": owner["method"], "fields": [*owner["fields"], *pressed]}
                | {"buttons": pressed, "id": None}
            )
            return
        if self._form is None:
            return
        if tag == "button" or (tag == "input" and attributes.get("type") == "submit"):
            if name:
                self._form["buttons"].append((name, attributes.get("value", "")))
        elif tag == "input" and name:
            default = ""
            if attributes.get("type") in {"checkbox", "radio"}:
                if "checked" not in attributes:
                    return
                default = "on"
            self._form["fields"].append((name, attributes.get("value", default)))
        elif tag == "select" and name:
            self._select = name
            self._form["fields"].append((name, ""))
        elif tag == "option" and self._select and "selected" in attributes:
            self._form["fields"] = [(n, v) for n, v in self._form["fields"] if n != self._select]
            self._form["fields"].append((self._select, attributes.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None

    def post_forms(self) -> list[dict]:
        return [form for form in self.forms if form["method"] == "post"]

    def one(self, action: str) -> dict:
        found = [form for form in self.post_forms() if form["action"] == action]
        assert len(found) == 1, (action, [form["action"] for form in self.post_forms()])
        return found[0]


def rendered_form(client, page: str, action: str, **typed) -> dict[str, list[str]]:
    """The data one form of ``page`` sends, as rendered, with what the person typed (``typed``) in it.

    A typed value of the form ``("button", value)`` is the submit button tapped.
    """
    response = client.get(page)
    assert response.status_code == 200, page
    form = Forms(response.content.decode()).one(action)
    data: dict[str, list[str]] = {}
    for name, value in form["fields"]:
        data.setdefault(name, []).append(value)
    for name, value in typed.items():
        if isinstance(value, tuple):
            assert (name, value[1]) in form["buttons"], (name, value, form["buttons"])
            data.setdefault(name, []).append(value[1])  # the tapped button comes after the text box
        else:
            data[name] = value if isinstance(value, list) else [value]
    return data


def answer(response) -> tuple:
    """What a person sees of a POST: the status, where it sends them, the messages it adds."""
    added = getattr(messages.get_messages(response.wsgi_request), "_queued_messages", [])
    return response.status_code, response.get("Location"), [str(message) for message in added]


def post_twice(client, url: str, data) -> tuple:
    first, second = client.post(url, data), client.post(url, data)
    assert answer(first)[0] == 302, answer(first)
    assert answer(second) == answer(first)
    return answer(first)


def book(meal, name="Jeanne Martin", party_size=1, **fields) -> Booking:
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, **fields)
    Meal.objects.filter(pk=meal.pk).update(seats_taken=meal.seats_taken + party_size)
    meal.refresh_from_db()
    return booking


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def desk(meal) -> str:
    return reverse("meals:door", args=[meal.pk])


# --- The door desk -----------------------------------------------------------------


def test_a_typed_contribution_posted_twice_is_recorded_once(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    data = rendered_form(coordinator_client, desk(meal), url, amount="7,50", method="card")
    post_twice(coordinator_client, url, data)
    assert list(Contribution.objects.values_list("amount", "method")) == [(Decimal("7.50"), "card")]


def test_a_double_tap_on_a_one_tap_amount_is_recorded_once(coordinator_client, meal):
    guest = book(meal, checked_in_at=timezone.now())
    page = desk(meal) + f"?booking={guest.pk}"
    url = reverse("meals:record_contribution", args=[meal.pk])
    data = rendered_form(coordinator_client, page, url, amount=("button", "5"))
    _status, _where, said = post_twice(coordinator_client, url, data)
    assert list(Contribution.objects.values_list("amount", "booking")) == [(Decimal("5.00"), guest.pk)]
    assert "Jeanne Martin" in said[0]


def test_the_next_contribution_gets_its_own_key(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    first = rendered_form(coordinator_client, desk(meal), url, amount="5")
    coordinator_client.post(url, first)
    second = rendered_form(coordinator_client, desk(meal), url, amount="5")
    assert second["form_key"] != first["form_key"]
    coordinator_client.post(url, second)
    assert Contribution.objects.count() == 2


def test_a_walk_in_posted_twice_is_added_once(coordinator_client, meal):
    url = reverse("meals:door_walk_in", args=[meal.pk])
    data = rendered_form(coordinator_client, desk(meal), url, name="Passant", party_size="2")
    post_twice(coordinator_client, url, data)
    assert Booking.objects.filter(meal=meal, is_walk_in=True).count() == 1
    meal.refresh_from_db()
    assert meal.seats_taken == 2


def test_a_check_in_replayed_after_its_undo_does_not_check_in_again(coordinator_client, meal):
    guest = book(meal)
    check_in = reverse("meals:door_check_in", args=[guest.pk])
    data = rendered_form(coordinator_client, desk(meal), check_in)
    first = answer(coordinator_client.post(check_in, data))
    undo = reverse("meals:door_undo_check_in", args=[guest.pk])
    coordinator_client.post(undo, rendered_form(coordinator_client, desk(meal), undo))
    assert answer(coordinator_client.post(check_in, data)) == first
    guest.refresh_from_db()
    assert guest.checked_in_at is None


def test_an_undo_replayed_after_a_new_check_in_does_not_undo_it(coordinator_client, meal):
    guest = book(meal, checked_in_at=timezone.now())
    undo = reverse("meals:door_undo_check_in", args=[guest.pk])
    data = rendered_form(coordinator_client, desk(meal), undo)
    first = answer(coordinator_client.post(undo, data))
    check_in = reverse("meals:door_check_in", args=[guest.pk])
    coordinator_client.post(check_in, rendered_form(coordinator_client, desk(meal), check_in))
    assert answer(coordinator_client.post(undo, data)) == first
    guest.refresh_from_db()
    assert guest.checked_in_at is not None


def test_removing_a_walk_in_posted_twice_answers_the_same(coordinator_client, meal, coordinator):
    from meals.services import door

    walk_in = door.walk_in_add(meal=meal, party_size=1, by=coordinator)
    undo = reverse("meals:door_undo_check_in", args=[walk_in.pk])
    post_twice(coordinator_client, undo, rendered_form(coordinator_client, desk(meal), undo))
    meal.refresh_from_db()
    assert meal.seats_taken == 0


def test_a_void_posted_twice_answers_the_same_and_voids_once(coordinator_client, meal, coordinator):
    from meals.services import door

    contribution = door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", by=coordinator)
    url = reverse("meals:door_void_contribution", args=[contribution.pk])
    data = rendered_form(coordinator_client, desk(meal), url, reason="Erreur de saisie")
    _status, _where, said = post_twice(coordinator_client, url, data)
    assert "annulée" in said[0] and "déjà" not in said[0]
    contribution.refresh_from_db()
    assert contribution.void_reason == "Erreur de saisie"


def test_a_till_closing_posted_twice_closes_once_and_answers_the_same(coordinator_client, meal):
    url = reverse("meals:door_till_close", args=[meal.pk])
    data = rendered_form(coordinator_client, desk(meal), url, counted_cash="0")
    post_twice(coordinator_client, url, data)
    assert TillClosing.objects.filter(meal=meal).count() == 1


def test_a_till_closing_replayed_after_a_reopening_does_not_close_again(coordinator_client, meal):
    close = reverse("meals:door_till_close", args=[meal.pk])
    data = rendered_form(coordinator_client, desk(meal), close, counted_cash="0")
    coordinator_client.post(close, data)
    reopen = reverse("meals:door_till_reopen", args=[meal.pk])
    post_twice(coordinator_client, reopen, rendered_form(coordinator_client, desk(meal), reopen, reason="Oubli"))
    coordinator_client.post(close, data)
    closing = TillClosing.objects.get(meal=meal)
    assert closing.reopened_at is not None


def test_every_form_of_the_door_desk_carries_its_own_key(coordinator_client, meal, coordinator):
    from meals.services import door

    book(meal, name="Arrivée", checked_in_at=timezone.now())
    book(meal, name="Attendue")
    door.walk_in_add(meal=meal, party_size=1, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", by=coordinator)
    pages = [coordinator_client.get(desk(meal)).content.decode() for _ in range(2)]
    # The guests' rows' buttons submit the page's form "door-actions" (meals/views/door.py), which sends
    # nothing by itself: each button is its own submission, with its own key.
    forms = [[form for form in Forms(page).post_forms() if form["action"] != desk(meal)] for page in pages]
    actions = {resolve(form["action"]).url_name for form in forms[0]}
    assert actions == {"set_language", "logout"} | {
        "record_contribution",
        "door_walk_in",
        "door_check_in",
        "door_undo_check_in",
        "door_void_contribution",
        "door_till_close",
    }
    forms = [[form for form in page if not form["action"].endswith(("/setlang/", "/logout/"))] for page in forms]
    keys = [[dict(form["fields"]).get("form_key", "") for form in page] for page in forms]
    assert all(KEY.match(key) for key in keys[0] + keys[1]), keys
    # Every form of every render its own key, also those of the guests' rows kept in the cache.
    assert len(set(keys[0] + keys[1])) == len(keys[0]) + len(keys[1])
    close = reverse("meals:door_till_close", args=[meal.pk])
    closed = coordinator_client.post(close, rendered_form(coordinator_client, desk(meal), close, counted_cash="5"))
    assert closed.status_code == 302
    reopen = Forms(coordinator_client.get(desk(meal)).content.decode()).one(
        reverse("meals:door_till_reopen", args=[meal.pk])
    )
    assert KEY.match(dict(reopen["fields"])["form_key"])


def test_a_malformed_key_is_a_clear_error_and_writes_nothing(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    response = coordinator_client.post(url, {"amount": "5", "method": "cash", "form_key": "not a key!"})
    assert response.status_code == 200
    assert "rechargez la page" in response.content.decode()
    assert Contribution.objects.count() == 0
    guest = book(meal)
    response = coordinator_client.post(reverse("meals:door_check_in", args=[guest.pk]), {"form_key": "x" * 500})
    assert response.status_code == 302
    guest.refresh_from_db()
    assert guest.checked_in_at is None


def test_a_form_without_a_key_still_works_as_before(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    for _ in range(2):
        assert coordinator_client.post(url, {"amount": "5", "method": "cash"}).status_code == 302
    assert Contribution.objects.count() == 2


def test_a_refused_submission_keeps_no_key_so_the_corrected_form_goes_through(coordinator_client, meal):
    url = reverse("meals:door_walk_in", args=[meal.pk])
    Meal.objects.filter(pk=meal.pk).update(seats_taken=meal.capacity)
    data = rendered_form(coordinator_client, desk(meal), url, party_size="1")
    assert coordinator_client.post(url, data).status_code == 200  # « complet »
    data["squeeze"] = ["on"]
    assert coordinator_client.post(url, data).status_code == 302
    assert Booking.objects.filter(meal=meal, is_walk_in=True).count() == 1


# --- Booking -----------------------------------------------------------------------


def test_a_booking_posted_twice_answers_with_the_same_private_page(client, meal):
    url = reverse("meals:book", args=[meal.pk])
    data = rendered_form(client, reverse("meals:meal", args=[meal.pk]), url, name="Jeanne", email="j@example.org")
    _status, where, said = post_twice(client, url, data)
    booking = Booking.objects.get(meal=meal)
    assert where == reverse("meals:booking", args=[booking.token])
    assert said[0] == "C'est réservé ! Nous vous attendons avec plaisir."


def test_a_booking_replayed_after_its_cancellation_books_nothing(client, meal):
    url = reverse("meals:book", args=[meal.pk])
    data = rendered_form(client, reverse("meals:meal", args=[meal.pk]), url, name="Jeanne", phone="0612345678")
    first = answer(client.post(url, data))
    booking = Booking.objects.get(meal=meal)
    client.post(reverse("meals:cancel_booking", args=[booking.token]))
    assert answer(client.post(url, data))[:2] == first[:2]
    assert list(Booking.objects.values_list("status", flat=True)) == ["cancelled"]


def test_every_render_of_the_kept_meal_page_has_its_own_key(client, meal):
    action = reverse("meals:book", args=[meal.pk])
    keys = [rendered_form(client, reverse("meals:meal", args=[meal.pk]), action)["form_key"][0] for _ in range(3)]
    assert len(set(keys)) == 3


def test_a_booking_on_behalf_posted_twice_books_once(coordinator_client, meal):
    url = reverse("meals:book_on_behalf", args=[meal.pk])
    data = rendered_form(coordinator_client, url, url, name="Mme Roux", party_size="2")
    post_twice(coordinator_client, url, data)
    assert Booking.objects.filter(meal=meal).count() == 1


def test_a_partner_booking_posted_twice_books_once(client, meal, partner, partner_referent):
    client.force_login(partner_referent)
    url = reverse("members:partner_bookings", args=[partner.pk])
    data = rendered_form(client, url, "", meal=str(meal.pk), name="Odette", party_size="1")
    post_twice(client, url, data)
    assert Booking.objects.filter(meal=meal, partner=partner).count() == 1


# --- Planning ----------------------------------------------------------------------


def test_a_new_meal_posted_twice_is_planned_once(coordinator_client):
    url = reverse("meals:planning_new")
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = rendered_form(coordinator_client, url, "", day=day)
    post_twice(coordinator_client, url, data)
    assert Meal.objects.count() == 1


def test_a_series_posted_twice_is_planned_once(coordinator_client):
    url = reverse("meals:planning_series")
    start = timezone.localdate() + timedelta(days=1)
    data = rendered_form(
        coordinator_client,
        url,
        "",
        weekdays=["1", "3"],
        starts_on=start.isoformat(),
        ends_on=(start + timedelta(days=27)).isoformat(),
    )
    post_twice(coordinator_client, url, data)
    assert MealSeries.objects.count() == 1
    assert Meal.objects.count() == 8


def test_an_edit_replayed_after_a_later_edit_does_not_undo_it(coordinator_client, meal):
    url = reverse("meals:planning_edit", args=[meal.pk])
    first_edit = rendered_form(coordinator_client, url, "", main="Lentilles")
    first = answer(coordinator_client.post(url, first_edit))
    coordinator_client.post(url, rendered_form(coordinator_client, url, "", main="Couscous"))
    assert answer(coordinator_client.post(url, first_edit)) == first
    meal.refresh_from_db()
    assert meal.main == "Couscous"


def test_a_seat_block_replayed_after_a_later_change_does_not_undo_it(coordinator_client, meal, partner):
    url = reverse("meals:planning_seat_block", args=[meal.pk])
    release = (meal.starts_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    first_set = rendered_form(coordinator_client, url, "", partner=str(partner.pk), seats="4", release_at=release)
    first = answer(coordinator_client.post(url, first_set))
    later = rendered_form(coordinator_client, url, "", partner=str(partner.pk), seats="2", release_at=release)
    coordinator_client.post(url, later)
    assert answer(coordinator_client.post(url, first_set)) == first
    assert SeatBlock.objects.get(meal=meal).seats == 2


def test_a_cancellation_posted_twice_writes_nothing_more(coordinator_client, meal):
    url = reverse("meals:planning_cancel", args=[meal.pk])
    data = rendered_form(coordinator_client, url, "", reason="Fuite d'eau")
    assert coordinator_client.post(url, data).status_code == 200
    assert coordinator_client.post(url, data).status_code in (200, 302)
    meal.refresh_from_db()
    assert meal.is_cancelled and meal.cancel_reason == "Fuite d'eau"


def test_the_shift_template_posted_twice_answers_the_same(coordinator_client):
    url = reverse("meals:shift_template")
    data = rendered_form(coordinator_client, url, "", **{"form-0-slots": "8"})
    post_twice(coordinator_client, url, data)
    assert ShiftTemplate.objects.count() == 3


def test_putting_a_volunteer_on_a_shift_posted_twice_answers_the_same(coordinator_client, meal, volunteer):
    shift = meal.shifts.get(role="cooking")
    url = reverse("meals:shift_assign", args=[shift.pk])
    data = rendered_form(coordinator_client, reverse("meals:shift_overview"), url, member=str(volunteer.member.pk))
    post_twice(coordinator_client, url, data)
    assert ShiftSignup.objects.filter(shift=shift).count() == 1


@pytest.mark.parametrize(
    "page",
    [
        "meals:planning_new",
        "meals:planning_series",
        "meals:planning_edit",
        "meals:planning_cancel",
        "meals:planning_seat_block",
        "meals:shift_template",
        "meals:shift_overview",
        "meals:book_on_behalf",
    ],
)
def test_every_planning_form_carries_a_key(coordinator_client, meal, page):
    with_meal = {"meals:planning_edit", "meals:planning_cancel", "meals:planning_seat_block", "meals:book_on_behalf"}
    url = reverse(page, args=[meal.pk] if page in with_meal else [])
    forms = Forms(coordinator_client.get(url).content.decode()).post_forms()
    forms = [form for form in forms if not form["action"].endswith(("/setlang/", "/logout/"))]
    assert forms
    for form in forms:
        assert KEY.match(dict(form["fields"]).get("form_key", "")), (page, form["action"])


# --- Volunteers' shifts ------------------------------------------------------------------


@pytest.fixture
def volunteer_client(client, volunteer):
    client.force_login(volunteer)
    return client


def test_a_shift_claim_replayed_after_its_release_does_not_claim_again(volunteer_client, make_meal, volunteer):
    shift = make_meal(day=timezone.localdate() + timedelta(days=5)).shifts.get(role="dishes")
    board = reverse("meals:shifts")
    claim, release = (reverse(f"meals:{name}_shift", args=[shift.pk]) for name in ("claim", "release"))
    data = rendered_form(volunteer_client, board, claim)
    first = answer(volunteer_client.post(claim, data))
    volunteer_client.post(release, rendered_form(volunteer_client, board, release))
    assert answer(volunteer_client.post(claim, data)) == first
    assert not ShiftSignup.objects.filter(shift=shift).exists()


def test_a_shift_release_replayed_after_a_new_claim_does_not_release_it(volunteer_client, make_meal, volunteer):
    shift = make_meal(day=timezone.localdate() + timedelta(days=5)).shifts.get(role="dishes")
    board = reverse("meals:shifts")
    claim, release = (reverse(f"meals:{name}_shift", args=[shift.pk]) for name in ("claim", "release"))
    volunteer_client.post(claim, rendered_form(volunteer_client, board, claim))
    data = rendered_form(volunteer_client, board, release)
    volunteer_client.post(release, data)
    volunteer_client.post(claim, rendered_form(volunteer_client, board, claim))
    volunteer_client.post(release, data)
    assert ShiftSignup.objects.filter(shift=shift, member=volunteer.member).count() == 1
    shift.refresh_from_db()
    assert shift.taken == 1


def test_every_render_of_the_kept_shift_board_has_its_own_keys(volunteer_client, make_meal):
    make_meal(day=timezone.localdate() + timedelta(days=5))
    pages = [volunteer_client.get(reverse("meals:shifts")).content.decode() for _ in range(2)]
    keys = [dict(form["fields"]).get("form_key", "") for page in pages for form in Forms(page).post_forms()]
    keys = [key for key in keys if key]
    assert len(keys) == 2 * 3 and all(KEY.match(key) for key in keys)
    assert len(set(keys)) == len(keys)


# --- The keys themselves ------------------------------------------------------------


def test_keys_are_put_in_html_pages_only():
    from django.http import HttpResponse, JsonResponse

    from meals.idempotency import PLACEHOLDER, FormKeyMiddleware

    html = HttpResponse(f"<p>{PLACEHOLDER}</p><p>{PLACEHOLDER}</p>")
    filled = FormKeyMiddleware(lambda request: html)(None).content.decode()
    first, second = re.findall(r"<p>([^<]*)</p>", filled)
    assert KEY.match(first) and KEY.match(second) and first != second
    data = JsonResponse({"text": PLACEHOLDER})
    assert PLACEHOLDER.encode() not in FormKeyMiddleware(lambda request: data)(None).content  # JSON escapes NUL
    text = HttpResponse(PLACEHOLDER, content_type="text/plain")
    assert FormKeyMiddleware(lambda request: text)(None).content == PLACEHOLDER.encode()


def test_keys_older_than_a_week_are_forgotten_by_the_daily_command(coordinator_client, meal):
    import io

    from django.core.management import call_command

    from meals.models import FormKey

    url = reverse("meals:record_contribution", args=[meal.pk])
    coordinator_client.post(url, rendered_form(coordinator_client, desk(meal), url, amount="5"))
    FormKey.objects.create(key="o" * 22, kind="contribution", created_at=timezone.now() - timedelta(days=8))
    output = io.StringIO()
    call_command("send_reminders", stdout=output)
    assert "Old form keys forgotten: 1" in output.getvalue()
    assert list(FormKey.objects.values_list("kind", flat=True)) == ["contribution"]


def test_a_key_is_claimed_only_inside_the_transaction_of_its_change(transactional_db):
    from meals.idempotency import claim

    with pytest.raises(RuntimeError):
        claim("k" * 22, "contribution")


# --- Real parallel requests ------------------------------------------------------------


def five_at_once(user, url: str, data) -> list:
    clients = [Client() for _ in range(5)]
    for client in clients:
        if user is not None:
            client.force_login(user)
    return all_at_once(5, lambda n: answer(clients[n].post(url, data))[:2])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_parallel_posts_of_one_contribution_form_make_one_row_on_postgresql(make_meal, coordinator):
    meal = make_meal()
    client = Client()
    client.force_login(coordinator)
    url = reverse("meals:record_contribution", args=[meal.pk])
    data = rendered_form(client, desk(meal), url, amount=("button", "5"))
    results = five_at_once(coordinator, url, data)
    assert results == [(302, desk(meal) + "#guests")] * 5
    assert Contribution.objects.filter(meal=meal).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_parallel_posts_of_one_booking_form_make_one_booking_on_postgresql(make_meal, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    meal = make_meal()
    url = reverse("meals:book", args=[meal.pk])
    data = rendered_form(Client(), reverse("meals:meal", args=[meal.pk]), url, name="Jeanne", email="j@example.org")
    results = five_at_once(None, url, data)
    booking = Booking.objects.get(meal=meal)
    assert results == [(302, reverse("meals:booking", args=[booking.token]))] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_parallel_posts_of_one_booking_on_behalf_make_one_booking_on_postgresql(make_meal, coordinator):
    meal = make_meal()
    client = Client()
    client.force_login(coordinator)
    url = reverse("meals:book_on_behalf", args=[meal.pk])
    data = rendered_form(client, url, url, name="Mme Roux")
    results = five_at_once(coordinator, url, data)
    booking = Booking.objects.get(meal=meal)
    assert results == [(302, reverse("meals:book_on_behalf_done", args=[booking.token]))] * 5


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_parallel_posts_of_one_new_meal_plan_one_meal_on_postgresql(coordinator):
    client = Client()
    client.force_login(coordinator)
    url = reverse("meals:planning_new")
    day = (timezone.localdate() + timedelta(days=10)).isoformat()
    data = rendered_form(client, url, "", day=day)
    results = five_at_once(coordinator, url, data)
    meal = Meal.objects.get()
    assert results == [(302, reverse("meals:planning_edit", args=[meal.pk]))] * 5


# SQLite through gunicorn, as in production (see test_booking_race.py): three worker
# processes, one SQLite file, five HTTP clients posting one rendered form together.

SETUP_DESK = """
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from meals.models import Meal
now = timezone.now()
meal = Meal.objects.create(
    cooking_starts_at=now, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=3),
    booking_opens_at=now - timedelta(days=7), booking_closes_at=now,
)
user = get_user_model().objects.create_user("door@example.org", "door@example.org", "a-long-door-password")
user.groups.add(Group.objects.get(name="coordinator"))
client = Client()
client.force_login(user)
print(meal.pk, client.cookies["sessionid"].value)
"""

COUNT_CONTRIBUTIONS = """
from meals.models import Contribution
print(Contribution.objects.count(), sorted(set(Contribution.objects.values_list("amount", flat=True))))
"""


@pytest.mark.slow
def test_five_parallel_posts_of_one_contribution_form_make_one_row_on_sqlite_with_gunicorn(tmp_path):
    import urllib.parse
    import urllib.request

    from tests.gunicorn import NoRedirect, posted_together, sqlite_app

    app = sqlite_app(tmp_path / "door.sqlite3")
    meal_pk, session = app.shell(SETUP_DESK).split()
    with app.served("--workers", "3", "--threads", "4") as base:
        opener = urllib.request.build_opener(NoRedirect)
        desk_page = urllib.request.Request(
            f"{base}/accueil/repas/{meal_pk}/", headers={"Cookie": f"sessionid={session}"}
        )
        response = opener.open(desk_page, timeout=60)
        csrf = re.search(r"csrftoken=([^;]+)", response.headers["Set-Cookie"]).group(1)
        action = f"/accueil/repas/{meal_pk}/participation/"
        form = Forms(response.read().decode()).one(action)
        data = urllib.parse.urlencode([*form["fields"], ("amount", "5")]).encode()  # the one-tap « 5 € »
        headers = {"Referer": base, "Cookie": f"sessionid={session}; csrftoken={csrf}"}
        results = posted_together(
            5, lambda n: (opener, urllib.request.Request(base + action, data=data, headers=headers))
        )
    assert results == [302] * 5
    assert app.shell(COUNT_CONTRIBUTIONS) == "1 [Decimal('5.00')]"
