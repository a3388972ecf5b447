"""What listings say: Chinese titles and descriptions by category, some with claims the law forbids.

A share of shops write dishonestly (``SimConfig.dishonest_shop_share``), drawn with weights that favour
low-quality merchants (latent ``quality``) and the two bad seller kinds: most of their listings carry an
advertising-law absolute term (最好, 第一, 国家级, 全网最低 …) and, for cosmetics and food, medical or efficacy
claims (治疗, 消炎 …). Honest shops sometimes write harmless look-alikes (最近, 第一次, 100%纯棉, 符合国家标准) that
a naive substring scan would flag. Each listing keeps its label (``TextTruth``) in the simulator's latent state and
the ground truth file; anxin only ever sees the title and description.

A few merchants are also cast as ``counterfeit`` or ``low_quality`` sellers (``Merchant.kind``): latent labels for
the inspection and IP-complaint simulations; nothing else in the simulation reads them yet.

Everything here draws from a stream of its own (``listing_rng``), after the world is built from the main stream,
so the older draws (and every figure derived from them) stay where they were.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anxin.sim.world import Listing, Merchant, SimConfig, World

SELLER_KINDS = ("ordinary", "counterfeit", "low_quality")
LABELS = ("clean", "lookalike", "violating")  # violating: at least one forbidden claim; lookalike: honest with a
# harmless phrase that shares characters with one

NOUNS: dict[str, tuple[str, ...]] = {
    "fresh-fruit": ("赣南脐橙", "阳光玫瑰葡萄", "丹东草莓", "海南贵妃芒", "云南蓝莓"),
    "fresh-seafood": ("舟山带鱼", "大连鲜活扇贝", "阳澄湖大闸蟹", "青岛大虾", "冰鲜三文鱼"),
    "fresh-flowers": ("昆明鲜花束", "红玫瑰花束", "向日葵花束", "康乃馨鲜切花", "香水百合"),
    "cosmetics-skincare": ("玻尿酸补水面霜", "烟酰胺精华液", "氨基酸洗面奶", "保湿爽肤水", "修护面膜"),
    "cosmetics-makeup": ("丝绒雾面口红", "持妆粉底液", "防水眼线笔", "气垫BB霜", "四色眼影盘"),
    "cosmetics-perfume": ("玫瑰淡香水", "木质调香水", "栀子花香水", "男士古龙水", "香氛礼盒"),
    "3c-phones": ("5G智能手机", "大屏拍照手机", "老人手机", "折叠屏手机", "游戏手机"),
    "3c-accessories": ("机械键盘", "无线鼠标", "USB扩展坞", "笔记本散热支架", "移动硬盘"),
    "3c-audio": ("蓝牙耳机", "降噪头戴耳机", "便携音箱", "有线耳机", "回音壁音响"),
    "3c-games": ("正版游戏兑换码", "办公软件激活码", "单机游戏数字版", "杀毒软件年卡", "游戏点卡"),
    "apparel-women": ("碎花连衣裙", "针织开衫", "羊毛大衣", "高腰阔腿裤", "雪纺衬衫"),
    "apparel-men": ("纯色T恤", "连帽羽绒服", "休闲长裤", "工装夹克", "圆领卫衣"),
    "apparel-shoes": ("透气运动鞋", "百搭小白鞋", "马丁靴", "帆布鞋", "乐福鞋"),
    "apparel-underwear": ("女士内裤", "无钢圈文胸", "连体泳衣", "家居睡衣", "保暖内衣"),
    "apparel-tailored": ("定制西装", "手工旗袍", "定制衬衫", "定制婚纱", "定制校服"),
    "jewelry-watches": ("机械手表", "石英手表", "情侣对表", "生日礼物手链", "智能手环"),
    "jewelry-engraved": ("刻字银手镯", "定制名字项链", "刻字情侣戒指", "足金转运珠", "定制吊坠"),
    "food-snacks": ("每日坚果礼盒", "风干牛肉干", "手撕面包", "麻辣零食大礼包", "海苔脆"),
    "food-drinks": ("冻干咖啡", "西湖龙井茶叶", "燕麦奶", "红枣枸杞茶", "即食燕麦片"),
}
PREFIXES = ("【新品】", "【直播专享】", "【旗舰款】", "【礼盒装】", "【家庭装】", "【经典款】", "", "")
TITLE_TAILS: dict[str, tuple[str, ...]] = {
    "fresh": ("产地直发", "当季现摘", "冷链包邮", "坏果包赔"),
    "cosmetics": ("温和不刺激", "保湿滋润", "学生党", "送小样"),
    "3c": ("官方正品", "全国联保", "顺丰包邮", "现货速发"),
    "apparel": ("宽松显瘦", "秋冬新款", "百搭", "大码可选"),
    "jewelry": ("送礼盒", "可刻字", "生日礼物", "情侣款"),
    "food": ("独立小包装", "办公室零食", "整箱装", "营养早餐"),
}
SENTENCES: dict[str, tuple[str, ...]] = {
    "fresh": ("产地直发，坏果包赔。", "冷链发货，收到请尽快冷藏。", "个头大小不一，以实物为准。", "现摘现发，不打蜡。"),
    "cosmetics": ("成分表见详情页。", "敏感肌请先在耳后试用。", "开封后请于12个月内用完。", "已完成化妆品备案。"),
    "3c": ("全国联保一年。", "未激活支持7天无理由退货。", "包装内含说明书和数据线。", "参数以官网为准。"),
    "apparel": ("面料柔软透气。", "尺码偏小，建议拍大一码。", "平铺测量，误差1-3厘米。", "建议手洗，不可漂白。"),
    "jewelry": ("附赠礼盒和手提袋。", "刻字商品不退不换。", "佩戴时避免接触化学品。", "附检测证书。"),
    "food": ("保质期12个月，请置于阴凉干燥处。", "独立小包装，方便携带。", "配料表见包装。", "生产许可证号见详情页。"),
}
# Harmless phrases that share characters with forbidden ones (最近 / 最, 第一次 / 第一, 国家标准 / 国家级, 100%纯棉).
LOOKALIKES: dict[str, tuple[str, ...]] = {
    "any": ("最近上新，欢迎选购。", "第一次购买请先阅读说明。", "符合国家标准。", "最近天气炎热，发货加冰袋。"),
    "apparel": ("100%纯棉面料。", "面料100%桑蚕丝。"),
    "cosmetics": ("第一次使用请先做皮肤测试。",),
    "food": ("第一批新货已到。",),
}
# Advertising-law absolute terms (广告法第九条), as dishonest shops write them: (phrase, the forbidden term in it).
ABSOLUTE: tuple[tuple[str, str], ...] = (
    ("全网最低价", "全网最低"), ("销量第一", "第一"), ("国家级品质", "国家级"), ("顶级工艺", "顶级"),
    ("同类产品中最好的", "最好"), ("史上最强", "最强"), ("行业第一品牌", "第一"), ("最佳选择", "最佳"),
    ("100%有效", "100%"), ("万能百搭，绝无仅有", "绝无仅有"),
)
# Medical or efficacy claims outside medical categories (cosmetics and food only), with the forbidden term.
EFFICACY: dict[str, tuple[tuple[str, str], ...]] = {
    "cosmetics": (("祛痘消炎", "消炎"), ("可治疗湿疹", "治疗"), ("根治痘痘", "根治"), ("药用级修复", "药用"),
                  ("消炎杀菌", "消炎")),
    "food": (("降血压降血糖", "降血压"), ("可治疗失眠", "治疗"), ("长期食用可抗癌", "抗癌"), ("消炎去火", "消炎"),
             ("药用价值高，可治愈胃病", "治愈")),
}


@dataclass(frozen=True)
class TextTruth:
    """A listing's ground-truth label: ``violating`` with the kinds and terms it carries, ``lookalike`` (honest, with
    harmless phrases that resemble forbidden ones) or ``clean``. Never sent to anxin."""

    label: str
    kinds: tuple[str, ...] = ()  # absolute, efficacy
    terms: tuple[str, ...] = ()  # the forbidden terms, as a term list would name them
    phrases: tuple[str, ...] = ()  # what the listing actually says (violating phrases or look-alikes)
    dishonest_shop: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"label": self.label, "kinds": list(self.kinds), "terms": list(self.terms),
                "phrases": list(self.phrases), "dishonest_shop": self.dishonest_shop}


def _weighted_sample(rng: random.Random, items: Sequence[Merchant], weights: Sequence[float], k: int) -> list[int]:
    """k distinct indexes, each drawn with probability proportional to its weight (Efraimidis–Spirakis keys)."""
    keys = sorted(((rng.random() ** (1.0 / max(w, 1e-9)), i) for i, w in enumerate(weights)), reverse=True)
    return sorted(i for _, i in keys[:k])


def cast_seller_kinds(rng: random.Random, merchants: list[Merchant], *, counterfeit: float,
                      low_quality: float) -> None:
    """A small share of merchants sell counterfeits, another low-quality goods; the worse a merchant's latent
    quality, the likelier. At least one of each whenever its share is above zero; never both."""
    left = list(range(len(merchants)))
    for kind, share in (("counterfeit", counterfeit), ("low_quality", low_quality)):
        if share <= 0 or not left:
            continue
        k = min(len(left), max(1, round(share * len(merchants))))
        chosen = _weighted_sample(rng, [merchants[i] for i in left], [(1 - merchants[i].quality) ** 2 for i in left],
                                  k)
        for j in chosen:
            merchants[left[j]].kind = kind
        left = [i for j, i in enumerate(left) if j not in set(chosen)]


def write_listings(rng: random.Random, world: World, config: SimConfig) -> None:
    """Give every listing a title and description, and its label; choose the dishonest shops first."""
    cast_seller_kinds(rng, world.merchants, counterfeit=config.counterfeit_seller_share,
                      low_quality=config.low_quality_seller_share)
    shops = world.shops
    weights = [(1 - s.merchant.quality) * (3.0 if s.merchant.kind != "ordinary" else 1.0) for s in shops]
    k = round(config.dishonest_shop_share * len(shops))
    dishonest = {shops[i].shop_id for i in _weighted_sample(rng, [s.merchant for s in shops], weights, k)}
    for shop in shops:
        liar = shop.shop_id in dishonest
        shop.dishonest_listings = liar
        shop.listings = [_written(rng, li, liar, config) for li in shop.listings]


def _written(rng: random.Random, li: Listing, dishonest: bool, config: SimConfig) -> Listing:
    top, noun = li.leaf.top, rng.choice(NOUNS[li.leaf.category_id])
    grams = f"{li.weight_g / 1000:.1f}kg"
    title = [f"{rng.choice(PREFIXES)}{noun}", grams, *rng.sample(TITLE_TAILS[top], 2)]
    body = rng.sample(SENTENCES[top], rng.randint(2, 3))
    truth = TextTruth("clean")
    if dishonest and rng.random() < config.violation_rate:
        r = rng.random() if top in EFFICACY else 1.0
        kinds = ["efficacy"] if r < 0.3 else ["absolute", "efficacy"] if r < 0.7 else ["absolute"]
        claims = [rng.choice(ABSOLUTE) if kind == "absolute" else rng.choice(EFFICACY[top]) for kind in kinds]
        for phrase, _ in claims:
            if rng.random() < 0.4:
                title.insert(1, phrase)
            else:
                body.insert(rng.randint(0, len(body)), f"{phrase}！")
        truth = TextTruth("violating", tuple(kinds), tuple(dict.fromkeys(t for _, t in claims)),
                          tuple(p for p, _ in claims), dishonest_shop=dishonest)
    elif rng.random() < config.lookalike_rate:
        pool = LOOKALIKES["any"] + LOOKALIKES.get(top, ())
        phrase = rng.choice(pool)
        body.insert(rng.randint(0, len(body)), phrase)
        truth = TextTruth("lookalike", phrases=(phrase,), dishonest_shop=dishonest)
    elif dishonest:
        truth = TextTruth("clean", dishonest_shop=True)
    return replace(li, title=" ".join(title), description="".join(body), text=truth)
