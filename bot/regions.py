"""Alibaba Cloud region IDs the bot knows by shape and allows by default.

From the ECS endpoint page and Terraform's region list (see shared/ecs/API_NOTES.md section 7).
DescribeRegions is the authority per account; this list only decides what `/eni detach` reads as
a region token and what `ENIBOT_ALLOWED_REGIONS` defaults to.
"""

from __future__ import annotations

import re

PUBLIC_REGIONS: tuple[str, ...] = (
    "cn-qingdao",
    "cn-beijing",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-wulanchabu",
    "cn-hangzhou",
    "cn-shanghai",
    "cn-nanjing",
    "cn-fuzhou",
    "cn-shenzhen",
    "cn-heyuan",
    "cn-guangzhou",
    "cn-chengdu",
    "cn-hongkong",
    "cn-zhengzhou-jva",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ap-south-1",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
    "me-central-1",
)

# Shape of any Alibaba Cloud region ID, including finance/gov ones (cn-shanghai-finance-1).
REGION_ID_RE = re.compile(r"^[a-z]{2,4}(-[a-z0-9]+){1,4}$")


def is_region_id(token: str) -> bool:
    """True when `token` has the shape of a region ID (known or not)."""
    return bool(REGION_ID_RE.fullmatch(token)) and not token.startswith(("eni-", "i-"))
