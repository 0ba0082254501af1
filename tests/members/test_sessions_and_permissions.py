"""Sessions, users and permissions through Django's own backends: a change counts from the next request."""

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.urls import reverse

from members.backends import EmailBackend
from members.roles import COORDINATOR, VOLUNTEER

pytestmark = pytest.mark.django_db

HOME = reverse("members:home")


def logged_in(client, user, password):
    response = client.post(reverse("login"), {"username": user.email, "password": password})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def test_sessions_users_and_permissions_come_from_django_s_own_backends():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    assert "members.backends.EmailBackend" in settings.AUTHENTICATION_BACKENDS
    # Only the login by email is ours: the user and permission reads are ModelBackend's.
    assert EmailBackend.get_user is ModelBackend.get_user
    assert EmailBackend.get_all_permissions is ModelBackend.get_all_permissions


def test_a_logged_in_session_opens_the_member_pages(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200


def test_a_session_cookie_kept_after_logout_no_longer_works(client, volunteer, password):
    key = logged_in(client, volunteer, password)
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()
    client.cookies["sessionid"] = key
    assert client.get(HOME).status_code == 302


def test_a_password_change_elsewhere_ends_the_session(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200
    volunteer.set_password("another-horse-battery")
    volunteer.save()
    assert client.get(HOME).status_code == 302


def test_a_deactivated_account_is_logged_out_at_its_next_page(client, volunteer, password):
    logged_in(client, volunteer, password)
    assert client.get(HOME).status_code == 200
    get_user_model().objects.filter(pk=volunteer.pk).update(is_active=False)
    assert client.get(HOME).status_code == 302


@pytest.mark.parametrize("key", ["", "x", "' OR '1'='1", "a" * 40, "é" * 32])
def test_a_forged_session_cookie_is_nobody_and_no_error(client, db, key):
    client.cookies["sessionid"] = key
    response = client.get(HOME)
    assert response.status_code == 302


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
    assert client.get(reports).status_code == before
    change(user)
    assert client.get(reports).status_code == after


def test_a_kept_board_follows_the_viewer_s_role(client, volunteer, meal):
    client.force_login(volunteer)
    board = reverse("meals:shifts")
    assert client.get(board).status_code == 200  # now kept for this viewer
    volunteer.groups.remove(Group.objects.get(name=VOLUNTEER))
    assert client.get(board).status_code == 403
