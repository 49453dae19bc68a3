"""Data protection: a traveler's own data as JSON, and deleting their own draft applications."""
