"""A realistic synthetic population for performance work at national scale (`flask seed-synthetic`): accounts,
complete profiles, applications to both programs in every status with the status events, vetting results,
letters, information requests, memberships and appointments they would have, bulk loaded into PostgreSQL.

journeys.py (paths through the status machines and their shares) · pools.py (names, places) · generate.py (rows
of a batch, pure) · loader.py (reference data, slots, ids, COPY in batches, sequences)."""

from trusted_traveler.synthetic.loader import POSTGRES_ONLY, Result, SyntheticError, load

__all__ = ["POSTGRES_ONLY", "Result", "SyntheticError", "load"]
