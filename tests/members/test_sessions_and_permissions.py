"""Every logged-in page reads its session, its user and their permissions in plain SQL: same rules as Django's."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cantine.changes import change_counters
from members.backends import EmailBackend
from members.roles import COORDINATOR, PARTNER, VOLUNTEER
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

HOME = reverse("members:home")


def logged_in(client, user, password):
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def test_a_logged_in_session_opens_the_member_pages(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200


def test_an_expired_session_is_nobody(client, volunteer, password):
    key = logged_in(client, volunteer, password)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(HOME)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_session_cookie_kept_after_logout_no_longer_works(client, volunteer, password):
    key = logged_in(client, volunteer, password)
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key
    assert client.get(HOME).status_code == 302


def test_a_password_change_elsewhere_ends_the_session(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200  # the user is now kept by this process
    volunteer.set_password("another-horse-battery")
    volunteer.save()
    assert client.get(HOME).status_code == 302


def test_a_deactivated_account_is_logged_out_at_its_next_page(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200  # the user is now kept by this process
    get_user_model().objects.filter(pk=volunteer.pk).update(is_active=False)
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize("key", ["", "x", "' OR '1'='1", "a" * 40, "é" * 32])
def test_a_forged_session_cookie_is_nobody_and_no_error(client, db, key):
    client.cookies["sessionid"] = key
    response = client.get(HOME)
    assert response.status_code == 302


def test_the_user_read_in_sql_is_the_user_django_reads(volunteer, password, client):
    logged_in(client, volunteer, password)  # sets last_login, a date the database must convert
    ours = EmailBackend().get_user(volunteer.pk)
    django = ModelBackend().get_user(volunteer.pk)
    fields = [field.attname for field in get_user_model()._meta.concrete_fields]
    assert {name: getattr(ours, name) for name in fields} == {name: getattr(django, name) for name in fields}
    assert timezone.is_aware(ours.last_login)
    assert EmailBackend().get_user(volunteer.pk + 1000) is None


def test_an_inactive_user_is_not_read(volunteer):
    get_user_model().objects.filter(pk=volunteer.pk).update(is_active=False)
    assert EmailBackend().get_user(volunteer.pk) is None


def fresh(user):
    """The user as the next request sees it (no permission cached on the object)."""
    return get_user_model().objects.get(pk=user.pk)


def test_permissions_are_the_ones_django_computes_for_every_kind_of_user(
    coordinator, volunteer, partner_referent, outsider
):
    direct = make_user("direct@example.org")
    direct.user_permissions.add(Permission.objects.get(codename="view_reports"))
    both = make_user("both@example.org", group=VOLUNTEER)
    both.groups.add(Group.objects.get(name=PARTNER))
    both.user_permissions.add(Permission.objects.get(codename="run_door"))
    boss = get_user_model().objects.create_superuser("boss", "boss@example.org", "x")
    for user in (coordinator, volunteer, partner_referent, outsider, direct, both, boss):
        assert EmailBackend().get_all_permissions(fresh(user)) == ModelBackend().get_all_permissions(fresh(user))
    assert EmailBackend().get_all_permissions(fresh(boss)) == {
        f"{p.content_type.app_label}.{p.codename}" for p in Permission.objects.select_related("content_type")
    }
    assert "meals.view_reports" in EmailBackend().get_all_permissions(fresh(direct))


def test_an_inactive_user_has_no_permission(coordinator):
    get_user_model().objects.filter(pk=coordinator.pk).update(is_active=False)
    assert EmailBackend().get_all_permissions(fresh(coordinator)) == set()


def take_coordinator_role(user):
    user.groups.remove(Group.objects.get(name=COORDINATOR))


def give_coordinator_role(user):
    user.groups.add(Group.objects.get(name=COORDINATOR))


def let_volunteers_read_reports(user):
    Group.objects.get(name=VOLUNTEER).permissions.add(Permission.objects.get(codename="view_reports"))


@pytest.mark.parametrize(
    "who,change,before,after",
    [
        ("coordinator", take_coordinator_role, 200, 403),
        ("volunteer", give_coordinator_role, 403, 200),
        ("volunteer", let_volunteers_read_reports, 403, 200),
    ],
)
def test_a_change_of_role_or_permission_counts_at_the_next_request(client, request, who, change, before, after):
    user = request.getfixturevalue(who)
    client.force_login(user)
    reports = reverse("meals:reports")
    assert client.get(reports).status_code == before  # the user and permissions are now kept by this process
    change(user)
    assert client.get(reports).status_code == after


def test_the_user_and_permissions_are_read_once_then_kept_until_an_account_changes(client, volunteer):
    client.force_login(volunteer)

    def tables_read() -> str:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(HOME).status_code == 200
        return " ".join(query["sql"] for query in queries)

    first = tables_read()
    assert "auth_user" in first and "auth_permission" in first
    kept = tables_read()
    assert "auth_user" not in kept and "auth_permission" not in kept
    get_user_model().objects.filter(pk=volunteer.pk).update(first_name="Karima")
    assert "auth_user" in tables_read()


def test_each_request_gets_its_own_user_object(volunteer):
    backend = EmailBackend()
    first = backend.get_user(volunteer.pk)
    first.first_name = "Changed in memory only"
    first.get_all_permissions()
    second = backend.get_user(volunteer.pk)
    assert second is not first
    assert second.first_name != "Changed in memory only"
    assert not hasattr(second, "_perm_cache")


def test_bookings_and_shifts_leave_the_accounts_counter_alone(meal, guest):
    from meals.services.booking import booking_create
    from meals.services.shifts import shift_claim

    before = change_counters()["accounts"]
    booking_create(meal=meal, name="Jeanne Martin", email="jeanne@example.org", party_size=1)
    shift_claim(shift=meal.shifts.first(), member=guest)
    assert change_counters()["accounts"] == before
