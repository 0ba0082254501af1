"""Logging in with an email address: Django's ModelBackend, found by email as well as by username."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class EmailBackend(ModelBackend):
    """Log in with the email address (case does not matter) or the username."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        User = get_user_model()
        username = username.strip()
        user = (
            User.objects.filter(email__iexact=username).order_by("pk").first()
            or User.objects.filter(username__iexact=username).order_by("pk").first()
        )
        if user is None:
            # Same cost as a wrong password, so timing does not reveal accounts.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
