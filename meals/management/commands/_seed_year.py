"""A year of a busy cantine for ``seed_demo --scale year`` (the benchmark's data).

About 250 Tuesday-to-Saturday lunches of 40 covers over the past year (and the
next two weeks), 1,500 members, 12,000 bookings, 10,000 contributions and
3,000 shift sign-ups, written with ``bulk_create`` in batches so it takes
seconds, not minutes. The counters ``Meal.seats_taken`` and ``Shift.taken``
are computed from the rows written, so they match them (and the database
check constraints hold).
"""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from meals.models import Booking, Contribution, Meal, Shift, ShiftSignup
from meals.services.shifts import shift_template_rows, shifts_for
from members.models import Member, Membership, Partner, PaymentMethod, Prerequisite
from members.roles import VOLUNTEER

BATCH = 1000
GUESTS = 1400
VOLUNTEERS = 90
AMOUNTS = [Decimal(value) for value in ("0", "2", "3", "5", "5.50", "8", "10", "12", "15", "20")]


def year_meal_days(*, today: date, meals: int) -> list[date]:
    """Tuesday-to-Saturday days: the last ones before the next two weeks, ``meals`` of them in all."""
    last = today + timedelta(days=14)
    days: list[date] = []
    day = last
    while len(days) < meals:
        if day.isoweekday() in (2, 3, 4, 5, 6):
            days.append(day)
        day -= timedelta(days=1)
    return sorted(days)


def demo_meal(*, day: date, menu: tuple, rng: random.Random) -> Meal:
    """A Tuesday-to-Saturday lunch of the demo (not saved): 40 covers, cooking from 9:30, lunch at 12:30."""
    paris = ZoneInfo(settings.TIME_ZONE)
    starter, main, dessert, allergens, diets = menu
    return Meal(
        title="Déjeuner partagé",
        cooking_starts_at=datetime.combine(day, time(9, 30), tzinfo=paris),
        starts_at=datetime.combine(day, time(12, 30), tzinfo=paris),
        ends_at=datetime.combine(day, time(14, 45), tzinfo=paris),
        starter=starter,
        main=main,
        dessert=dessert,
        allergens=allergens,
        diet_labels=diets,
        organic_share=rng.choice([50, 60, 70, 80]),
        local_share=rng.choice([40, 60, 75]),
        capacity=40,
        booking_opens_at=datetime.combine(day - timedelta(days=21), time(9, 0), tzinfo=paris),
        booking_closes_at=datetime.combine(day, time(10, 0), tzinfo=paris),
        cost_price=Decimal(rng.choice(["9.00", "9.50", "10.00", "11.00", "12.50"])),
    )


def guest_booking(*, meal: Meal, guest: Member, party: int, status: str, rng: random.Random, **fields) -> Booking:
    """A demo booking (not saved) made by ``guest`` some time after the booking window opened."""
    return Booking(
        meal=meal,
        member=guest,
        name=guest.name,
        email=guest.email,
        phone=guest.phone,
        party_size=party,
        status=status,
        partner=guest.partner,
        notes=guest.notes,
        created_at=meal.booking_opens_at + timedelta(hours=rng.randint(1, 400)),
        **fields,
    )


def attendance(rng: random.Random, coordinator, shift: Shift) -> dict:
    """A past sign-up as the coordinator marked it (issue 18): one person in twenty did not come."""
    came = rng.random() >= 0.05
    return {
        "attended": ShiftSignup.Attendance.CAME if came else ShiftSignup.Attendance.ABSENT,
        "attendance_marked_at": shift.ends_at,
        "attendance_marked_by": coordinator,
    }


def seed_year(*, rng: random.Random, meals_wanted: int, partner: Partner, coordinator, volunteer_user, menus) -> dict:
    """Write a year of data; return the number of rows of each kind."""
    paris = ZoneInfo(settings.TIME_ZONE)
    now = timezone.now()
    today = timezone.localdate()
    # Scale the people with the meals, so a small variant (tests) stays small.
    scale = min(1.0, meals_wanted / 250)
    guest_count = max(60, int(GUESTS * scale))
    volunteer_count = max(10, int(VOLUNTEERS * scale))

    partners = [partner] + [
        Partner.objects.get_or_create(name=name, defaults={"contact_name": contact})[0]
        for name, contact in (("Voisins Solidaires", "Marc Leroy"), ("Le Fil d'Argent", "Anne Roussel"))
    ]
    from meals.management.commands.seed_demo import FIRST_NAMES, LAST_NAMES

    guests = []
    for index in range(guest_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        has_email = rng.random() < 0.6
        guests.append(
            Member(
                name=f"{first} {last}",
                email=f"{first}.{last}.{index}@exemple.test".lower() if has_email else "",
                phone="" if has_email and rng.random() < 0.5 else f"06 {index // 10000:02d} {index % 10000:04d} 00",
                partner=partners[index % 3] if index % 8 == 0 else None,
                notes="Sans gluten" if index % 17 == 0 else "",
                created_at=now - timedelta(days=rng.randint(0, 400)),
            )
        )
    guests = Member.objects.bulk_create(guests, batch_size=BATCH)
    Membership.objects.bulk_create(
        [
            Membership(
                member=member,
                year=today.year,
                joined_on=today - timedelta(days=rng.randint(0, 300)),
                amount=rng.choice(AMOUNTS[:5]),
                method=PaymentMethod.CASH,
            )
            for member in guests[: guest_count // 3]
        ],
        batch_size=BATCH,
    )

    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(
                username=f"benevole-annee-{index}@cantine.test",
                email=f"benevole-annee-{index}@cantine.test",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password="!",  # unusable: these volunteers never log in to the demo
            )
            for index in range(volunteer_count)
        ],
        batch_size=BATCH,
    )
    group = Group.objects.get(name=VOLUNTEER)
    User.groups.through.objects.bulk_create(
        [User.groups.through(user_id=user.pk, group_id=group.pk) for user in users], batch_size=BATCH
    )
    volunteers = [volunteer_user.member] + Member.objects.bulk_create(
        [Member(user=user, name=f"{user.first_name} {user.last_name}", email=user.email) for user in users],
        batch_size=BATCH,
    )
    # A year of volunteering: they all read the hygiene rules, signed the charter, did a trial shift (issue 18).
    Prerequisite.objects.bulk_create(
        [Prerequisite(member=member, kind=kind) for member in volunteers for kind in Prerequisite.Kind.values],
        batch_size=BATCH,
        ignore_conflicts=True,
    )

    # Meals and their shifts --------------------------------------------
    template = shift_template_rows()
    meal_rows = []
    for index, day in enumerate(year_meal_days(today=today, meals=meals_wanted)):
        meal = demo_meal(day=day, menu=menus[index % len(menus)], rng=rng)
        meal.created_at = datetime.combine(day - timedelta(days=30), time(9, 0), tzinfo=paris)
        meal_rows.append(meal)
    meals = Meal.objects.bulk_create(meal_rows, batch_size=BATCH)
    shifts = Shift.objects.bulk_create(
        [shift for meal in meals for shift in shifts_for(meal=meal, template=template)],
        batch_size=BATCH,
    )
    shifts_by_meal: dict[int, list[Shift]] = {}
    for shift in shifts:
        shifts_by_meal.setdefault(shift.meal_id, []).append(shift)

    # Bookings: about 48 a meal, up to 40 seats confirmed -----------------
    bookings: list[Booking] = []
    seats_by_meal: dict[int, int] = {}
    for meal in meals:
        past = meal.starts_at < now
        seats = 0
        for guest in rng.sample(guests, k=min(len(guests), rng.randint(42, 54))):
            party = rng.choices([1, 2, 3], weights=[85, 13, 2])[0]
            fits = seats + party <= meal.capacity
            cancelled = rng.random() < 0.12
            if cancelled:
                status = Booking.Status.CANCELLED
            elif fits:
                status = Booking.Status.CONFIRMED
                seats += party
            else:
                status = Booking.Status.WAITLISTED
            arrived = past and status == Booking.Status.CONFIRMED and rng.random() < 0.95
            bookings.append(
                guest_booking(
                    meal=meal,
                    guest=guest,
                    party=party,
                    status=status,
                    rng=rng,
                    cancelled_at=meal.booking_opens_at + timedelta(hours=401) if cancelled else None,
                    checked_in_at=meal.starts_at if arrived else None,
                    checked_in_by=coordinator if arrived else None,
                )
            )
        if past:
            walk_ins = rng.randint(0, 4)
            if walk_ins and seats + walk_ins <= meal.capacity:
                seats += walk_ins
                bookings.append(
                    Booking(
                        meal=meal,
                        party_size=walk_ins,
                        is_walk_in=True,
                        created_at=meal.starts_at,
                        created_by=coordinator,
                        checked_in_at=meal.starts_at,
                        checked_in_by=coordinator,
                    )
                )
        seats_by_meal[meal.pk] = seats
    bookings = Booking.objects.bulk_create(bookings, batch_size=BATCH)
    for meal in meals:
        meal.seats_taken = seats_by_meal[meal.pk]
    Meal.objects.bulk_update(meals, ["seats_taken"], batch_size=BATCH)

    # Contributions: one per person who came ------------------------------
    contributions = []
    meals_by_pk = {meal.pk: meal for meal in meals}
    for booking in bookings:
        if booking.checked_in_at is None:
            continue
        for _person in range(booking.party_size):
            contributions.append(
                Contribution(
                    meal_id=booking.meal_id,
                    booking=None if booking.is_walk_in else booking,
                    amount=rng.choice(AMOUNTS),
                    method=rng.choices(
                        [PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.VOUCHER, PaymentMethod.CHEQUE],
                        weights=[65, 22, 10, 3],
                    )[0],
                    recorded_at=meals_by_pk[booking.meal_id].starts_at + timedelta(minutes=rng.randint(0, 40)),
                    recorded_by=coordinator,
                )
            )
    # Typos at the door: voided, then recorded again with the right amount.
    for contribution in contributions[::12]:
        contribution.voided_at = contribution.recorded_at + timedelta(minutes=2)
        contribution.voided_by = coordinator
        contribution.void_reason = "Erreur de saisie"
        contributions.append(
            Contribution(
                meal_id=contribution.meal_id,
                booking=contribution.booking,
                amount=rng.choice(AMOUNTS),
                method=contribution.method,
                recorded_at=contribution.voided_at,
                recorded_by=coordinator,
            )
        )
    Contribution.objects.bulk_create(contributions, batch_size=BATCH)

    # Shift sign-ups: about 12 a meal ------------------------------------
    signups = []
    for meal in meals:
        past = meal.starts_at < now
        for shift in shifts_by_meal[meal.pk]:
            wanted = rng.randint(shift.slots // 2, shift.slots) if past else rng.randint(0, shift.slots)
            chosen = rng.sample(volunteers, k=min(wanted, len(volunteers)))
            shift.taken = len(chosen)
            signups.extend(
                ShiftSignup(
                    shift=shift,
                    member=member,
                    created_at=meal.booking_opens_at,
                    **(attendance(rng, coordinator, shift) if past else {}),
                )
                for member in chosen
            )
    ShiftSignup.objects.bulk_create(signups, batch_size=BATCH)
    Shift.objects.bulk_update(shifts, ["taken"], batch_size=BATCH)

    return {
        "meals": len(meals),
        "members": Member.objects.count(),
        "bookings": len(bookings),
        "contributions": len(contributions),
        "signups": len(signups),
    }
