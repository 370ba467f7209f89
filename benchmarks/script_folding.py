"""Which Traditional-to-Simplified converter to fold with: accuracy on a list of tricky words, how
much each leaves Simplified text alone, agreement on the RGB-zh passages written in Traditional
characters, whether the length changes, and speed.

    python -m benchmarks.script_folding [--data ../shared/relevance] [--converters opencc-t2s ...]

Converters that are not importable are reported as missing. ``opencc-python-reimplemented`` installs
a module named ``opencc`` too (it clashes with the real one): measure it from a separate virtualenv
with ``--converters ocpr-t2s``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "relevance"

# Traditional (or mixed) text -> the Simplified a mainland reader writes. Script only: Taiwan
# vocabulary (網路 for 网络, 軟體 for 软件) is not a script difference and is not expected here.
TRICKY = {
    "臺灣": "台湾", "台灣": "台湾", "頭髮": "头发", "發展": "发展", "理髮店": "理发店", "以後": "以后",
    "皇后": "皇后", "後來": "后来", "乾燥": "干燥", "乾隆": "乾隆", "乾坤": "乾坤", "餅乾": "饼干",
    "幹部": "干部", "干涉": "干涉", "樹幹": "树干", "裡面": "里面", "公里": "公里", "這裡": "这里",
    "看著": "看着", "著名": "著名", "顯著": "显著", "著作": "著作", "麵條": "面条", "面對": "面对",
    "麵包": "面包", "一隻貓": "一只猫", "瞭解": "了解", "瞭望": "瞭望", "藉口": "借口", "慰藉": "慰藉",
    "於是": "于是", "多餘": "多余", "夥伴": "伙伴", "鐘錶": "钟表", "覆蓋": "覆盖", "反覆": "反复",
    "網路攻擊": "网路攻击", "資訊": "资讯", "製造": "制造", "聯繫": "联系", "鬆弛": "松弛", "松樹": "松树",
    "收穫": "收获", "衝突": "冲突", "範圍": "范围", "準備": "准备", "捲髮": "卷发", "鬍鬚": "胡须",
    "醜陋": "丑陋", "穀物": "谷物", "山谷": "山谷", "復興": "复兴", "複雜": "复杂", "彙報": "汇报",
    "開發": "开发", "週末": "周末", "颱風": "台风", "檯燈": "台灯", "寫著": "写着", "接著": "接着",
}
# Simplified words a converter must leave alone (every one occurs in the news archive).
SIMPLIFIED = ["坏人", "覆盖", "著名", "乾隆", "皇后", "干部", "于是", "头发", "借口", "了解", "余额", "钟表",
              "征收", "志愿", "升级", "卷入", "乐观", "梁山", "别人", "国家", "长江", "个人", "况且", "复杂"]


def converters(names):
    """name -> convert(text) for each name that can be loaded (else name -> None)."""
    found = {}
    for name in names:
        try:
            found[name] = _load(name)
        except ImportError:
            found[name] = None
    return found


def _load(name):
    library, _, config = name.partition("-")
    if library == "opencc":
        import opencc

        if not hasattr(opencc.OpenCC(config), "convert") or not hasattr(opencc, "__version__"):
            raise ImportError("not the official opencc")
        return opencc.OpenCC(config).convert
    if library == "ocpr":  # opencc-python-reimplemented, module also named opencc
        import opencc

        return opencc.OpenCC(config).convert
    if library == "zhconv":
        import zhconv

        return lambda text: zhconv.convert(text, config)
    raise ImportError(name)


def traditional_passages(data: Path, share: float = 0.05) -> list[str]:
    """RGB-zh passages where OpenCC's t2s changes at least ``share`` of the Han characters."""
    import opencc

    t2s = opencc.OpenCC("t2s").convert
    passages = []
    with open(data / "rgb_zh" / "corpus.jsonl", encoding="utf-8") as lines:
        for line in lines:
            text = json.loads(line)["text"]
            han = sum("\u4e00" <= c <= "\u9fff" for c in text)
            changed = sum(a != b for a, b in zip(text, t2s(text)))
            if han and changed / han >= share:
                passages.append(text)
    return passages


def measure(name, convert, passages, reference) -> dict:
    tricky = sum(convert(t) == s for t, s in TRICKY.items())
    wrong = [f"{t}→{convert(t)}" for t, s in TRICKY.items() if convert(t) != s]
    kept = sum(convert(s) == s for s in SIMPLIFIED)
    changed = [f"{s}→{convert(s)}" for s in SIMPLIFIED if convert(s) != s]
    convert(passages[0])  # dictionaries load on first use
    started = time.perf_counter()
    converted = [convert(p) for p in passages]
    seconds = time.perf_counter() - started
    size = sum(len(p.encode()) for p in passages)
    lengths = sum(len(a) != len(b) for a, b in zip(passages, converted))
    chars = sum(len(p) for p in passages)
    agree = sum(x == y for a, b in zip(converted, reference) for x, y in zip(a, b)) / chars if reference else None
    return {"converter": name, "tricky": f"{tricky}/{len(TRICKY)}", "tricky_wrong": wrong,
            "simplified_kept": f"{kept}/{len(SIMPLIFIED)}", "simplified_changed": changed,
            "passages": len(passages), "length_changed": lengths, "MB/s": round(size / seconds / 1e6, 2),
            "agree_with_first": None if agree is None else round(agree, 5)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.script_folding")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--converters", nargs="+",
                        default=["opencc-t2s", "opencc-tw2s", "opencc-hk2s", "zhconv-zh-hans", "zhconv-zh-cn"])
    args = parser.parse_args(argv)
    passages = traditional_passages(args.data)
    reference = None
    for name, convert in converters(args.converters).items():
        if convert is None:
            print(json.dumps({"converter": name, "missing": True}))
            continue
        row = measure(name, convert, passages, reference)
        reference = reference or [convert(p) for p in passages]
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
