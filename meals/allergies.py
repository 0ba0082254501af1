"""The one rule of allergies and diets: what a guest's profile clashes with in a meal, and the kitchen's counts.

A booking's ``allergens`` and ``diets`` are the party's (the form asks « pour vous et les personnes avec
vous »), so a party of three with a sesame allergy counts as three people without sesame: the cooks
plan portions, and the safe mistake is one portion too many. A meal that declares no allergen is not
safe: it says « allergènes non renseignés », never nothing. Everything here is computed in Python from
rows already loaded; the labels are translated when shown.
"""

from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from meals.models import ALLERGENS, DIET_LABELS

ALLERGEN_CODES = [code for code, _label in ALLERGENS]
DIET_CODES = [code for code, _label in DIET_LABELS]

# What a meal's label meets of a guest's diet: a vegan meal is vegetarian, a vegetarian meal has no pork.
MEETS = {
    "vegan": {"vegan", "vegetarian", "no_pork"},
    "vegetarian": {"vegetarian", "no_pork"},
    "halal": {"halal", "no_pork"},
    "kosher": {"kosher", "no_pork"},
    "no_pork": {"no_pork"},
    "gluten_free": {"gluten_free"},
}
UNDECLARED = gettext_lazy("allergènes non renseignés")


def allergen_label(code: str) -> str:
    return str(dict(ALLERGENS).get(code, code)).lower()


def diet_label(code: str) -> str:
    return str(dict(DIET_LABELS).get(code, code)).lower()


def known(codes, choices) -> list[str]:
    """The known codes of ``codes``, once each, in the order of ``choices`` (a JSON list may hold anything)."""
    wanted = set(codes or []) if isinstance(codes, list | tuple | set) else set()
    return [code for code, _label in choices if code in wanted]


def diets_met(meal) -> set[str]:
    """The diets a meal meets, from its labels (and never « sans gluten » when it declares gluten)."""
    met = set().union(*(MEETS.get(code, set()) for code in meal.diet_labels or []))
    if "gluten" in (meal.allergens or []):
        met.discard("gluten_free")
    return met


@dataclass(frozen=True)
class Clash:
    """What one booking's profile meets in its meal: codes, and the sentences and badges that say it."""

    allergens: list[str] = field(default_factory=list)  # the guest's allergens the meal contains
    diets: list[str] = field(default_factory=list)  # the guest's diets the meal does not meet
    undeclared: bool = False  # the guest has allergies and the meal declares no allergen

    def __bool__(self) -> bool:
        return bool(self.allergens or self.diets or self.undeclared)

    @property
    def allergen_labels(self) -> list[str]:
        return [allergen_label(code) for code in self.allergens]

    @property
    def diet_labels(self) -> list[str]:
        return [diet_label(code) for code in self.diets]

    def sentences(self) -> list[str]:
        """For the guest (confirmation, private link, email): what to tell at the door."""
        lines = []
        if self.allergens:
            lines.append(
                _("Ce repas contient : %(allergens)s. Dites-le-nous à l'accueil.")
                % {"allergens": ", ".join(self.allergen_labels)}
            )
        if self.undeclared:
            lines.append(_("Les allergènes de ce repas ne sont pas encore renseignés : demandez à l'accueil."))
        if self.diets:
            lines.append(
                _("Ce repas n'est pas indiqué comme : %(diets)s. Dites-le-nous à l'accueil.")
                % {"diets": ", ".join(self.diet_labels)}
            )
        return lines

    def short(self) -> str:
        """One short line (an SMS, a badge on the door desk)."""
        parts = []
        if self.allergens:
            parts.append(_("contient %(allergens)s") % {"allergens": ", ".join(self.allergen_labels)})
        if self.undeclared:
            parts.append(str(UNDECLARED))
        if self.diets:
            parts.append(_("pas %(diets)s") % {"diets": ", ".join(self.diet_labels)})
        return " · ".join(parts)


def clash(*, allergens, diets, meal) -> Clash:
    """The clash of a guest's ``allergens`` and ``diets`` (codes) with ``meal``'s."""
    allergens = known(allergens, ALLERGENS)
    diets = known(diets, DIET_LABELS)
    declared = set(meal.allergens or [])
    met = diets_met(meal)
    return Clash(
        allergens=[code for code in allergens if code in declared],
        diets=[code for code in diets if code not in met],
        undeclared=bool(allergens) and not declared,
    )


def booking_clash(booking, meal=None) -> Clash:
    return clash(allergens=booking.allergens, diets=booking.diets, meal=meal or booking.meal)


@dataclass
class KitchenCounts:
    """People (party sizes) per allergen and per diet across a meal's confirmed bookings; no name."""

    people: int = 0
    with_profile: int = 0  # people of the bookings that gave an allergy or a diet
    allergens: list[tuple[str, int]] = field(default_factory=list)  # (label, people), in the EU list's order
    diets: list[tuple[str, int]] = field(default_factory=list)
    clashing_allergens: list[tuple[str, int]] = field(default_factory=list)  # the meal's allergens they meet
    unmet_diets: list[tuple[str, int]] = field(default_factory=list)
    undeclared: int = 0  # people with allergies at a meal that declares no allergen
    clashing_people: int = 0  # people of the bookings with any clash


def kitchen_counts(*, meal, profiles) -> KitchenCounts:
    """The counts from ``profiles``: (party_size, allergens, diets) of each confirmed booking of ``meal``."""
    counts = KitchenCounts()
    by_allergen: Counter = Counter()
    by_diet: Counter = Counter()
    clashing: Counter = Counter()
    unmet: Counter = Counter()
    for size, allergens, diets in profiles:
        counts.people += size
        allergens, diets = known(allergens, ALLERGENS), known(diets, DIET_LABELS)
        if allergens or diets:
            counts.with_profile += size
        by_allergen.update(dict.fromkeys(allergens, size))
        by_diet.update(dict.fromkeys(diets, size))
        found = clash(allergens=allergens, diets=diets, meal=meal)
        clashing.update(dict.fromkeys(found.allergens, size))
        unmet.update(dict.fromkeys(found.diets, size))
        counts.undeclared += size if found.undeclared else 0
        counts.clashing_people += size if found else 0
    counts.allergens = [(allergen_label(c), by_allergen[c]) for c in ALLERGEN_CODES if by_allergen[c]]
    counts.diets = [(diet_label(c), by_diet[c]) for c in DIET_CODES if by_diet[c]]
    counts.clashing_allergens = [(allergen_label(c), clashing[c]) for c in ALLERGEN_CODES if clashing[c]]
    counts.unmet_diets = [(diet_label(c), unmet[c]) for c in DIET_CODES if unmet[c]]
    return counts


def decorate(bookings, meal) -> None:
    """Give each booking ``health`` (labels of what it declared) and ``clash`` (with ``meal``): the rows show both."""
    for booking in bookings:
        allergens, diets = known(booking.allergens, ALLERGENS), known(booking.diets, DIET_LABELS)
        booking.health = [allergen_label(c) for c in allergens] + [diet_label(c) for c in diets]
        booking.clash = clash(allergens=allergens, diets=diets, meal=meal)
