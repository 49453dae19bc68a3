"""Development sign-in, and staff roles granted only by an administrator (page and command line)."""

import pytest
from sqlalchemy import select

from seeds import load_all
from tests.factories import create_account, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.web.auth.views import safe_next
from trusted_traveler.web.input_guard import refusal


def test_dev_sign_in_lists_the_personas_and_signs_in_a_new_traveler(app, client):
    page = client.get("/auth/dev").get_data(as_text=True)
    for email in ("ana.traveler@example.com", "olivia.officer@example.com", "alex.admin@example.com"):
        assert email in page
    response = client.post("/auth/dev", data={"email": "New.Person@Example.com", "next": "/apply"})
    assert response.headers["Location"] == "/apply"
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "new.person@example.com" in dashboard
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "new.person@example.com"))
        assert account.roles == {"traveler"}


def test_a_first_sign_in_from_a_spanish_browser_makes_a_spanish_account(app):
    """The account keeps the language the person was reading in: their pages after signing in, and every message and
    e-mail we send them, stay Spanish without their finding the switch (English was the default for everyone)."""
    spanish, english = app.test_client(), app.test_client()
    spanish.environ_base["HTTP_ACCEPT_LANGUAGE"] = "es-MX,es;q=0.9,en;q=0.5"
    english.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    sign_in(spanish, "lucia.navegador@example.com")
    sign_in(english, "lucy.browser@example.com")
    assert '<html lang="es">' in spanish.get("/dashboard").get_data(as_text=True)
    with app.app_context():
        languages = dict(db.session.execute(select(Account.email, Account.preferred_language)).all())
    assert languages["lucia.navegador@example.com"] == "es" and languages["lucy.browser@example.com"] == "en"
    other = app.test_client()  # another browser, English: the account's Spanish wins over the browser's
    sign_in(other, "lucia.navegador@example.com")
    assert '<html lang="es">' in other.get("/dashboard").get_data(as_text=True)


def test_dev_sign_in_rejects_a_bad_email_and_keeps_what_was_typed(client):
    response = client.post("/auth/dev", data={"email": "not-an-email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter a real e-mail address" in html
    assert 'value="not-an-email"' in html


def test_sign_in_does_not_follow_an_offsite_next(client):
    response = client.post("/auth/dev", data={"email": "a@example.com", "next": "//evil.example.com/x"})
    assert response.headers["Location"] == "/dashboard"


# Ways to write an address that a browser takes off the site: it drops tabs and line breaks anywhere in an address,
# trims control characters and spaces from its ends, and reads a backslash as a slash. Sign-in and the language
# switch follow none of them (and no target with a control character, whitespace or a backslash at all).
OFFSITE_NEXT = [
    "//evil.example/x",
    "///evil.example/x",
    "https://evil.example/x",
    "javascript:alert(1)",
    "/\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "/\t/evil.example",  # "/%09/evil.example" in the link
    "/\r\n/evil.example",
    "/\n/evil.example",
    "/\x0b/evil.example",
    "/\x1f/evil.example",
    "/\x7f/evil.example",
    "/\x85/evil.example",
    "/\u2028/evil.example",
    "/\u3000/evil.example",
    "/ /evil.example",
    "\t//evil.example",
    " //evil.example",
]


@pytest.mark.parametrize("target", OFFSITE_NEXT)
def test_a_disguised_offsite_next_is_refused(app, target):
    with app.test_request_context():
        assert safe_next(target) == "/dashboard"


def test_a_same_site_path_is_followed_with_its_query_string(client):
    """Percent-escapes are only text in a path or a query string: a browser does not decode them to leave the site."""
    for target in ("/appointments/availability?state=TX&program=global_entry", "/which-program?q=%09%5C%2F%2F"):
        response = client.post("/auth/dev", data={"email": "a@example.com", "next": target})
        assert response.headers["Location"] == target


@pytest.mark.parametrize("target", [t for t in OFFSITE_NEXT if not refusal(t, one_line=True)])
def test_sign_in_follows_no_disguised_offsite_next(client, target):
    response = client.post("/auth/dev", data={"email": "a@example.com", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize("target", [t for t in OFFSITE_NEXT if refusal(t, one_line=True)])
def test_sign_in_with_a_next_holding_a_tab_a_line_break_or_a_control_character_is_refused(client, target):
    """The form itself refuses them, as every field of one line does (web/input_guard.py): nobody is signed in."""
    response = client.post("/auth/dev", data={"email": "a@example.com", "next": target})
    assert response.status_code == 400 and str(refusal(target, one_line=True)) in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_sign_out_ends_the_session(client):
    sign_in(client, "leaving@example.com")
    response = client.post("/auth/logout")
    assert response.headers["Location"].endswith("/auth/signed-out")
    assert client.get("/dashboard").status_code == 302


def test_an_administrator_grants_and_revokes_a_role_and_both_are_audited(app, client):
    with app.app_context():
        create_account("boss@example.com", roles=("admin",))
        create_account("new.officer@example.com")
        db.session.commit()
    sign_in(client, "boss@example.com")
    response = client.post("/admin/roles", data={"email": "new.officer@example.com", "role": "officer"})
    assert response.status_code == 302
    assert "new.officer@example.com" in client.get("/admin/roles").get_data(as_text=True)
    client.post("/admin/roles/revoke", data={"email": "new.officer@example.com", "role": "officer"})
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == "new.officer@example.com"))
        assert account.role_grants == []
        actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(account.id))).all()
        assert actions[-2:] == ["role.granted", "role.revoked"]


def test_an_administrator_cannot_remove_their_own_role_nor_the_last_administrator(app, client):
    with app.app_context():
        create_account("boss@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, "boss@example.com")
    response = client.post("/admin/roles/revoke", data={"email": "boss@example.com", "role": "admin"})
    assert response.status_code == 400
    assert "You cannot remove your own administrator role" in response.get_data(as_text=True)
    assert client.get("/admin/roles").status_code == 200  # still an administrator
    with app.app_context():
        from trusted_traveler.auth import service as accounts

        boss = db.session.scalar(select(Account).where(Account.email == "boss@example.com"))
        with pytest.raises(BusinessRuleViolation, match="the only administrator"):
            accounts.revoke_role(boss, "admin", by=None)  # the command line cannot leave none either
        db.session.rollback()
        create_account("deputy@example.com", roles=("admin",))
        db.session.commit()
    client.post("/admin/roles/revoke", data={"email": "deputy@example.com", "role": "admin"})
    with app.app_context():
        deputy = db.session.scalar(select(Account).where(Account.email == "deputy@example.com"))
        assert deputy.role_grants == []  # another administrator's role can go


def test_granting_a_role_someone_already_holds_says_nothing_changed(app, client):
    with app.app_context():
        create_account("boss@example.com", roles=("admin",))
        create_account("olga@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "boss@example.com")
    response = client.post("/admin/roles", data={"email": "olga@example.com", "role": "officer"}, follow_redirects=True)
    assert "olga@example.com is already enrollment officer: nothing changed." in response.get_data(as_text=True)


def test_granting_a_role_to_someone_who_never_signed_in_says_so(app, client):
    with app.app_context():
        create_account("boss@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, "boss@example.com")
    response = client.post("/admin/roles", data={"email": "ghost@example.com", "role": "officer"})
    assert response.status_code == 400
    assert "must sign in once first" in response.get_data(as_text=True)


def test_flask_roles_grant_command(app):
    with app.app_context():
        create_account("cli.person@example.com")
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roles", "grant", "cli.person@example.com", "supervisor"])
    assert result.exit_code == 0, result.output
    assert "now has the role supervisor" in result.output
    bad = runner.invoke(args=["roles", "grant", "cli.person@example.com", "emperor"])
    assert bad.exit_code != 0 and "choose one of" in bad.output
    listing = runner.invoke(args=["roles", "list"])
    assert "cli.person@example.com: supervisor" in listing.output


def test_flask_seed_command_is_idempotent(app):
    runner = app.test_cli_runner()
    assert "personas +10" in runner.invoke(args=["seed"]).output
    assert "personas +0" in runner.invoke(args=["seed"]).output


@pytest.mark.usefixtures("app_ctx")
def test_staff_roles_never_come_from_the_sign_in_provider():
    load_all()
    from trusted_traveler.auth.service import account_for_sign_in

    account = account_for_sign_in(issuer="https://idp.example.gov", subject="abc", email="olivia.officer@example.com")
    assert account.roles == {"traveler"}  # same e-mail as a seeded officer, but a different (issuer, sub)


def test_a_name_from_the_provider_longer_than_the_account_keeps_is_cut_to_fit(app_ctx):
    from trusted_traveler.auth.service import account_for_sign_in

    name = "Maria " + "de la Concepcion " * 20
    account = account_for_sign_in(issuer="https://idp.example.gov", subject="long", email="m@example.com", name=name)
    db.session.flush()
    assert account.display_name == name[:200]


def _two_accounts_with_one_address():
    """The same address signed in through two providers: two accounts, keyed by (issuer, subject)."""
    from trusted_traveler.auth import service as accounts

    create_account("shared@example.com")
    accounts.account_for_sign_in(
        issuer="https://idp.int.identitysandbox.gov", subject="uuid-2", email="shared@example.com"
    )
    db.session.commit()


def test_a_role_is_never_granted_to_one_of_two_accounts_that_share_an_address(app, client):
    with app.app_context():
        create_account("boss@example.com", roles=("admin",))
        _two_accounts_with_one_address()
    sign_in(client, "boss@example.com")
    response = client.post("/admin/roles", data={"email": "shared@example.com", "role": "officer"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "2 accounts use the e-mail address shared@example.com" in page
    assert "--issuer ISSUER --subject SUBJECT" in page
    assert 'value="shared@example.com"' in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalars(select(Account).where(Account.email == "shared@example.com")).all()
        assert all(
            a.role_grants == [] for a in db.session.scalars(select(Account)).all() if a.email != "boss@example.com"
        )


def test_the_command_line_names_the_account_when_two_share_an_address(app):
    with app.app_context():
        _two_accounts_with_one_address()
    runner = app.test_cli_runner()
    ambiguous = runner.invoke(args=["roles", "grant", "shared@example.com", "officer"])
    assert ambiguous.exit_code != 0 and "2 accounts use the e-mail address" in ambiguous.output
    named = ["--issuer", "https://idp.int.identitysandbox.gov", "--subject", "uuid-2"]
    granted = runner.invoke(args=["roles", "grant", "shared@example.com", "officer", *named])
    assert granted.exit_code == 0, granted.output
    with app.app_context():
        holders = db.session.scalars(select(Account).where(Account.role_grants.any())).all()
        assert [(a.issuer, a.subject) for a in holders] == [("https://idp.int.identitysandbox.gov", "uuid-2")]
    # only one of the two holds the role, so taking it away needs no naming
    revoked = runner.invoke(args=["roles", "revoke", "shared@example.com", "officer"])
    assert revoked.exit_code == 0, revoked.output
    with app.app_context():
        assert db.session.scalars(select(Account).where(Account.role_grants.any())).all() == []
