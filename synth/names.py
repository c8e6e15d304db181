"""Pools of synthetic names, people, streets and the USCC generator (GB 32100 / GB 11714).

Everything here is invented; the pools are combined at random so no real entity is meant.
"""
from __future__ import annotations

import random

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_W18 = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_W17 = (3, 7, 9, 10, 5, 8, 4, 2)

# area code -> (city prefix, district) ; 330204 (former 江东区) and 330283 (former 奉化市) kept for older codes
NINGBO_AREAS = {
    "330201": ("宁波市", "市辖区"), "330203": ("宁波市", "海曙区"), "330204": ("宁波市", "江东区"),
    "330205": ("宁波市", "江北区"), "330206": ("宁波市", "北仑区"), "330211": ("宁波市", "镇海区"),
    "330212": ("宁波市", "鄞州区"), "330213": ("宁波市", "奉化区"), "330225": ("宁波市", "象山县"),
    "330226": ("宁波市", "宁海县"), "330281": ("宁波市", "余姚市"), "330282": ("宁波市", "慈溪市"),
    "330283": ("宁波市", "奉化区"),
}
OTHER_AREAS = {"330106": ("杭州市", "西湖区"), "330108": ("杭州市", "滨江区"), "330402": ("嘉兴市", "南湖区"),
               "330602": ("绍兴市", "越城区"), "310115": ("上海市", "浦东新区")}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方邹熊孟秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = ("伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 华 慧 建华 立华 志强 晓东 海燕 红梅 文博 雨轩 子涵 浩然 "
         "建国 国强 丽娟 晓燕 琳 斌 宏伟 俊杰 佳怡 思远 晨阳 家豪 一鸣 婷婷 雪梅 春燕 建平 卫东 亚男 嘉怡 振宇 鹏飞 "
         "立新 永刚 海波 晓峰 凤英 玉兰 桂芳 欣怡 梓萱 宇航 天佑 若曦 博文 冠宇").split()

TRADE_CHARS = "瑞弘东中嘉航汉祥盛力康鑫舜佳润海德睿远宏精优博信毅卓隆方永科创甬泰联鼎恒晟越通天锦舒诚华辰启明智远兴达合众新昊凯朗铭泽宸昱瀚璟沁颐"
PLATFORM_TRADES = ["知识产权服务", "科技服务", "企业管理咨询", "创业服务", "信息技术服务", "人力资源服务", "检验检测服务",
                   "工业设计", "企业服务", "质量技术服务", "电子商务服务", "财务咨询"]
CLIENT_TRADES = ["印刷", "物流", "汽车零部件", "光电", "新材料", "电器", "食品", "建材", "包装", "软件", "橡胶制品",
                 "文具", "医疗器械", "进出口", "服饰", "液压", "照明电器", "电子", "家居用品", "文化传媒", "模具",
                 "五金", "塑业", "机械", "智能科技", "水产", "纺织", "轴承", "阀门", "化工"]
SUFFIXES = ["有限公司", "有限公司", "有限公司", "股份有限公司", "厂"]
PARTNER_KINDS = [("{t}会计师事务所有限公司", "91"), ("浙江{t}律师事务所", "31"), ("宁波{t}融资担保有限公司", "91"),
                 ("宁波市{t}企业家协会", "51"), ("宁波{t}工业设计有限公司", "91"), ("宁波{t}知识产权代理有限公司", "91"),
                 ("宁波市{t}创业服务中心", "52"), ("宁波市{t}科技信息研究院", "12"), ("宁波{t}管理咨询有限公司", "91"),
                 ("宁波{t}检测技术有限公司", "91"), ("宁波{t}人力资源有限公司", "91"), ("宁波{t}信息技术有限公司", "91")]
STREETS = {"海曙区": ["南门街道", "鼓楼街道", "望春街道"], "江东区": ["百丈街道", "东胜街道"], "江北区": ["甬江街道", "孔浦街道"],
           "北仑区": ["小港街道", "新碶街道", "大碶街道"], "镇海区": ["骆驼街道", "招宝山街道"],
           "鄞州区": ["下应街道", "首南街道", "钟公庙街道"], "奉化区": ["岳林街道", "锦屏街道"], "象山县": ["丹东街道", "丹西街道"],
           "宁海县": ["跃龙街道", "桃源街道"], "余姚市": ["阳明街道", "凤山街道"], "慈溪市": ["白沙路街道", "浒山街道", "古塘街道"],
           "市辖区": ["高新区", "梅墟街道"], "西湖区": ["文新街道", "翠苑街道"], "滨江区": ["长河街道", "西兴街道"],
           "南湖区": ["建设街道"], "越城区": ["府山街道"], "浦东新区": ["张江镇"]}
ROADS = ["启明路", "红联路", "三北大街", "中山东路", "江南路", "沧海路", "扬帆路", "聚贤路", "院士路", "天童南路", "四明中路",
         "新城大道", "学士路", "明州路", "金谷中路", "镇海大道", "环城南路", "人民路", "文三路", "滨安路"]
BUILDINGS = ["", "", "（创新大厦）", "（科技园）", "（研发园A区）", "（众创空间）"]
SIZES = ["大型", "中型", "小型", "微型"]
SERVICES = ["政策咨询", "创业辅导", "技能培训", "管理人员培训", "项目申报辅导", "财税代理", "工商代理", "信息咨询",
            "政策宣贯", "新员工培训", "质量管理咨询", "知识产权咨询", "市场推广", "信息化诊断"]


def org_check(code8: str) -> str:
    v = 11 - sum(int(c, 36) * w for c, w in zip(code8, _W17)) % 11
    return "X" if v == 10 else ("0" if v == 11 else str(v))


def uscc_check(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _W18))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_valid(code: str) -> bool:
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    return code[16] == org_check(code[8:16]) and code[17] == uscc_check(code[:17])


def make_uscc(rng: random.Random, area: str, prefix: str = "91") -> str:
    alpha = USCC_ALPHABET
    while True:
        if rng.random() < 0.45:
            body = "MA2" + "".join(rng.choice(alpha) for _ in range(5))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        chk = org_check(body)
        if chk in alpha:
            first17 = prefix + area + body + chk
            return first17 + uscc_check(first17)


def typo_uscc(rng: random.Random, code: str) -> str:
    """Same code with one wrong check character (or a swapped body character)."""
    if rng.random() < 0.6:
        wrong = rng.choice([c for c in USCC_ALPHABET if c != code[17]])
        return code[:17] + wrong
    i = rng.randrange(8, 16)
    c = rng.choice([x for x in "0123456789" if x != code[i]])
    return code[:i] + c + code[i + 1:]


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def trade(rng: random.Random) -> str:
    return "".join(rng.sample(TRADE_CHARS, 2))


def address(rng: random.Random, area: str) -> str:
    city, dist = {**NINGBO_AREAS, **OTHER_AREAS}[area]
    street = rng.choice(STREETS[dist])
    prov = "上海市" if city == "上海市" else "浙江省" + city
    dist_s = "" if dist == "市辖区" else dist
    floor = f"{rng.randint(2, 18)}楼{rng.randint(1, 12):02d}室" if rng.random() < 0.7 else f"{rng.randint(1, 9)}号楼"
    return f"{prov}{dist_s}{street}{rng.choice(ROADS)}{rng.randint(8, 999)}号{rng.choice(BUILDINGS)}{floor}"


def client_name(rng: random.Random, area: str) -> str:
    city, dist = NINGBO_AREAS[area]
    head = rng.choice(["宁波", "宁波市", "宁波市" + dist if dist.endswith("区") and dist != "市辖区" else "宁波",
                       dist[:-1] + "市" if dist.endswith("市") else "宁波", dist[:-1] + "县" if dist.endswith("县") else "宁波"])
    return head + trade(rng) + rng.choice(CLIENT_TRADES) + rng.choice(SUFFIXES)


def alter_name(rng: random.Random, name: str) -> str:
    """A near-identical company name with one or two characters changed (宁波瑞弘 -> 宁波瑞宏)."""
    similar = {"弘": "宏", "宏": "弘", "瑞": "睿", "睿": "瑞", "嘉": "佳", "佳": "嘉", "鑫": "新", "新": "鑫",
               "航": "杭", "盛": "晟", "晟": "盛", "创": "创新", "服务": "咨询", "科技": "技术"}
    for k in rng.sample(list(similar), len(similar)):
        if k in name[2:]:
            i = name.index(k, 2)
            return name[:i] + similar[k] + name[i + len(k):]
    return name.replace("有限公司", "有限责任公司")
