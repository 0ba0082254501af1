"""The day-before reminders, for cron (once a day). Idempotent: never mails twice."""

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from meals import idempotency, outbox
from meals.emails import send_booking_reminders
from meals.services.shifts import shift_reminders_send


class Command(BaseCommand):
    help = "Queue tomorrow's reminders (email, or SMS for a phone only). Safe to run more than once."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="Meals of this day (YYYY-MM-DD) instead of tomorrow.")

    def handle(self, *args, day=None, **options):
        now = timezone.now()
        if day:
            try:
                day = date.fromisoformat(day)
            except ValueError as exc:
                raise CommandError("--day must be YYYY-MM-DD") from exc
        # One call per kind of reminder; each is idempotent on its own.
        guests = send_booking_reminders(day=day, now=now)
        self.stdout.write(f"Guest reminders sent: {guests}")
        volunteers = shift_reminders_send(day=day, now=now)
        self.stdout.write(f"Volunteer reminders sent: {volunteers}")
        # Daily housekeeping: the one-time keys of forms sent more than a week ago.
        self.stdout.write(f"Old form keys forgotten: {idempotency.purge(now=now)}")
        self.stdout.write(f"Old messages forgotten: {outbox.purge(now=now)}")
