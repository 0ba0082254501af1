"""Issue 18, part 1: the guests' allergies and diets, with consent; the clash with the menu; the kitchen's counts."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from meals import sms
from meals.allergies import clash, kitchen_counts
from meals.models import Booking, Meal
from meals.services.booking import MissingConsent, booking_create
from members.models import Member
from members.services import member_erase, member_export

GOOD = {"name": "Jeanne Martin", "email": "jeanne@example.org", "phone": "", "party_size": "2", "notes": ""}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def menu(allergens=(), diet_labels=()):
    return SimpleNamespace(allergens=list(allergens), diet_labels=list(diet_labels))


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The rule, by hand ------------------------------------------------------------------------


def test_an_allergen_of_the_guest_in_the_menu_clashes_and_others_do_not():
    found = clash(allergens=["sesame", "peanuts"], diets=[], meal=menu(["sesame", "milk"]))
    assert found.allergens == ["sesame"] and not found.diets and not found.undeclared
    with translation.override("fr"):
        assert found.sentences() == ["Ce repas contient : sésame. Dites-le-nous à l'accueil."]
    with translation.override("en"):
        assert found.sentences() == ["This meal contains: sesame. Please tell us at the door."]
    assert not clash(allergens=["peanuts"], diets=[], meal=menu(["sesame", "milk"]))


def test_a_meal_without_declared_allergens_is_not_safe_for_an_allergic_guest():
    found = clash(allergens=["nuts"], diets=[], meal=menu([]))
    assert found and found.undeclared and found.allergens == []
    with translation.override("fr"):
        assert "non renseignés" in found.short()
    # Nobody allergic: nothing to say.
    assert not clash(allergens=[], diets=[], meal=menu([]))


def test_a_diet_the_meal_is_not_labelled_for_clashes():
    assert clash(allergens=[], diets=["vegetarian"], meal=menu(["milk"], [])).diets == ["vegetarian"]
    assert not clash(allergens=[], diets=["vegetarian"], meal=menu(["milk"], ["vegetarian"]))
    # A vegan meal is vegetarian and has no pork; a vegetarian one is not vegan.
    assert not clash(allergens=[], diets=["vegetarian", "no_pork"], meal=menu(["soy"], ["vegan"]))
    assert clash(allergens=[], diets=["vegan"], meal=menu(["milk"], ["vegetarian"])).diets == ["vegan"]
    # A halal meal has no pork; a meat-free one is not therefore halal.
    assert not clash(allergens=[], diets=["no_pork"], meal=menu(["milk"], ["halal"]))
    assert clash(allergens=[], diets=["halal"], meal=menu(["milk"], ["vegetarian"])).diets == ["halal"]
    # Labelled gluten-free but declaring gluten: not gluten-free.
    assert clash(allergens=[], diets=["gluten_free"], meal=menu(["gluten"], ["gluten_free"])).diets == ["gluten_free"]


def test_unknown_codes_are_ignored_by_the_rule():
    assert not clash(allergens=["arsenic"], diets=["carnivore"], meal=menu(["milk"]))


def test_kitchen_counts_count_the_people_of_each_party_by_hand():
    meal = menu(["sesame", "milk"], ["vegetarian"])
    profiles = [
        (3, ["sesame"], []),  # 3 people allergic to sesame: a clash
        (1, ["peanuts", "sesame"], ["vegan"]),  # 1 more for sesame, peanuts, and vegan unmet
        (2, [], ["vegetarian"]),  # met
        (4, [], []),  # nothing said
    ]
    counts = kitchen_counts(meal=meal, profiles=profiles)
    assert counts.people == 10 and counts.with_profile == 6
    with translation.override("fr"):
        assert dict(counts.allergens) == {"arachides": 1, "sésame": 4}
        assert dict(counts.diets) == {"végétarien": 2, "végétalien": 1}
        assert counts.clashing_allergens == [("sésame", 4)]
        assert counts.unmet_diets == [("végétalien", 1)]
    assert counts.clashing_people == 4 and counts.undeclared == 0


# The form ---------------------------------------------------------------------------------


def test_an_allergy_without_consent_is_refused_in_the_page_and_nothing_is_written(client, meal):
    response = client.post(reverse("meals:book", args=[meal.pk]), {**GOOD, "allergens": ["sesame"]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "cochez la case d&#x27;accord" in body or "cochez la case d'accord" in body
    assert not Booking.objects.exists() and not Member.objects.exists()
    english = client.post(
        reverse("meals:book", args=[meal.pk]), {**GOOD, "diets": ["halal"]}, headers={"accept-language": "en"}
    )
    assert english.status_code == 400 and "tick the consent box" in english.content.decode()
    assert not Booking.objects.exists()


def test_the_service_refuses_health_data_without_consent_too(meal):
    with pytest.raises(MissingConsent):
        booking_create(meal=meal, name="A", email="a@example.org", allergens=["eggs"])
    assert not Booking.objects.exists()


def test_the_booking_form_has_the_fourteen_allergens_and_the_diets_in_a_fieldset(client, meal):
    body = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert "<legend" in body and "Allergies et régime" in body
    assert body.count('name="allergens"') == 14
    assert body.count('name="diets"') == 6
    assert 'name="health_consent"' in body and 'name="remember_health"' in body


def test_a_booking_with_consent_keeps_the_profile_and_remembers_it_only_when_asked(client, meal, make_meal):
    data = {**GOOD, "allergens": ["sesame", "milk"], "diets": ["vegetarian"], "health_consent": "on"}
    response = client.post(reverse("meals:book", args=[meal.pk]), data)
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.allergens == ["milk", "sesame"] and booking.diets == ["vegetarian"]
    assert booking.health_consent_at is not None
    member = booking.member
    assert member.allergens == [] and member.health_consent_at is None  # not asked to remember
    other = make_meal(day=meal.starts_at.date() + timedelta(days=1))
    client.post(reverse("meals:book", args=[other.pk]), {**data, "remember_health": "on"})
    member.refresh_from_db()
    assert member.allergens == ["milk", "sesame"] and member.diets == ["vegetarian"]
    assert member.health_consent_at is not None


def test_typing_someone_elses_email_never_changes_their_remembered_profile(client, volunteer, meal, make_meal):
    """Anyone may type a known guest's email: that must not rewrite what the kitchen and her form remember."""
    karim = Member.objects.get(user=volunteer)
    Member.objects.filter(pk=karim.pk).update(allergens=["peanuts"], diets=[], health_consent_at=meal.created_at)
    stranger = {**GOOD, "email": karim.email, "allergens": ["sesame"], "health_consent": "on", "remember_health": "on"}
    assert client.post(reverse("meals:book", args=[meal.pk]), stranger).status_code == 302
    karim.refresh_from_db()
    assert karim.allergens == ["peanuts"]
    # A guest without an account who already remembered a profile: kept as well.
    Member.objects.create(
        name="Odette", email="odette@example.org", allergens=["milk"], health_consent_at=meal.created_at
    )
    other = make_meal(day=meal.starts_at.date() + timedelta(days=1))
    client.post(reverse("meals:book", args=[other.pk]), {**stranger, "email": "odette@example.org"})
    assert Member.objects.get(email="odette@example.org").allergens == ["milk"]
    # Karim himself, signed in, changes his.
    response = signed_in(volunteer).post(reverse("meals:book", args=[other.pk]), {**stranger, "name": "Karim"})
    assert response.status_code == 302
    karim.refresh_from_db()
    assert karim.allergens == ["sesame"]


def test_the_confirmation_and_the_private_link_warn_of_the_clash(client, make_meal):
    meal = make_meal(allergens=["sesame", "milk"])
    data = {**GOOD, "allergens": ["sesame"], "health_consent": "on"}
    response = client.post(reverse("meals:book", args=[meal.pk]), data, follow=True)
    body = response.content.decode()
    assert "Ce repas contient\u202f: sésame. Dites-le-nous à l" in body
    # The private link, opened later by anyone holding it, says the same.
    booking = Booking.objects.get()
    assert "Dites-le-nous à l" in Client().get(reverse("meals:booking", args=[booking.token])).content.decode()


def test_the_confirmation_email_and_sms_carry_the_clash(make_meal):
    meal = make_meal(allergens=["sesame"])
    booking_create(meal=meal, name="A", email="a@example.org", allergens=["sesame"], health_consent=True)
    booking_create(meal=meal, name="B", phone="06 11 22 33 44", allergens=["sesame"], health_consent=True)
    (email,) = mail.outbox
    assert "Ce repas contient\u202f: sésame." in email.body
    (text,) = sms.outbox
    assert "allergies" in text.body


def test_the_day_before_reminder_warns_of_a_clash_the_menu_gained_since_booking(make_meal):
    from meals.emails import send_booking_reminders

    meal = make_meal(allergens=["milk"])
    booking_create(meal=meal, name="A", email="a@example.org", allergens=["sesame"], health_consent=True)
    assert "Dites-le-nous" not in mail.outbox[0].body
    meal.allergens = ["milk", "sesame"]  # the cooks changed the menu
    meal.save()
    mail.outbox.clear()
    assert send_booking_reminders(day=timezone.localtime(meal.starts_at).date()) == 1
    (reminder,) = mail.outbox
    assert "Ce repas contient\u202f: sésame." in reminder.body
    assert "sésame" in reminder.alternatives[0][0]


def test_no_clash_no_warning_in_the_email(make_meal):
    meal = make_meal(allergens=["milk"])
    booking_create(meal=meal, name="A", email="a@example.org", allergens=["sesame"], health_consent=True)
    assert "Dites-le-nous" not in mail.outbox[0].body


def test_a_signed_in_members_remembered_profile_fills_the_form(volunteer, meal):
    Member.objects.filter(user=volunteer).update(
        allergens=["peanuts"], diets=["halal"], health_consent_at=meal.created_at
    )
    body = signed_in(volunteer).get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert _checked(body, "peanuts") and _checked(body, "halal") and not _checked(body, "sesame")
    # An anonymous visitor's page (kept) says nothing of it.
    assert not _checked(Client().get(reverse("meals:meal", args=[meal.pk])).content.decode(), "peanuts")


def _checked(body: str, code: str) -> bool:
    import re

    return any("checked" in tag for tag in re.findall(rf'<input[^>]*value="{code}"[^>]*>', body))


def test_on_behalf_and_partner_forms_take_the_profile_with_the_persons_consent(
    coordinator, partner_referent, partner, meal
):
    url = reverse("meals:book_on_behalf", args=[meal.pk])
    coordinator_client = signed_in(coordinator)
    page = coordinator_client.get(url).content.decode()
    assert "La personne est d&#x27;accord" in page or "La personne est d'accord" in page
    refused = coordinator_client.post(url, {"name": "Odette", "party_size": "1", "allergens": ["eggs"]})
    assert refused.status_code == 400 and not Booking.objects.exists()
    coordinator_client.post(url, {"name": "Odette", "party_size": "1", "allergens": ["eggs"], "health_consent": "on"})
    assert Booking.objects.get().allergens == ["eggs"]
    referent = signed_in(partner_referent)
    partner_url = reverse("members:partner_bookings", args=[partner.pk])
    referent.post(partner_url, {"meal": meal.pk, "name": "Lucien", "party_size": "1", "diets": ["vegan"]})
    assert Booking.objects.count() == 1
    referent.post(
        partner_url, {"meal": meal.pk, "name": "Lucien", "party_size": "1", "diets": ["vegan"], "health_consent": "on"}
    )
    assert Booking.objects.get(name="Lucien").diets == ["vegan"]


# GDPR -----------------------------------------------------------------------------------


def test_erasure_clears_the_profile_and_the_bookings_health_data_and_export_has_it(meal):
    booking = booking_create(
        meal=meal, name="A", email="a@example.org", allergens=["fish"], diets=["kosher"], health_consent=True,
        remember_health=True,
    )  # fmt: skip
    member = booking.member
    member.refresh_from_db()
    exported = member_export(member=member)
    assert exported["member"]["allergens"] == ["fish"] and exported["member"]["diets"] == ["kosher"]
    assert exported["member"]["health_consent_at"] is not None
    assert exported["bookings"][0]["allergens"] == ["fish"]
    member_erase(member=member)
    member.refresh_from_db()
    booking.refresh_from_db()
    assert (member.allergens, member.diets, member.health_consent_at) == ([], [], None)
    assert (booking.allergens, booking.diets, booking.health_consent_at) == ([], [], None)


# The door desk, the day sheet, the kitchen ---------------------------------------------------


def test_the_desk_and_day_sheet_show_the_clash_and_follow_a_menu_change(coordinator, make_meal):
    meal = make_meal(allergens=["milk"])
    booking_create(meal=meal, name="Odette", email="o@example.org", allergens=["sesame"], health_consent=True)
    client = signed_in(coordinator)
    desk = client.get(reverse("meals:door", args=[meal.pk])).content.decode()
    assert "clash-badge" not in desk and "sésame" in desk  # her allergy is shown, no clash yet
    # The cooks add sesame to the menu: the kept rows of the desk must show the clash at once.
    meal.allergens = ["milk", "sesame"]
    meal.save()
    desk = client.get(reverse("meals:door", args=[meal.pk])).content.decode()
    assert "clash-badge" in desk and "Attention\u202f: contient sésame" in desk
    sheet = client.get(reverse("meals:day_sheet", args=[meal.pk])).content.decode()
    assert "⚠ contient sésame" in sheet
    # And back: a bulk update (no signal) is followed too.
    Meal.objects.filter(pk=meal.pk).update(allergens=["milk"])
    assert "clash-badge" not in client.get(reverse("meals:door", args=[meal.pk])).content.decode()


def test_kitchen_view_shows_counts_never_names(volunteer, make_meal):
    meal = make_meal(allergens=["sesame"], diet_labels=["vegetarian"])
    booking_create(meal=meal, name="Odette Secret", email="o@example.org", party_size=3, allergens=["sesame"],
                   health_consent=True)  # fmt: skip
    booking_create(meal=meal, name="Lucien Secret", email="l@example.org", diets=["vegan"], health_consent=True)
    body = signed_in(volunteer).get(reverse("meals:kitchen", args=[meal.pk])).content.decode()
    assert "Secret" not in body and "o@example.org" not in body
    assert "3 personnes allergiques, et le menu en contient" in body
    assert "1 personne, et le menu ne l" in body
    assert "4 personnes attendues" in body


def test_kitchen_view_says_when_the_menu_declares_no_allergen(coordinator, make_meal):
    meal = make_meal(allergens=[])
    booking_create(meal=meal, name="O", email="o@example.org", allergens=["eggs"], health_consent=True)
    body = signed_in(coordinator).get(reverse("meals:kitchen", args=[meal.pk])).content.decode()
    assert "Allergènes non renseignés" in body and "1 personne allergique" in body


def test_kitchen_view_is_for_volunteers_and_coordinators_only(client, meal, partner_referent, outsider):
    url = reverse("meals:kitchen", args=[meal.pk])
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith(reverse("login"))
    assert signed_in(partner_referent).get(url).status_code == 403
    assert signed_in(outsider).get(url).status_code == 403
    assert signed_in(outsider).post(url).status_code == 405
    assert Client().get(reverse("meals:kitchen", args=[999999])).status_code == 302


@pytest.mark.parametrize("bookings", [5, 100])
def test_kitchen_view_reads_in_a_fixed_number_of_queries(coordinator, make_meal, django_assert_num_queries, bookings):
    meal = make_meal(capacity=200)
    Booking.objects.bulk_create(
        Booking(meal=meal, name=f"G{n}", email=f"g{n}@example.org", allergens=["milk"], diets=["vegan"])
        for n in range(bookings)
    )
    client = signed_in(coordinator)
    client.get(reverse("meals:kitchen", args=[meal.pk]))  # the session and the user, once
    with django_assert_num_queries(QUERIES):
        response = client.get(reverse("meals:kitchen", args=[meal.pk]))
    assert f"{bookings} personnes attendues" in response.content.decode()


QUERIES = 7  # session, user, two of permissions, the cantine settings, the meal, the bookings: whatever their number


def test_migration_turns_the_old_halal_label_into_no_pork(make_meal):
    from importlib import import_module

    from django.apps import apps

    meal = make_meal(diet_labels=["vegetarian", "halal"])
    import_module("meals.migrations.0015_booking_health").halal_was_no_pork(apps, None)
    meal.refresh_from_db()
    assert meal.diet_labels == ["vegetarian", "no_pork"]


def test_seed_demo_has_bookings_whose_allergies_clash_with_the_menu(db):
    import io

    from django.core.management import call_command

    from meals.allergies import booking_clash

    call_command("seed_demo", stdout=io.StringIO())
    confirmed = Booking.objects.filter(status=Booking.Status.CONFIRMED).exclude(allergens=[]).select_related("meal")
    assert any(booking_clash(booking).allergens for booking in confirmed)
    assert all(booking.health_consent_at is not None for booking in confirmed)


def test_merging_keeps_the_remembered_profile_of_the_record_dropped(db):
    from django.utils import timezone

    from members.services import member_merge

    keep = Member.objects.create(name="Jeanne", email="jeanne@example.org")
    drop = Member.objects.create(
        name="Jeanne M.", phone="0611223344", allergens=["lupin"], diets=[], health_consent_at=timezone.now()
    )
    member_merge(keep=keep, drop=drop)
    keep.refresh_from_db()
    assert keep.allergens == ["lupin"] and keep.health_consent_at is not None
