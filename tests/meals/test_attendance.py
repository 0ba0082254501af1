"""Shift attendance (issue 18): the coordinator marks who came; no-shows for the coordination only, a kind word."""

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.idempotency import new_key
from meals.models import Message, Shift, ShiftSignup
from meals.services.shifts import (
    AlreadyFollowedUp,
    ShiftClosed,
    ShiftError,
    attendance_mark,
    no_show_follow_up,
    shift_claim,
)
from members.models import Prerequisite
from tests.test_html_validity import errors_of, vnu  # noqa: F401 (the Nu HTML checker, a fixture)

CAME, ABSENT, UNKNOWN = ShiftSignup.Attendance.CAME, ShiftSignup.Attendance.ABSENT, ShiftSignup.Attendance.UNKNOWN


def text(response) -> str:
    return unescape(response.content.decode())


@pytest.fixture
def yesterday(make_meal):
    return make_meal(day=timezone.localdate() - timedelta(days=1))


@pytest.fixture
def helpers(yesterday, volunteer, newcomer):
    """Karim (ready) cooked yesterday; Léa (a newcomer) was on the washing-up."""
    cooking = yesterday.shifts.get(role=Shift.Role.COOKING)
    dishes = yesterday.shifts.get(role=Shift.Role.DISHES)
    return {
        "karim": ShiftSignup.objects.create(shift=cooking, member=volunteer.member),
        "lea": ShiftSignup.objects.create(shift=dishes, member=newcomer.member),
    }


# The service -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_marking_who_came_records_who_and_when_and_counts_as_the_trial_shift(helpers, coordinator, newcomer):
    row = attendance_mark(signup=helpers["lea"], attended=CAME, by=coordinator)
    row.refresh_from_db()
    assert (row.attended, row.attendance_marked_by) == (CAME, coordinator)
    assert row.attendance_marked_at is not None
    trial = Prerequisite.objects.get(member=newcomer.member, kind=Prerequisite.Kind.TRIAL)
    assert trial.recorded_by == coordinator and "Présent·e au créneau du" in trial.note


@pytest.mark.django_db
def test_a_no_show_is_not_a_trial_shift_and_a_mistake_is_corrected_by_marking_again(helpers, coordinator, newcomer):
    attendance_mark(signup=helpers["lea"], attended=ABSENT, by=coordinator)
    assert not Prerequisite.objects.filter(member=newcomer.member).exists()
    attendance_mark(signup=helpers["lea"], attended=CAME, by=coordinator)
    assert ShiftSignup.objects.get(pk=helpers["lea"].pk).attended == CAME


@pytest.mark.django_db
def test_attendance_waits_for_the_shift_to_start(meal, volunteer, coordinator):
    signup = shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=volunteer.member)
    with pytest.raises(ShiftClosed):
        attendance_mark(signup=signup, attended=CAME, by=coordinator)
    assert ShiftSignup.objects.get(pk=signup.pk).attended == UNKNOWN


@pytest.mark.django_db
def test_attendance_refuses_anything_but_came_or_not(helpers, coordinator):
    with pytest.raises(ShiftError):
        attendance_mark(signup=helpers["karim"], attended=UNKNOWN, by=coordinator)


@pytest.mark.django_db
def test_a_replayed_tap_writes_nothing_more(helpers, coordinator):
    key = new_key()
    attendance_mark(signup=helpers["karim"], attended=ABSENT, by=coordinator, key=key)
    attendance_mark(signup=helpers["karim"], attended=CAME, by=coordinator)
    # The first tap again (a retry after a dropped connection): it does not undo the later one.
    attendance_mark(signup=helpers["karim"], attended=ABSENT, by=coordinator, key=key)
    assert ShiftSignup.objects.get(pk=helpers["karim"].pk).attended == CAME


# The follow-up ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_follow_up_goes_through_the_outbox_once_and_is_kind(helpers, coordinator, mailoutbox):
    attendance_mark(signup=helpers["karim"], attended=ABSENT, by=coordinator)
    assert no_show_follow_up(signup=helpers["karim"], by=coordinator) is True
    message = Message.objects.get(kind="volunteer_follow_up")
    assert (message.to, message.key) == ("karim@example.org", f"follow-up:{helpers['karim'].pk}")
    with pytest.raises(AlreadyFollowedUp):
        no_show_follow_up(signup=helpers["karim"], by=coordinator)
    assert Message.objects.filter(kind="volunteer_follow_up").count() == 1
    (mail,) = mailoutbox
    day = helpers["karim"].shift.starts_at
    weekday = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"][
        timezone.localtime(day).weekday()
    ]
    assert mail.subject.startswith(f"On ne vous a pas vu {weekday}, tout va bien")
    assert "pas besoin de vous justifier" in mail.body
    assert reverse("meals:shifts") in mail.body


@pytest.mark.django_db
def test_no_follow_up_for_someone_who_came_or_is_not_marked(helpers, coordinator):
    with pytest.raises(ShiftError):
        no_show_follow_up(signup=helpers["karim"], by=coordinator)
    attendance_mark(signup=helpers["karim"], attended=CAME, by=coordinator)
    with pytest.raises(ShiftError):
        no_show_follow_up(signup=helpers["karim"], by=coordinator)
    assert not Message.objects.filter(kind="volunteer_follow_up").exists()


# The pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_coordinator_marks_each_person_with_one_tap(client, coordinator, yesterday, helpers):
    client.force_login(coordinator)
    page = text(client.get(reverse("meals:shift_attendance", args=[yesterday.pk])))
    assert "Karim Benali" in page and "Léa Nouvelle" in page
    assert "Encore 2 personnes à pointer" in page
    url = reverse("meals:mark_attendance", args=[helpers["lea"].pk])
    response = client.post(url, {"attended": "absent", "form_key": new_key()})
    assert response.url.endswith(f"#signup-{helpers['lea'].pk}")
    assert ShiftSignup.objects.get(pk=helpers["lea"].pk).attended == ABSENT
    page = text(client.get(reverse("meals:shift_attendance", args=[yesterday.pk])))
    assert "Encore 1 personne à pointer" in page


@pytest.mark.django_db
def test_a_hostile_attendance_post_writes_nothing(client, coordinator, helpers):
    client.force_login(coordinator)
    url = reverse("meals:mark_attendance", args=[helpers["lea"].pk])
    for values in ({"attended": "unknown"}, {"attended": "<b>"}, {"attended": "came", "form_key": "x\x00"}):
        response = client.post(url, values, follow=True)
        assert response.status_code == 200
        assert "alert-danger" in text(response)
    assert ShiftSignup.objects.get(pk=helpers["lea"].pk).attended == UNKNOWN


@pytest.mark.django_db
def test_volunteers_cannot_see_nor_mark_attendance(client, volunteer, yesterday, helpers):
    client.force_login(volunteer)
    assert client.get(reverse("meals:shift_attendance", args=[yesterday.pk])).status_code == 403
    assert client.get(reverse("meals:shift_followups")).status_code == 403
    url = reverse("meals:mark_attendance", args=[helpers["karim"].pk])
    assert client.post(url, {"attended": "came"}).status_code == 403
    assert client.post(reverse("meals:shift_follow_up", args=[helpers["lea"].pk])).status_code == 403
    assert client.get(reverse("members:member", args=[helpers["lea"].member_id])).status_code == 403
    assert ShiftSignup.objects.get(pk=helpers["karim"].pk).attended == UNKNOWN


@pytest.mark.django_db
def test_a_no_show_never_shows_on_the_board_nor_to_other_volunteers(client, coordinator, volunteer, make_meal):
    """Léa missed yesterday's washing-up and signed up again for tomorrow's: the board says nothing of it."""
    from tests.conftest import make_user

    lea = make_user("lea.b@example.org", group="volunteer", name="Léa Bernard")
    yesterday = make_meal(day=timezone.localdate() - timedelta(days=1))
    missed = ShiftSignup.objects.create(shift=yesterday.shifts.get(role=Shift.Role.DISHES), member=lea.member)
    attendance_mark(signup=missed, attended=ABSENT, by=coordinator)
    tomorrow = make_meal()
    shift_claim(shift=tomorrow.shifts.get(role=Shift.Role.DISHES), member=lea.member)
    client.force_login(volunteer)
    for url in (reverse("meals:shifts"), reverse("meals:my_shifts"), reverse("meals:upcoming")):
        page = text(client.get(url)).lower()
        assert "pas venu" not in page and "absent" not in page and "relancer" not in page
    assert "Léa" in text(client.get(reverse("meals:shifts")))  # she is there, by her first name only


@pytest.mark.django_db
def test_the_follow_up_list_and_its_button(client, coordinator, yesterday, helpers, mailoutbox):
    attendance_mark(signup=helpers["lea"], attended=ABSENT, by=coordinator)
    client.force_login(coordinator)
    page = text(client.get(reverse("meals:shift_followups")))
    assert "Léa Nouvelle" in page and "Envoyer un petit mot" in page
    assert reverse("meals:shift_attendance", args=[yesterday.pk]) in page  # Karim is still to mark
    response = client.post(reverse("meals:shift_follow_up", args=[helpers["lea"].pk]), {"form_key": new_key()})
    assert response.url == reverse("meals:shift_followups")
    assert [m.to for m in mailoutbox] == [["lea@example.org"]]
    page = text(client.get(reverse("meals:shift_followups")))
    assert "Message envoyé le" in page and "Envoyer un petit mot" not in page
    # The member page shows the missed shift, for the coordination.
    page = text(client.get(reverse("members:member", args=[helpers["lea"].member_id])))
    assert "1 créneau manqué" in page and "pas venu·e" in page


@pytest.mark.django_db
def test_the_attendance_page_issues_the_same_queries_for_few_and_many_helpers(client, coordinator, yesterday):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from members.models import Member

    client.force_login(coordinator)
    url = reverse("meals:shift_attendance", args=[yesterday.pk])
    dishes = yesterday.shifts.get(role=Shift.Role.DISHES)
    ShiftSignup.objects.create(shift=dishes, member=Member.objects.create(name="Aide 0"))
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    cooking = yesterday.shifts.get(role=Shift.Role.COOKING)
    ShiftSignup.objects.bulk_create(
        ShiftSignup(shift=cooking, member=member)
        for member in Member.objects.bulk_create(Member(name=f"Aide {n}") for n in range(1, 9))
    )
    with CaptureQueriesContext(connection) as many:
        assert "Aide 8" in text(client.get(url))
    assert len(few) == len(many)


@pytest.mark.vnu
@pytest.mark.django_db
def test_the_new_pages_are_valid_html(vnu, tmp_path, coordinator, newcomer, yesterday, helpers, meal):  # noqa: F811
    from django.test import Client

    attendance_mark(signup=helpers["lea"], attended=ABSENT, by=coordinator)
    boss, lea = Client(), Client()
    boss.force_login(coordinator)
    lea.force_login(newcomer)
    pages = {
        "attendance": boss.get(reverse("meals:shift_attendance", args=[yesterday.pk])),
        "followups": boss.get(reverse("meals:shift_followups")),
        "member": boss.get(reverse("members:member", args=[helpers["lea"].member_id])),
        "overview": boss.get(reverse("meals:shift_overview")),
        "template": boss.get(reverse("meals:shift_template")),
        "ready": lea.get(reverse("members:volunteer_ready")),
        "board": lea.get(reverse("meals:shifts")),
    }
    assert {name: r.status_code for name, r in pages.items()} == dict.fromkeys(pages, 200)
    assert errors_of(vnu, {name: r.content.decode() for name, r in pages.items()}, tmp_path) == []
