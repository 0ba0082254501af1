"""Every string the app shows has its English translation, compiled."""

import gettext
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def test_every_string_has_an_english_translation_and_the_catalogue_is_compiled():
    po_path = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == [], f"untranslated: {untranslated[:20]}"
    assert fuzzy == [], f"fuzzy: {fuzzy[:20]}"

    with open(po_path.with_suffix(".mo"), "rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    stale = [
        entry.msgid
        for entry in catalogue.translated_entries()
        if not entry.msgid_plural and translations.gettext(entry.msgid) != entry.msgstr
    ]
    assert stale == [], f"django.mo is older than django.po (compilemessages): {stale[:10]}"
