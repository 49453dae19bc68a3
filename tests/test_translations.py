"""Spanish for everything a traveler sees: every string on the traveler's pages, forms, messages, e-mails and letters
has a Spanish translation, and the language chosen is the one used."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from tests.factories import create_account, sign_in
from tests.test_sign_in_and_roles import OFFSITE_NEXT

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "trusted_traveler/translations/es/LC_MESSAGES/messages.po"
# The same keywords as `make translations` (babel.cfg says where to look).
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "N_": None}

# Staff pages stay English for now (the survey results are for program leads); everything else under templates/ is
# what a traveler or the public can see.
STAFF_TEMPLATES = ("officer/", "admin/", "rules_console/", "feedback/results.html")
TRAVELER_MODULES = (
    "api/eligibility.py",  # the public eligibility check: its 400's messages too
    "api/traveler.py",
    "auth/policy.py",
    "casework/decisions.py",
    "casework/documents.py",
    "casework/letters.py",
    "casework/reasons.py",
    "casework/service.py",
    "casework/states.py",
    "casework/stats.py",
    "casework/transitions.py",
    "errors.py",
    "feedback/performance.py",
    "feedback/service.py",
    "i18n.py",
    "memberships/lifecycle.py",
    "notifications/service.py",
    "notifications/worker.py",
    "payments/sandbox.py",
    "payments/service.py",
    "privacy/deletion.py",
    "privacy/service.py",
    "profiles/history.py",
    "profiles/service.py",
    "scheduling/capacity.py",
    "scheduling/ics.py",
    "scheduling/lookups.py",
    "scheduling/service.py",
    "scheduling/waitlist.py",
    "web/auth/views.py",
    "web/availability/forms.py",
    "web/availability/views.py",
    "web/forms.py",
    "web/input_guard.py",
    "web/feedback/forms.py",
    "web/feedback/views.py",
    "web/intake/forms.py",
    "web/intake/views.py",
    "web/performance/charts.py",
    "web/performance/views.py",
    "web/portal/appointments.py",
    "web/portal/case.py",
    "web/portal/my_data.py",
    "web/portal/notifications.py",
    "web/portal/privacy.py",
    "web/portal/views.py",
    "web/public/forms.py",
    "web/public/views.py",
)


def _not_hidden(path: str) -> bool:
    """The directories pybabel reads (`make translations` passes --ignore-dirs '.*'): all but hidden ones, so
    templates/_macros is read too (Babel's default also skips names starting with '_')."""
    return not Path(path).name.startswith(".")


def traveler_facing_messages() -> dict[str, str]:
    """Every msgid a traveler can meet, with where it comes from, extracted the way pybabel does."""
    found: dict[str, str] = {}

    def collect(directory: Path, method_map, wanted):
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map, keywords=KEYWORDS, directory_filter=_not_hidden
        ):
            # ngettext's (singular, plural): the catalog knows the pair by its singular
            msgid = message[0] if isinstance(message, tuple) else message
            if wanted(filename) and msgid:
                found.setdefault(msgid, filename)

    collect(ROOT / "templates", [("**.html", "jinja2")], lambda f: not f.startswith(STAFF_TEMPLATES))
    collect(ROOT / "trusted_traveler", [("**.py", "python")], lambda f: f in TRAVELER_MODULES)
    return found


@pytest.fixture(scope="module")
def catalog():
    with CATALOG.open("rb") as fh:
        return read_po(fh, locale="es")


def test_every_traveler_facing_string_has_a_spanish_translation(catalog):
    """The test that fails when someone adds a traveler-facing string without translating it."""
    missing = []
    for msgid, source in sorted(traveler_facing_messages().items()):
        entry = catalog.get(msgid)
        strings = (entry.string if isinstance(entry.string, tuple) else (entry.string,)) if entry else ()
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{source}: {msgid!r}")
    assert not missing, (
        f"{len(missing)} traveler-facing strings have no Spanish translation. Run `make translations`, translate "
        "them in trusted_traveler/translations/es/LC_MESSAGES/messages.po, and run `make translations` again:\n"
        + "\n".join(missing[:50])
    )


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")


def test_translations_keep_every_placeholder(catalog):
    wrong = [
        entry.id
        for entry in catalog
        if entry.id
        and entry.string
        and not isinstance(entry.id, tuple)
        and sorted(PLACEHOLDER.findall(entry.id)) != sorted(PLACEHOLDER.findall(entry.string))
    ]
    assert not wrong, f"These translations lost or changed a %(name)s placeholder: {wrong}"


def test_the_compiled_catalog_is_up_to_date():
    mo = CATALOG.with_suffix(".mo")
    assert mo.exists() and mo.stat().st_mtime >= CATALOG.stat().st_mtime, "Run `make translations` (or `make install`)"


def test_accept_language_es_gives_the_home_page_in_spanish(client):
    html = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="es">' in html
    assert "TSA PreCheck y Global Entry en un solo lugar" in html
    assert 'lang="en" hreflang="en">English</a>' in html


@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("es-US,en;q=0.5", "es"),  # werkzeug's best_match preferred the exact "en" over the preferred "es-US"
        ("en-US,es;q=0.9", "en"),
        ("fr,es;q=0.8,en;q=0.7", "es"),
        ("es;q=0,en", "en"),
        ("*", "en"),
    ],
)
def test_the_browsers_first_language_we_speak_wins_in_its_own_order(client, accept, lang):
    html = client.get("/", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    answer = client.post(  # a Canadian child: Global Entry's reasons, in the chosen language
        "/api/v1/eligibility/check",
        json={"date_of_birth": "2016-06-02", "citizenships": ["CA"]},
        headers={"Accept-Language": accept},
    ).get_json()
    message = answer["programs"]["global_entry"]["reasons"][0]["message"]
    assert ("Global Entry es para" in message) == (lang == "es")


def test_english_by_default(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "TSA PreCheck and Global Entry in one place" in html
    assert 'lang="es" hreflang="es">Español</a>' in html


def _language_of(app, email: str) -> str:
    from trusted_traveler.auth.models import Account
    from trusted_traveler.extensions import db

    with app.app_context():
        return db.session.query(Account).filter_by(email=email).one().preferred_language


def test_the_switch_is_remembered_in_the_session_and_on_the_account(app, client):
    response = client.get("/language/es?next=/which-program")
    assert response.status_code == 302 and response.headers["Location"] == "/which-program"
    assert '<html lang="es">' in client.get("/which-program").get_data(as_text=True)
    with client.session_transaction() as session:
        assert session["lang"] == "es" and session.permanent

    # chosen before signing in: kept through sign-in, and saved on the account
    sign_in(client, "lucia@example.com")
    assert '<html lang="es">' in client.get("/dashboard").get_data(as_text=True)
    assert _language_of(app, "lucia@example.com") == "es"

    # another browser, asking for English: the account remembers Spanish
    other = app.test_client()
    sign_in(other, "lucia@example.com")
    with other.session_transaction() as session:
        session.pop("lang", None)
    html = other.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="es">' in html and "Mis solicitudes" in html

    other.get("/language/en")
    assert _language_of(app, "lucia@example.com") == "en"


def test_only_english_and_spanish_and_only_same_site_next(client):
    assert client.get("/language/fr").status_code == 404
    assert client.get("/language/es?next=//evil.example/").headers["Location"] == "/"
    assert client.get("/language/es?next=https://evil.example/").headers["Location"] == "/"


@pytest.mark.parametrize("target", OFFSITE_NEXT)
def test_the_switch_follows_no_disguised_offsite_next(client, target):
    response = client.get("/language/es", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def _switch_link(html: str) -> str:
    return re.search(r'href="([^"]*)"[^>]*hreflang="es"', html).group(1).replace("&amp;", "&")


@pytest.mark.parametrize(
    "page",
    [
        "/which-program",
        "/appointments/availability?state=TX&program=global_entry",  # a filtered list stays filtered
        "/appointments/availability?state=&program=precheck&x=%2F%2Fevil.example%09",
    ],
)
def test_the_switch_brings_the_reader_back_to_the_same_page_with_its_query_string(client, page):
    link = _switch_link(client.get(page).get_data(as_text=True))
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == page
    assert '<html lang="es">' in client.get(page).get_data(as_text=True)


def test_an_address_whose_query_string_is_not_utf8_still_shows_the_page_and_its_switch(client):
    """A client may send any bytes: they come back percent-encoded, as the same page, never an error."""
    raw = "x=\xff&y=a b\\"  # as WSGI hands over the bytes 0xFF, a space and a backslash
    response = client.get("/which-program", environ_overrides={"QUERY_STRING": raw})
    assert response.status_code == 200
    back = client.get(_switch_link(response.get_data(as_text=True))).headers["Location"]
    assert back == "/which-program?x=%FF&y=a%20b%5C"
    signed_out = client.get("/dashboard", environ_overrides={"QUERY_STRING": raw})  # sign-in comes back here too
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"] == "/auth/sign-in?next=/dashboard?x%3D%25FF%26y%3Da%2520b%255C"


def test_a_form_error_in_spanish(client):
    client.get("/language/es")
    html = client.post("/which-program", data={}).get_data(as_text=True)
    assert "Hay un problema" in html
    assert "Escriba su fecha de nacimiento como una fecha real." in html


def test_a_notification_and_an_email_for_a_spanish_speaking_traveler(app):
    """Written in the recipient's language, whatever the language of the request that caused it (an officer's)."""
    from flask_babel import lazy_gettext

    from trusted_traveler.extensions import db
    from trusted_traveler.notifications.models import OutboxMessage
    from trusted_traveler.notifications.service import notify
    from trusted_traveler.notifications.worker import build_email

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        traveler = create_account("sofia@example.com")
        traveler.preferred_language = "es"
        english = create_account("sam@example.com")
        note = notify(
            traveler,
            kind="test",
            title=lazy_gettext("Your %(visit)s is booked: %(when)s", visit=lazy_gettext("interview"), when="x"),
            body=lazy_gettext("Book a new time whenever you are ready."),
            link="/dashboard",
        )
        kept = notify(english, kind="test", title=lazy_gettext("Book a new time whenever you are ready."), body="")
        assert note.title == "Su entrevista está reservada: x"
        assert note.body == "Reserve una nueva hora cuando quiera."
        assert kept.title == "Book a new time whenever you are ready."
        db.session.flush()
        message = db.session.query(OutboxMessage).filter_by(recipient="sofia@example.com").one()
        assert message.payload["subject"] == note.title
        email = build_email(message)
        db.session.rollback()
    assert email["Subject"] == "Su entrevista está reservada: x"
    assert email["Content-Language"] == "es"
    assert "Vea los detalles:" in email.get_content()


def test_status_change_notifications_speak_the_travelers_language(app):
    from trusted_traveler.casework.states import public_label

    with app.test_request_context("/"), force_locale("es"):
        from flask_babel import gettext

        assert gettext(public_label("global_entry", "conditionally_approved")) == "Aprobación condicional"


def test_dates_in_spanish(app):
    from trusted_traveler.i18n import format_day

    with app.test_request_context("/"):
        assert format_day(dt.date(2027, 3, 4)) == "March 4, 2027"
        with force_locale("es"):
            assert format_day(dt.date(2027, 3, 4)) == "4 de marzo de 2027"


def test_a_decision_letter_in_spanish(app_ctx):
    from tests.casework.test_decisions import in_review
    from tests.factories import create_officer
    from trusted_traveler.casework import decisions
    from trusted_traveler.casework.letters import letter_content, render_pdf

    application = in_review()
    letter = decisions.deny(application, by=create_officer(), reason_codes=["criminal_history"], note="Ver registro.")
    content = letter_content(letter, language="es")
    assert content.title == "Decisión sobre su solicitud de Global Entry"
    assert content.opening.startswith("Decidimos no aprobar su solicitud de Global Entry")
    assert content.reasons[0] == (
        "Nuestros registros muestran un arresto, una condena, un cargo pendiente o una orden de arresto, en Estados "
        "Unidos o en otro país.",
        "8 CFR 235.12(b)(2)(ii)",
    )
    assert any("Pídanos que reconsideremos" in step for step in content.next_steps)
    assert " de 20" in content.date_text  # "4 de marzo de 2027"
    assert letter_content(letter).title == "Decision on your Global Entry application"
    assert render_pdf(letter, "es").startswith(b"%PDF-")


def test_the_survey_in_spanish(client, app):
    """The A-11 items, the scale, the choices and the service's own error, in Spanish."""
    from tests.factories import survey_invitation
    from trusted_traveler.extensions import db

    with app.app_context():
        invitation = survey_invitation("appointment")
        db.session.commit()
    client.get("/language/es")
    html = client.get(f"/feedback/appointment?invitation={invitation}").get_data(as_text=True)
    assert "Estoy satisfecho con el servicio que recibí de Trusted Traveler." in html
    assert "Los empleados con los que traté me ayudaron." in html
    assert "Muy en desacuerdo" in html and "Ni de acuerdo ni en desacuerdo" in html
    assert "Después de una cita" in html and "Enviar mis respuestas" in html
    html = client.post("/feedback/appointment", data={"satisfaction": "9", "invitation": invitation}).get_data(
        as_text=True
    )
    assert "Elija una de las cinco respuestas, de muy en desacuerdo a muy de acuerdo" in html


def test_the_performance_dashboard_in_spanish_with_english_download_keys(client):
    """Titles, column names, notes and "not enough data" in Spanish; the CSV header and JSON keys stay English."""
    from trusted_traveler.feedback import performance

    performance.cache.clear()
    client.get("/language/es")
    html = client.get("/dashboard/performance").get_data(as_text=True)
    assert "Desempeño de Viajero de Confianza" in html
    assert "Tiempo de trámite, desde el envío hasta la decisión" in html and "Mediana (días)" in html
    assert "Todavía no hay suficientes datos." in html and "Tiempo Universal Coordinado (UTC)" in html
    assert 'Descargar una hoja de cálculo (<abbr title="valores separados por comas">CSV</abbr>)' in html
    assert "Después de enviar una solicitud" in html
    header = client.get("/dashboard/performance/processing-time.csv").get_data(as_text=True).splitlines()[0]
    assert header == "program,decisions,median_days,p75_days"
    figure = client.get("/dashboard/performance.json").get_json()["figures"]["processing-time"]
    assert figure["columns"] == ["program", "decisions", "median_days", "p75_days"]
    assert figure["labels"][2] == "Mediana (días)"
    # the same cached figure, read in English by the next reader
    client.get("/language/en")
    assert "Processing time, from submission to decision" in client.get("/dashboard/performance").get_data(as_text=True)
    performance.cache.clear()


def test_messages_built_from_data_are_in_spanish(app):
    """Upload, application, booking and status messages that name a file, a program or a center."""
    from trusted_traveler.casework.documents import check_files
    from trusted_traveler.errors import BusinessRuleViolation

    with app.test_request_context("/"), force_locale("es"):
        with pytest.raises(BusinessRuleViolation, match="nota.txt no es un tipo de archivo que aceptamos"):
            check_files([("nota.txt", b"just text")])
        with pytest.raises(BusinessRuleViolation, match="Envíe como máximo 5 archivos a la vez. Usted eligió 6."):
            check_files([(f"{n}.pdf", b"%PDF-1.4") for n in range(6)])
    with app.test_request_context("/"):  # English by default, and outside a request too
        with pytest.raises(BusinessRuleViolation, match="nota.txt is not a file type we accept"):
            check_files([("nota.txt", b"just text")])
    with pytest.raises(BusinessRuleViolation, match="nota.txt is not a file type we accept"):
        check_files([("nota.txt", b"just text")])


def test_an_invalid_move_names_both_statuses_in_spanish(app_ctx):
    from tests.factories import create_application
    from trusted_traveler.casework.transitions import transition
    from trusted_traveler.errors import InvalidTransition

    application = create_application("global_entry", submitted=True)
    with force_locale("es"), pytest.raises(InvalidTransition, match="no puede pasar a «Aprobada»"):
        transition(application, "approved", by=None)


def test_traveler_templates_show_no_text_outside_the_catalog():
    """Visible words written straight into a traveler template (not through `_()`) would escape the check above and
    stay English: there are none, except language names in their own language and the site's address."""
    allowed = {"TSA", "PreCheck", "Global", "Entry", "English", "Español", "UTC", "trustedtraveler.example.gov"}
    found = {}
    for path in sorted((ROOT / "templates").rglob("*.html")):
        relative = str(path.relative_to(ROOT / "templates"))
        if relative.startswith(STAFF_TEMPLATES):
            continue
        text = path.read_text()
        for pattern in (r"\{#.*?#\}", r"\{%.*?%\}", r"\{\{.*?\}\}", r"<(script|style)[^>]*>.*?</\1>", r"<[^>]+>"):
            text = re.sub(pattern, " ", text, flags=re.S)
        words = [w for w in re.findall(r"[A-Za-zÀ-ÿ][\w'’.-]*", text) if w.strip(".") not in allowed]
        if words:
            found[relative] = words[:8]
    assert found == {}, f"untranslatable text in traveler templates: {found}"


def test_traveler_modules_flash_only_translated_messages():
    """A message flashed as an f-string or a bare string literal is English whatever the traveler chose (the booking
    confirmation was, until stop 16): each flash in a traveler module passes gettext's result or a translated
    message it was handed (an exception's)."""
    import ast

    untranslated = []
    for module in TRAVELER_MODULES:
        path = ROOT / "trusted_traveler" / module
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "flash" and node.args:
                if isinstance(node.args[0], ast.JoinedStr | ast.Constant):
                    untranslated.append(f"{module}:{node.lineno}")
    assert not untranslated, f"flash() with text not passed through gettext: {untranslated}"
