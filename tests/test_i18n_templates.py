"""The templates' `_` and `ngettext` are bound once per rendering to the reader's catalog (trusted_traveler/i18n.py),
and answer exactly as Flask-Babel's: translated, escaped, formatted."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

from trusted_traveler import i18n


def test_a_template_says_it_in_the_readers_language(app):
    with app.test_request_context("/"), force_locale("es"):
        assert render_template_string('{{ _("Sign out") }}') == "Cerrar sesión"
    with app.test_request_context("/"):
        assert render_template_string('{{ _("Sign out") }}') == "Sign out"


def test_what_is_put_into_a_message_is_escaped_and_the_message_is_not(app):
    with app.test_request_context("/"):
        page = render_template_string('{{ _("Hello <b>%(name)s</b>", name=name) }}', name="<script>x</script>")
    assert page == "Hello <b>&lt;script&gt;x&lt;/script&gt;</b>"


def test_plural_messages_count_with_num(app):
    template = '{{ ngettext("%(num)d case", "%(num)d cases", n) }}'
    with app.test_request_context("/"):
        assert render_template_string(template, n=1) == "1 case"
        assert render_template_string(template, n=3) == "3 cases"


def test_a_rendering_finds_the_catalog_once_however_many_messages_it_has(app, monkeypatch):
    calls = []
    real = i18n.get_translations

    def counted():
        calls.append(1)
        return real()

    monkeypatch.setattr(i18n, "get_translations", counted)
    with app.test_request_context("/"), force_locale("es"):
        page = render_template_string('{{ _("Sign out") }} {{ _("Sign out") }} {{ _("Sign out") }}')
    assert page == "Cerrar sesión Cerrar sesión Cerrar sesión"
    assert len(calls) == 1
