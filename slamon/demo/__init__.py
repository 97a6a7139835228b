"""``slamon demo``: a demo platform database mirroring December 2024 (``platform``, ``catalog``,
``people``), a local SMTP sink that saves mail as .eml (``smtp_sink``), and the run (``run``).
Not a runtime adapter: production code never imports it, except the ``demo`` source kind."""
