"""The demo's people and spellings: contacts, supervisors and the platform's department aliases."""

from __future__ import annotations

from slamon.demo.catalog import PUB


def demo_aliases() -> dict[str, str]:
    """Spellings the platform uses → the names reports use."""
    return {
        "黔南布依族苗族自治州": "黔南州",
        "黔东南苗族侗族自治州": "黔东南州",
        "黔西南布依族苗族自治州": "黔西南州",
        "省人社厅": "省人力资源社会保障厅",
        "贵州省市场监督管理局": "省市场监管局",
        "贵州省公共资源交易中心": PUB,
    }


_CONTACTS = {
    PUB: "ggzy",
    "省市场监管局": "scjgj",
    "省公安厅": "gat",
    "省人力资源社会保障厅": "rst",
    "省医疗保障局": "ybj",
    "省税务局": "swj",
    "省大数据局": "dsjj",
    "省住房城乡建设厅": "zjt",
    "省不动产登记中心": "bdcdj",
    "省民政厅": "mzt",
    "省卫生健康委": "wjw",
    "省教育厅": "jyt",
    "贵阳市大数据局": "gy.dsjj",
    "遵义市大数据局": "zy.dsjj",
    "省水利厅": "slt",
    "省残联": "cl",
    "省中医药管理局": "zyyj",
}


def demo_contacts() -> dict[str, list[str]]:
    """Contacts of every provider department except 省自然资源厅 (left out on purpose, so the
    demo shows what happens to a department nobody can be mailed at)."""
    return {dept: [f"{local}.sjgx@example.gov.cn"] for dept, local in _CONTACTS.items()}


def demo_supervisors() -> list[str]:
    return ["dsjj.dcc@example.gov.cn", "xxzx.sjgx@example.gov.cn"]
