"""The operator console's page of actions sent to the platform (merged into ``anxin.web.i18n``; same keys in both).

``act.state.<state>`` and ``act.kind.<kind>`` follow ``anxin.actions.model``; ``err.actions.<code>`` its errors.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    "act.nav": "平台指令", "act.title": "发给平台的指令",
    "act.intro": "安心购通过回调要求平台执行的处置（下架商品、限制店铺、冻结资金等），每条都有起因、理由和规则。"
                 "平台执行后回执；失败的和超时未回执的排在最前。",
    "act.all": "全部", "act.none": "没有符合条件的指令。", "act.filter": "筛选", "act.target": "对象",
    "act.state": "状态", "act.kind": "指令", "act.parameters": "参数", "act.cause": "起因", "act.reasons": "理由",
    "act.issued": "发出", "act.answer": "平台回执", "act.rule": "规则", "act.sent_at": "已送达",
    "act.not_sent": "待送达",
    "act.first": "第一页", "act.next": "下一页", "act.sep": "、", "act.funds_all": "全部资金",
    "act.state.issued": "待送达", "act.state.sent": "已送达", "act.state.unconfirmed": "超时未回执",
    "act.state.done": "已执行", "act.state.failed": "执行失败",
    "act.kind.listing.takedown": "下架商品", "act.kind.listing.restore": "恢复商品",
    "act.kind.shop.restrict": "限制店铺",
    "act.kind.shop.lift": "解除店铺限制", "act.kind.shop.close": "关闭店铺", "act.kind.funds.hold": "冻结资金",
    "act.kind.funds.release": "解冻资金", "act.kind.creator.restrict": "限制达人",
    "act.kind.live_room.penalise": "处罚直播间",
    "err.actions.unknown_kind": "未知的指令类型。", "err.actions.invalid_parameters": "指令参数无效。",
    "err.actions.invalid_target": "指令对象无效。", "err.actions.invalid_cause": "指令起因无效。",
    "err.actions.action_not_found": "找不到该指令。", "err.actions.invalid_ack": "回执无效。",
    "err.actions.ack_conflict": "该指令已有不同的回执。",
    "err.actions.cause_conflict": "同一起因已发出参数不同的指令。",
    "err.actions.invalid_filter": "筛选条件无效。",
    "act.restrict.new_listings": "禁止上新", "act.restrict.traffic": "限制流量", "act.restrict.withdrawals": "禁止提现",
    "act.restrict.campaigns": "禁止报名活动", "act.restrict.live": "禁止直播",
    "act.restrict.short_video": "禁止短视频带货",
    "act.restrict.product_links": "禁止挂商品链接",
    "act.rule.A.SHOP_BLOCKED.RESTRICT": "风控审核期间限制店铺：禁止上新、禁止提现。",
    "act.rule.A.SHOP_UNBLOCKED.LIFT": "风控已解除拦截：恢复上新和提现。",
}

EN: dict[str, str] = {
    "act.nav": "Platform actions", "act.title": "Actions sent to the platform",
    "act.intro": "What anxin told the platform to do through its webhooks (take a listing down, restrict a shop, hold "
                 "funds …), each with its cause, reasons and rule. The platform acks each one; failed ones and those "
                 "not acked in time come first.",
    "act.all": "All", "act.none": "No actions match.", "act.filter": "Filter", "act.target": "Target",
    "act.state": "State", "act.kind": "Action", "act.parameters": "Parameters", "act.cause": "Cause",
    "act.reasons": "Reasons", "act.issued": "Issued", "act.answer": "Platform's answer", "act.rule": "Rule",
    "act.sent_at": "Delivered", "act.not_sent": "Not delivered yet", "act.first": "First page", "act.next": "Next",
    "act.sep": ", ", "act.funds_all": "all funds",
    "act.state.issued": "Issued", "act.state.sent": "Delivered", "act.state.unconfirmed": "Unconfirmed",
    "act.state.done": "Done", "act.state.failed": "Failed",
    "act.kind.listing.takedown": "Take listing down", "act.kind.listing.restore": "Restore listing",
    "act.kind.shop.restrict": "Restrict shop", "act.kind.shop.lift": "Lift shop restriction",
    "act.kind.shop.close": "Close shop", "act.kind.funds.hold": "Hold funds", "act.kind.funds.release": "Release funds",
    "act.kind.creator.restrict": "Restrict creator", "act.kind.live_room.penalise": "Penalise live room",
    "err.actions.unknown_kind": "Unknown action kind.", "err.actions.invalid_parameters": "Invalid action parameters.",
    "err.actions.invalid_target": "Invalid action target.", "err.actions.invalid_cause": "Invalid action cause.",
    "err.actions.action_not_found": "No such action.", "err.actions.invalid_ack": "Invalid ack.",
    "err.actions.ack_conflict": "The action was already acked differently.",
    "err.actions.cause_conflict": "This cause already issued the action with other parameters.",
    "err.actions.invalid_filter": "Invalid filter.",
    "act.restrict.new_listings": "no new listings", "act.restrict.traffic": "less traffic",
    "act.restrict.withdrawals": "no withdrawals", "act.restrict.campaigns": "no campaigns",
    "act.restrict.live": "no live streams", "act.restrict.short_video": "no selling in short videos",
    "act.restrict.product_links": "no product links",
    "act.rule.A.SHOP_BLOCKED.RESTRICT": "Restricted while risk control reviews the shop: no new listings, "
                                        "no withdrawals.",
    "act.rule.A.SHOP_UNBLOCKED.LIFT": "The risk control block was lifted: listings and withdrawals are open again.",
}
