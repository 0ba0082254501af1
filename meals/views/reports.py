"""Reports for the board and funders (coordinators): figures, charts, the rows behind them, CSV files."""

from datetime import datetime
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cantine.bounds import ascii_int
from meals import charts
from meals.forms.reports import MonthForm, YearForm
from meals.models import Shift
from meals.reports import (
    SHIFT_HOURS,
    VOLUNTEER_SHOWS,
    BadPeriod,
    Period,
    brought_by,
    compute,
    guests_with_visits,
    hours,
    meals_with_figures,
    period_contributions,
    period_from_query,
    planned_with_figures,
    volunteer_hours,
)
from meals.spreadsheet import csv_response
from members.models import Partner, PaymentMethod

PER_PAGE = 50


def _period(request) -> Period:
    """The period asked for, or the current month with a message saying why."""
    try:
        return period_from_query(request.GET)
    except BadPeriod as error:
        messages.error(request, str(error))
        return period_from_query({})


def _page(request, rows):
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _context(request, period: Period, **extra) -> dict:
    return {
        "period": period,
        "period_query": urlencode(period.query),
        "previous_query": urlencode(period.previous.query) if period.previous else "",
        "next_query": urlencode(period.next.query) if period.next else "",
        **extra,
    }


def reports_required(view):
    return login_required(permission_required("meals.view_reports", raise_exception=True)(require_GET(view)))


@reports_required
def reports(request):
    period = _period(request)
    figures = compute(period, now=timezone.now())
    return render(
        request,
        "meals/reports/report.html",
        _context(
            request,
            period,
            f=figures,
            covers_chart=charts.covers_chart(figures),
            contribution_chart=charts.contribution_chart(figures),
            hours_chart=charts.hours_chart(figures),
            month_form=MonthForm(initial={"month": f"{period.year:04d}-{period.month or 1:02d}"}),
            year_form=YearForm(initial={"year": period.year}),
            year_query=urlencode(period.year_period.query),
        ),
    )


def _method(request) -> str:
    method = request.GET.get("method", "")
    if method and method not in PaymentMethod.values:
        messages.error(request, _("Ce moyen de paiement n'existe pas : toutes les participations sont affichées."))
        return ""
    return method


@reports_required
def report_contributions(request):
    period = _period(request)
    method = _method(request)
    rows = period_contributions(period, now=timezone.now())
    if method:
        rows = rows.filter(method=method)
    totals = rows.aggregate(
        total=Sum("amount", filter=Q(voided_at__isnull=True)),
        count=Count("pk", filter=Q(voided_at__isnull=True)),
        voided=Count("pk", filter=Q(voided_at__isnull=False)),
    )
    rows = rows.select_related("meal", "recorded_by", "voided_by").order_by("meal__starts_at", "recorded_at", "pk")
    return render(
        request,
        "meals/reports/contributions.html",
        _context(
            request,
            period,
            page=_page(request, rows),
            totals=totals,
            method=method,
            method_label=dict(PaymentMethod.choices).get(method, ""),
            methods=PaymentMethod.choices,
            filter_query=urlencode({**period.query, **({"method": method} if method else {})}),
        ),
    )


@reports_required
def report_attendance(request):
    period = _period(request)
    now = timezone.now()
    planned = request.GET.get("show") == "planned"
    rows = (planned_with_figures if planned else meals_with_figures)(period, now=now).order_by("starts_at", "pk")
    return render(
        request,
        "meals/reports/attendance.html",
        _context(
            request,
            period,
            page=_page(request, rows),
            planned=planned,
            now=now,
            filter_query=urlencode({**period.query, **({"show": "planned"} if planned else {})}),
        ),
    )


def _hours_by_role(rows):
    return rows.annotate(
        **{
            f"hours_{role}": Sum(SHIFT_HOURS, filter=Q(shift__role=role))
            for role in Shift.Role.values  # four fixed roles: four columns
        }
    )


@reports_required
def report_volunteers(request):
    period = _period(request)
    show = request.GET.get("show", "")
    show = show if show in VOLUNTEER_SHOWS else ""
    page = _page(request, _hours_by_role(volunteer_hours(period, now=timezone.now(), show=show)))
    # Hours for people, per role in the order of the columns (a page of rows, already fetched).
    page.object_list = [
        {
            "person": _person(row),
            "erased": bool(row["member__erased_at"]),
            "volunteer": row["own_signups"] > 0,
            "signups": row["signups"],
            "hours": _hours(row["hours"]),
            "by_role": [_hours(row[f"hours_{role}"]) for role in Shift.Role.values],
        }
        for row in page.object_list
    ]
    return render(
        request,
        "meals/reports/volunteers.html",
        _context(
            request,
            period,
            page=page,
            roles=Shift.Role.choices,
            show=show,
            filter_query=urlencode({**period.query, **({"show": show} if show else {})}),
        ),
    )


@reports_required
def report_guests(request):
    period = _period(request)
    now = timezone.now()
    show = request.GET.get("show", "")
    rows = guests_with_visits(period, now=now)
    if show == "first":
        rows = rows.filter(first_visit__gte=period.start)
    elif show == "returning":
        rows = rows.filter(visits_to_date__gte=2)
    else:
        show = ""
    partner = None
    partner_pk = ascii_int(request.GET.get("partner"), low=1, high=2**63 - 1)
    if partner_pk is not None:
        partner = Partner.objects.filter(pk=partner_pk).first()
        if partner:
            rows = rows.filter(brought_by(partner.pk, period, now=now))
    rows = rows.order_by("name", "pk")
    extra = {"show": show} if show else {}
    if partner:
        extra["partner"] = partner.pk
    return render(
        request,
        "meals/reports/guests.html",
        _context(
            request,
            period,
            page=_page(request, rows),
            show=show,
            partner=partner,
            filter_query=urlencode({**period.query, **extra}),
        ),
    )


# --- CSV files for a French Excel ----------------------------------------------


def _decimal(value, places: int = 2) -> str:
    """« 5,50 »: Excel in French reads a comma as the decimal point."""
    if value is None:
        return ""
    return f"{Decimal(value):.{places}f}".replace(".", ",")


def _date(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def _datetime(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if value else ""


def _hours(value) -> str:
    return _decimal(hours(value, "0.01"))


def _user(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.email or user.get_username()


def _meal(meal) -> str:
    return f"{meal.title} {timezone.localtime(meal.starts_at):%H:%M}"


def _yes_no(value: bool) -> str:
    return _("oui") if value else _("non")


def _csv_contributions(period: Period, now: datetime):
    yield [
        _("Date"),
        _("Repas"),
        _("Montant"),
        _("Moyen de paiement"),
        _("Enregistrée par"),
        _("Enregistrée le"),
        _("Annulée"),
        _("Annulée le"),
        _("Raison de l'annulation"),
    ]
    rows = (
        period_contributions(period, now=now)
        .select_related("meal", "recorded_by")
        .order_by("meal__starts_at", "recorded_at", "pk")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        yield [
            _date(row.meal.starts_at),
            _meal(row.meal),
            _decimal(row.amount),
            row.get_method_display(),
            _user(row.recorded_by),
            _datetime(row.recorded_at),
            _yes_no(row.is_voided),
            _datetime(row.voided_at),
            row.void_reason,
        ]


def _csv_attendance(period: Period, now: datetime):
    yield [
        _("Date"),
        _("Repas"),
        _("Places"),
        _("Nombre de réservations"),
        _("Couverts servis (personnes)"),
        _("Dont personnes sans réservation"),
        _("Réservations non honorées"),
        _("Participations (total)"),
        _("Nombre de participations"),
        _("Prix de revient par couvert"),
        _("Part de bio (%)"),
        _("Part de local (%)"),
    ]
    for meal in meals_with_figures(period, now=now).order_by("starts_at", "pk").iterator(chunk_size=500):
        yield [
            _date(meal.starts_at),
            _meal(meal),
            meal.capacity,
            meal.bookings_count,
            meal.covers,
            meal.walk_in_covers,
            meal.no_shows,
            _decimal(meal.contributions_total),
            meal.contributions_count,
            _decimal(meal.cost_price),
            meal.organic_share,
            meal.local_share,
        ]


def _person(row) -> str:
    if row["member__erased_at"] or not row["member__name"]:
        return _("Personne effacée n° %(pk)s") % {"pk": row["member"]}
    return row["member__name"]


def _csv_volunteers(period: Period, now: datetime):
    roles = Shift.Role.choices
    yield (
        [_("Personne"), _("Créneaux"), _("Heures")]
        + [_("Heures : %(role)s") % {"role": label} for _r, label in roles]
        # « non »: a guest who lent a hand with a booking, not a volunteer.
        + [_("Bénévole")]
    )
    for row in _hours_by_role(volunteer_hours(period, now=now)).iterator(chunk_size=500):
        yield (
            [_person(row), row["signups"], _hours(row["hours"])]
            + [_hours(row[f"hours_{role}"]) for role, _label in roles]
            + [_yes_no(row["own_signups"] > 0)]
        )


CSV_KINDS = {
    "contributions": _csv_contributions,
    "attendance": _csv_attendance,
    "volunteers": _csv_volunteers,
}


@reports_required
def report_csv(request, kind: str):
    if kind not in CSV_KINDS:
        raise Http404(_("Ce fichier n'existe pas."))
    try:
        period = period_from_query(request.GET)
    except BadPeriod as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    return csv_response(CSV_KINDS[kind](period, timezone.now()), filename=f"cantine-{kind}-{period.slug}.csv")
