from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MealsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meals"
    verbose_name = _("Repas")

    def ready(self) -> None:
        from meals.cache import connect_signals

        # Writes to the rows kept pages show change their generation (meals/cache.py).
        connect_signals()
