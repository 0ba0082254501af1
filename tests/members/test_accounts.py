import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from members.roles import COORDINATOR, PARTNER, ROLE_PERMISSIONS, VOLUNTEER


@pytest.mark.django_db
@pytest.mark.parametrize("role", [COORDINATOR, VOLUNTEER, PARTNER])
def test_each_role_group_exists_with_its_permissions(role):
    group = Group.objects.get(name=role)
    granted = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert granted == set(ROLE_PERMISSIONS[role])


def test_roles_grant_the_jobs_of_the_design_card(coordinator, volunteer, partner_referent):
    assert coordinator.has_perm("meals.run_door") and coordinator.has_perm("meals.view_reports")
    assert volunteer.has_perm("meals.add_shiftsignup")
    assert not volunteer.has_perm("meals.run_door")
    assert partner_referent.has_perm("meals.book_for_partner")
    assert not partner_referent.has_perm("meals.view_reports")


def test_login_with_email_then_logout(client, volunteer, password):
    response = client.post(reverse("login"), {"username": "KARIM@example.org", "password": password})
    assert response.status_code == 302
    assert response.url == reverse("members:home")
    assert client.get(reverse("members:home")).status_code == 200

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("members:home")).status_code == 302


def test_wrong_password_shows_a_french_message(client, volunteer):
    response = client.post(reverse("login"), {"username": "karim@example.org", "password": "nope"})
    assert response.status_code == 200
    assert "Adresse e-mail ou mot de passe incorrect." in response.content.decode()


def test_inactive_account_cannot_log_in(client, volunteer, password):
    volunteer.is_active = False
    volunteer.save()
    response = client.post(reverse("login"), {"username": "karim@example.org", "password": password})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_home_sends_anonymous_visitors_to_login(client, db):
    response = client.get(reverse("members:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_password_reset_sends_a_link(client, volunteer, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "karim@example.org"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/comptes/reset/" in mailoutbox[0].body


@pytest.mark.django_db
def test_pages_are_french_by_default_and_the_switch_changes_language(client):
    response = client.get(reverse("meals:upcoming"))
    assert '<html lang="fr">' in response.content.decode()
    assert "Les prochains repas" in response.content.decode()

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, follow=True)
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Upcoming meals" in page
