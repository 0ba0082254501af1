import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cantine.bounds import FIRST_YEAR, LAST_YEAR, ascii_int
from meals.ratelimit import is_limited
from meals.selectors import meals_today
from members import lockout, services
from members.forms import (
    MemberForm,
    MemberSearchForm,
    MembershipForm,
    MergeForm,
    PartnerBookingForm,
    PartnerForm,
    PrerequisiteForm,
    ReferentForm,
    UnlockForm,
    VolunteerPasswordForm,
    VolunteerSignupForm,
)
from members.models import Member, Membership, Partner
from members.roles import VOLUNTEER

PAGE_SIZE = 50


@login_required
def home(request):
    """Where a volunteer, referent or coordinator lands after logging in."""
    # Only for an account without the volunteer's permission (read from the session's cache): no query for the others.
    awaiting_approval = not request.user.has_perm("meals.add_shiftsignup") and (
        Member.objects.filter(user=request.user, email_confirmed_at__isnull=False, approved_at__isnull=True).exists()
    )
    context = {"awaiting_approval": awaiting_approval}
    if request.user.has_perm("meals.run_door"):
        context["today"] = meals_today()  # the meal of the day at a glance, in a fixed number of queries
    return render(request, "members/home.html", context)


# Volunteers' sign-up and accounts -------------------------------------------


def volunteer_signup(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("meals:shifts" if request.user.has_perm("meals.add_shiftsignup") else "members:home")
    form = VolunteerSignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if is_limited(request, scope="signup", rate=settings.SIGNUP_RATE_LIMIT):
            too_many = _(
                "Trop d'inscriptions depuis cette connexion : réessayez plus tard, ou appelez la coordination."
            )
            form.add_error(None, too_many)
            return render(request, "members/volunteer_signup.html", {"form": form}, status=429)
        data = form.cleaned_data
        # Counted by address too: sign-ups from many IPs must not flood one mailbox.
        if not services.account_mail_limited(request, scope="signup", email=data["email"]):
            services.volunteer_signup_request(name=data["name"], email=data["email"])
        return redirect("members:volunteer_signup_sent")
    return render(request, "members/volunteer_signup.html", {"form": form})


def volunteer_signup_sent(request):
    return render(request, "members/volunteer_signup_sent.html")


def volunteer_confirm(request, token: str):
    """The page the emailed link opens: choose a password, and the account exists (opening it changes nothing)."""
    try:
        signup = services.signup_from_token(token)
    except services.SignupLinkInvalid as error:
        expired = isinstance(error, services.SignupLinkExpired)
        return render(request, "members/volunteer_confirm.html", {"error": str(error), "expired": expired}, status=400)
    if services.account_exists(signup["email"]):
        return render(request, "members/volunteer_confirm.html", {"exists": True})
    form = VolunteerPasswordForm(request.POST or None, name=signup["name"], email=signup["email"])
    if request.method == "POST" and form.is_valid():
        try:
            user = services.volunteer_create(
                name=signup["name"], email=signup["email"], password=form.cleaned_data["password1"]
            )
        except services.AccountExists:
            return render(request, "members/volunteer_confirm.html", {"exists": True})
        login(request, user, backend="members.backends.EmailBackend")
        if user.member.approved_at:
            messages.success(request, _("Bienvenue ! Votre compte est créé. Choisissez un créneau quand vous voulez."))
            return redirect("meals:shifts")
        messages.success(
            request,
            _("Merci ! Votre adresse est confirmée. La coordination va valider votre compte, puis vous écrira."),
        )
        return redirect("members:home")
    return render(request, "members/volunteer_confirm.html", {"form": form, "signup": signup})


@login_required
@permission_required("members.change_member", raise_exception=True)
def volunteer_list(request):
    members = (
        Member.objects.active()
        .filter(user__groups__name=VOLUNTEER)
        .select_related("user")
        .order_by("-user__is_active", "name")
        .distinct()
    )
    awaiting = (
        Member.objects.active()
        .filter(user__is_active=True, email_confirmed_at__isnull=False, approved_at__isnull=True)
        .select_related("user")
        .order_by("email_confirmed_at", "pk")
    )
    return render(request, "members/volunteers.html", {"volunteers": members, "awaiting": awaiting})


@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def volunteer_approve(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    try:
        services.volunteer_approve(member=member, by=request.user)
    except services.MemberError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s peut maintenant choisir ses créneaux.") % {"name": member.name})
    return redirect("members:volunteers")


@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def volunteer_toggle(request, pk: int):
    member = get_object_or_404(Member.objects.select_related("user"), pk=pk, user__groups__name=VOLUNTEER)
    user = member.user
    if user == request.user or user.is_superuser or user.has_perm("members.change_member"):
        messages.error(request, _("Ce compte ne peut pas être désactivé ici."))
    else:
        user.is_active = not user.is_active
        user.save(update_fields=["is_active"])
        if user.is_active:
            messages.success(request, _("Le compte de %(name)s est réactivé.") % {"name": member.name})
        else:
            messages.success(
                request,
                _("Le compte de %(name)s est désactivé : cette personne ne peut plus se connecter.")
                % {"name": member.name},
            )
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)  # not redirect(): "-1" is not a view name
    return redirect("members:volunteers")


# Login lockouts (coordinators) -------------------------------------------------


@login_required
@permission_required("members.change_member", raise_exception=True)
def lockouts(request):
    return render(
        request,
        "members/lockouts.html",
        {"lockouts": lockout.current_lockouts(), "minutes": lockout.cool_off_minutes()},
    )


@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def unlock(request):
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez une adresse e-mail ou une adresse IP à débloquer."))
    else:
        data = form.cleaned_data
        lockout.unlock(username=data["username"], ip_address=data["ip_address"])
        messages.success(
            request,
            _("%(who)s peut de nouveau essayer de se connecter.") % {"who": data["username"] or data["ip_address"]},
        )
    return redirect("members:lockouts")


# Members (coordinators) ------------------------------------------------------


def _member(pk: int) -> Member:
    return get_object_or_404(Member.objects.select_related("partner", "user"), pk=pk)


@login_required
@permission_required("members.view_member", raise_exception=True)
def directory(request):
    form = MemberSearchForm(request.GET or None)
    year = timezone.localdate().year
    members = (
        Member.objects.active()
        .select_related("partner")
        .annotate(
            live_bookings=Count("bookings", filter=~Q(bookings__status="cancelled")),
            is_member=Exists(Membership.objects.filter(member=OuterRef("pk"), year=year)),
        )
        .order_by("name", "pk")
    )
    query = ""
    if form.is_valid():
        query = form.cleaned_data["q"].strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        match = Q(name__icontains=query) | Q(email__icontains=query) | Q(phone__icontains=query)
        if len(digits) >= 4:
            # Phone numbers are typed with or without spaces: « 0612 » finds « 06 12 34 56 78 ».
            spaced = " ".join(digits[i : i + 2] for i in range(0, len(digits), 2))
            match |= Q(phone__icontains=spaced) | Q(phone__icontains=digits)
        members = members.filter(match)
    page = Paginator(members, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/directory.html", {"form": form, "page": page, "query": query})


@login_required
@permission_required("members.view_member", raise_exception=True)
def member_detail(request, pk: int):
    from meals.models import Booking, ShiftSignup

    member = _member(pk)
    bookings = (
        Booking.objects.filter(member=member)
        .select_related("meal", "partner")
        .annotate(given=Sum("contributions__amount", filter=Q(contributions__voided_at__isnull=True)))
        .order_by("-meal__starts_at")
    )
    signups = ShiftSignup.objects.filter(member=member).select_related("shift__meal").order_by("-shift__starts_at")
    return render(
        request,
        "members/member.html",
        {
            "member": member,
            "history": services.member_history(member=member),
            "bookings": bookings,
            "signups": signups,
            "memberships": member.memberships.order_by("-year"),
            "prerequisites": member.prerequisites.select_related("recorded_by").order_by("kind"),
            "prerequisite_form": PrerequisiteForm(),
        },
    )


@login_required
@permission_required("members.change_member", raise_exception=True)
def member_edit(request, pk: int):
    member = _member(pk)
    if member.erased_at:
        raise Http404
    form = MemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("La fiche est enregistrée."))
        return redirect("members:member", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@login_required
@permission_required("members.change_member", raise_exception=True)
def member_merge(request, pk: int):
    member = _member(pk)
    if member.erased_at:
        raise Http404
    form = MergeForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_merge(keep=member, drop=form.cleaned_data["other"], by=request.user)
        except services.MemberError as error:
            form.add_error("other", str(error))
        else:
            messages.success(request, _("Les deux fiches sont fusionnées."))
            return redirect("members:member", pk=member.pk)
    return render(request, "members/merge.html", {"form": form, "member": member})


@login_required
@permission_required("members.change_member", raise_exception=True)
def member_export(request, pk: int):
    member = _member(pk)
    data = services.member_export(member=member)
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="membre-{member.pk}.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@permission_required("members.change_member", raise_exception=True)
def member_erase(request, pk: int):
    member = _member(pk)
    if request.method == "POST":
        try:
            if member.erased_at is None:
                services.member_erase(member=member, by=request.user)
        except services.ErasureRefused as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Les données personnelles sont effacées. Les chiffres restent justes."))
        return redirect("members:member", pk=member.pk)
    return render(request, "members/erase.html", {"member": member, "refusal": services.erasure_refusal(member)})


# Memberships -------------------------------------------------------------------


@login_required
@permission_required("members.add_membership", raise_exception=True)
def membership_new(request, pk: int):
    member = _member(pk)
    if member.erased_at:
        raise Http404
    form = MembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.membership_record(
                member=member,
                joined_on=data["joined_on"],
                amount=data["amount"],
                method=data["method"],
                by=request.user,
            )
        except services.MemberError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("L'adhésion est enregistrée."))
            return redirect("members:member", pk=member.pk)
    return render(request, "members/membership_form.html", {"form": form, "member": member})


@login_required
@permission_required("members.view_membership", raise_exception=True)
def membership_list(request):
    year = ascii_int(request.GET.get("annee"), low=FIRST_YEAR, high=LAST_YEAR) or timezone.localdate().year
    memberships = Membership.objects.filter(year=year).select_related("member").order_by("member__name", "pk")
    total = memberships.aggregate(total=Sum("amount"))["total"]
    return render(
        request,
        "members/memberships.html",
        {
            "memberships": memberships,
            "year": year,
            "total": total,
            "previous": year - 1 if year > FIRST_YEAR else None,
            "next": year + 1 if year < LAST_YEAR else None,
        },
    )


# Partners (coordinators) -------------------------------------------------------


@login_required
@permission_required("members.view_partner", raise_exception=True)
def partner_list(request):
    partners = Partner.objects.annotate(
        accompanied_count=Count("accompanied", distinct=True), referent_count=Count("referents", distinct=True)
    ).order_by("name")
    return render(request, "members/partners.html", {"partners": partners})


@login_required
@permission_required("members.add_partner", raise_exception=True)
def partner_new(request):
    form = PartnerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        partner = form.save()
        messages.success(request, _("L'association est enregistrée."))
        return redirect("members:partner", pk=partner.pk)
    return render(request, "members/partner_form.html", {"form": form, "partner": None})


@login_required
@permission_required("members.view_partner", raise_exception=True)
def partner_detail(request, pk: int):
    from meals.models import Booking, SeatBlock

    partner = get_object_or_404(Partner, pk=pk)
    now = timezone.now()
    blocks = SeatBlock.objects.filter(partner=partner, meal__ends_at__gte=now).select_related("meal")
    bookings = (
        Booking.objects.filter(partner=partner, meal__ends_at__gte=now)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("meal")
        .order_by("meal__starts_at", "created_at")
    )
    return render(
        request,
        "members/partner.html",
        {"partner": partner, "referents": partner.referents.order_by("email"), "blocks": blocks, "bookings": bookings},
    )


@login_required
@permission_required("members.change_partner", raise_exception=True)
def partner_edit(request, pk: int):
    partner = get_object_or_404(Partner, pk=pk)
    form = PartnerForm(request.POST or None, instance=partner)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("L'association est enregistrée."))
        return redirect("members:partner", pk=partner.pk)
    return render(request, "members/partner_form.html", {"form": form, "partner": partner})


@login_required
@permission_required("members.change_partner", raise_exception=True)
def partner_referent_new(request, pk: int):
    partner = get_object_or_404(Partner, pk=pk)
    form = ReferentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.referent_create(
                partner=partner, name=data["name"], email=data["email"], password=data["password"], by=request.user
            )
        except services.MemberError as error:
            form.add_error("email", str(error))
        else:
            messages.success(request, _("Le compte du ou de la référent·e est créé."))
            return redirect("members:partner", pk=partner.pk)
    return render(request, "members/referent_form.html", {"form": form, "partner": partner})


# Partner referents ---------------------------------------------------------------


def _referent_partner(request, pk: int) -> Partner:
    """The partner, only for its own referents: another association's page is a 404."""
    partner = get_object_or_404(Partner, pk=pk)
    if not partner.referents.filter(pk=request.user.pk).exists():
        raise Http404
    return partner


@login_required
@permission_required("meals.book_for_partner", raise_exception=True)
def partner_home(request):
    partners = list(request.user.partners.order_by("name"))
    if len(partners) == 1:
        return redirect("members:partner_bookings", pk=partners[0].pk)
    if not partners:
        raise PermissionDenied
    return render(request, "members/partner_choose.html", {"partners": partners})


@login_required
@permission_required("meals.book_for_partner", raise_exception=True)
def partner_bookings(request, pk: int):
    from meals.models import Booking, Meal, SeatBlock

    partner = _referent_partner(request, pk)
    now = timezone.now()
    meals = Meal.objects.scheduled().filter(starts_at__gt=now).order_by("starts_at")[:60]
    form = PartnerBookingForm(request.POST or None, meals=Meal.objects.scheduled().filter(starts_at__gt=now))
    if request.method == "POST" and form.is_valid():
        from meals.services.booking import BookingError, partner_booking_create

        data = form.cleaned_data
        try:
            booking = partner_booking_create(
                meal=data["meal"],
                partner=partner,
                name=data["name"],
                party_size=data["party_size"],
                notes=data["notes"],
                allergens=data["allergens"],
                diets=data["diets"],
                health_consent=data["health_consent"],
                by=request.user,
                key=data["form_key"],
            )
        except BookingError as error:
            form.add_error(None, str(error))
        else:
            if booking.status == booking.Status.WAITLISTED:
                messages.warning(
                    request, _("Le repas est complet : %(name)s est sur la liste d'attente.") % {"name": booking.name}
                )
            else:
                messages.success(request, _("C'est réservé pour %(name)s.") % {"name": booking.name})
            return redirect("members:partner_bookings", pk=partner.pk)
    blocks = (
        SeatBlock.objects.filter(partner=partner, meal__in=meals).select_related("meal").order_by("meal__starts_at")
    )
    bookings = (
        Booking.objects.filter(partner=partner, meal__ends_at__gte=now)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("meal")
        .order_by("meal__starts_at", "created_at")
    )
    # order_by() first: grouped under the list's ordering, each booking would be its own group.
    used = {
        row["meal"]: row["seats"]
        for row in bookings.filter(status=Booking.Status.CONFIRMED)
        .order_by()
        .values("meal")
        .annotate(seats=Sum("party_size"))
    }
    block_rows = [(block, used.get(block.meal_id, 0)) for block in blocks]
    return render(
        request,
        "members/partner_bookings.html",
        {"partner": partner, "form": form, "blocks": block_rows, "bookings": bookings},
    )


@login_required
@permission_required("meals.book_for_partner", raise_exception=True)
@require_POST
def partner_booking_cancel(request, pk: int, booking_pk: int):
    from meals.models import Booking

    partner = _referent_partner(request, pk)
    booking = get_object_or_404(Booking, pk=booking_pk, partner=partner)
    from meals.services.booking import BookingError, booking_cancel

    try:
        booking_cancel(booking=booking)
    except BookingError as error:  # the meal is over, or the guest came: as on the guest's own link
        messages.error(request, str(error))
    else:
        messages.success(request, _("La réservation est annulée."))
    return redirect("members:partner_bookings", pk=partner.pk)
