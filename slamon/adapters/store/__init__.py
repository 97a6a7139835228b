"""The store: slamon's own database (SQLite file by default, PostgreSQL in production).

``db`` opens it, ``models`` defines the tables, and the services ask their questions by name:
``applications`` (records, history, SLA state), ``runs`` (poll runs, rejected rows, imported
files, settings), ``outbox``, ``lease``, ``report_queries``; ``bulk`` holds the fast writers."""
