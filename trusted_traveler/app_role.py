"""The application's own PostgreSQL role: rows only, and the audit log append-only for it.

Migrations run as the role that owns the schema (`flask db upgrade` with that role in DATABASE_URL). The web app and
the workers connect as another login role that may read and write rows and nothing else. Owning no table, it cannot
disable, drop or replace the audit log's trigger (migration 0006); it holds no UPDATE, DELETE or TRUNCATE on
audit_events either, so the database refuses those before any trigger runs. `grant_app_role`, run by the owner after
every `flask db upgrade` (`flask db-grant-app-role ROLE`), creates the role if needed and sets exactly these
privileges, whatever it held before.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, text

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class AppRoleError(RuntimeError):
    """The role cannot be set up as asked; the message says why and what to do."""


def grant_app_role(conn: Connection, role: str) -> list[str]:
    """Give ROLE the application's privileges in the current schema, in the caller's transaction. Returns what was
    done, in plain words."""
    if conn.dialect.name != "postgresql":
        raise AppRoleError("database roles are a PostgreSQL setting; this database is " + conn.dialect.name)
    if not ROLE_NAME.fullmatch(role):
        raise AppRoleError(f"{role!r} is not a role name: lower-case letters, digits and _, 63 at most")
    schema, owner, me, may_create_roles = conn.execute(
        text(
            "SELECT current_schema(), t.tableowner, current_user, r.rolsuper OR r.rolcreaterole "
            "FROM pg_roles r LEFT JOIN pg_tables t ON t.schemaname = current_schema() AND t.tablename = 'audit_events' "
            "WHERE r.rolname = current_user"
        )
    ).one()
    if owner is None:
        raise AppRoleError(f"there is no audit_events table in {schema}: run `flask db upgrade` first")
    if not conn.scalar(text("SELECT pg_has_role(current_user, :owner, 'USAGE')"), {"owner": owner}):
        raise AppRoleError(f"connect as {owner}, who owns the tables and runs the migrations (now {me})")

    quote = conn.dialect.identifier_preparer.quote
    who, on, by = quote(role), quote(schema), quote(owner)
    done = []
    found = conn.execute(
        text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is None:
        if not may_create_roles:
            raise AppRoleError(f"{role} does not exist and {me} may not create roles: ask for CREATE ROLE {role} LOGIN")
        conn.exec_driver_sql(f"CREATE ROLE {who} LOGIN")
        done.append(f"Created the login role {role}; give it a password or another way to sign in.")
    elif any(found):
        raise AppRoleError(f"{role} is a superuser or may create roles: the application's role must be neither")
    if conn.scalar(text("SELECT pg_has_role(:role, :owner, 'MEMBER')"), {"role": role, "owner": owner}):
        raise AppRoleError(f"{role} is {owner} or a member of it: the application's role must not own the tables")

    rows_only = "SELECT, INSERT, UPDATE, DELETE"
    for statement in (
        # From nothing (a re-run takes back whatever was granted by hand), then rows only.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {on} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {on} FROM {who}",
        f"GRANT USAGE ON SCHEMA {on} TO {who}",
        f"GRANT {rows_only} ON ALL TABLES IN SCHEMA {on} TO {who}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {on} TO {who}",
        # The audit log: read and append only.
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {on}.audit_events FROM {who}",
        # The schema's version is the migrations' business.
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {on}.alembic_version FROM {who}",
        # Tables and sequences a later migration creates (as the owner) get rows-only privileges at once, so the new
        # release can use them before this is run again; running it again re-applies the audit log's limits.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {by} IN SCHEMA {on} GRANT {rows_only} ON TABLES TO {who}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {by} IN SCHEMA {on} GRANT USAGE ON SEQUENCES TO {who}",
    ):
        conn.exec_driver_sql(statement)
    done.append(
        f"{role} may read and write rows in {schema} and owns none of its tables (owner: {owner}); "
        "audit_events: SELECT and INSERT only."
    )
    return done
