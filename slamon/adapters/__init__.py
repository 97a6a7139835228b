"""The edges, each behind a small interface: ``sources`` (platform database, export files and
folders), ``store`` (the only package that speaks SQLModel: tables, named queries, outbox, lease),
``mail`` (yagmail and the Jinja2 templates), ``render`` (text, Markdown, JSON, DOCX, HTML) and
``yaml_files`` (rule, calendar and config files)."""
