"""WTForms' own messages are in the reader's language, and each language's catalog is read from disk once a process,
not once a request (Flask-WTF would read it for every request whose form says anything)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from trusted_traveler import i18n


class _NameForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField("Name", validators=[DataRequired()])


def _errors_in(app, language: str) -> list[str]:
    with app.test_request_context("/", method="POST", data={"name": ""}, headers={"Accept-Language": language}):
        app.preprocess_request()
        form = _NameForm()
        form.validate()
        return form.name.errors


def test_wtforms_messages_follow_the_readers_language(app):
    assert _errors_in(app, "es") == ["Este campo es obligatorio."]
    assert _errors_in(app, "en") == ["This field is required."]


def test_each_language_catalog_is_read_once_for_many_requests(app, monkeypatch):
    reads = []
    real_load = i18n.Translations.load

    def counting_load(dirname, locales, domain):
        reads.append((tuple(str(locale) for locale in locales), domain))
        return real_load(dirname, locales, domain)

    monkeypatch.setattr(i18n.Translations, "load", counting_load)
    i18n._wtforms_catalog.cache_clear()
    try:
        for _ in range(3):
            assert _errors_in(app, "es") == ["Este campo es obligatorio."]
            assert _errors_in(app, "en") == ["This field is required."]
    finally:
        i18n._wtforms_catalog.cache_clear()
    assert sorted(reads) == [(("en",), "wtforms"), (("es",), "wtforms")]
