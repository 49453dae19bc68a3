"""Synthetic applicants for benchmarks, generated inside PostgreSQL with generate_series (no Python loops).

Every row is plausible: one account, profile, citizenship and application per person, applications spread over
the open statuses of both programs, and an offense disclosed by about one person in twenty.
"""

from __future__ import annotations

from sqlalchemy import text

STATEMENTS = [
    """
    INSERT INTO accounts (id, issuer, subject, email, preferred_language, created_at)
    SELECT g, 'urn:bench', 'bench-' || g, 'bench' || g || '@example.com', 'en', now()
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g
    """,
    """
    INSERT INTO applicant_profiles (id, account_id, surname, given_names, date_of_birth, email,
        mailing_same_as_residential, lawful_permanent_resident, customs_immigration_violation, under_investigation,
        inadmissible_or_waiver, intake_progress, created_at, updated_at)
    SELECT g, g, 'Bench', 'Person ' || g, DATE '1940-01-01' + CAST(CAST(g AS bigint) * 7919 % 25000 AS integer),
        'bench' || g || '@example.com', true, g % 17 = 0, g % 97 = 0, g % 113 = 0, g % 131 = 0, '{}', now(), now()
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g
    """,
    """
    INSERT INTO profile_citizenships (profile_id, country_code)
    SELECT g, (ARRAY['US','US','US','US','US','US','GB','MX','CA','IN','DE','FR'])[1 + g % 12]
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g
    """,
    """
    INSERT INTO applications (id, reference, profile_id, program_id, kind, status, status_entered_at, submitted_at,
        priority, fee, created_at, updated_at, version)
    SELECT g, 'BENCH-' || g, g, CASE WHEN g % 3 = 0 THEN :ge ELSE :pc END, 'new',
        (ARRAY['submitted','in_vetting','officer_review','conditionally_approved','interview_scheduled',
               'biometrics_captured','info_requested','approved','denied'])[1 + g % 9],
        now() - (g % 400) * interval '1 day', now() - (g % 400) * interval '1 day', g % 5, 78.00, now(), now(), 1
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g
    """,
    """
    INSERT INTO offense_disclosures (profile_id, category, status, date, released_on)
    SELECT g, (ARRAY['robbery','fraud','dui','other_felony','arson','other_misdemeanor','murder'])[1 + g % 7],
        CASE WHEN g % 11 = 0 THEN 'pending' ELSE 'convicted' END,
        CURRENT_DATE - (g * 31 % 5000), NULL
    FROM generate_series(CAST(:first AS integer), CAST(:last AS integer)) g WHERE g % 20 = 0
    """,
]


def load(conn, count: int, *, precheck_id: int, global_entry_id: int, batch: int = 250_000) -> None:
    first = 1
    while first <= count:
        last = min(first + batch - 1, count)
        for statement in STATEMENTS:
            conn.execute(text(statement), {"first": first, "last": last, "pc": precheck_id, "ge": global_entry_id})
        first = last + 1
    for table in ("accounts", "applicant_profiles", "applications"):
        conn.execute(  # table names are the constants above
            text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        )
    conn.execute(text("ANALYZE"))
