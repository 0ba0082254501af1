import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members.models import Member
from tests.conftest import make_user

GOOD = {
    "name": "Lucie  Petit",
    "email": "Lucie.Petit@Example.org",
    "password1": "une-soupe-au-potiron",
    "password2": "une-soupe-au-potiron",
}


def test_sign_up_makes_a_logged_in_volunteer_with_a_member(client, db):
    response = client.post(reverse("members:volunteer_signup"), GOOD)
    assert response.status_code == 302
    assert response.url == reverse("meals:shifts")
    user = get_user_model().objects.get()
    assert user.username == user.email == "lucie.petit@example.org"
    assert user.first_name == "Lucie" and user.last_name == "Petit"
    assert list(user.groups.values_list("name", flat=True)) == ["volunteer"]
    assert user.member.name == "Lucie Petit"
    # Logged in straight away, and allowed on the board.
    assert client.get(reverse("meals:shifts")).status_code == 200


def test_sign_up_page_links_from_the_login_page(client, db):
    assert reverse("members:volunteer_signup") in client.get(reverse("login")).content.decode()
    assert client.get(reverse("members:volunteer_signup")).status_code == 200


@pytest.mark.parametrize(
    "change,message",
    [
        ({"password2": "autre-chose-encore"}, "ne sont pas les mêmes"),
        ({"password1": "1234", "password2": "1234"}, "mot de passe"),
        ({"email": "pas-un-email"}, "adresse"),
        ({"name": "   "}, "obligatoire"),
    ],
)
def test_bad_sign_up_says_why_and_writes_nothing(client, db, change, message):
    response = client.post(reverse("members:volunteer_signup"), {**GOOD, **change})
    assert response.status_code == 200
    assert message in response.content.decode().lower() or message in response.content.decode()
    assert not get_user_model().objects.exists()
    assert not Member.objects.exists()


def test_sign_up_with_a_known_address_is_refused(client, volunteer):
    response = client.post(reverse("members:volunteer_signup"), {**GOOD, "email": "KARIM@example.org"})
    assert response.status_code == 200
    assert "existe déjà" in response.content.decode()
    assert get_user_model().objects.count() == 1


def test_coordinator_deactivates_and_reactivates_a_volunteer(client, coordinator, volunteer):
    client.force_login(coordinator)
    assert "Karim Benali" in client.get(reverse("members:volunteers")).content.decode()
    client.post(reverse("members:volunteer_toggle", args=[volunteer.member.pk]))
    volunteer.refresh_from_db()
    assert not volunteer.is_active
    # A deactivated volunteer cannot log in any more.
    assert not client.login(username="karim@example.org", password="correct-horse-battery")
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
