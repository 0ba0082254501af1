"""Volunteers who are ready (issue 18): « Avant de venir » for a volunteer, a prerequisite recorded by a coordinator."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meals.idempotency import key_error
from meals.readiness import DEFAULT_REQUIRES, role_requirements
from meals.views.shifts import member_for
from members.forms import AcknowledgeForm, PrerequisiteForm
from members.models import Member, Prerequisite
from members.services import MemberError, record_prerequisite


@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def volunteer_ready(request):
    """The charter and the hygiene rules, each acknowledged with one button; the trial shift explained."""
    member = member_for(request.user)
    if request.method == "POST":
        form = AcknowledgeForm(request.POST)
        if form.is_valid():
            kind = form.cleaned_data["kind"]
            try:
                _row, created = record_prerequisite(member=member, kind=kind, by=request.user)
            except MemberError as error:
                messages.error(request, str(error))
            else:
                if kind == Prerequisite.Kind.HYGIENE:
                    messages.success(request, _("Merci : les consignes d'hygiène sont notées comme lues."))
                else:
                    messages.success(request, _("Merci : vous avez signé la charte des bénévoles."))
            return redirect("members:volunteer_ready")
        messages.error(request, key_error(form) or _("Choisissez ce que vous avez lu."))
    met = {row.kind: row for row in member.prerequisites.all()}
    requires = role_requirements()
    labels = dict(Prerequisite.Kind.choices)
    return render(
        request,
        "members/volunteer_ready.html",
        {
            "hygiene": met.get(Prerequisite.Kind.HYGIENE),
            "charter": met.get(Prerequisite.Kind.CHARTER),
            "trial": met.get(Prerequisite.Kind.TRIAL),
            "roles": [
                {
                    "label": label,
                    "requires": [str(labels[kind]) for kind in Prerequisite.Kind.values if kind in requires[role]],
                }
                for role, label in _roles()
            ],
        },
    )


def _roles():
    """The roles a volunteer may be asked for (the door's welcome only when a template has it)."""
    from meals.models import Shift, ShiftTemplate

    saved = set(ShiftTemplate.objects.values_list("role", flat=True))
    return [
        (role, label)
        for role, label in Shift.Role.choices
        if role in DEFAULT_REQUIRES and (role != Shift.Role.WELCOME or role in saved)
    ]


@require_POST
@login_required
@permission_required("members.change_member", raise_exception=True)
def prerequisite_record(request, pk: int):
    member = get_object_or_404(Member, pk=pk)
    form = PrerequisiteForm(request.POST)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Choisissez un prérequis dans la liste."))
        return redirect("members:member", pk=member.pk)
    try:
        row, created = record_prerequisite(
            member=member, kind=form.cleaned_data["kind"], by=request.user, note=form.cleaned_data["note"]
        )
    except MemberError as error:
        messages.error(request, str(error))
    else:
        if created:
            messages.success(request, _("C'est noté : %(kind)s.") % {"kind": row.get_kind_display()})
        else:
            messages.info(request, _("C'était déjà noté : %(kind)s.") % {"kind": row.get_kind_display()})
    return redirect("members:member", pk=member.pk)
