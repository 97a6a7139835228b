"""Reports: the monthly sections (数据调度情况, 申请响应及时度, 存在问题) and the weekly digest.

Layout: ``periods`` (months and ISO weeks), ``figures`` and ``digest`` (pure: records, calendar,
rules and an as-of moment in, figures out), ``wording`` (the report's Chinese sentences),
renderers (``render_text``, ``render_docx``, ``render_digest``), ``query`` (loading just the
needed records from the store) and ``service`` (what the CLI and the daemon call).
"""
