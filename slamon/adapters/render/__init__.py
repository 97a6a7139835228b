"""Renderers: report data in, text / Markdown / JSON / DOCX / HTML out. No data access here."""
