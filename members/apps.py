from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _create_roles(sender, using="default", **kwargs) -> None:
    from members.roles import ensure_roles

    ensure_roles(using=using)


class MembersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "members"
    verbose_name = _("Membres")

    def ready(self) -> None:
        # After migrate and after every flush (transactional tests), so the
        # groups always exist. Connected to the last app that defines permissions.
        post_migrate.connect(_create_roles, dispatch_uid="members.create_roles")
