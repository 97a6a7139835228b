"""What every request handler reaches through ``request.app.state.web``: the runtime, the store,
the users, the session signer, the login limiter and the clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slamon.runtime import Runtime
from slamon.web.sessions import SessionSigner
from slamon.web.throttle import LoginLimiter
from slamon.web.users import UserDirectory


@dataclass
class WebContext:
    rt: Runtime
    engine: Any  # Engine
    users: UserDirectory
    signer: SessionSigner
    limiter: LoginLimiter
    clock: Callable[[], dt.datetime]

    def now(self) -> dt.datetime:
        return self.clock()
