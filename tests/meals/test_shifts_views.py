from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Shift, ShiftSignup, ShiftTemplate
from meals.services.shifts import shift_claim
from members.models import Member
from tests.conftest import admin_edit, make_user


def cooking(meal) -> Shift:
    return meal.shifts.get(role=Shift.Role.COOKING)


# Permissions ----------------------------------------------------------------

GET_PAGES = ["meals:shifts", "meals:my_shifts", "meals:shift_overview", "meals:shift_template"]


@pytest.mark.parametrize("name", GET_PAGES)
def test_anonymous_visitor_is_sent_to_login(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("name", GET_PAGES)
def test_outsider_gets_403(client, outsider, name):
    client.force_login(outsider)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["meals:shift_overview", "meals:shift_template"])
def test_volunteer_cannot_see_coordinator_pages(client, volunteer, name):
    client.force_login(volunteer)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", GET_PAGES)
def test_coordinator_sees_every_shift_page(client, coordinator, meal, name):
    client.force_login(coordinator)
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", ["meals:claim_shift", "meals:release_shift", "meals:shift_assign"])
def test_get_on_post_only_url_is_405(client, coordinator, meal, name):
    client.force_login(coordinator)
    assert client.get(reverse(name, args=[cooking(meal).pk])).status_code == 405


def test_anonymous_claim_goes_to_login_and_writes_nothing(client, meal):
    response = client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert ShiftSignup.objects.count() == 0


def test_outsider_cannot_claim(client, outsider, meal):
    client.force_login(outsider)
    assert client.post(reverse("meals:claim_shift", args=[cooking(meal).pk])).status_code == 403
    assert ShiftSignup.objects.count() == 0


# The board -------------------------------------------------------------------


def test_board_shows_counts_and_first_names_only(client, volunteer, meal, guest):
    shift_claim(shift=cooking(meal), member=guest)
    client.force_login(volunteer)
    response = client.get(reverse("meals:shifts"))
    html = response.content.decode()
    assert "1 / 10" in html
    assert "Jeanne" in html
    assert "Martin" not in html
    assert "jeanne@example.org" not in html
    assert "Je viens" in html


def test_board_lists_shifts_that_need_hands_first(client, volunteer, meal):
    table = meal.shifts.get(role=Shift.Role.TABLE)
    for i in range(table.slots):
        shift_claim(shift=table, member=Member.objects.create(name=f"Aide {i}"))
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    assert html.index("Vaisselle") < html.index("Mise de table")
    assert html.index("Cuisine") < html.index("Mise de table")


def test_board_leaves_out_cancelled_meals_and_meals_beyond_three_weeks(client, volunteer, make_meal):
    make_meal(status="cancelled", title="Repas annulé")
    make_meal(day=timezone.localdate() + timedelta(days=30), title="Trop loin")
    make_meal(day=timezone.localdate() + timedelta(days=3), title="Bientôt")
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    assert "Bientôt" in html
    assert "Repas annulé" not in html
    assert "Trop loin" not in html


def test_board_is_fresh_right_after_a_claim(client, volunteer, meal):
    client.force_login(volunteer)
    assert "0 / 10" in client.get(reverse("meals:shifts")).content.decode()
    client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]))
    html = client.get(reverse("meals:shifts")).content.decode()
    assert "1 / 10" in html
    assert "Je ne peux plus venir" in html or "Appelez la coordination" in html


def test_board_forms_carry_a_valid_csrf_token(volunteer, meal):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    token = html.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert cooking(meal).taken == 1


# Claim and release through the views ------------------------------------------------


def test_volunteer_claims_a_shift(client, volunteer, meal):
    client.force_login(volunteer)
    response = client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]), follow=True)
    assert "vous êtes inscrit·e" in response.content.decode()
    assert cooking(meal).taken == 1


def test_claiming_twice_says_so_and_writes_nothing(client, volunteer, meal):
    client.force_login(volunteer)
    client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]))
    response = client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]), follow=True)
    assert "déjà inscrit·e" in response.content.decode()
    assert cooking(meal).taken == 1
    assert ShiftSignup.objects.count() == 1


def test_claiming_a_full_shift_says_so(client, volunteer, meal):
    table = meal.shifts.get(role=Shift.Role.TABLE)
    for i in range(table.slots):
        shift_claim(shift=table, member=Member.objects.create(name=f"Aide {i}"))
    client.force_login(volunteer)
    response = client.post(reverse("meals:claim_shift", args=[table.pk]), follow=True)
    assert response.status_code == 200
    assert "complet" in response.content.decode()
    assert not ShiftSignup.objects.filter(member=volunteer.member).exists()


def test_claiming_a_past_shift_or_a_cancelled_meal_says_so(client, volunteer, make_meal):
    past = make_meal(day=timezone.localdate() - timedelta(days=1))
    cancelled = make_meal(status="cancelled")
    client.force_login(volunteer)
    html = client.post(reverse("meals:claim_shift", args=[cooking(past).pk]), follow=True).content.decode()
    assert "passé" in html
    html = client.post(reverse("meals:claim_shift", args=[cooking(cancelled).pk]), follow=True).content.decode()
    assert "annulé" in html
    assert ShiftSignup.objects.count() == 0


def test_claiming_an_unknown_shift_is_404(client, volunteer, db):
    client.force_login(volunteer)
    assert client.post(reverse("meals:claim_shift", args=[999999])).status_code == 404


def test_volunteer_releases_a_shift_days_ahead(client, volunteer, make_meal):
    meal = make_meal(day=timezone.localdate() + timedelta(days=4))
    shift_claim(shift=cooking(meal), member=volunteer.member)
    client.force_login(volunteer)
    response = client.post(reverse("meals:release_shift", args=[cooking(meal).pk]), follow=True)
    assert "désinscrit·e" in response.content.decode()
    assert cooking(meal).taken == 0


def test_release_after_cut_off_asks_to_call_and_keeps_the_slot(client, volunteer, meal_soon):
    meal = meal_soon
    shift_claim(shift=cooking(meal), member=volunteer.member)
    client.force_login(volunteer)
    response = client.post(reverse("meals:release_shift", args=[cooking(meal).pk]), follow=True)
    assert "Appelez la coordination" in response.content.decode()
    assert cooking(meal).taken == 1


def test_release_of_a_shift_one_is_not_on_says_so(client, volunteer, meal):
    client.force_login(volunteer)
    response = client.post(reverse("meals:release_shift", args=[cooking(meal).pk]), follow=True)
    assert "pas inscrit·e" in response.content.decode()


def test_release_ignores_an_outside_next_url(client, volunteer, make_meal):
    meal = make_meal(day=timezone.localdate() + timedelta(days=4))
    shift_claim(shift=cooking(meal), member=volunteer.member)
    client.force_login(volunteer)
    response = client.post(reverse("meals:release_shift", args=[cooking(meal).pk]), {"next": "https://evil.example/"})
    assert response.url == reverse("meals:shifts") + f"#shift-{cooking(meal).pk}"


# Back to the same place, and a warning before a shift that cannot be released online ----------


def claim(client, shift, **data):
    return client.post(reverse("meals:claim_shift", args=[shift.pk]), data)


def test_board_rows_are_places_to_come_back_to_and_its_claims_ask_to_be_warned(client, volunteer, meal):
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    for shift in meal.shifts.all():
        assert f'id="shift-{shift.pk}"' in html
    # Every claim button submits the page's one form, which asks to be warned.
    actions = html[html.index('<form id="shift-actions"') :]
    assert html.count('name="warn" value="1"') == 1 == actions[: actions.index("</form>")].count('name="warn"')
    for shift in meal.shifts.all():
        claim = reverse("meals:claim_shift", args=[shift.pk])
        assert 'form="shift-actions" name="form_key"' in html and f'formaction="{claim}"' in html


def test_claim_and_release_return_to_the_same_shift_on_the_board(client, volunteer, make_meal):
    meal = make_meal(day=timezone.localdate() + timedelta(days=4))
    shift = cooking(meal)
    client.force_login(volunteer)
    response = claim(client, shift, warn="1")
    assert response.status_code == 302
    assert response.url == reverse("meals:shifts") + f"#shift-{shift.pk}"
    assert cooking(meal).taken == 1
    response = client.post(reverse("meals:release_shift", args=[shift.pk]))
    assert response.url == reverse("meals:shifts") + f"#shift-{shift.pk}"
    assert cooking(meal).taken == 0


def test_claiming_a_shift_within_24_hours_asks_first_and_writes_nothing(client, volunteer, meal_soon):
    shift = cooking(meal_soon)
    client.force_login(volunteer)
    response = claim(client, shift, warn="1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "moins de 24\u00a0heures" in html or "moins de 24 heures" in html
    assert "vous ne pourrez plus vous désinscrire en ligne" in html
    assert not ShiftSignup.objects.exists()
    # The confirmation posts the claim again, without asking; « non » goes back to the shift on the board.
    form = html[html.index('action="' + reverse("meals:claim_shift", args=[shift.pk]) + '"') :]
    form = form[: form.index("</form>")]
    assert 'name="warn"' not in form
    assert 'name="form_key"' in form
    assert f'href="{reverse("meals:shifts")}#shift-{shift.pk}"' in html


def test_confirming_a_late_claim_takes_the_slot(client, volunteer, meal_soon):
    shift = cooking(meal_soon)
    client.force_login(volunteer)
    response = claim(client, shift)
    assert response.url == reverse("meals:shifts") + f"#shift-{shift.pk}"
    assert ShiftSignup.objects.filter(shift=shift, member=volunteer.member).exists()


def test_a_coordinator_who_may_release_at_any_time_is_not_asked(client, coordinator, meal_soon):
    client.force_login(coordinator)
    assert claim(client, cooking(meal_soon), warn="1").status_code == 302
    assert cooking(meal_soon).taken == 1


def test_a_late_claim_that_cannot_succeed_says_why_without_asking(client, volunteer, meal_soon):
    shift = cooking(meal_soon)
    shift_claim(shift=shift, member=volunteer.member)
    client.force_login(volunteer)
    response = claim(client, shift, warn="1")
    assert response.status_code == 302
    assert "déjà inscrit·e" in client.get(response.url).content.decode()


# My shifts -----------------------------------------------------------------------


def test_my_shifts_lists_only_my_upcoming_shifts(client, volunteer, meal, make_meal):
    other = make_user("lea@example.org", group="volunteer", name="Léa Dupont")
    shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=other.member)
    client.force_login(volunteer)
    html = client.get(reverse("meals:my_shifts")).content.decode()
    assert "Cuisine" in html
    assert "Vaisselle" not in html
    assert volunteer.member.calendar_token in html


def test_a_cook_finds_the_guests_allergies_from_my_shifts(client, volunteer, meal, make_meal):
    other = make_meal(day=meal.starts_at.date() + timedelta(days=1))
    shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_claim(shift=other.shifts.get(role=Shift.Role.DISHES), member=volunteer.member)
    client.force_login(volunteer)
    html = client.get(reverse("meals:my_shifts")).content.decode()
    assert reverse("meals:kitchen", args=[meal.pk]) in html
    assert reverse("meals:kitchen", args=[other.pk]) not in html  # the washing-up needs no counts
    assert client.get(reverse("meals:kitchen", args=[meal.pk])).status_code == 200


def test_regenerating_the_calendar_link_kills_the_old_one(client, volunteer, meal):
    old = volunteer.member.calendar_token
    client.force_login(volunteer)
    response = client.post(reverse("meals:regenerate_calendar_token"))
    assert response.status_code == 302
    volunteer.member.refresh_from_db()
    assert volunteer.member.calendar_token != old
    assert client.get(reverse("meals:shifts_ical", args=[old])).status_code == 404


# The coordinator ---------------------------------------------------------------


def test_overview_shows_unfilled_shifts_of_the_week(client, coordinator, volunteer, meal, make_meal):
    make_meal(day=timezone.localdate() + timedelta(days=10), title="Plus tard")
    shift_claim(shift=cooking(meal), member=volunteer.member)
    client.force_login(coordinator)
    html = client.get(reverse("meals:shift_overview")).content.decode()
    assert "1 / 10" in html
    assert "Karim Benali" in html
    assert html.count("<tr class=") == 3


def test_coordinator_puts_a_volunteer_on_a_shift_and_takes_them_off(client, coordinator, volunteer, meal):
    client.force_login(coordinator)
    client.post(reverse("meals:shift_assign", args=[cooking(meal).pk]), {"member": volunteer.member.pk})
    signup = ShiftSignup.objects.get(member=volunteer.member)
    assert signup.created_by == coordinator
    assert cooking(meal).taken == 1
    # Within 24 hours: the coordinator may still take them off.
    client.post(reverse("meals:shift_unassign", args=[signup.pk]))
    assert cooking(meal).taken == 0
    assert not ShiftSignup.objects.exists()


def test_coordinator_assign_with_no_volunteer_chosen_writes_nothing(client, coordinator, meal, guest):
    client.force_login(coordinator)
    response = client.post(reverse("meals:shift_assign", args=[cooking(meal).pk]), {"member": ""}, follow=True)
    assert response.status_code == 200
    assert "Choisissez" in response.content.decode()
    # A guest without an account is not in the volunteers' list either.
    client.post(reverse("meals:shift_assign", args=[cooking(meal).pk]), {"member": guest.pk})
    assert not ShiftSignup.objects.exists()


def test_volunteer_cannot_assign_or_unassign(client, volunteer, coordinator, meal):
    signup = shift_claim(shift=cooking(meal), member=coordinator.member)
    client.force_login(volunteer)
    assert (
        client.post(reverse("meals:shift_assign", args=[cooking(meal).pk]), {"member": volunteer.member.pk}).status_code
        == 403
    )
    assert client.post(reverse("meals:shift_unassign", args=[signup.pk])).status_code == 403
    assert cooking(meal).taken == 1


def test_coordinator_saves_the_shift_template(client, coordinator, db):
    client.force_login(coordinator)
    page = client.get(reverse("meals:shift_template"))
    formset = page.context["formset"]
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "0",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": str(formset.max_num),
    }
    data.update(
        {
            "form-0-role": "cooking",
            "form-0-minutes_before_meal": "150",
            "form-0-duration_minutes": "120",
            "form-0-slots": "8",
            "form-0-active": "on",
        }
    )
    response = client.post(reverse("meals:shift_template"), data)
    assert response.status_code == 302
    row = ShiftTemplate.objects.get()
    assert (row.role, row.minutes_before_meal, row.slots) == ("cooking", 150, 8)


def test_bad_shift_template_shows_errors_and_saves_nothing(client, coordinator, db):
    client.force_login(coordinator)
    data = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "4"}
    data.update(
        {
            "form-0-role": "cooking",
            "form-0-minutes_before_meal": "x",
            "form-0-duration_minutes": "0",
            "form-0-slots": "0",
        }
    )
    response = client.post(reverse("meals:shift_template"), data)
    assert response.status_code == 200
    assert not ShiftTemplate.objects.exists()


def test_board_is_never_stale_after_an_edit_made_elsewhere(client, volunteer, meal, guest):
    shift_claim(shift=cooking(meal), member=guest)
    client.force_login(volunteer)
    assert "1 / 10" in client.get(reverse("meals:shifts")).content.decode()
    admin_edit(cooking(meal), slots=12)
    admin_edit(guest, name="Josette Martin")
    html = client.get(reverse("meals:shifts")).content.decode()
    assert "1 / 12" in html
    assert "Josette" in html and "Jeanne" not in html
    meal.status = "cancelled"
    meal.save()
    assert "1 / 12" not in client.get(reverse("meals:shifts")).content.decode()


def test_two_volunteers_each_see_their_own_buttons(client, volunteer, meal):
    other = make_user("lea@example.org", group="volunteer", name="Léa Dupont")
    shift_claim(shift=cooking(meal), member=volunteer.member)
    client.force_login(volunteer)
    assert "Vous êtes inscrit·e" in client.get(reverse("meals:shifts")).content.decode()
    client.force_login(other)
    assert "Vous êtes inscrit·e" not in client.get(reverse("meals:shifts")).content.decode()


def test_overview_hides_full_shifts_unless_asked(client, coordinator, meal):
    table = meal.shifts.get(role=Shift.Role.TABLE)
    for i in range(table.slots):
        shift_claim(shift=table, member=Member.objects.create(name=f"Aide{i} Z"))
    client.force_login(coordinator)
    assert "Aide0 Z" not in client.get(reverse("meals:shift_overview")).content.decode()
    assert "Aide0 Z" in client.get(reverse("meals:shift_overview") + "?tous=1").content.decode()


def test_guest_helping_through_a_booking_shows_by_first_name_on_the_board(client, volunteer, meal, guest):
    from meals.models import Booking

    booking = Booking.objects.create(meal=meal, member=guest, name=guest.name, email=guest.email)
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=guest, booking=booking)
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    assert "1 / 4" in html
    assert "Avec Jeanne" in html
    assert "Martin" not in html and "06 12" not in html
