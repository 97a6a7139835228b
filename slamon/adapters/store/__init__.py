"""The store: slamon's own database (SQLite file by default, PostgreSQL in production)."""
