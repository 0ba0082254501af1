"""The README's first command: migrate, fill with demo data once, serve on 127.0.0.1:8000 and send messages."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from meals.management.commands.seed_demo import DEMO_PASSWORD, LOGINS
from meals.models import Meal


class Command(BaseCommand):
    help = "Prépare la base SQLite avec des données de démonstration et lance le serveur de développement."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport: str, **options):
        if not settings.DEBUG:
            raise CommandError("quickstart est fait pour le développement : lancez-le avec DEBUG=1.")
        call_command("migrate", interactive=False, verbosity=0)
        if Meal.objects.exists():
            self.stdout.write("La base contient déjà des repas : données de démonstration conservées.")
            self.stdout.write(f"Identifiants (mot de passe : {DEMO_PASSWORD})")
            for email, first, _last, group in LOGINS:
                self.stdout.write(f"  {group:12} {email}  ({first})")
        else:
            call_command("seed_demo")
        self.stdout.write(self.style.SUCCESS(f"Cantine : http://{addrport}/"))
        # The outbox's worker, in this process: emails and SMS are printed here as they leave.
        from meals.outbox import start_background_worker

        worker = start_background_worker()
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            worker.set()
