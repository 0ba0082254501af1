import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from members import services
from members.forms import (
    MemberForm,
    MemberSearchForm,
    MembershipForm,
    MergeForm,
    PartnerBookingForm,
    PartnerForm,
    ReferentForm,
)
from members.models import Member, Membership, Partner

PAGE_SIZE = 50


@login_required
def home(request):
    """Where a volunteer, referent or coordinator lands after logging in."""
    return render(request, "members/home.html")


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
        if member.erased_at is None:
            services.member_erase(member=member, by=request.user)
        messages.success(request, _("Les données personnelles sont effacées. Les chiffres restent justes."))
        return redirect("members:member", pk=member.pk)
    return render(request, "members/erase.html", {"member": member})


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
    try:
        year = int(request.GET.get("annee", ""))
    except ValueError:
        year = timezone.localdate().year
    memberships = Membership.objects.filter(year=year).select_related("member").order_by("member__name", "pk")
    total = memberships.aggregate(total=Sum("amount"))["total"]
    return render(
        request,
        "members/memberships.html",
        {"memberships": memberships, "year": year, "total": total, "previous": year - 1, "next": year + 1},
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
        from meals.services import planning

        data = form.cleaned_data
        try:
            booking = planning.partner_booking_create(
                meal=data["meal"],
                partner=partner,
                name=data["name"],
                party_size=data["party_size"],
                notes=data["notes"],
                by=request.user,
            )
        except planning.PlanningError as error:
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
    from meals.services import planning

    planning.partner_booking_cancel(booking=booking)
    messages.success(request, _("La réservation est annulée."))
    return redirect("members:partner_bookings", pk=partner.pk)
