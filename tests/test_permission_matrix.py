"""Who may open what: every named URL of the project against a declared table.

The URLconf is walked (namespaces included), so a new view cannot be forgotten:
a URL name missing from ``MATRIX`` fails ``test_every_url_is_in_the_matrix``
with its name. To add a URL, add one line to ``MATRIX``:

    "meals:thing": Row(kwargs, get="A G V P C", post="A G V P C"),

``kwargs`` builds the URL's arguments from the ``World`` (a meal, a booking,
a shift…); ``get`` is the status of a GET for each role, in this order:

    A  anonymous visitor            G  guest holding a private booking link
    V  volunteer                    P  partner referent (of ``world.partner``)
    C  coordinator

and ``post`` (optional) the status of an empty POST, checked only where it
cannot write anything (wrong role, anonymous). Codes: ``200``, ``login``
(302 to the login page), ``302`` (another redirect), ``403``, ``404``,
``405`` (GET on a POST-only URL), ``-`` (not checked).

Anonymous visitors get a forged booking token or calendar token, the others
the real one: a private link works for whoever holds it, and only for them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from meals.models import Booking, Contribution, Message, ShiftSignup
from members.models import Member
from tests.conftest import create_meal

ROLES = ("anonymous", "guest", "volunteer", "referent", "coordinator")
# Groups handled together: Django's admin (its own staff login) and the
# translation catalogue views if any are added.
GROUPED_NAMESPACES = {"admin"}


@dataclass
class World:
    meal: object
    past_meal: object
    booking: object
    partner_booking: object
    shift: object
    signup: object
    guest: object
    volunteer: object
    referent: object
    coordinator: object
    partner: object
    contribution: object
    message: object = None
    past_signup: object = None  # the volunteer's, at last week's meal, marked absent
    reading: object = None  # the hygiene logbook's (issue 18): a fridge, a cleaning task, one reading
    forged: bool = False

    @property
    def token(self) -> str:
        return "forged-token-0000000000000000000" if self.forged else self.booking.token

    @property
    def sms_code(self) -> str:
        return "Forged0000" if self.forged else self.booking.sms_code

    @property
    def calendar_token(self) -> str:
        return "forged-calendar-0000000000000000" if self.forged else self.volunteer.member.calendar_token


@dataclass(frozen=True)
class Row:
    kwargs: Callable[[World], dict]
    get: str
    post: str = "- - - - -"

    def codes(self, method: str) -> dict[str, str]:
        values = (self.get if method == "get" else self.post).split()
        assert len(values) == len(ROLES), f"{values}: one code per role ({', '.join(ROLES)})"
        return dict(zip(ROLES, values, strict=True))


def none(world: World) -> dict:
    return {}


def meal_pk(world: World) -> dict:
    return {"pk": world.meal.pk}


def token(world: World) -> dict:
    return {"token": world.token}


def shift_pk(world: World) -> dict:
    return {"pk": world.shift.pk}


def member_pk(world: World) -> dict:
    return {"pk": world.guest.pk}


def partner_pk(world: World) -> dict:
    return {"pk": world.partner.pk}


def contribution_pk(world: World) -> dict:
    return {"pk": world.contribution.pk}


EVERYONE = "200 200 200 200 200"
LOGGED_IN = "login login 200 200 200"
COORDINATORS = "login login 403 403 200"
VOLUNTEERS = "login login 200 403 200"
POST_ONLY = "405 405 405 405 405"
# An empty POST by someone who may not: sent to log in, or refused.
POST_COORDINATORS = "login login 403 403 -"
POST_VOLUNTEERS = "login login - 403 -"

MATRIX: dict[str, Row] = {
    # Guests (booking) ---------------------------------------------------
    "meals:upcoming": Row(none, EVERYONE),
    "meals:meal": Row(meal_pk, EVERYONE),
    "meals:book": Row(meal_pk, POST_ONLY),
    "meals:book_on_behalf": Row(meal_pk, COORDINATORS, post=POST_COORDINATORS),
    "meals:booking_sent": Row(meal_pk, EVERYONE, post="405 405 405 405 405"),
    "meals:booking": Row(token, "404 200 200 200 200"),
    # GET asks « Annuler ma réservation ? »; the POST cancels.
    "meals:cancel_booking": Row(token, "404 200 200 200 200", post="404 - - - -"),
    "meals:booking_ics": Row(token, "404 200 200 200 200"),
    "meals:book_on_behalf_done": Row(token, COORDINATORS, post="login login 403 403 -"),
    # Volunteers (shifts) -------------------------------------------------
    "meals:shifts": Row(none, VOLUNTEERS),
    "meals:claim_shift": Row(shift_pk, POST_ONLY, post=POST_VOLUNTEERS),
    "meals:release_shift": Row(shift_pk, POST_ONLY, post=POST_VOLUNTEERS),
    "meals:my_shifts": Row(none, VOLUNTEERS),
    "meals:shifts_ical": Row(lambda w: {"token": w.calendar_token}, "404 200 200 200 200"),
    "meals:regenerate_calendar_token": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "meals:shift_overview": Row(none, COORDINATORS),
    "meals:shift_assign": Row(shift_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:shift_unassign": Row(lambda w: {"pk": w.signup.pk}, POST_ONLY, post=POST_COORDINATORS),
    "meals:shift_template": Row(none, COORDINATORS, post=POST_COORDINATORS),
    # Volunteers who are ready, and who came (issue 18): no-shows for the coordination only.
    "meals:shift_attendance": Row(lambda w: {"pk": w.past_meal.pk}, COORDINATORS),
    "meals:mark_attendance": Row(lambda w: {"pk": w.past_signup.pk}, POST_ONLY, post=POST_COORDINATORS),
    "meals:shift_followups": Row(none, COORDINATORS),
    "meals:shift_follow_up": Row(lambda w: {"pk": w.past_signup.pk}, POST_ONLY, post=POST_COORDINATORS),
    "members:volunteer_ready": Row(none, VOLUNTEERS, post=POST_VOLUNTEERS),
    "members:prerequisite_record": Row(member_pk, POST_ONLY, post=POST_COORDINATORS),
    # Door desk ---------------------------------------------------------------
    "meals:door_today": Row(none, COORDINATORS),
    "meals:door": Row(meal_pk, COORDINATORS),
    "meals:day_sheet": Row(meal_pk, COORDINATORS),
    # Counts of health data, never a name: the cooks (volunteers) and coordinators, never a partner's referent.
    "meals:kitchen": Row(meal_pk, VOLUNTEERS, post=POST_ONLY),
    "meals:record_contribution": Row(meal_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_walk_in": Row(meal_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_till_close": Row(meal_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_till_reopen": Row(meal_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_check_in": Row(lambda w: {"pk": w.booking.pk}, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_undo_check_in": Row(lambda w: {"pk": w.booking.pk}, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_void_contribution": Row(contribution_pk, POST_ONLY, post=POST_COORDINATORS),
    "meals:door_called": Row(lambda w: {"pk": w.booking.pk}, POST_ONLY, post=POST_COORDINATORS),
    # Planning ----------------------------------------------------------------
    "meals:planning": Row(none, COORDINATORS),
    "meals:planning_new": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "meals:planning_series": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "meals:planning_edit": Row(meal_pk, COORDINATORS, post=POST_COORDINATORS),
    "meals:planning_cancel": Row(meal_pk, COORDINATORS, post=POST_COORDINATORS),
    "meals:planning_seat_block": Row(meal_pk, COORDINATORS, post=POST_COORDINATORS),
    # Reports -----------------------------------------------------------------
    "meals:reports": Row(none, COORDINATORS),
    "meals:report_contributions": Row(none, COORDINATORS),
    "meals:report_attendance": Row(none, COORDINATORS),
    "meals:report_volunteers": Row(none, COORDINATORS),
    "meals:report_guests": Row(none, COORDINATORS),
    "meals:report_csv": Row(lambda w: {"kind": "contributions"}, COORDINATORS),
    # Gifts, tax receipts, accounts: money and donors for coordinators only -----
    "meals:receipts": Row(none, COORDINATORS),
    "meals:receipt_issue": Row(none, POST_ONLY, post=POST_COORDINATORS),
    # No receipt in the world: the permission is checked before the receipt is looked up.
    "meals:receipt_cancel": Row(lambda w: {"pk": 999999}, POST_ONLY, post="login login 403 403 404"),
    "meals:receipt_pdf": Row(lambda w: {"pk": 999999}, "login login 403 403 404"),
    "meals:receipts_csv": Row(none, COORDINATORS),
    "meals:accounting": Row(none, COORDINATORS),
    "meals:accounting_csv": Row(none, COORDINATORS),
    # Messages (the outbox) and the links in SMS -------------------------------
    # Purchases and sourcing (issue 17): no purchase in this world, so a purchase's pages are 404 to coordinators.
    "meals:purchases": Row(none, COORDINATORS),
    "meals:purchase_new": Row(none, "login login 403 403 302", post=POST_COORDINATORS),
    "meals:purchase": Row(lambda w: {"pk": 999_999}, "login login 403 403 404", post=POST_COORDINATORS),
    "meals:purchase_reimbursed": Row(lambda w: {"pk": 999_999}, POST_ONLY, post=POST_COORDINATORS),
    "meals:purchase_receipt": Row(lambda w: {"pk": 999_999}, "login login 403 403 404"),
    "meals:suppliers": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "meals:meal_sourcing": Row(meal_pk, COORDINATORS, post=POST_COORDINATORS),
    "meals:report_sourcing": Row(none, COORDINATORS),
    "meals:report_sourcing_csv": Row(none, COORDINATORS),
    "meals:outbox": Row(none, COORDINATORS),
    # The hygiene logbook (issue 18): the kitchen team (volunteers, coordinators) records and reads it;
    # coordinators manage its fridges and cleaning plan; partner referents and visitors never see it.
    "hygiene:today": Row(none, VOLUNTEERS),
    "hygiene:record_reading": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "hygiene:record_delivery": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "hygiene:record_cooling": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "hygiene:record_cleaning": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "hygiene:record_briefing": Row(none, POST_ONLY, post=POST_VOLUNTEERS),
    "hygiene:correct": Row(lambda w: {"kind": "releve", "pk": w.reading.pk}, VOLUNTEERS, post=POST_VOLUNTEERS),
    "hygiene:month": Row(
        lambda w: {"year": timezone.localdate().year, "month": timezone.localdate().month}, VOLUNTEERS
    ),
    "hygiene:units": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "hygiene:unit_toggle": Row(lambda w: {"pk": w.reading.unit_id}, POST_ONLY, post=POST_COORDINATORS),
    "hygiene:cleaning_plan": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "hygiene:task_toggle": Row(lambda w: {"pk": 999_999}, POST_ONLY, post="login login 403 403 404"),
    "meals:outbox_retry": Row(lambda w: {"pk": w.message.pk}, POST_ONLY, post=POST_COORDINATORS),
    "meals:short_link": Row(lambda w: {"code": w.sms_code}, "404 302 302 302 302"),
    "meals:sms_stop": Row(lambda w: {"code": w.sms_code}, "404 200 200 200 200", post="404 - - - -"),
    # Without SMS_INBOUND_TOKEN the provider's webhook does not exist.
    "meals:sms_inbound": Row(lambda w: {"secret": "not-the-secret"}, POST_ONLY, post="404 404 404 404 404"),
    # Members, memberships, partners -----------------------------------------
    "members:home": Row(none, LOGGED_IN),
    # Anyone may sign up as a volunteer; someone already logged in is sent on.
    "members:volunteer_signup": Row(none, "200 200 302 302 302"),
    "members:volunteer_signup_sent": Row(none, EVERYONE),
    # A forged sign-up link is refused for everyone (a real one opens the password form).
    "members:volunteer_confirm": Row(
        lambda w: {"token": "forged.sign-up:link"}, "400 400 400 400 400", post="400 400 400 400 400"
    ),
    "members:volunteers": Row(none, COORDINATORS),
    "members:volunteer_approve": Row(lambda w: {"pk": w.volunteer.member.pk}, POST_ONLY, post=POST_COORDINATORS),
    "members:lockouts": Row(none, COORDINATORS),
    "members:unlock": Row(none, POST_ONLY, post=POST_COORDINATORS),
    "members:volunteer_toggle": Row(lambda w: {"pk": w.volunteer.member.pk}, POST_ONLY, post=POST_COORDINATORS),
    "members:directory": Row(none, COORDINATORS),
    "members:member": Row(member_pk, COORDINATORS),
    "members:member_edit": Row(member_pk, COORDINATORS, post=POST_COORDINATORS),
    "members:member_merge": Row(member_pk, COORDINATORS, post=POST_COORDINATORS),
    "members:membership_new": Row(member_pk, COORDINATORS, post=POST_COORDINATORS),
    "members:member_export": Row(member_pk, COORDINATORS),
    "members:member_erase": Row(member_pk, COORDINATORS, post=POST_COORDINATORS),
    "members:memberships": Row(none, COORDINATORS),
    "members:partners": Row(none, COORDINATORS),
    "members:partner_new": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "members:partner": Row(partner_pk, COORDINATORS),
    "members:partner_edit": Row(partner_pk, COORDINATORS, post=POST_COORDINATORS),
    "members:partner_referent_new": Row(partner_pk, COORDINATORS, post=POST_COORDINATORS),
    # A referent sees only their own association; the coordinator uses the
    # partner's page (members:partner) instead.
    "members:partner_bookings": Row(partner_pk, "login login 403 200 403"),
    "members:partner_booking_cancel": Row(
        lambda w: {"pk": w.partner.pk, "booking_pk": w.partner_booking.pk},
        "login login 403 405 403",
        post="login login 403 - 403",
    ),
    "members:partner_home": Row(none, "login login 403 302 403"),
    # The cantine's identity and place -----------------------------------------
    "members:cantine_settings": Row(none, COORDINATORS, post=POST_COORDINATORS),
    "members:first_visit": Row(none, EVERYONE),
    "members:cantine_map": Row(none, "404 404 404 404 404"),
    # Accounts (Django's auth views) and languages ------------------------
    "login": Row(none, EVERYONE),
    "logout": Row(none, POST_ONLY),
    "password_change": Row(none, LOGGED_IN),
    "password_change_done": Row(none, LOGGED_IN),
    "password_reset": Row(none, EVERYONE),
    "password_reset_done": Row(none, EVERYONE),
    "password_reset_confirm": Row(lambda w: {"uidb64": "MQ", "token": "set-password"}, EVERYONE),
    "password_reset_complete": Row(none, EVERYONE),
    "set_language": Row(none, "302 302 302 302 302"),
}


def iter_url_names(patterns=None, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """Every named URL pattern of the project, with its namespaced name."""
    found = []
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.extend(iter_url_names(entry.url_patterns, inner))
        elif entry.name:
            found.append((f"{namespace}{entry.name}", entry))
    return found


def project_url_names() -> list[str]:
    return sorted(
        {name for name, _ in iter_url_names() if name.split(":")[0] not in GROUPED_NAMESPACES or ":" not in name}
    )


@pytest.fixture
def world(db, guest, volunteer, partner_referent, coordinator, partner) -> World:
    return build_world(
        guest=guest, volunteer=volunteer, referent=partner_referent, coordinator=coordinator, partner=partner
    )


def build_world(*, guest, volunteer, referent, coordinator, partner) -> World:
    """A meal with a guest's booking, a partner's booking, a shift with a sign-up, a contribution."""
    meal = create_meal(capacity=20)
    past_meal = create_meal(day=timezone.localdate() - timedelta(days=7))
    booking = Booking.objects.create(
        meal=meal, member=guest, name=guest.name, email=guest.email, party_size=1, sms_code="Abcdefgh23"
    )
    partner_booking = Booking.objects.create(meal=meal, name="Marcel", partner=partner, party_size=1)
    meal.seats_taken = 2
    meal.save(update_fields=["seats_taken"])
    shift = meal.shifts.order_by("pk").first()
    signup = ShiftSignup.objects.create(shift=shift, member=volunteer.member)
    shift.taken = 1
    shift.save(update_fields=["taken"])
    contribution = Contribution.objects.create(meal=past_meal, amount="5.00", method="cash", recorded_by=coordinator)
    past_signup = ShiftSignup.objects.create(
        shift=past_meal.shifts.order_by("pk").first(), member=volunteer.member, attended=ShiftSignup.Attendance.ABSENT
    )
    message = Message.objects.create(
        channel="email", kind="booking_link", to=guest.email, booking=booking, status="failed"
    )
    from hygiene.models import CleaningTask, ColdUnit, TemperatureReading

    fridge = ColdUnit.objects.create(name="Frigo", kind="fridge", min_c=0, max_c=4)
    CleaningTask.objects.create(area="Cuisine", name="Plans de travail")
    reading = TemperatureReading.objects.create(
        unit=fridge, temperature=3, taken_at=timezone.now(), min_c=0, max_c=4, recorded_by=volunteer
    )
    return World(
        reading=reading,
        meal=meal,
        past_meal=past_meal,
        booking=booking,
        partner_booking=partner_booking,
        shift=shift,
        signup=signup,
        guest=guest,
        volunteer=volunteer,
        referent=referent,
        coordinator=coordinator,
        partner=partner,
        contribution=contribution,
        message=message,
        past_signup=past_signup,
    )


def client_for(role: str, world: World) -> Client:
    client = Client(raise_request_exception=False)
    user = {"volunteer": world.volunteer, "referent": world.referent, "coordinator": world.coordinator}.get(role)
    if user is not None:
        client.force_login(user)
    return client


def status_code_of(response) -> str:
    if response.status_code == 302:
        location = response.headers["Location"]
        return "login" if location.startswith(reverse("login")) else "302"
    return str(response.status_code)


def url_for(name: str, role: str, world: World) -> str:
    world.forged = role == "anonymous"
    try:
        return reverse(name, kwargs=MATRIX[name].kwargs(world))
    finally:
        world.forged = False


def test_every_url_is_in_the_matrix():
    missing = [name for name in project_url_names() if name not in MATRIX]
    assert not missing, "URL names missing from MATRIX in tests/test_permission_matrix.py: " + ", ".join(missing)


def test_the_matrix_lists_no_url_that_does_not_exist():
    gone = sorted(set(MATRIX) - set(project_url_names()))
    assert not gone, "MATRIX lists URL names that no longer exist: " + ", ".join(gone)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_declared_status_on_every_url(role, world):
    client = client_for(role, world)
    wrong = []
    for name in project_url_names():
        if name not in MATRIX:
            continue  # reported by test_every_url_is_in_the_matrix
        for method in ("get", "post"):
            expected = MATRIX[name].codes(method)[role]
            if expected == "-":
                continue
            url = url_for(name, role, world)
            before = (Booking.objects.count(), ShiftSignup.objects.count(), Member.objects.count())
            got = status_code_of(getattr(client, method)(url))
            if got != expected:
                wrong.append(f"{method.upper()} {name} ({url}) as {role}: expected {expected}, got {got}")
            if method == "post":
                after = (Booking.objects.count(), ShiftSignup.objects.count(), Member.objects.count())
                assert after == before, f"POST {name} as {role} wrote rows"
    assert not wrong, "\n".join(wrong)


def test_admin_is_for_staff_only(world):
    for role in ROLES:
        response = client_for(role, world).get(reverse("admin:index"))
        assert response.status_code == 302 and "/admin/login/" in response.headers["Location"], role


def test_a_referent_of_another_partner_sees_nothing_of_this_one(world, other_referent, client):
    client.force_login(other_referent)
    bookings = reverse("members:partner_bookings", kwargs={"pk": world.partner.pk})
    cancel = reverse(
        "members:partner_booking_cancel", kwargs={"pk": world.partner.pk, "booking_pk": world.partner_booking.pk}
    )

    assert client.get(bookings).status_code == 404
    assert client.post(cancel).status_code == 404
    world.partner_booking.refresh_from_db()
    assert world.partner_booking.status == Booking.Status.CONFIRMED


def test_the_benchmark_bare_view_is_not_a_project_url():
    # tests/bench/urls.py adds it for the benchmark only (its own settings module).
    assert "bench_bare" not in {name for name, _ in iter_url_names()}
    assert "__bare__" not in str([pattern.pattern for _, pattern in iter_url_names()])


# Pages anyone may see without a private link: they show no personal data, and
# anonymous visitors may cache them (conditional GET). Every other page, and
# every page for someone logged in, must not stay in a browser's or proxy's cache.
PUBLIC_PAGES = {
    "meals:upcoming",
    "meals:meal",
    "members:volunteer_signup",
    "members:first_visit",
    "members:cantine_map",
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}


def cache_directives(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.parametrize("role", ROLES)
def test_every_non_public_page_tells_caches_not_to_store_it(role, world):
    client = client_for(role, world)
    kept = []
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200":
            continue
        if role in {"anonymous", "guest"} and name in PUBLIC_PAGES:
            continue
        response = client.get(url_for(name, role, world))
        if not {"no-store", "private"} <= cache_directives(response):
            kept.append(f"{name} as {role}: Cache-Control {response.headers.get('Cache-Control')!r}")
    assert not kept, "pages with personal data or money that a cache may keep:\n" + "\n".join(kept)


def test_the_public_pages_stay_cacheable_for_anonymous_visitors(world):
    client = client_for("anonymous", world)
    for name in ("meals:upcoming", "meals:meal"):
        response = client.get(url_for(name, "anonymous", world))
        assert response.status_code == 200
        assert "no-store" not in cache_directives(response), name
