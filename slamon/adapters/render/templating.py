"""The one way slamon builds a Jinja2 environment over template folders (mail and the digest).

``.html.j2`` templates autoescape every value (platform text is never markup), an undefined name
is an error rather than an empty string, and block tags on their own lines leave no blank lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jinja2 import Environment


def template_environment(
    folders: Sequence[str | Path], *, keep_trailing_newline: bool = False
) -> Environment:
    """An environment over ``folders``; a template in an earlier folder overrides a later one."""
    from jinja2 import (
        ChoiceLoader,
        Environment,
        FileSystemLoader,
        StrictUndefined,
        select_autoescape,
    )

    return Environment(
        loader=ChoiceLoader([FileSystemLoader(str(folder)) for folder in folders]),
        autoescape=select_autoescape(enabled_extensions=("html", "html.j2", "htm"), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=keep_trailing_newline,
    )
