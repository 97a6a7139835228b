"""The login limiter: slows whoever guesses passwords without locking the real user out.

Failed logins are counted in a sliding window in three ways:

- per (user name, client): a client that keeps getting one user's password wrong is refused for
  that user; the same user from another client is not;
- per client: a client guessing many names is refused for every name;
- per user name, over all clients: once a name is under attack from many clients, a client that
  has failed itself in the window is refused for it at once; a client with no failures never is.

Memory is bounded: names and addresses are cut to :data:`MAX_KEY` characters before they become
keys, a key keeps at most as many timestamps as its limit, keys whose last failure left the window
are dropped, and each of the three tables holds at most ``max_keys`` keys (the least recently
failed one goes first).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_KEY = 64
PAIR, CLIENT, USER = "pair", "client", "user"


@dataclass(frozen=True)
class Footprint:
    """The limiter's size: keys, their characters, timestamps and ``sys.getsizeof`` bytes."""

    keys: int
    key_chars: int
    stamps: int
    bytes: int


Key = tuple[str, ...]


class LoginLimiter:
    def __init__(
        self,
        per_pair: int = 5,
        per_client: int = 20,
        per_user: int = 50,
        window_seconds: float = 900.0,
        max_keys: int = 5_000,
    ) -> None:
        self.limits = {PAIR: per_pair, CLIENT: per_client, USER: per_user}
        self.window = window_seconds
        self.max_keys = max_keys
        self._tables: dict[str, OrderedDict[Key, list[float]]] = {
            kind: OrderedDict() for kind in self.limits
        }
        self._lock = threading.Lock()

    @staticmethod
    def _keys(user: str, client: str) -> dict[str, Key]:
        u, c = user[:MAX_KEY], client[:MAX_KEY]
        return {PAIR: (u, c), CLIENT: (c,), USER: (u,)}

    def _count(self, kind: str, key: Key, now: float) -> int:
        stamps = self._tables[kind].get(key, ())
        return sum(1 for t in stamps if t > now - self.window)

    def blocked(self, user: str, client: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        keys = self._keys(user, client)
        with self._lock:
            client_fails = self._count(CLIENT, keys[CLIENT], now)
            return (
                self._count(PAIR, keys[PAIR], now) >= self.limits[PAIR]
                or client_fails >= self.limits[CLIENT]
                or (client_fails > 0 and self._count(USER, keys[USER], now) >= self.limits[USER])
            )

    def failed(self, user: str, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for kind, key in self._keys(user, client).items():
                table = self._tables[kind]
                stamps = [t for t in table.pop(key, ()) if t > now - self.window]
                stamps.append(now)
                table[key] = stamps[-self.limits[kind] :]  # the most recent failures are enough
                self._forget(table, now)

    def _forget(self, table: OrderedDict[Key, list[float]], now: float) -> None:
        """Drop keys whose last failure left the window, and the oldest keys over the cap."""
        while table:
            key, stamps = next(iter(table.items()))
            if len(table) <= self.max_keys and stamps[-1] > now - self.window:
                return
            del table[key]

    def succeeded(self, user: str, client: str) -> None:
        """A right password clears that client's failures for that user (nothing else: an
        attacker logging into an account of their own must not reset their count)."""
        with self._lock:
            self._tables[PAIR].pop(self._keys(user, client)[PAIR], None)

    def footprint(self) -> Footprint:
        with self._lock:
            keys = chars = stamps = size = 0
            for table in self._tables.values():
                size += sys.getsizeof(table)
                for key, times in table.items():
                    keys += 1
                    chars += sum(len(part) for part in key)
                    stamps += len(times)
                    size += sys.getsizeof(key) + sum(sys.getsizeof(part) for part in key)
                    size += sys.getsizeof(times) + sum(sys.getsizeof(t) for t in times)
            return Footprint(keys, chars, stamps, size)
