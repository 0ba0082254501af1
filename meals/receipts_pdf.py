"""The PDF of a tax receipt, with the mentions of the Cerfa 11580 model (« Reçu au titre des dons »).

Made with fpdf2 (pure Python). Always in French: it is a French tax document,
whatever the language of the person it is sent to. Everything printed comes
from the receipt row (copied when it was issued), so the PDF made again later
says the same thing.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.utils import timezone
from fpdf import FPDF
from num2words import num2words

from meals.models import TaxReceipt

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
ARTICLES = {
    "200": "200 du code général des impôts (dons des particuliers)",
    "238bis": "238 bis du code général des impôts (dons des entreprises)",
}
MONTHS = [
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
]  # fmt: skip


def amount_in_words(amount: Decimal) -> str:
    """« cent vingt-trois euros et quarante-cinq centimes », « quatre-vingts euros », « un euro »."""
    euros, cents = divmod(int((amount * 100).to_integral_value()), 100)
    words = f"{num2words(euros, lang='fr')} {'euro' if euros == 1 else 'euros'}"
    if euros >= 1_000_000 and euros % 1_000_000 == 0:
        words = f"{num2words(euros, lang='fr')} d'euros"
    if cents:
        words += f" et {num2words(cents, lang='fr')} {'centime' if cents == 1 else 'centimes'}"
    return words


def amount_in_figures(amount: Decimal) -> str:
    """« 1 234,50 € » (narrow no-break spaces, as French prints it)."""
    units, _, cents = f"{amount:.2f}".partition(".")
    grouped = f"{int(units):,}".replace(",", "\u202f")
    return f"{grouped},{cents}\u00a0€"


def french_date(day) -> str:
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


class _Receipt(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=16)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("body", "", str(regular))
            self.add_font("body", "B", str(bold))
            self.family_name = "body"
        else:  # pragma: no cover - a server without DejaVu: the core font (Latin-1 only)
            self.family_name = "helvetica"

    def text_safe(self, text: str) -> str:
        if self.family_name == "body":
            return text
        return text.replace("\u202f", " ").replace("\u00a0", " ").replace("€", "EUR").replace("’", "'")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(self.family_name, "B", 12)
        self.set_fill_color(235, 235, 235)
        self.cell(0, 8, self.text_safe(text), fill=True, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def line_of(self, label: str, value: str, *, bold: bool = False) -> None:
        self.set_font(self.family_name, "B", 10)
        self.write(6, self.text_safe(f"{label} : ".replace(" :", "\u00a0:")))
        self.set_font(self.family_name, "B" if bold else "", 10)
        self.multi_cell(0, 6, self.text_safe(value), new_x="LMARGIN", new_y="NEXT")


def receipt_pdf(receipt: TaxReceipt) -> bytes:
    pdf = _Receipt()
    pdf.set_title(f"Reçu fiscal {receipt.number}")
    pdf.set_author(receipt.association_name)
    pdf.add_page()
    family = pdf.family_name

    pdf.set_font(family, "B", 15)
    title = "Reçu au titre des dons à certains organismes d'intérêt général"
    pdf.multi_cell(0, 7, pdf.text_safe(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(family, "", 9)
    pdf.multi_cell(
        0,
        5,
        pdf.text_safe("Articles 200, 238 bis et 978 du code général des impôts — modèle Cerfa n° 11580"),
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(2)
    pdf.set_font(family, "B", 11)
    pdf.cell(0, 7, pdf.text_safe(f"Numéro d'ordre du reçu\u00a0: {receipt.number}"), new_x="LMARGIN", new_y="NEXT")
    if receipt.is_cancelled:
        pdf.set_text_color(170, 0, 0)
        pdf.set_font(family, "B", 13)
        when = french_date(timezone.localtime(receipt.cancelled_at).date())
        pdf.multi_cell(
            0,
            7,
            pdf.text_safe(
                f"REÇU ANNULÉ le {when}\u00a0: {receipt.cancel_reason}. Il n'ouvre droit à aucune réduction."
            ),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.set_text_color(0, 0, 0)
    if receipt.replaces_id:
        pdf.set_font(family, "", 10)
        pdf.cell(
            0,
            6,
            pdf.text_safe(f"Ce reçu remplace le reçu n° {receipt.replaces.number}, annulé."),
            new_x="LMARGIN",
            new_y="NEXT",
        )

    pdf.heading("Bénéficiaire des versements")
    pdf.line_of("Nom ou dénomination", receipt.association_name)
    pdf.line_of("Adresse", receipt.association_address)
    pdf.line_of("Objet", receipt.association_object)
    pdf.line_of("Qualité", "Œuvre ou organisme d'intérêt général")

    pdf.heading("Donateur")
    pdf.line_of("Nom et prénoms", receipt.donor_name)
    pdf.line_of("Adresse", receipt.donor_address)

    pdf.heading("Dons")
    pdf.set_font(family, "", 10)
    pdf.multi_cell(
        0,
        6,
        pdf.text_safe(
            "Le bénéficiaire reconnaît avoir reçu au titre des dons et versements ouvrant droit à réduction "
            "d'impôt la somme de\u00a0:"
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.line_of("Somme en chiffres", amount_in_figures(receipt.amount), bold=True)
    pdf.line_of("Somme en toutes lettres", amount_in_words(receipt.amount), bold=True)
    if receipt.first_gift_on == receipt.last_gift_on:
        pdf.line_of("Date du versement ou du don", french_date(receipt.first_gift_on))
    else:
        pdf.line_of(
            "Dates des versements",
            f"du {french_date(receipt.first_gift_on)} au {french_date(receipt.last_gift_on)} (reçu annuel)",
        )
    article = ARTICLES.get(receipt.article, receipt.article)
    pdf.multi_cell(
        0,
        6,
        pdf.text_safe(
            "Le bénéficiaire certifie sur l'honneur que les dons et versements qu'il reçoit ouvrent droit "
            f"à la réduction d'impôt prévue à l'article {article}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.line_of("Forme du don", "Déclaration de don manuel (dons manuels)")
    pdf.line_of("Nature du don", "Numéraire")
    pdf.line_of("Mode de versement", receipt.methods)
    if receipt.kind == TaxReceipt.Kind.ANNUAL:
        pdf.ln(1)
        pdf.set_font(family, "", 9)
        for line in receipt.lines.select_related("contribution").order_by("contribution__recorded_at", "pk"):
            gift = line.contribution
            given_on = french_date(timezone.localtime(gift.recorded_at).date())
            pdf.cell(
                0,
                5,
                pdf.text_safe(f"— {given_on}\u00a0: {amount_in_figures(gift.amount)} ({gift.get_method_display()})"),
                new_x="LMARGIN",
                new_y="NEXT",
            )

    pdf.heading("Date et signature")
    pdf.set_font(family, "", 10)
    # « 12 rue des Lilas, 75019 Paris » → « Paris » (« Le Mans » stays whole).
    town = receipt.association_address.rpartition(", ")[2].partition(" ")[2]
    pdf.cell(
        0,
        6,
        pdf.text_safe(f"Fait à {town}, le {french_date(timezone.localtime(receipt.issued_at).date())}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        6,
        pdf.text_safe(f"{receipt.signatory_name}, {receipt.signatory_role}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if receipt.signature_image:
        try:
            pdf.image(io.BytesIO(bytes(receipt.signature_image)), w=45)
        except Exception:  # noqa: BLE001 - a broken image must not stop the receipt; the name is printed
            pass
    return bytes(pdf.output())
