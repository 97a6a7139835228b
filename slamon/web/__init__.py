"""The web dashboard (``slamon web``, or ``slamon run`` with ``web.listen``): server-rendered
Simplified Chinese pages over the service layer — Starlette, Jinja2 (autoescaped) and uvicorn,
with the CSS shipped in the package (no CDN, no JavaScript build).

- ``app``: the application, its middleware (access log, security headers) and routes;
- ``auth``: login, logout, the page and action guards (session, role, CSRF);
- ``users``: the users file (argon2 hashes); ``sessions``: signed cookies and CSRF (the session
  itself is in the store, through service.web_sessions); ``throttle``: the login limiter;
  ``proxies``: X-Forwarded-For/-Proto, believed only from ``web.trusted_proxies``;
- ``pages`` / ``evidence_pages``: the pages, each a thin view over one service call;
- ``render``: the Jinja2 environment and filters; ``server``: uvicorn in the foreground or a thread.

No SQL here: pages ask the services (tests/test_layers.py keeps it so).
"""
