"""The reports in a real browser: a coordinator reads a month and a year, charts and all."""

from pathlib import Path

import pytest

from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.meals.test_reports_figures import october  # noqa: F401 (the hand-counted fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_month_report_shows_figures_and_charts_without_axe_violations(page, coordinator, october):  # noqa: F811
    log_in(page, coordinator.email)
    page.goto("/bilans/?month=2025-10")
    assert page.get_by_role("heading", level=1).inner_text() == "Bilan du mois : octobre 2025"
    assert page.locator("svg[role=img]").count() == 3
    assert page.get_by_role("img", name="Couverts servis par repas, octobre 2025").is_visible()
    assert "45,00" in page.locator("#section-money + dl").inner_text()
    assert_no_axe_violations(page)


def test_year_report_and_a_figure_leading_to_its_rows(page, coordinator, october):  # noqa: F811
    log_in(page, coordinator.email)
    page.goto("/bilans/?year=2025")
    assert page.get_by_role("heading", level=1).inner_text() == "Bilan de l'année 2025"
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Espèces").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Participations : 2025"
    assert "5 participations comptées" in page.locator(".report-total").inner_text()
    assert_no_axe_violations(page)


def test_csv_download_from_the_report(page, coordinator, october):  # noqa: F811
    log_in(page, coordinator.email)
    page.goto("/bilans/?month=2025-10")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Les participations (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "cantine-contributions-2025-10.csv"
    content = Path(download.path()).read_text(encoding="utf-8")
    assert content.startswith("\ufeffDate;Repas;Montant")
    assert "10,00" in content


def test_month_report_on_a_phone_has_no_sideways_scroll(phone_page, coordinator, october):  # noqa: F811
    log_in(phone_page, coordinator.email)
    phone_page.goto("/bilans/?month=2025-10")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_axe_violations(phone_page)
