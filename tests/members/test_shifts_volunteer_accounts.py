from django.urls import reverse

from tests.conftest import make_user

# Signing up (a mailed link, then a password) is tested in test_login_and_signup_security.py.


def test_sign_up_page_links_from_the_login_page(client, db):
    assert reverse("members:volunteer_signup") in client.get(reverse("login")).content.decode()
    assert client.get(reverse("members:volunteer_signup")).status_code == 200


def test_coordinator_deactivates_and_reactivates_a_volunteer(client, coordinator, volunteer):
    client.force_login(coordinator)
    assert "Karim Benali" in client.get(reverse("members:volunteers")).content.decode()
    client.post(reverse("members:volunteer_toggle", args=[volunteer.member.pk]))
    volunteer.refresh_from_db()
    assert not volunteer.is_active
    # A deactivated volunteer cannot log in any more.
    # (Through the login page: django-axes needs the request that Client.login does not pass.)
    client.post(reverse("logout"))
    client.post(reverse("login"), {"username": "karim@example.org", "password": "correct-horse-battery"})
    assert "_auth_user_id" not in client.session
    client.force_login(coordinator)
    client.post(reverse("members:volunteer_toggle", args=[volunteer.member.pk]))
    volunteer.refresh_from_db()
    assert volunteer.is_active


def test_deactivated_volunteer_is_logged_out_of_open_sessions(client, coordinator, volunteer):
    client.force_login(volunteer)
    volunteer.is_active = False
    volunteer.save()
    response = client.get(reverse("meals:shifts"))
    assert response.status_code == 302


def test_toggle_needs_the_coordinator_permission(client, volunteer, db):
    other = make_user("lea@example.org", group="volunteer", name="Léa Dupont")
    client.force_login(volunteer)
    assert client.post(reverse("members:volunteer_toggle", args=[other.member.pk])).status_code == 403
    assert client.get(reverse("members:volunteers")).status_code == 403
    other.refresh_from_db()
    assert other.is_active


def test_toggle_is_post_only_and_anonymous_goes_to_login(client, volunteer):
    url = reverse("members:volunteer_toggle", args=[volunteer.member.pk])
    assert client.post(url).url.startswith(reverse("login"))
    client.force_login(volunteer)
    assert client.get(url).status_code == 405


def test_toggle_refuses_a_coordinator_account(client, coordinator, db):
    other = make_user("chef@example.org", group="coordinator", name="Chef Cuistot")
    client.force_login(coordinator)
    # Not a volunteer: not found here.
    assert client.post(reverse("members:volunteer_toggle", args=[other.member.pk])).status_code == 404
    other.refresh_from_db()
    assert other.is_active
