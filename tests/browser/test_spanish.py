"""A Spanish-speaking traveler switches to Español in the header and stays in Spanish, in a real browser; the Spanish
pages pass axe-core. Screenshots of the home page and the dashboard in both languages go to test-results/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import violations
from tests.factories import create_account, create_application, create_profile

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"spanish-{name}.png"), full_page=True)


def test_a_traveler_switches_to_spanish_and_stays_in_spanish(page: Page, app):
    with app.app_context():
        from trusted_traveler.extensions import db

        profile = create_profile(create_account("paula.viajera@example.com"))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        db.session.commit()

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    shot(page, "home-en")
    switch = page.get_by_test_id("language-switch").get_by_role("link", name="Español")
    expect(switch).to_have_attribute("lang", "es")
    expect(switch).to_have_attribute("hreflang", "es")
    switch.click()

    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("TSA PreCheck y Global Entry en un solo lugar")
    shot(page, "home-es")
    assert violations(page, "/") == []

    page.get_by_role("link", name="Responda unas preguntas para saberlo").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_label("¿Cuál es su fecha de nacimiento?")).to_be_visible()
    expect(page.get_by_label("¿De qué país es usted ciudadano?").locator("option[value=MX]")).to_have_text("México")
    page.get_by_role("button", name="Verificar", exact=True).click()
    expect(page.get_by_role("heading", name="Hay un problema")).to_be_visible()
    expect(page.get_by_text("Escriba su fecha de nacimiento como una fecha real.").first).to_be_visible()
    assert violations(page, "/which-program") == []

    page.goto("/auth/dev")  # the development sign-in, in Spanish too
    page.get_by_label("Correo electrónico").fill("paula.viajera@example.com")
    page.get_by_role("button", name="Iniciar sesión", exact=True).click()
    page.goto("/dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mis solicitudes")
    expect(page.get_by_test_id(f"status-{reference}")).to_have_text("Visite un centro de inscripción")
    shot(page, "dashboard-es")
    assert violations(page, "/dashboard") == []
    assert violations(page, f"/applications/{reference}") == []
    expect(page.get_by_text("Qué tiene que hacer ahora")).to_be_visible()

    page.get_by_test_id("language-switch").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/dashboard")
    expect(page.get_by_role("heading", level=1)).to_have_text("My applications")
    shot(page, "dashboard-en")
