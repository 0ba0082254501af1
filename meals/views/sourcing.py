"""Purchases, suppliers, what went into each meal, and the sourcing report (coordinators; issue 17)."""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, DecimalField, F, Prefetch, Sum
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from meals import charts, idempotency, sourcing
from meals.forms.sourcing import CostPriceForm, LineFormSet, PurchaseForm, SupplierForm, SupplyForm
from meals.idempotency import FIELD
from meals.models import Meal, MealSupply, Purchase, Supplier
from meals.services import sourcing as services
from meals.spreadsheet import csv_response
from meals.views.reports import _context, _period

PER_PAGE = 50
MONEY = DecimalField(max_digits=14, decimal_places=2)


def purchases_required(view):
    return login_required(permission_required("meals.manage_purchases", raise_exception=True)(view))


def _with_totals(purchases):
    return purchases.annotate(
        total=Coalesce(Sum("lines__amount", output_field=MONEY), Decimal("0"), output_field=MONEY),
        gifts=Coalesce(Sum("lines__valuation", output_field=MONEY), Decimal("0"), output_field=MONEY),
        line_count=Count("lines"),
    )


@purchases_required
@require_GET
def purchase_list(request):
    """Every purchase, newest first, with its total; those a volunteer waits to be paid back for first."""
    rows = _with_totals(Purchase.objects.select_related("supplier")).order_by("-date", "-pk")
    to_reimburse = _with_totals(
        Purchase.objects.select_related("supplier").filter(
            paid_by=Purchase.PaidBy.VOLUNTEER, reimbursed_on__isnull=True
        )
    ).order_by("date", "pk")
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "meals/sourcing/purchases.html", {"page": page, "to_reimburse": list(to_reimburse)})


@purchases_required
def purchase_new(request):
    """A purchase and its lines on one page: date, supplier, three products, done. A double tap records it once."""
    if not Supplier.objects.exists():
        messages.info(request, _("Ajoutez d'abord un fournisseur : la ferme, le magasin, l'épicerie solidaire…"))
        return redirect("meals:suppliers")
    if request.method == "POST":
        form = PurchaseForm(request.POST, request.FILES)
        lines = LineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            values = [services.LineValues(**line.values()) for line in lines if line.has_changed()]
            try:
                purchase = services.purchase_create(
                    day=form.cleaned_data["date"],
                    supplier=form.cleaned_data["supplier"],
                    paid_by=form.cleaned_data["paid_by"],
                    reimburse_to=form.cleaned_data["reimburse_to"],
                    note=form.cleaned_data["note"],
                    receipt=form.cleaned_data.get("receipt"),
                    lines=values,
                    meal=form.cleaned_data.get("meal"),
                    share=form.cleaned_data.get("share") or services.HUNDRED,
                    by=request.user,
                    key=form.cleaned_data[FIELD],
                )
            except services.SourcingError as error:
                form.add_error(None, str(error))
            else:
                if not getattr(purchase, "replayed", False):
                    messages.success(request, _("Achat enregistré."))
                return redirect("meals:purchase", purchase.pk)
    else:
        form = PurchaseForm()
        lines = LineFormSet(prefix="lines")
    return render(request, "meals/sourcing/purchase_form.html", {"form": form, "lines": lines})


@purchases_required
def purchase_detail(request, pk: int):
    """One purchase: its lines, the meals it went into (and how much), the reimbursement; link it to a meal."""
    purchase = get_object_or_404(
        Purchase.objects.select_related("supplier", "created_by").prefetch_related(
            "lines", Prefetch("supplies", queryset=MealSupply.objects.select_related("meal"))
        ),
        pk=pk,
    )
    form = SupplyForm(request.POST or None, purchase=purchase)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.meal_supply_set(
                    meal=form.cleaned_data["meal"],
                    purchase=purchase,
                    share=form.cleaned_data["share"],
                    key=form.cleaned_data[FIELD],
                )
            except services.SourcingError as error:
                form.add_error("share", str(error))
            else:
                messages.success(request, _("Répartition enregistrée."))
                return redirect("meals:purchase", purchase.pk)
    lines = list(purchase.lines.all())
    shared = sum((supply.share for supply in purchase.supplies.all()), Decimal("0"))
    return render(
        request,
        "meals/sourcing/purchase.html",
        {
            "purchase": purchase,
            "lines": lines,
            "total": sum((line.amount for line in lines), Decimal("0.00")),
            "gifts": sum((line.valuation for line in lines), Decimal("0.00")),
            "weight": sum((line.weight_kg for line in lines), Decimal("0")),
            "shared": shared,
            "left": Decimal("100") - shared,
            "form": form,
        },
    )


@require_POST
@purchases_required
def purchase_reimbursed(request, pk: int):
    purchase = get_object_or_404(Purchase, pk=pk)
    key, bad_key = idempotency.posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
    else:
        services.purchase_reimburse(purchase=purchase, on=timezone.localdate())
        messages.success(request, _("Remboursement noté."))
    return redirect("meals:purchase", purchase.pk)


@purchases_required
@require_GET
def purchase_receipt(request, pk: int):
    purchase = get_object_or_404(Purchase, pk=pk)
    if not purchase.receipt:
        raise Http404(_("Pas de photo du ticket."))
    response = FileResponse(purchase.receipt.open("rb"))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "attachment"  # never shown inline: a file someone uploaded
    return response


@purchases_required
def supplier_list(request):
    form = SupplierForm(request.POST or None)
    key = request.POST.get(FIELD, "")
    # A replay is answered before the form refuses the name its first submission wrote.
    if request.method == "POST" and idempotency.is_key(key) and idempotency.answered(key, "supplier"):
        return redirect("meals:suppliers")
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            key = form.cleaned_data[FIELD]
            if idempotency.claim(key, "supplier", Supplier) is None:
                supplier = services.supplier_create(
                    name=form.cleaned_data["name"],
                    kind=form.cleaned_data["kind"],
                    distance_km=form.cleaned_data["distance_km"],
                )
                idempotency.keep(key, "supplier", supplier)
        messages.success(request, _("Fournisseur ajouté."))
        return redirect("meals:suppliers")
    settings = sourcing.cantine_settings()
    suppliers = Supplier.objects.annotate(purchase_count=Count("purchases")).order_by("name")
    return render(
        request,
        "meals/sourcing/suppliers.html",
        {"form": form, "suppliers": suppliers, "radius": settings.local_radius_km},
    )


@purchases_required
def meal_sourcing(request, pk: int):
    """What went into one meal, its computed cost price and shares; fix the price by hand, with a note."""
    meal = get_object_or_404(Meal, pk=pk)
    form = CostPriceForm(
        request.POST or None,
        initial={
            "cost_price_overridden": meal.cost_price_overridden,
            "cost_price": meal.cost_price,
            "cost_price_note": meal.cost_price_note,
        },
    )
    if request.method == "POST" and form.is_valid():
        services.meal_cost_price_set(
            meal=meal,
            overridden=form.cleaned_data["cost_price_overridden"],
            cost_price=form.cleaned_data["cost_price"] or meal.cost_price,
            note=form.cleaned_data["cost_price_note"],
        )
        messages.success(request, _("Prix de revient enregistré."))
        return redirect("meals:meal_sourcing", meal.pk)
    supplies = (
        MealSupply.objects.filter(meal=meal)
        .select_related("purchase__supplier")
        .annotate(
            total=Coalesce(Sum(F("purchase__lines__amount"), output_field=MONEY), Decimal("0"), output_field=MONEY)
        )
        .order_by("purchase__date", "pk")
    )
    return render(
        request,
        "meals/sourcing/meal.html",
        {"meal": meal, "cost": sourcing.meal_cost(meal), "supplies": supplies, "form": form},
    )


@login_required
@permission_required("meals.view_reports", raise_exception=True)
@require_GET
def report_sourcing(request):
    """« Approvisionnement », for funders: the year month by month, against the goal of half."""
    period = _period(request).year_period
    figures = sourcing.report(period.year)
    chart = charts.column_chart(
        chart_id="chart-sourcing",
        title=_("Part bio, locale, en vrac ou sauvée du gaspillage, par mois, %(year)s") % {"year": period.year},
        desc=_("Sur l'année, %(share)s %% de la valeur des achats ; l'objectif est de %(goal)s %%.")
        % {
            "share": charts.number(figures["total"].by_value["goal"] or 0),
            "goal": charts.number(figures["goal"]),
        },
        points=[
            charts.Point(
                formats.date_format(row["period"].first_day, "M"), row["shares"].by_value["goal"] or 0, figures["goal"]
            )
            for row in figures["months"]
        ],
        tick_format=lambda value: f"{charts.number(value)} %",
        reference_label=_("Objectif : la moitié"),
    )
    return render(request, "meals/reports/sourcing.html", _context(request, period, f=figures, chart=chart))


@login_required
@permission_required("meals.view_reports", raise_exception=True)
@require_GET
def report_sourcing_csv(request):
    period = _period(request).year_period
    figures = sourcing.report(period.year)
    header = [
        _("Mois"),
        _("Dépenses (€)"),
        _("Dons en nature (€)"),
        _("Valeur totale (€)"),
        _("Poids (kg)"),
        _("Bio (% valeur)"),
        _("Local (% valeur)"),
        _("Vrac (% valeur)"),
        _("Sauvé (% valeur)"),
        _("Objectif : bio, local, vrac ou sauvé (% valeur)"),
        _("Bio (% poids)"),
        _("Local (% poids)"),
        _("Vrac (% poids)"),
        _("Sauvé (% poids)"),
        _("Sauvé du gaspillage (kg)"),
    ]

    def pct(value) -> str:
        return "" if value is None else str(value).replace(".", ",")

    def num(value) -> str:
        return str(value).replace(".", ",")

    rows = [header]
    for row in [*figures["months"], {"period": period, "shares": figures["total"]}]:
        s = row["shares"]
        rows.append(
            [
                row["period"].label,
                num(s.cost),
                num(s.gifts),
                num(s.value),
                num(s.weight_kg),
                *[pct(s.by_value[label]) for label in (*sourcing.LABELS, "goal")],
                *[pct(s.by_weight[label]) for label in sourcing.LABELS],
                num(s.saved_kg),
            ]
        )
    rows.append([])
    rows.append([_("Type de fournisseur"), _("Dépenses (€)"), _("Valeur totale (€)"), _("Part de la valeur (%)")])
    rows += [
        [str(kind["label"]), num(kind["cost"]), num(kind["value"]), pct(kind["share"])] for kind in figures["by_kind"]
    ]
    rows.append([_("Producteurs locaux (% de la valeur)"), "", "", pct(figures["local_producers_share"])])
    return csv_response(rows, filename=f"cantine-approvisionnement-{period.year}.csv")
