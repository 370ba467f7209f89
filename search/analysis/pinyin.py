"""Pinyin readings of Han characters, without tones, from pypinyin's character table, and the
pinyin a user types (tones as marks or digits or none, ü as v), split into syllables.

The table module is loaded on its own (``pinyin_dict.py``, 40 ms) rather than through
``import pypinyin``, whose phrase table takes another 300 ms that one-off queries should not pay.
"""

from __future__ import annotations

import importlib.util
import re
import unicodedata
from functools import cache
from itertools import islice, product
from pathlib import Path

_TONE_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0304\u030c"))  # grave, acute, macron, caron
# Every toneless reading in pypinyin's table (ü written v), listed here because deriving it takes
# 0.5 s; tests/test_pinyin.py derives it again and compares.
SYLLABLES = frozenset("""
lv lve nv nve
a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca
cai can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua
chuai chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den
deng di dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang
fei fen feng fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang
gui gun guo ha hai han hang hao he hei hen heng hm hng hong hou hu hua huai huan huang hui hun
huo ji jia jian jiang jiao jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken
keng kong kou ku kua kuai kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian
liang liao lie lin ling liu lo long lou lu luan lun luo m ma mai man mang mao me mei men meng mi
mian miao mie min ming miu mo mou mu n na nai nan nang nao ne nei nen neng ng ni nia nian niang
niao nie nin ning niu nong nou nu nuan nun nuo o ou pa pai pan pang pao pei pen peng pi pian
piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran
rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se sen seng sha
shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo si
song sou su suan sui sun suo ta tai tan tang tao te tei teng ti tian tiao tie ting tong tou tu
tuan tui tun tuo wa wai wan wang wei wen weng wo wong wu xi xia xian xiang xiao xie xin xing
xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan
zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua
zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui zun zuo
""".split())
_LONGEST = max(map(len, SYLLABLES))
_TONE_DIGITS = re.compile(r"(?<=[a-zü])[1-5]")
_READINGS_PER_WORD = 4  # keys kept for a word whose characters have several readings


@cache
def _table() -> dict[int, str]:
    spec = importlib.util.find_spec("pypinyin")
    path = Path(spec.submodule_search_locations[0]) / "pinyin_dict.py"
    module_spec = importlib.util.spec_from_file_location("_pypinyin_table", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.pinyin_dict


@cache
def readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of ``char`` (中 → zhong; 绿 → lü, lu), most common first; () for a
    character pypinyin does not know."""
    marked = _table().get(ord(char))
    if not marked:
        return ()
    toneless = (unicodedata.normalize("NFC", unicodedata.normalize("NFD", r).translate(_TONE_MARKS))
                for r in marked.split(","))
    return tuple(dict.fromkeys(toneless))


def typed(word: str) -> str | None:
    """A Latin word as toneless pinyin (zhuǎnjīyīn, zhuan3ji1yin1 → zhuanjiyin; ü → v), or None
    when it is not made of letters (and tone digits) only."""
    plain = unicodedata.normalize("NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONE_MARKS))
    plain = _TONE_DIGITS.sub("", plain).replace("ü", "v")
    return plain if plain.isascii() and plain.isalpha() else None


def syllable_count(plain: str) -> int:
    """The fewest syllables ``plain`` (from ``typed``) splits into; 0 when it is not pinyin."""
    fewest = [0] + [len(plain) + 1] * len(plain)
    for end in range(1, len(plain) + 1):
        for start in range(max(0, end - _LONGEST), end):
            if fewest[start] <= len(plain) and plain[start:end] in SYLLABLES:
                fewest[end] = min(fewest[end], fewest[start] + 1)
    return fewest[-1] if fewest[-1] <= len(plain) else 0


def keys(word: str) -> list[str]:
    """The toneless pinyin of a Han word, one key per combination of its characters' readings
    (most common first, at most ``_READINGS_PER_WORD``; 重庆 → zhongqing, chongqing); [] when a
    character has no reading."""
    options = [readings(char) for char in word]
    if not all(options):
        return []
    return ["".join(combo).replace("ü", "v") for combo in islice(product(*options), _READINGS_PER_WORD)]
