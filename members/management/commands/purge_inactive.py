"""Anonymise guests who have not come for a long time (GDPR: keep data no longer than needed)."""

from django.core.management.base import BaseCommand, CommandError

from members.services import members_purge_inactive


class Command(BaseCommand):
    help = "Anonymise guests with no activity for --months months (dry run unless --apply)."

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=36, help="months without any activity (default 36)")
        parser.add_argument("--apply", action="store_true", help="really anonymise (default: only count)")

    def handle(self, *args, months: int, apply: bool, **options):
        if months < 1:
            raise CommandError("--months must be at least 1")
        count = members_purge_inactive(months=months, apply=apply)
        if apply:
            self.stdout.write(f"{count} guest(s) with no activity for {months} months anonymised.")
        else:
            self.stdout.write(
                f"Dry run: {count} guest(s) with no activity for {months} months would be anonymised. "
                "Run again with --apply to do it."
            )
