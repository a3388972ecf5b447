"""What consumers and merchants read where risk acted (merged into ``anxin.web.i18n``'s catalogs; same keys in both).

Families: ``pr.`` the "under platform review" notice, ``code.platform.*`` the neutral reason shown in place of risk's
and credit's, the neutral timeline actions (``action.``) from ``anxin.aftersales.disclosure.NEUTRAL_ACTIONS``, the
operators' labels of risk's own timeline entries, and who refused a request (``state_by_rules.rejected``,
``state_by_merchant.rejected``). None of them names a risk rule, a verdict or a credit band.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    "pr.request": "平台审核中", "pr.request_by": "平台审核中，预计 {at} 前完成",
    "pr.freight": "退货运费补贴平台审核中", "pr.freight_by": "退货运费补贴平台审核中，预计 {at} 前完成",
    "pr.left": "剩余 {left}", "pr.overdue": "已超出预计时间 {left}，平台仍在处理",
    "code.platform.review_required": "该申请需平台审核",
    "action.freight_under_review": "退货运费补贴平台审核中",
    "action.freight_not_paid": "平台审核后，退货运费补贴不予发放",
    "action.platform_review_continues": "平台审核进行中", "action.platform_review_passed": "平台审核通过，交由商家处理",
    "action.freight_review_passed": "平台审核通过，退货运费补贴已发放",
    "action.risk_cleared": "风控审核放行，仍由售后客服审核", "action.risk_refuse_freight": "风控确认，运费补贴不予发放",
    "state_by_rules.rejected": "不符合保障规则", "state_by_merchant.rejected": "商家已拒绝",
}

EN: dict[str, str] = {
    "pr.request": "Under platform review", "pr.request_by": "Under platform review; expected by {at}",
    "pr.freight": "Return freight payment under platform review",
    "pr.freight_by": "Return freight payment under platform review; expected by {at}",
    "pr.left": "{left} left", "pr.overdue": "{left} past the expected time; the platform is still on it",
    "code.platform.review_required": "This request needs a platform review",
    "action.freight_under_review": "Return freight payment under platform review",
    "action.freight_not_paid": "Return freight not paid after platform review",
    "action.platform_review_continues": "Platform review continues",
    "action.platform_review_passed": "Platform review passed; back to the merchant",
    "action.freight_review_passed": "Platform review passed; return freight paid",
    "action.risk_cleared": "Cleared by risk review; still with the after-sales operators",
    "action.risk_refuse_freight": "Confirmed by risk review; freight not paid",
    "state_by_rules.rejected": "Refused under the guarantee rules",
    "state_by_merchant.rejected": "Rejected by the merchant",
}
