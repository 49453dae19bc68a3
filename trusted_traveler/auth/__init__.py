"""Accounts, roles, route policies and the OpenID Connect client. The sign-in pages live in web/auth."""
