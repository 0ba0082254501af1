"""Issue 13, findings 1, 2 and 6: brute force and floods, unverified sign-ups, erasing accounts with rights.

Login lockout is django-axes (per address and per IP, each with its own limit),
password-reset and sign-up mails are throttled per address and per IP, a
sign-up only becomes an account through a signed link sent to the address, and
an account with rights above a volunteer's cannot be erased from the members'
pages.
"""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import signing
from django.db.models import F
from django.urls import reverse

from meals.models import ShiftSignup
from members.models import Member
from members.roles import COORDINATOR, PARTNER, VOLUNTEER
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
RIGHT = "correct-horse-battery"
# The defaults: 5 failures per address, 30 per IP, 15 minutes.
LIMIT = 5


def attempts():
    from axes.models import AccessAttempt  # imported late: the old code has no django-axes

    return AccessAttempt.objects


def try_login(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def page_of(response) -> str:
    """The page without its CSRF tokens (masked afresh on every response)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


# Login lockout (finding 1) -------------------------------------------------------


def test_five_wrong_passwords_lock_the_address_even_for_the_right_one(client, volunteer, settings):
    for _ in range(LIMIT - 1):
        assert try_login(client, "karim@example.org", "wrong-guess").status_code == 200
    # The last failure allowed already answers with the lockout page.
    locked = try_login(client, "karim@example.org", "wrong-guess")
    assert locked.status_code == 429
    response = try_login(client, "karim@example.org", RIGHT)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert "15\u00a0minutes" in page or "15 minutes" in page
    assert reverse("password_reset") in page


def test_the_lockout_page_speaks_english_too(client, volunteer, settings):
    client.cookies["django_language"] = "en"
    for _ in range(LIMIT):
        response = try_login(client, "karim@example.org", "wrong-guess")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts" in page
    assert "15 minutes" in page


def test_changing_the_case_of_the_address_does_not_dodge_the_lockout(client, volunteer, settings):
    spellings = [
        "KARIM@example.org",
        "Karim@Example.org",
        " karim@example.org",
        "karim@EXAMPLE.ORG",
        "kArIm@example.org",
    ]
    for spelling in spellings[:LIMIT]:
        try_login(client, spelling, "wrong-guess")
    assert try_login(client, "karim@example.org", RIGHT).status_code == 429
    assert not logged_in(client)


def test_the_address_is_locked_from_every_ip(client, volunteer, settings):
    for n in range(LIMIT):
        try_login(client, "karim@example.org", "wrong-guess", REMOTE_ADDR=f"10.0.0.{n + 1}")
    assert try_login(client, "karim@example.org", RIGHT, REMOTE_ADDR="10.0.9.9").status_code == 429


def test_one_ip_is_locked_after_many_failures_on_many_addresses(client, volunteer, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 12
    for n in range(12):
        try_login(client, f"someone{n}@example.org", "wrong-guess", REMOTE_ADDR="10.1.1.1")
    assert try_login(client, "karim@example.org", RIGHT, REMOTE_ADDR="10.1.1.1").status_code == 429
    # From elsewhere the volunteer logs in: only that IP is locked.
    assert try_login(client, "karim@example.org", RIGHT, REMOTE_ADDR="10.2.2.2").status_code == 302
    assert logged_in(client)


def test_a_shared_ip_is_not_locked_by_a_few_typos_of_several_people(client, volunteer, settings):
    # The cantine's wifi: everyone comes from one address.
    for n in range(6):
        try_login(client, f"neighbour{n}@example.org", "typo", REMOTE_ADDR="10.3.3.3")
    assert try_login(client, "karim@example.org", RIGHT, REMOTE_ADDR="10.3.3.3").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, volunteer, settings):
    for _ in range(LIMIT):
        try_login(client, "karim@example.org", "wrong-guess")
    assert try_login(client, "karim@example.org", RIGHT).status_code == 429
    attempts().update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    assert try_login(client, "karim@example.org", RIGHT).status_code == 302


def test_a_successful_login_forgets_that_addresses_failures(client, volunteer, settings):
    for _ in range(2):
        for _ in range(LIMIT - 1):
            try_login(client, "karim@example.org", "typo")
        assert try_login(client, "karim@example.org", RIGHT).status_code == 302
        client.post(reverse("logout"))


def test_logging_into_ones_own_account_does_not_clear_the_failures_on_another(client, volunteer, outsider, settings):
    for _ in range(LIMIT - 1):
        try_login(client, "karim@example.org", "guess")
    assert try_login(client, "nobody@example.org", RIGHT).status_code == 302
    client.post(reverse("logout"))
    assert try_login(client, "karim@example.org", "guess").status_code == 429
    assert try_login(client, "karim@example.org", RIGHT).status_code == 429


def test_a_forged_forwarded_address_is_no_way_around_the_lockout(client, volunteer, settings):
    for n in range(LIMIT):
        try_login(client, "karim@example.org", "guess", HTTP_X_FORWARDED_FOR=f"not-an-ip-{n}")
    assert try_login(client, "karim@example.org", RIGHT).status_code == 429


def lock(client, username: str, settings, **extra) -> None:
    for _ in range(LIMIT):
        try_login(client, username, "guess", **extra)


def test_the_coordinator_sees_the_lockouts_and_unlocks_an_address(client, coordinator, volunteer, settings):
    lock(client, "karim@example.org", settings)
    client.force_login(coordinator)
    page = client.get(reverse("members:lockouts")).content.decode()
    assert "karim@example.org" in page
    response = client.post(reverse("members:unlock"), {"username": "karim@example.org"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    assert try_login(client, "karim@example.org", RIGHT).status_code == 302


def test_the_coordinator_unlocks_an_ip(client, coordinator, volunteer, settings):
    settings.LOGIN_FAILURE_LIMIT_PER_IP = 6
    for n in range(6):
        try_login(client, f"someone{n}@example.org", "guess", REMOTE_ADDR="10.4.4.4")
    client.force_login(coordinator)
    assert "10.4.4.4" in client.get(reverse("members:lockouts")).content.decode()
    client.post(reverse("members:unlock"), {"ip_address": "10.4.4.4"})
    client.post(reverse("logout"))
    assert try_login(client, "karim@example.org", RIGHT, REMOTE_ADDR="10.4.4.4").status_code == 302


def test_the_members_area_links_to_the_lockouts(client, coordinator):
    client.force_login(coordinator)
    assert reverse("members:lockouts") in client.get(reverse("members:volunteers")).content.decode()


def test_only_coordinators_see_or_lift_lockouts(client, volunteer, settings):
    lock(client, "claire@example.org", settings)
    assert client.get(reverse("members:lockouts")).url.startswith(LOGIN)
    client.force_login(volunteer)
    assert client.get(reverse("members:lockouts")).status_code == 403
    assert client.post(reverse("members:unlock"), {"username": "claire@example.org"}).status_code == 403
    assert client.get(reverse("members:unlock")).status_code == 405
    assert attempts().filter(username="claire@example.org").exists()


@pytest.mark.parametrize("values", [{}, {"username": "a\x00b"}, {"ip_address": "not-an-ip"}, {"username": "x" * 5000}])
def test_a_bad_unlock_request_says_so_and_removes_nothing(client, coordinator, volunteer, settings, values):
    lock(client, "karim@example.org", settings)
    client.force_login(coordinator)
    response = client.post(reverse("members:unlock"), values, follow=True)
    assert response.status_code == 200
    assert attempts().filter(username="karim@example.org").exists()


def test_a_password_reset_lifts_the_lockout_of_that_address(client, volunteer, settings, mailoutbox):
    lock(client, "karim@example.org", settings)
    client.post(reverse("password_reset"), {"email": "karim@example.org"})
    link = re.search(r"https?://[^/\s]+(/comptes/reset/\S+)", mailoutbox[-1].body).group(1)
    form_url = client.get(link).url
    new = "une-autre-soupe-au-potiron"
    client.post(form_url, {"new_password1": new, "new_password2": new})
    assert try_login(client, "karim@example.org", new).status_code == 302


# Password reset flood (finding 1) --------------------------------------------------


def test_thirty_reset_requests_for_one_address_send_at_most_three_mails(client, volunteer, mailoutbox):
    answers = set()
    for _ in range(30):
        response = client.post(reverse("password_reset"), {"email": "karim@example.org"})
        answers.add((response.status_code, response.headers.get("Location")))
    assert answers == {(302, reverse("password_reset_done"))}
    assert 1 <= len(mailoutbox) <= 3


def test_reset_requests_from_one_ip_to_many_addresses_are_throttled(client, db, settings, mailoutbox):
    for n in range(30):
        make_user(f"person{n}@example.org")
    for n in range(30):
        response = client.post(reverse("password_reset"), {"email": f"person{n}@example.org"})
        assert response.status_code == 302
    assert 1 <= len(mailoutbox) <= 10


def test_a_throttled_reset_answers_like_any_other(client, volunteer, mailoutbox):
    for _ in range(5):
        client.post(reverse("password_reset"), {"email": "karim@example.org"})
    known = client.post(reverse("password_reset"), {"email": "karim@example.org"}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "personne@example.org"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert page_of(known) == page_of(unknown)


# Volunteer sign-up (finding 2) ------------------------------------------------------

SIGNUP = reverse("members:volunteer_signup")


def sign_up(client, email: str = "lucie.petit@example.org", name: str = "Lucie Petit", **extra):
    return client.post(SIGNUP, {"name": name, "email": email}, **extra)


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+/confirmer/\S+/)", message.body).group(1)


def choose_password(client, link: str, password: str = "une-soupe-au-potiron"):
    return client.post(link, {"password1": password, "password2": password})


def test_sign_up_makes_no_account_until_the_address_is_confirmed(client, db, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302
    assert response.url == reverse("members:volunteer_signup_sent")
    assert not get_user_model().objects.exists()
    assert not logged_in(client)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["lucie.petit@example.org"]
    assert "48" in mailoutbox[0].body


def test_the_link_asks_for_a_password_then_makes_a_logged_in_volunteer(client, db, meal, mailoutbox):
    sign_up(client, email="Lucie.Petit@Example.org", name="Lucie  Petit")
    link = link_in(mailoutbox[0])
    # Opening the link (a mail scanner does) changes nothing.
    assert client.get(link).status_code == 200
    assert not get_user_model().objects.exists()

    response = choose_password(client, link)
    assert response.status_code == 302
    user = get_user_model().objects.get()
    assert user.username == user.email == "lucie.petit@example.org"
    assert user.first_name == "Lucie" and user.last_name == "Petit"
    assert list(user.groups.values_list("name", flat=True)) == [VOLUNTEER]
    assert user.member.name == "Lucie Petit" and user.member.email_confirmed_at is not None
    assert logged_in(client)
    shift = meal.shifts.order_by("pk").first()
    # A newcomer (issue 18): the charter and the hygiene rules first, then a shift with someone experienced.
    client.post(reverse("meals:claim_shift", args=[shift.pk]))
    assert not ShiftSignup.objects.exists()
    for kind in ("charter", "hygiene"):
        client.post(reverse("members:volunteer_ready"), {"kind": kind})
    meal.shifts.filter(pk=shift.pk).update(accompanied=True)
    client.post(reverse("meals:claim_shift", args=[shift.pk]))
    assert ShiftSignup.objects.filter(shift=shift, member=user.member).exists()


def test_a_link_works_once(client, db, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    choose_password(client, link)
    client.post(reverse("logout"))
    response = choose_password(client, link, "un-autre-mot-de-passe-long")
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert get_user_model().objects.count() == 1
    assert get_user_model().objects.get().check_password("une-soupe-au-potiron")


def test_a_forged_link_is_refused(client, db, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    forged = signing.dumps({"name": "Eve", "email": "eve@example.org"}, salt="not-the-right-salt")
    for bad in (link[:-6] + "AAAAA/", reverse("members:volunteer_confirm", args=[forged])):
        assert client.get(bad).status_code == 400
        assert choose_password(client, bad).status_code == 400
    assert not get_user_model().objects.exists()


def test_a_link_older_than_48_hours_is_refused(client, db, mailoutbox, monkeypatch):
    real = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: real - 48 * 3600 - 60)
    sign_up(client)
    monkeypatch.undo()
    link = link_in(mailoutbox[0])
    response = choose_password(client, link)
    assert response.status_code == 400
    assert "expiré" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_sign_up_with_a_known_address_answers_the_same_and_mails_the_owner(client, volunteer, mailoutbox):
    new = sign_up(client, email="lucie.petit@example.org", follow=True)
    known = sign_up(client, email="KARIM@example.org", name="Someone Else", follow=True)
    assert new.redirect_chain == known.redirect_chain
    assert page_of(new) == page_of(known)
    assert "existe" not in known.content.decode()
    assert get_user_model().objects.count() == 1
    volunteer.refresh_from_db()
    assert volunteer.first_name == "Karim" and volunteer.check_password(RIGHT)
    owner_mail = mailoutbox[-1]
    assert owner_mail.to == ["karim@example.org"]
    assert "/confirmer/" not in owner_mail.body
    assert reverse("password_reset") in owner_mail.body and LOGIN in owner_mail.body


def test_nine_sign_ups_in_a_row_from_one_client_are_rate_limited(client, db, mailoutbox):
    statuses = [sign_up(client, email=f"bot{n}@example.org").status_code for n in range(9)]
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert len(mailoutbox) == 5
    page = sign_up(client, email="bot9@example.org").content.decode()
    assert "inscriptions depuis cette connexion" in page


def test_the_mails_one_address_gets_from_sign_ups_are_throttled(client, db, mailoutbox):
    for n in range(5):
        assert sign_up(client, REMOTE_ADDR=f"10.5.5.{n}").status_code == 302
    assert len(mailoutbox) == 3


@pytest.mark.parametrize(
    "change,message",
    [({"name": "   "}, "obligatoire"), ({"email": "pas-un-email"}, "adresse"), ({"email": "a\x00b@example.org"}, "")],
)
def test_a_bad_sign_up_says_why_and_sends_nothing(client, db, mailoutbox, change, message):
    response = client.post(SIGNUP, {"name": "Lucie Petit", "email": "lucie@example.org", **change})
    assert response.status_code == 200
    assert message in response.content.decode().lower()
    assert mailoutbox == []


def test_a_bad_password_on_the_link_page_says_why_and_makes_nothing(client, db, mailoutbox):
    sign_up(client)
    link = link_in(mailoutbox[0])
    response = client.post(link, {"password1": "1234", "password2": "1234"})
    assert response.status_code == 200
    assert "mot de passe" in response.content.decode()
    response = client.post(link, {"password1": "une-soupe-au-potiron", "password2": "autre-chose-encore"})
    assert "ne sont pas les mêmes" in response.content.decode()
    assert not get_user_model().objects.exists()


def test_with_approval_on_a_volunteer_waits_for_the_coordinator(client, coordinator, meal, settings, mailoutbox):
    settings.VOLUNTEERS_NEED_APPROVAL = True
    sign_up(client)
    response = choose_password(client, link_in(mailoutbox[0]))
    assert response.url == reverse("members:home")
    user = get_user_model().objects.get(email="lucie.petit@example.org")
    assert not user.groups.exists()
    assert "coordination" in client.get(reverse("members:home")).content.decode()
    shift = meal.shifts.order_by("pk").first()
    assert client.post(reverse("meals:claim_shift", args=[shift.pk])).status_code == 403
    assert client.get(reverse("meals:shifts")).status_code == 403
    assert not ShiftSignup.objects.exists()

    client.force_login(coordinator)
    page = client.get(reverse("members:volunteers")).content.decode()
    assert "Lucie Petit" in page and reverse("members:volunteer_approve", args=[user.member.pk]) in page
    client.post(reverse("members:volunteer_approve", args=[user.member.pk]))
    assert list(user.groups.values_list("name", flat=True)) == [VOLUNTEER]
    assert mailoutbox[-1].to == ["lucie.petit@example.org"]

    client.force_login(user)
    for kind in ("charter", "hygiene"):  # a newcomer (issue 18): then a shift with someone experienced
        client.post(reverse("members:volunteer_ready"), {"kind": kind})
    meal.shifts.filter(pk=shift.pk).update(accompanied=True)
    client.post(reverse("meals:claim_shift", args=[shift.pk]))
    assert ShiftSignup.objects.filter(member=user.member).exists()


def test_approving_needs_the_coordinator_permission(client, volunteer, settings, db):
    pending = make_user("lea@example.org", name="Léa Dupont")
    Member.objects.filter(user=pending).update(email_confirmed_at="2026-01-01T10:00Z")
    client.force_login(volunteer)
    assert client.post(reverse("members:volunteer_approve", args=[pending.member.pk])).status_code == 403
    assert not pending.groups.exists()


def test_a_logged_in_volunteer_is_sent_on_from_the_sign_up_page(client, volunteer):
    client.force_login(volunteer)
    assert client.get(SIGNUP).url == reverse("meals:shifts")


# Erasing an account with rights (finding 6) -------------------------------------------


def make_staff(email: str):
    user = make_user(email, name="Ada Admin")
    user.is_staff = True
    user.save()
    return user


def make_superuser(email: str):
    user = make_user(email, name="Root Racine")
    user.is_superuser = True
    user.save()
    return user


@pytest.mark.parametrize(
    "make",
    [
        lambda: make_user("chef@example.org", group=COORDINATOR, name="Chef Cuistot"),
        lambda: make_user("ref@example.org", group=PARTNER, name="Rita Referente"),
        lambda: make_staff("staff@example.org"),
        lambda: make_superuser("root@example.org"),
    ],
    ids=["coordinator", "partner-referent", "staff", "superuser"],
)
def test_erasing_an_account_with_rights_is_refused_and_changes_nothing(client, coordinator, make):
    user = make()
    before = (user.username, user.email, user.password, user.is_active)
    client.force_login(coordinator)
    response = client.post(reverse("members:member_erase", args=[user.member.pk]), follow=True)
    assert response.status_code == 200
    assert "ne peut pas être effacé" in response.content.decode()
    user.refresh_from_db()
    assert (user.username, user.email, user.password, user.is_active) == before
    member = Member.objects.get(pk=user.member.pk)
    assert member.erased_at is None and member.name


def test_a_coordinator_cannot_erase_themselves(client, coordinator):
    client.force_login(coordinator)
    client.post(reverse("members:member_erase", args=[coordinator.member.pk]))
    coordinator.refresh_from_db()
    assert coordinator.is_active and coordinator.has_usable_password()


def test_the_erase_page_of_an_account_with_rights_has_no_erase_button(client, coordinator):
    other = make_user("chef@example.org", group=COORDINATOR, name="Chef Cuistot")
    client.force_login(coordinator)
    page = client.get(reverse("members:member_erase", args=[other.member.pk])).content.decode()
    assert "Effacer définitivement" not in page
    assert "ne peut pas être effacé" in page


def test_a_volunteer_account_can_still_be_erased(client, coordinator, volunteer):
    client.force_login(coordinator)
    client.post(reverse("members:member_erase", args=[volunteer.member.pk]))
    volunteer.refresh_from_db()
    assert not volunteer.is_active and not volunteer.has_usable_password() and volunteer.email == ""


def test_erasing_a_volunteer_who_gained_a_right_is_refused(client, coordinator, volunteer):
    volunteer.groups.add(Group.objects.get(name=PARTNER))
    client.force_login(coordinator)
    client.post(reverse("members:member_erase", args=[volunteer.member.pk]))
    volunteer.refresh_from_db()
    assert volunteer.is_active
