"""Volunteers who are ready (issue 18): a role's prerequisites, accompanied shifts, the board says why."""

from datetime import datetime, time, timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.cache import bump
from meals.models import Shift, ShiftSignup, ShiftTemplate
from meals.readiness import refusal_for, role_requirements
from meals.services.shifts import NotReady, shift_claim, shifts_create_default
from members.models import Prerequisite
from members.services import MemberError, record_prerequisite
from tests.conftest import PARIS, create_meal, make_user

BOARD = reverse("meals:shifts")
HYGIENE, CHARTER, TRIAL = Prerequisite.Kind.HYGIENE, Prerequisite.Kind.CHARTER, Prerequisite.Kind.TRIAL


def cooking(meal) -> Shift:
    return meal.shifts.get(role=Shift.Role.COOKING)


def text(response) -> str:
    return unescape(response.content.decode())


def meet(user, *kinds) -> None:
    for kind in kinds:
        record_prerequisite(member=user.member, kind=kind)


# The claim service ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_volunteer_without_the_briefing_cannot_claim_a_cooking_shift_and_is_told_why(meal, newcomer):
    meet(newcomer, CHARTER, TRIAL)
    shift = cooking(meal)
    with pytest.raises(NotReady) as refused:
        shift_claim(shift=shift, member=newcomer.member, by=newcomer)
    assert str(refused.value).startswith("Pour cuisiner, lisez d'abord les consignes d'hygiène.")
    assert "« Avant de venir »" in str(refused.value)
    assert not ShiftSignup.objects.exists()
    assert Shift.objects.get(pk=shift.pk).taken == 0


@pytest.mark.django_db
def test_without_the_charter_no_shift_of_a_role_that_requires_it(meal, newcomer):
    meet(newcomer, HYGIENE, TRIAL)
    table = meal.shifts.get(role=Shift.Role.TABLE)
    table.accompanied = True
    table.save()
    with pytest.raises(NotReady, match="Pour mettre la table, signez d'abord la charte des bénévoles"):
        shift_claim(shift=table, member=newcomer.member, by=newcomer)
    assert not ShiftSignup.objects.exists()


@pytest.mark.django_db
def test_a_newcomer_without_the_trial_shift_may_claim_accompanied_shifts_only(meal, newcomer):
    meet(newcomer, HYGIENE, CHARTER)
    dishes = meal.shifts.get(role=Shift.Role.DISHES)
    with pytest.raises(NotReady, match="premier créneau.*« avec un·e bénévole expérimenté·e »"):
        shift_claim(shift=dishes, member=newcomer.member, by=newcomer)
    assert not ShiftSignup.objects.exists()
    accompanied = cooking(meal)
    accompanied.accompanied = True
    accompanied.save()
    assert shift_claim(shift=accompanied, member=newcomer.member, by=newcomer).shift_id == accompanied.pk


@pytest.mark.django_db
def test_a_ready_volunteer_claims_any_shift(meal, volunteer):
    for shift in meal.shifts.all():
        shift_claim(shift=shift, member=volunteer.member, by=volunteer)
    assert ShiftSignup.objects.filter(member=volunteer.member).count() == 3


@pytest.mark.django_db
def test_a_guest_offering_a_hand_with_a_booking_is_not_asked(meal, guest):
    from meals.models import Booking

    booking = Booking.objects.create(meal=meal, member=guest, name=guest.name, email=guest.email)
    assert shift_claim(shift=cooking(meal), member=guest, booking=booking, by=None).booking_id == booking.pk


@pytest.mark.django_db
def test_the_template_decides_what_a_role_requires_and_which_shifts_are_accompanied(make_meal, newcomer):
    ShiftTemplate.objects.create(
        role=Shift.Role.COOKING, minutes_before_meal=180, duration_minutes=150, slots=6, requires=[CHARTER]
    )
    ShiftTemplate.objects.create(
        role=Shift.Role.DISHES, minutes_before_meal=-75, duration_minutes=60, slots=4, requires=[], accompanied=True
    )
    assert role_requirements()[Shift.Role.COOKING] == {CHARTER}
    assert role_requirements()[Shift.Role.TABLE] == {CHARTER, TRIAL}  # no row: the default
    meal = make_meal(shifts=False)
    shifts_create_default(meal=meal)
    assert dict(meal.shifts.values_list("role", "accompanied")) == {"cooking": False, "dishes": True}
    meet(newcomer, CHARTER)
    assert refusal_for(member=newcomer.member, shift=cooking(meal)) is None
    shift_claim(shift=cooking(meal), member=newcomer.member, by=newcomer)


@pytest.mark.django_db
def test_a_prerequisite_is_recorded_once_with_who_and_when(newcomer, coordinator):
    first, created = record_prerequisite(member=newcomer.member, kind=HYGIENE, by=coordinator, note="Briefing")
    again, created_again = record_prerequisite(member=newcomer.member, kind=HYGIENE, by=newcomer)
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.recorded_by == coordinator and again.note == "Briefing"
    with pytest.raises(MemberError):
        record_prerequisite(member=newcomer.member, kind="diploma")
    assert Prerequisite.objects.filter(member=newcomer.member).count() == 1


# The views -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_claiming_from_the_board_says_what_is_missing_and_where(client, meal, newcomer):
    meet(newcomer, CHARTER, TRIAL)
    client.force_login(newcomer)
    response = client.post(reverse("meals:claim_shift", args=[cooking(meal).pk]), follow=True)
    page = text(response)
    assert "Pour cuisiner, lisez d'abord les consignes d'hygiène." in page
    assert "Avant de venir" in page
    assert not ShiftSignup.objects.exists()


@pytest.mark.django_db
def test_the_board_shows_why_instead_of_the_button_and_marks_accompanied_shifts(client, meal, newcomer):
    dishes = meal.shifts.get(role=Shift.Role.DISHES)
    dishes.accompanied = True
    dishes.save()
    client.force_login(newcomer)
    page = text(client.get(BOARD))
    row = page[page.index(f'id="shift-{cooking(meal).pk}"') :].split("</li>")[0]
    assert "lisez d'abord les consignes d'hygiène" in row
    assert reverse("members:volunteer_ready") in row
    assert reverse("meals:claim_shift", args=[cooking(meal).pk]) not in row
    dishes_row = page[page.index(f'id="shift-{dishes.pk}"') :].split("</li>")[0]
    assert "Avec un·e bénévole expérimenté·e" in dishes_row
    # The charter is missing too: no shift of any role can be claimed yet, each says why.
    assert "signez" in dishes_row and reverse("meals:claim_shift", args=[dishes.pk]) not in dishes_row


@pytest.mark.django_db
def test_the_kept_board_never_shows_one_volunteers_reason_to_another(client, meal, newcomer, volunteer):
    shift = cooking(meal)
    claim_url = reverse("meals:claim_shift", args=[shift.pk])
    client.force_login(newcomer)
    assert "consignes d'hygiène" in text(client.get(BOARD))  # kept for the newcomer
    client.force_login(volunteer)
    page = text(client.get(BOARD))
    assert "consignes d'hygiène" not in page and claim_url in page
    client.force_login(newcomer)
    page = text(client.get(BOARD))
    assert "consignes d'hygiène" in page and claim_url not in page
    # Read and signed: the newcomer's board changes at once (no stale reason).
    meet(newcomer, HYGIENE, CHARTER, TRIAL)
    page = text(client.get(BOARD))
    assert "consignes d'hygiène" not in page and claim_url in page


@pytest.mark.django_db
def test_a_template_change_reaches_the_kept_board(client, meal, newcomer):
    meet(newcomer, CHARTER, TRIAL)
    client.force_login(newcomer)
    assert "consignes d'hygiène" in text(client.get(BOARD))
    ShiftTemplate.objects.create(
        role=Shift.Role.COOKING, minutes_before_meal=180, duration_minutes=150, slots=6, requires=[CHARTER, TRIAL]
    )
    assert "consignes d'hygiène" not in text(client.get(BOARD))


def board_queries(client) -> int:
    client.get(BOARD)
    bump("meals", "board")
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(BOARD).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
def test_the_board_of_a_newcomer_issues_as_many_queries_for_many_shifts_as_for_few(client, newcomer, volunteer):
    client.force_login(newcomer)
    day = timezone.localdate() + timedelta(days=1)
    create_meal(day=day)
    few = board_queries(client)
    for n in range(2, 15):
        at = datetime.combine(timezone.localdate() + timedelta(days=n), time(12, 30), tzinfo=PARIS)
        create_meal(day=at.date())
    many = board_queries(client)
    assert few == many
    client.force_login(volunteer)
    assert board_queries(client) == many  # the same for someone ready


@pytest.mark.django_db
def test_a_coordinator_is_warned_and_may_override(client, meal, coordinator, newcomer):
    client.force_login(coordinator)
    url = reverse("meals:shift_assign", args=[cooking(meal).pk])
    page = text(client.post(url, {"member": newcomer.member.pk}, follow=True))
    assert "Il manque à Léa Nouvelle" in page and "consignes d'hygiène lues" in page
    assert "Inscrire quand même" in page
    assert not ShiftSignup.objects.exists()
    page = text(client.post(url, {"member": newcomer.member.pk, "override": "on"}, follow=True))
    assert ShiftSignup.objects.filter(member=newcomer.member, shift=cooking(meal)).exists()
    assert "Léa Nouvelle est inscrit·e en cuisine" in page and "Il manque à Léa Nouvelle" in page


@pytest.mark.django_db
def test_a_coordinator_assigns_a_ready_volunteer_without_a_warning(client, meal, coordinator, volunteer):
    client.force_login(coordinator)
    url = reverse("meals:shift_assign", args=[cooking(meal).pk])
    page = text(client.post(url, {"member": volunteer.member.pk}, follow=True))
    assert ShiftSignup.objects.filter(member=volunteer.member).exists()
    assert "Il manque" not in page


@pytest.mark.django_db
def test_the_volunteer_reads_and_signs_on_avant_de_venir(client, newcomer):
    client.force_login(newcomer)
    url = reverse("members:volunteer_ready")
    page = text(client.get(url))
    assert "Je signe la charte" in page and "J'ai lu les consignes d'hygiène" in page
    for _twice in range(2):
        client.post(url, {"kind": "charter"})
    client.post(url, {"kind": "hygiene"})
    assert set(newcomer.member.prerequisites.values_list("kind", flat=True)) == {CHARTER, HYGIENE}
    assert newcomer.member.prerequisites.get(kind=CHARTER).recorded_by == newcomer
    page = text(client.get(url))
    assert "Je signe la charte" not in page and "Signée le" in page


@pytest.mark.django_db
def test_a_volunteer_cannot_declare_their_own_trial_shift(client, newcomer):
    client.force_login(newcomer)
    response = client.post(reverse("members:volunteer_ready"), {"kind": "trial"})
    assert response.status_code == 200
    assert not Prerequisite.objects.filter(member=newcomer.member).exists()


@pytest.mark.django_db
def test_a_coordinator_records_a_prerequisite_on_the_member_page(client, coordinator, newcomer, volunteer):
    url = reverse("members:prerequisite_record", args=[newcomer.member.pk])
    client.force_login(volunteer)
    assert client.post(url, {"kind": "trial"}).status_code == 403
    client.force_login(coordinator)
    response = client.post(url, {"kind": "trial", "note": "Venue en septembre"})
    assert response.url == reverse("members:member", args=[newcomer.member.pk])
    row = Prerequisite.objects.get(member=newcomer.member)
    assert (row.kind, row.recorded_by, row.note) == (TRIAL, coordinator, "Venue en septembre")
    page = text(client.get(response.url))
    assert "créneau d'essai fait" in page.lower() and "Venue en septembre" in page


@pytest.mark.django_db
def test_the_template_page_edits_what_each_role_requires(client, coordinator):
    client.force_login(coordinator)
    page = text(client.get(reverse("meals:shift_template")))
    assert "Prérequis pour ce rôle" in page and "avec un·e bénévole expérimenté·e" in page.lower()


@pytest.mark.django_db
def test_merging_keeps_the_prerequisites_and_erasing_blanks_their_notes(coordinator):
    from members.models import Member
    from members.services import member_erase, member_merge

    keep = Member.objects.create(name="Léa N.")
    drop = Member.objects.create(name="Léa Nouvelle")
    record_prerequisite(member=keep, kind=CHARTER)
    record_prerequisite(member=drop, kind=CHARTER)
    record_prerequisite(member=drop, kind=HYGIENE, note="Briefing du 3")
    member_merge(keep=keep, drop=drop, by=coordinator)
    assert sorted(keep.prerequisites.values_list("kind", flat=True)) == [CHARTER, HYGIENE]
    member_erase(member=keep, by=coordinator)
    assert list(keep.prerequisites.values_list("note", flat=True)) == ["", ""]


@pytest.mark.django_db
def test_make_user_volunteers_are_ready_and_newcomers_are_not(newcomer):
    ready = make_user("ana@example.org", group="volunteer", name="Ana A")
    assert ready.member.prerequisites.count() == 3
    assert newcomer.member.prerequisites.count() == 0
