"""Trend charts as PNG bytes, drawn server-side with matplotlib (Agg): plain data in, no store.

The pictures carry Chinese labels, so a font with Chinese glyphs must be installed: the first of
:data:`FONT_FILES` that exists, else any CJK font matplotlib's font manager knows; none is a
:class:`FontError` naming the package to install (README). matplotlib is imported inside the
functions: importing slamon must stay fast.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from slamon.core.errors import FontError

FONT_PACKAGE = "fonts-wqy-microhei"
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_CJK_NAMES = ("WenQuanYi", "Noto Sans CJK", "Noto Serif CJK", "Source Han", "Droid Sans Fallback")
PROVINCE_COLOUR = "#6b7280"
COLOURS = ("#1d4ed8", "#b91c1c", "#15803d", "#a16207")
WIDTH, HEIGHT, DPI = 6.4, 2.9, 100
CACHED_CHARTS = 64  # pictures kept in memory, about 30 KB each


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[float | None, ...]  # one per category; None: nothing to draw there


@functools.cache
def cjk_font(files: tuple[str, ...] = FONT_FILES) -> Path:
    """The font file the charts use (FontError when there is none)."""
    for f in files:
        if Path(f).is_file():
            return Path(f)
    from matplotlib import font_manager

    for entry in font_manager.fontManager.ttflist:
        if any(n.lower() in entry.name.lower() for n in _CJK_NAMES):
            return Path(entry.fname)
    raise FontError(FONT_PACKAGE, files)


def _figure(title: str) -> tuple[Any, Any, Any]:
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    font = FontProperties(fname=str(cjk_font()))
    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    ax = fig.add_subplot()
    ax.set_title(title, fontproperties=font, fontsize=12, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax, font


def _png(fig: Any, ax: Any, font: Any, labels: Sequence[str]) -> bytes:
    ax.set_xticks(range(len(labels)), labels, fontproperties=font, fontsize=8)
    if len(labels) > 8:
        for tick in ax.get_xticklabels():
            tick.set_rotation(45)
            tick.set_horizontalalignment("right")
    for tick in ax.get_yticklabels():
        tick.set_fontproperties(font)
        tick.set_fontsize(8)
    if ax.get_legend_handles_labels()[0]:
        # above the plot, right of the title: never over a line or a bar
        ax.legend(
            prop=font.copy(),
            frameon=False,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncol=len(ax.get_legend_handles_labels()[0]),
        )
        for text in ax.get_legend().get_texts():
            text.set_fontproperties(font)
            text.set_fontsize(8)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes:
    """Rates (0–1) by category, one line per series, shown in per cent; the last series in grey
    when it is the province's line (label 全省)."""
    return _line_chart(title, tuple(labels), tuple(series))


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series]) -> bytes:
    """Counts by category, the series side by side."""
    return _bar_chart(title, tuple(labels), tuple(series))


# The same figures draw the same picture: a page shown again (every dashboard visit, the same
# closed months) reuses it instead of drawing it again (~0.1 s a chart).
@functools.lru_cache(maxsize=CACHED_CHARTS)
def _line_chart(title: str, labels: tuple[str, ...], series: tuple[Series, ...]) -> bytes:
    from matplotlib.ticker import PercentFormatter

    fig, ax, font = _figure(title)
    xs = range(len(labels))
    for i, s in enumerate(series):
        colour = PROVINCE_COLOUR if s.label == "全省" and i else COLOURS[i % len(COLOURS)]
        ys = [None if v is None else v * 100 for v in s.values]
        ax.plot(
            xs,
            [float("nan") if v is None else v for v in ys],
            marker="o",
            markersize=3.5,
            linewidth=1.8,
            color=colour,
            linestyle="--" if colour == PROVINCE_COLOUR else "-",
            label=s.label,
        )
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_ylim(0, 105)
    return _png(fig, ax, font, labels)


@functools.lru_cache(maxsize=CACHED_CHARTS)
def _bar_chart(title: str, labels: tuple[str, ...], series: tuple[Series, ...]) -> bytes:
    fig, ax, font = _figure(title)
    n = max(len(series), 1)
    width = 0.8 / n
    for i, s in enumerate(series):
        xs = [x - 0.4 + width * (i + 0.5) for x in range(len(labels))]
        ax.bar(
            xs, [v or 0 for v in s.values], width, color=COLOURS[i % len(COLOURS)], label=s.label
        )
    ax.yaxis.get_major_locator().set_params(integer=True)
    return _png(fig, ax, font, labels)
