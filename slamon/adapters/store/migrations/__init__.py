"""The store's Alembic revisions (``versions/``), run from code by slamon.adapters.store.schema:
no alembic.ini and no env.py, so they work the same from a checkout and from an installed wheel.

A revision is frozen once released: it names its types and columns itself and never imports the
models. A change to ``models.py`` gets a new revision (``versions/NNNN_*.py``, ``down_revision``
the previous one) and a Chinese ``TITLE`` that ``slamon store upgrade`` prints;
tests/test_store_migrations.py checks that the migrated schema equals the models.
"""
