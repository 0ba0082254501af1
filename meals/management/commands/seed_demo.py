"""Fill an empty database with a believable month of a French participatory cantine."""

import argparse
import random
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from hygiene.demo import seed_hygiene
from meals.management.commands._seed_sourcing import seed_purchases
from meals.management.commands._seed_year import attendance, demo_meal, guest_booking, seed_year
from meals.models import Booking, Contribution, Meal, SeatBlock, Shift, ShiftSignup
from meals.services.shifts import shifts_create_default
from members.models import CantineSettings, Member, Membership, Partner, PaymentMethod, Prerequisite
from members.roles import COORDINATOR, PARTNER, VOLUNTEER

DEMO_PASSWORD = "cantine-demo-2026"
KINDS = Prerequisite.Kind.values

LOGINS = [
    # (email, first name, last name, group)
    ("coordination@cantine.test", "Claire", "Morel", COORDINATOR),
    ("benevole@cantine.test", "Karim", "Benali", VOLUNTEER),
    ("partenaire@cantine.test", "Sophie", "Garnier", PARTNER),
]

FIRST_NAMES = [
    "Jeanne",
    "Marcel",
    "Odette",
    "Lucien",
    "Simone",
    "René",
    "Paulette",
    "Georges",
    "Huguette",
    "Roger",
    "Monique",
    "André",
    "Yvette",
    "Gilbert",
    "Colette",
    "Fatima",
    "Mohamed",
    "Aïcha",
    "Mamadou",
    "Nadia",
    "Thomas",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Emma",
    "Nathalie",
    "Pierre",
    "Isabelle",
    "Jacques",
    "Christiane",
    "Bernard",
    "Françoise",
    "Michel",
    "Danielle",
    "Alain",
    "Josiane",
    "Gérard",
    "Martine",
    "Daniel",
    "Sylvie",
    "Patrick",
    "Ginette",
    "Marius",
    "Rose",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Diallo",
    "Haddad",
    "Nguyen",
    "Benoît",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Chevalier",
]

MENUS = [
    ("Velouté de potimarron", "Hachis parmentier de lentilles", "Pommes au four", ["milk", "celery"], ["vegetarian"]),
    ("Salade de betteraves", "Blanquette de veau, riz", "Fromage blanc au miel", ["milk", "celery"], []),
    ("Poireaux vinaigrette", "Tajine de légumes et semoule", "Salade d'oranges", ["gluten", "mustard"], ["vegan"]),
    (
        "Soupe de carottes au cumin",
        "Gratin de chou-fleur",
        "Crumble aux poires",
        ["gluten", "milk", "eggs"],
        ["vegetarian"],
    ),
    ("Taboulé", "Poisson du jour, purée maison", "Riz au lait", ["fish", "milk", "gluten"], []),
    ("Œuf mimosa", "Pot-au-feu", "Tarte aux pommes", ["eggs", "gluten", "milk", "celery"], []),
    ("Houmous et crudités", "Curry de pois chiches", "Compote maison", ["sesame"], ["vegan", "gluten_free"]),
    (
        "Salade de lentilles",
        "Quiche aux poireaux, salade verte",
        "Mousse au chocolat",
        ["eggs", "milk", "gluten"],
        ["vegetarian"],
    ),
]


HEALTH_ALLERGENS = [["milk"], ["gluten", "eggs"], ["nuts"], ["celery"]]


def with_health(booking: Booking) -> Booking:
    """The guest's remembered allergies and diets on their booking, as the form fills them in."""
    guest = booking.member
    booking.allergens, booking.diets, booking.health_consent_at = guest.allergens, guest.diets, guest.health_consent_at
    return booking


class Command(BaseCommand):
    help = "Remplit une base vide avec un mois de repas, créneaux, réservations et participations."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Ajouter même si des repas existent déjà.")
        parser.add_argument("--seed", type=int, default=2026, help="Graine du hasard (résultats reproductibles).")
        parser.add_argument(
            "--scale",
            choices=["month", "year"],
            default="month",
            help="month : un mois de démonstration ; year : une année chargée (≈ 250 repas, pour le banc d'essai).",
        )
        # Hidden knob: fewer meals for a small "year" (the tests).
        parser.add_argument("--meals", type=int, default=250, help=argparse.SUPPRESS)

    def handle(self, *args, force: bool = False, seed: int = 2026, scale: str = "month", **options):
        if Meal.objects.exists() and not force:
            raise CommandError(
                "La base contient déjà des repas : rien n'a été modifié. "
                "Utilisez --force pour ajouter quand même des données de démonstration."
            )
        rng = random.Random(seed)
        if scale == "year":
            self.handle_year(rng, meals=options.get("meals") or 250)
            return
        with transaction.atomic():
            self.create_cantine_settings()
            users = self.create_logins()
            partner = self.create_partner(users[PARTNER])
            guests = self.create_guests(rng, partner)
            volunteers = self.create_volunteers(rng, users[VOLUNTEER])
            self.create_readiness(volunteers, users[COORDINATOR])
            meals = self.create_meals(rng)
            self.fill_meals(rng, meals, guests, volunteers, partner, users[COORDINATOR])
            seed_purchases(rng=rng, meals=meals, by=users[COORDINATOR])
            seed_hygiene(by=users[VOLUNTEER], team=volunteers[:4])
        self.stdout.write(self.style.SUCCESS(f"Données de démonstration : {len(meals)} repas, {len(guests)} convives."))
        self.stdout.write(f"Identifiants (mot de passe : {DEMO_PASSWORD})")
        for email, first, _last, group in LOGINS:
            self.stdout.write(f"  {group:12} {email}  ({first})")

    def handle_year(self, rng: random.Random, *, meals: int) -> None:
        with transaction.atomic():
            self.create_cantine_settings()
            users = self.create_logins()
            partner = self.create_partner(users[PARTNER])
            counts = seed_year(
                rng=rng,
                meals_wanted=meals,
                partner=partner,
                coordinator=users[COORDINATOR],
                volunteer_user=users[VOLUNTEER],
                menus=MENUS,
            )
            counts["purchases"] = seed_purchases(rng=rng, by=users[COORDINATOR])
        self.stdout.write(
            self.style.SUCCESS(
                "Une année de données : {meals} repas, {members} membres, {bookings} réservations, "
                "{contributions} participations, {signups} inscriptions aux créneaux, "
                "{purchases} achats.".format(**counts)
            )
        )
        self.stdout.write(f"Identifiants (mot de passe : {DEMO_PASSWORD})")
        for email, first, _last, group in LOGINS:
            self.stdout.write(f"  {group:12} {email}  ({first})")

    def create_cantine_settings(self) -> CantineSettings:
        """The cantine's name, address and welcome, unless a coordinator has already written them."""
        row, _ = CantineSettings.objects.get_or_create(
            pk=CantineSettings.PK,
            defaults={
                "name": "La Cantine des Lilas",
                "street": "8 rue des Lilas",
                "postcode": "75019",
                "city": "Paris",
                # Tax receipts are possible in the demo (the donors still need a postal address on their record).
                "legal_name": "Association La Cantine des Lilas",
                "receipt_article": "200",
                "association_object": "Cuisiner et partager des repas entre voisins, contre l'isolement.",
                "signatory_name": "Martine Roux",
                "signatory_role": "trésorière",
                "phone": CantineSettings.defaults().phone or "01 23 45 67 89",
                "email": "bonjour@cantine.test",
                "opening_days": "Du mardi au samedi. On cuisine ensemble dès 9 h 30, "
                "on déjeune à 12 h 30, puis on fait la vaisselle jusque vers 15 h.",
                "directions": "Métro ligne 11, station Place des Fêtes, à 5 minutes à pied. "
                "Bus 48 et 60, arrêt Compans. Des arceaux pour les vélos devant la porte.",
                "step_free_access": "On entre de plain-pied par la grande porte verte, sans marche. "
                "La salle et la cuisine sont au rez-de-chaussée ; les portes font 90 cm.",
                "toilets": "Deux toilettes au rez-de-chaussée, dont une accessible en fauteuil, avec barre d'appui.",
                "first_visit": "Poussez la grande porte verte : Claire ou un·e bénévole vous accueille, "
                "vous fait visiter la cuisine et vous présente à la tablée. Vous pouvez venir seulement manger, "
                "ou aider à éplucher, à mettre la table ou à faire la vaisselle. Pas besoin de savoir cuisiner !",
                # The month's overheads shared by its covers (meals/sourcing.py): about 8 € a cover.
                "overhead_rent": Decimal("1200.00"),
                "overhead_salary": Decimal("3500.00"),
                "overhead_energy": Decimal("400.00"),
                "overhead_other": Decimal("300.00"),
                "price_rule": "Prix libre et conscient : le repas coûte environ 9 € à la cantine, c'est écrit "
                "au tableau. Chacun donne ce qu'il peut, de 1 € à 15 € ou plus ; personne n'est refusé.",
            },
        )
        return row

    def create_logins(self) -> dict:
        User = get_user_model()
        users = {}
        for email, first, last, group_name in LOGINS:
            user, created = User.objects.get_or_create(
                username=email, defaults={"email": email, "first_name": first, "last_name": last}
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name=group_name))
            Member.objects.get_or_create(user=user, defaults={"name": f"{first} {last}", "email": email, "phone": ""})
            users[group_name] = user
        return users

    def create_partner(self, referent) -> Partner:
        partner, _ = Partner.objects.get_or_create(
            name="Les Amis du Quartier",
            defaults={
                "contact_name": "Sophie Garnier",
                "contact_email": "contact@amisduquartier.test",
                "contact_phone": "01 43 55 12 12",
                "notes": "Visites à domicile de personnes âgées isolées. 6 places le jeudi.",
            },
        )
        partner.referents.add(referent)
        return partner

    def create_guests(self, rng: random.Random, partner: Partner) -> list[Member]:
        guests = []
        for index in range(60):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            has_email = rng.random() < 0.55
            email = f"{first}.{last}{index}@exemple.test".lower() if has_email else ""
            phone = (
                ""
                if has_email and rng.random() < 0.5
                else f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {index:02d}"
            )
            guests.append(
                Member(
                    name=f"{first} {last}",
                    email=email,
                    phone=phone,
                    partner=partner if index % 10 == 0 else None,
                    notes="Sans porc" if index % 13 == 0 else "",
                    # A few remembered allergies and diets (with consent), so the desk and the kitchen show clashes.
                    allergens=HEALTH_ALLERGENS[index % 4] if index % 7 == 0 else [],
                    diets=["vegetarian"] if index % 11 == 0 else [],
                    health_consent_at=timezone.now() if index % 7 == 0 or index % 11 == 0 else None,
                )
            )
        guests = Member.objects.bulk_create(guests)
        today = timezone.localdate()
        for member in guests[:25]:
            Membership.objects.create(
                member=member,
                year=today.year,
                joined_on=today - timedelta(days=rng.randint(1, 200)),
                amount=Decimal(rng.choice([0, 1, 2, 5, 10])),
                method=PaymentMethod.CASH,
            )
        return guests

    def create_volunteers(self, rng: random.Random, volunteer_user) -> list[Member]:
        User = get_user_model()
        group = Group.objects.get(name=VOLUNTEER)
        volunteers = [volunteer_user.member]
        for index in range(7):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"benevole{index + 2}@cantine.test"
            user = User.objects.create_user(
                username=email, email=email, first_name=first, last_name=last, password=None
            )
            user.groups.add(group)
            volunteers.append(Member.objects.create(user=user, name=f"{first} {last}", email=email))
        return volunteers

    def create_readiness(self, volunteers: list[Member], coordinator) -> None:
        """Issue 18: the demo's volunteers and coordinator are ready; one newcomer, Nina, is not (nothing met)."""
        ready = [*volunteers, coordinator.member]
        Prerequisite.objects.bulk_create(
            [Prerequisite(member=member, kind=kind, recorded_by=coordinator) for member in ready for kind in KINDS],
            ignore_conflicts=True,
        )
        email = "nouvelle@cantine.test"
        user, _ = get_user_model().objects.get_or_create(
            username=email, defaults={"email": email, "first_name": "Nina", "last_name": "Nouvelle"}
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.add(Group.objects.get(name=VOLUNTEER))
        Member.objects.get_or_create(user=user, defaults={"name": "Nina Nouvelle", "email": email})

    def create_meals(self, rng: random.Random) -> list[Meal]:
        today = timezone.localdate()
        start = today - timedelta(days=10)
        meals = []
        for offset in range(38):
            day: date = start + timedelta(days=offset)
            if day.isoweekday() not in (2, 3, 4, 5, 6):  # Tuesday to Saturday lunches
                continue
            meal = demo_meal(day=day, menu=MENUS[len(meals) % len(MENUS)], rng=rng)
            meal.save()
            shifts_create_default(meal=meal)
            meals.append(meal)
        return meals

    def fill_meals(self, rng, meals, guests, volunteers, partner, coordinator) -> None:
        now = timezone.now()
        for meal in meals:
            past = meal.starts_at < now
            # Full in the first days, fuller the nearer the meal.
            wanted = rng.randint(20, 40) if past or meal.starts_at < now + timedelta(days=7) else rng.randint(5, 25)
            seats = 0
            bookings = []
            for guest in rng.sample(guests, k=min(len(guests), wanted)):
                party = rng.choices([1, 2, 3], weights=[80, 17, 3])[0]
                fits = seats + party <= meal.capacity
                status = Booking.Status.CONFIRMED if fits else Booking.Status.WAITLISTED
                if fits:
                    seats += party
                elif past:
                    continue
                bookings.append(
                    guest_booking(
                        meal=meal,
                        guest=guest,
                        party=party,
                        status=status,
                        rng=rng,
                        checked_in_at=(meal.starts_at if past and fits and rng.random() < 0.9 else None),
                        checked_in_by=coordinator if past and fits else None,
                    )
                )
            Booking.objects.bulk_create([with_health(booking) for booking in bookings])
            if past:
                walk_ins = rng.randint(0, 3)
                if walk_ins and seats + walk_ins <= meal.capacity:
                    Booking.objects.create(
                        meal=meal,
                        name="",
                        party_size=walk_ins,
                        is_walk_in=True,
                        checked_in_at=meal.starts_at,
                        checked_in_by=coordinator,
                        created_by=coordinator,
                    )
                    seats += walk_ins
            Meal.objects.filter(pk=meal.pk).update(seats_taken=seats)

            # Past shifts: attendance marked (one in twenty did not come), but the last meal's, still « à pointer ».
            to_mark = past and meal is max((m for m in meals if m.starts_at < now), key=lambda m: m.starts_at)
            for shift in meal.shifts.all():
                filled = shift.slots if past else rng.randint(0, shift.slots)
                chosen = rng.sample(volunteers, k=min(filled, len(volunteers)))
                ShiftSignup.objects.bulk_create(
                    [
                        ShiftSignup(
                            shift=shift,
                            member=member,
                            **attendance(rng, coordinator, shift) if past and not to_mark else {},
                        )
                        for member in chosen
                    ]
                )
                # A newcomer's first time: the washing-up of the coming meals, with someone experienced.
                accompanied = not past and shift.role == Shift.Role.DISHES
                Shift.objects.filter(pk=shift.pk).update(taken=len(chosen), accompanied=accompanied)

            if meal.starts_at.isoweekday() == 4 and not past:
                SeatBlock.objects.create(
                    meal=meal, partner=partner, seats=6, release_at=meal.booking_closes_at - timedelta(days=2)
                )

            if past:
                contributions = []
                for booking in meal.bookings.filter(checked_in_at__isnull=False):
                    for _person in range(booking.party_size):
                        contributions.append(
                            Contribution(
                                meal=meal,
                                booking=None if booking.is_walk_in else booking,
                                amount=Decimal(rng.choice(["0", "2", "3", "5", "5.50", "8", "10", "12", "15"])),
                                method=rng.choices(
                                    [PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.VOUCHER],
                                    weights=[70, 20, 10],
                                )[0],
                                recorded_at=meal.starts_at + timedelta(minutes=rng.randint(0, 40)),
                                recorded_by=coordinator,
                            )
                        )
                # About one guest in ten with a record gives on top of the meal: a gift that can have a tax receipt.
                gifts = random.Random(f"gifts-{meal.pk}")
                for booking in meal.bookings.filter(checked_in_at__isnull=False, member__isnull=False):
                    if gifts.random() < 0.1:
                        contributions.append(
                            Contribution(
                                meal=meal,
                                booking=booking,
                                giver=booking.member,
                                kind=Contribution.Kind.DONATION,
                                amount=Decimal(gifts.choice(["20", "30", "50"])),
                                method=PaymentMethod.CHEQUE,
                                recorded_at=meal.starts_at + timedelta(minutes=45),
                                recorded_by=coordinator,
                            )
                        )
                Contribution.objects.bulk_create(contributions)
