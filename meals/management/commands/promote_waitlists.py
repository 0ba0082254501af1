"""Give freed seats to the waiting lists, for cron (every few minutes). Safe to run any time.

Seats free up without anyone writing when a partner's seat block comes to
its release time; the waiting guests are promoted (and told) here, or at the
next booking or cancellation of that meal, whichever comes first.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from meals.models import Booking, Meal
from meals.services.booking import waitlist_promote


class Command(BaseCommand):
    help = "Promote waiting bookings that now fit (e.g. after a partner's seats were released)."

    def handle(self, *args, **options):
        now = timezone.now()
        meals = (
            Meal.objects.scheduled().filter(starts_at__gt=now, bookings__status=Booking.Status.WAITLISTED).distinct()
        )
        promoted = sum(len(waitlist_promote(meal=meal, now=now)) for meal in meals)
        self.stdout.write(f"Bookings promoted: {promoted}")
