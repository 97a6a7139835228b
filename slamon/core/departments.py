"""Department names: aliases turn a name in the data into its canonical name; names that are
not known but close to a known one (a typo, a stray space, full-width characters) are found
with the name they were probably meant to be."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping


def canonical(name: str, aliases: Mapping[str, str]) -> str:
    """The canonical name of a department (or region): stripped, then through the aliases."""
    name = name.strip()
    return aliases.get(name, name)


def normalized(name: str) -> str:
    """The name with full-width forms folded (NFKC) and every kind of space removed: two names
    that differ only in these are the same name written carelessly."""
    folded = unicodedata.normalize("NFKC", name)
    return "".join(ch for ch in folded if not ch.isspace() and unicodedata.category(ch) != "Cf")


# Traditional characters seen in department names, with their simplified forms.
_PAIRS = (
    "廳厅 廣广 貴贵 區区 縣县 機机 關关 會会 員员 資资 銀银 務务 稅税 車车 發发 處处 衛卫 藥药 "
    "農农 業业 環环 護护 體体 門门 電电 網网 經经 濟济 財财 審审 計计 監监 統统 國国 華华 學学 "
    "術术 專专 場场 產产 醫医 療疗 險险 勞劳 動动 歸归 檔档 檢检 驗验 質质 際际 辦办 龍龙 聯联 "
    "號号 運运 輸输 鐵铁 園园 災灾 應应 團团 黨党 組组 織织 紀纪 傳传 權权 規规 劃划 標标 準准 "
    "價价 測测 繪绘 氣气 象象 播播 視视 聞闻 軍军 轉转 讀读 開开 放放 據据 數数 庫库 "
    "東东 爾尔 陽阳 畢毕 銅铜 遵遵 義义 順顺 興兴 鄉乡 鎮镇 師师 範范 導导 職职 倉仓 儲储 糧粮 "
    "漁渔 礦矿 實实 驗验 體体 協协 議议 詢询 報报 廠厂 總总 廈厦 條条 蘭兰 歷历 紅红 葉叶"
)
_SIMPLIFIED = str.maketrans({p[0]: p[1] for p in _PAIRS.split()})


def variant_key(name: str) -> str:
    """What names that are variants of one department share: folded widths and spaces,
    simplified characters, the 贵州省 prefix as 省, and 委员会 as 委."""
    key = normalized(name).translate(_SIMPLIFIED)
    if key.startswith("贵州省"):
        key = "省" + key[3:]
    return key.replace("委员会", "委")


def variant_groups(counts: Mapping[str, int]) -> dict[str, str]:
    """Names in the data that are variants of another name in the data → that name (the one
    most applications use; then the shorter, then the first in order)."""
    groups: dict[str, list[str]] = {}
    for name in counts:
        groups.setdefault(variant_key(name), []).append(name)
    out: dict[str, str] = {}
    for names in groups.values():
        if len(names) < 2:
            continue
        main = min(names, key=lambda n: (-counts[n], len(n), n))
        out.update((n, main) for n in names if n != main)
    return out


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it is known to exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        if min(cur) > limit:
            return limit + 1
        prev = cur
    return prev[-1]


def _limit(name: str) -> int:
    """How many edits still make a near miss. Short names differ from other real departments by
    one character (省民政厅, 省财政厅), so only width and spaces count for them."""
    if len(name) < 5:
        return 0
    return 1 if len(name) < 10 else 2


def suggestion(name: str, known: Iterable[str]) -> str | None:
    """The known name ``name`` is probably meant to be (the same :func:`variant_key`, or within
    a small edit distance); None when none is close or two are equally close."""
    key, variant = normalized(name), variant_key(name)
    best: list[tuple[int, str]] = []
    known = list(known)
    for k in known:
        if variant_key(k) == variant:
            return k
    for k in known:
        nk = normalized(k)
        d = edit_distance(key, nk, _limit(nk))
        if d <= _limit(nk):
            best.append((d, k))
    if not best:
        return None
    best.sort()
    if len(best) > 1 and best[0][0] == best[1][0]:
        return None
    return best[0][1]


def near_misses(
    names: Iterable[str], known: Iterable[str], aliases: Mapping[str, str]
) -> dict[str, str]:
    """Names in the data that are neither known nor aliases but close to a known name → the
    known name. Unknown names close to none are not guessed at."""
    known_set = set(known) | set(aliases) | set(aliases.values())
    out: dict[str, str] = {}
    for n in names:
        c = canonical(n, aliases)
        if c in known_set or n in known_set:
            continue
        hint = suggestion(c, known_set)
        if hint is not None:
            out[n] = hint
    return out


def matching(query: str, names: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """The names ``query`` means: the exact canonical name when there is one, else every name
    containing it (after folding widths and spaces)."""
    names = list(names)
    c = canonical(query, aliases)
    if c in names:
        return [c]
    key = normalized(c)
    return sorted(n for n in names if key and key in normalized(canonical(n, aliases)))
