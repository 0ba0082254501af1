"""Volunteers who are ready (issue 18): what each role requires, and why a shift cannot be claimed yet.

A role's prerequisites live on its ``ShiftTemplate`` row (``requires``), or
``DEFAULT_REQUIRES`` while the role has no row. The rule, in one place for the
claim service, the board and the coordinator's assignment:

- missing the hygiene rules or the charter (when the role requires them): the
  role's shifts cannot be claimed at all, and the volunteer is told where to
  read or sign them (« Avant de venir »);
- missing only the trial shift: only shifts « avec un·e bénévole
  expérimenté·e » (``Shift.accompanied``) can be claimed.

A coordinator assigning someone may pass over it, having seen ``shortfall()``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _

from meals.models import Shift, ShiftTemplate
from members.models import Member, Prerequisite

HYGIENE = Prerequisite.Kind.HYGIENE
CHARTER = Prerequisite.Kind.CHARTER
TRIAL = Prerequisite.Kind.TRIAL

DEFAULT_REQUIRES: dict[str, tuple[str, ...]] = {
    Shift.Role.COOKING: (HYGIENE, CHARTER, TRIAL),
    Shift.Role.TABLE: (CHARTER, TRIAL),
    Shift.Role.DISHES: (CHARTER, TRIAL),
    Shift.Role.WELCOME: (CHARTER, TRIAL),
}
# What blocks a role outright (a newcomer may still come, accompanied, without the trial shift).
BLOCKING = (HYGIENE, CHARTER)


def role_requirements() -> dict[str, frozenset[str]]:
    """Each role's prerequisites (one query): its template row's, else the default."""
    saved = dict(ShiftTemplate.objects.values_list("role", "requires"))
    return {
        role: frozenset(saved[role] if role in saved else DEFAULT_REQUIRES.get(role, ())) for role in Shift.Role.values
    }


def met_by(member: Member | None) -> frozenset[str]:
    """The prerequisites ``member`` meets (one query; none for nobody)."""
    if member is None or member.pk is None:
        return frozenset()
    return frozenset(Prerequisite.objects.filter(member=member).values_list("kind", flat=True))


def met_by_user(user_id: int | None) -> frozenset[str]:
    """The same for the person behind a login (one query)."""
    if user_id is None:
        return frozenset()
    return frozenset(Prerequisite.objects.filter(member__user_id=user_id).values_list("kind", flat=True))


_INTROS = {
    Shift.Role.COOKING: lambda: _("Pour cuisiner"),
    Shift.Role.TABLE: lambda: _("Pour mettre la table"),
    Shift.Role.DISHES: lambda: _("Pour faire la vaisselle"),
    Shift.Role.WELCOME: lambda: _("Pour accueillir les convives"),
}


@dataclass(frozen=True)
class Refusal:
    """Why a volunteer cannot claim a shift yet: the sentence, and the page where to do what is missing."""

    missing: tuple[str, ...]
    reason: str
    url: str = ""
    where: str = ""

    @property
    def message(self) -> str:
        """The reason with where to go, for an error message (no link there)."""
        return f"{self.reason} {self.where}".strip()


def refusal(*, role: str, accompanied: bool, required: Iterable[str], met: Iterable[str]) -> Refusal | None:
    """Why a volunteer who meets ``met`` cannot claim a ``role`` shift (None: they can)."""
    required, met = set(required), set(met)
    blocking = tuple(kind for kind in BLOCKING if kind in required and kind not in met)
    if blocking:
        intro = _INTROS.get(role, lambda: _("Pour ce créneau"))()
        if blocking == (HYGIENE,):
            action = _("lisez d'abord les consignes d'hygiène")
        elif blocking == (CHARTER,):
            action = _("signez d'abord la charte des bénévoles")
        else:
            action = _("lisez d'abord les consignes d'hygiène et signez la charte des bénévoles")
        return Refusal(
            missing=blocking,
            reason=_("%(intro)s, %(action)s.") % {"intro": intro, "action": action},
            url=reverse("members:volunteer_ready"),
            where=_("C'est sur la page « Avant de venir », dans Mon espace."),
        )
    if TRIAL in required and TRIAL not in met and not accompanied:
        return Refusal(
            missing=(TRIAL,),
            reason=_("Pour votre premier créneau, choisissez-en un « avec un·e bénévole expérimenté·e »."),
        )
    return None


def refusal_for(*, member: Member, shift: Shift) -> Refusal | None:
    """``refusal()`` for this member and shift, from the database (two queries)."""
    return refusal(
        role=shift.role,
        accompanied=shift.accompanied,
        required=role_requirements()[shift.role],
        met=met_by(member),
    )


def shortfall(*, member: Member, shift: Shift) -> str:
    """What a coordinator is warned of before putting ``member`` on ``shift`` (empty: nothing missing)."""
    missing = [kind for kind in Prerequisite.Kind.values if kind in role_requirements()[shift.role]]
    met = met_by(member)
    missing = [kind for kind in missing if kind not in met]
    if not missing or refusal(role=shift.role, accompanied=shift.accompanied, required=missing, met=()) is None:
        return ""
    labels = dict(Prerequisite.Kind.choices)
    return _("Il manque à %(name)s : %(missing)s.") % {
        "name": member.name,
        "missing": ", ".join(str(labels[kind]) for kind in missing),
    }
