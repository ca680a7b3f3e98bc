"""SQLAlchemy models, engine and session setup, and query functions per aggregate."""
