"""Gifts and tax receipts, the yearly declaration figures, the accountant's export (coordinators, treasurer).

Money and donors are seen only with ``meals.manage_receipts``. Thin views:
the services in ``meals.services.receipts`` number and freeze the receipts.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cantine.bounds import ascii_int
from meals import accounting
from meals.forms.receipts import ReceiptCancelForm, ReceiptIssueForm
from meals.idempotency import key_error
from meals.models import Contribution, TaxReceipt
from meals.receipts_pdf import receipt_pdf
from meals.reports import MAX_YEAR, MIN_YEAR, BadPeriod, period_from_query
from meals.services import receipts as service
from meals.spreadsheet import csv_response
from meals.templatetags.cantine import format_euros
from members.models import Member

receipts_required = permission_required("meals.manage_receipts", raise_exception=True)


def _year(request) -> int:
    return ascii_int(request.GET.get("year"), low=MIN_YEAR, high=MAX_YEAR) or timezone.localdate().year


def _back(year: int):
    return redirect(f"{reverse('meals:receipts')}?{urlencode({'year': year})}")


@require_GET
@login_required
@receipts_required
def receipts(request):
    """The register of the year's receipts, its declaration figures, and the gifts that have no receipt yet."""
    year = _year(request)
    register = list(TaxReceipt.objects.filter(year=year).select_related("replaces", "replaced_by").order_by("sequence"))
    gifts = list(
        Contribution.objects.filter(kind=Contribution.Kind.DONATION, voided_at__isnull=True, recorded_at__year=year)
        .exclude(receipt_lines__live=True)
        .select_related("giver", "meal")
        .order_by("recorded_at", "pk")
    )
    donors: dict[int, dict] = defaultdict(lambda: {"member": None, "count": 0, "total": Decimal("0.00")})
    for gift in gifts:
        if gift.giver_id:
            entry = donors[gift.giver_id]
            entry["member"], entry["count"], entry["total"] = (
                gift.giver,
                entry["count"] + 1,
                entry["total"] + gift.amount,
            )
    context = {
        "year": year,
        "previous_year": year - 1 if year > MIN_YEAR else None,
        "next_year": year + 1 if year < MAX_YEAR else None,
        "register": register,
        "figures": service.declaration(year=year),
        "gifts": gifts,
        "donors": sorted(donors.values(), key=lambda entry: (entry["member"].name, entry["member"].pk)),
        "missing": service.settings_missing(),
        "issue_form": ReceiptIssueForm(),
        "cancel_form": ReceiptCancelForm(),
    }
    return render(request, "meals/receipts/receipts.html", context)


@require_POST
@login_required
@receipts_required
def receipt_issue(request):
    form = ReceiptIssueForm(request.POST)
    year = _year(request)
    if not form.is_valid():
        messages.error(
            request, key_error(form) or " ".join(form.non_field_errors()) or _("Ce formulaire est incomplet.")
        )
        return _back(year)
    data = form.cleaned_data
    try:
        if data["contribution"]:
            gift = Contribution.objects.filter(pk=data["contribution"]).first()
            if gift is None:
                raise service.ReceiptRefused(_("Ce don n'existe pas."))
            receipt = service.receipt_issue_gift(
                contribution=gift, by=request.user, send=data["send"], key=data["form_key"]
            )
        else:
            member = Member.objects.filter(pk=data["member"]).first()
            if member is None:
                raise service.ReceiptRefused(_("Cette personne n'existe pas."))
            receipt = service.receipt_issue_annual(
                member=member, year=data["year"], by=request.user, send=data["send"], key=data["form_key"]
            )
    except service.ReceiptRefused as error:
        messages.error(request, str(error))
        return _back(year)
    messages.success(
        request,
        _("Reçu n° %(number)s émis pour %(name)s : %(amount)s.")
        % {"number": receipt.number, "name": receipt.donor_name, "amount": format_euros(receipt.amount, cents=True)},
    )
    return _back(receipt.year)


@require_POST
@login_required
@receipts_required
def receipt_cancel(request, pk: int):
    receipt = get_object_or_404(TaxReceipt, pk=pk)
    form = ReceiptCancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Dites pourquoi vous annulez ce reçu."))
        return _back(receipt.year)
    data = form.cleaned_data
    try:
        result = service.receipt_cancel(
            receipt=receipt,
            by=request.user,
            reason=data["reason"],
            reissue=data["reissue"],
            send=data["send"],
            key=data["form_key"],
        )
    except service.ReceiptRefused as error:
        messages.error(request, str(error))
        return _back(receipt.year)
    if result.pk != receipt.pk:
        text = _("Reçu n° %(old)s annulé, remplacé par le reçu n° %(new)s.") % {
            "old": receipt.number,
            "new": result.number,
        }
    else:
        text = _("Reçu n° %(old)s annulé.") % {"old": receipt.number}
    messages.success(request, text)
    return _back(result.year)


@require_GET
@login_required
@receipts_required
def receipt_download(request, pk: int):
    receipt = get_object_or_404(TaxReceipt.objects.select_related("replaces"), pk=pk)
    response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="recu-fiscal-{receipt.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@receipts_required
def receipts_csv(request):
    """The register of ``?year=`` (all receipts, the cancelled ones too), for the treasurer's files."""
    year = _year(request)
    rows = [
        [
            _("Numéro"),
            _("Émis le"),
            _("Type"),
            _("Donateur"),
            _("Adresse"),
            _("Montant"),
            _("Dons du"),
            _("au"),
            _("Modes de versement"),
            _("Article"),
            _("État"),
            _("Annulé le"),
            _("Raison"),
            _("Remplace"),
        ]
    ]
    for receipt in TaxReceipt.objects.filter(year=year).select_related("replaces").order_by("sequence"):
        rows.append(
            [
                receipt.number,
                timezone.localtime(receipt.issued_at).strftime("%d/%m/%Y"),
                receipt.get_kind_display(),
                receipt.donor_name,
                receipt.donor_address,
                accounting.decimal_comma(receipt.amount),
                receipt.first_gift_on.strftime("%d/%m/%Y"),
                receipt.last_gift_on.strftime("%d/%m/%Y"),
                receipt.methods,
                receipt.article,
                receipt.get_status_display(),
                timezone.localtime(receipt.cancelled_at).strftime("%d/%m/%Y") if receipt.cancelled_at else "",
                receipt.cancel_reason,
                receipt.replaces.number if receipt.replaces_id else "",
            ]
        )
    figures = service.declaration(year=year)
    rows.append([])
    rows.append([_("Déclaration (article 222 bis du CGI)"), str(year)])
    rows.append([_("Nombre de reçus"), str(figures["count"])])
    rows.append([_("Montant total des reçus"), accounting.decimal_comma(figures["total"])])
    return csv_response(rows, filename=f"cantine-recus-{year}.csv")


@require_GET
@login_required
@receipts_required
def accounting_page(request):
    """What the export holds for a month or a year, and the link to the CSV."""
    try:
        period = period_from_query(request.GET)
    except BadPeriod as error:
        messages.error(request, str(error))
        period = period_from_query({})
    lines = accounting.export_lines(start=period.first_day, end=period.next_first_day - timedelta(days=1))
    totals: dict[str, list[Decimal]] = {}
    for line in lines:
        entry = totals.setdefault(line.account, [line.account_label, Decimal("0.00"), Decimal("0.00")])
        entry[1] += line.debit
        entry[2] += line.credit
    context = {
        "period": period,
        "period_query": urlencode(period.query),
        "accounts": sorted((account, *values) for account, values in totals.items()),
        "count": len({line.number for line in lines}),
    }
    return render(request, "meals/receipts/accounting.html", context)


@require_GET
@login_required
@receipts_required
def accounting_csv(request):
    try:
        period = period_from_query(request.GET)
    except BadPeriod as error:
        return HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    rows = accounting.export_rows(start=period.first_day, end=period.next_first_day - timedelta(days=1))
    return csv_response(rows, filename=f"cantine-comptabilite-{period.slug}.csv")
