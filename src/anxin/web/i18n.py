"""Every string the pages show, in zh-CN and en, and how a request picks its language.

Two plain dicts with the same keys (a test checks it). Families of keys follow the domain's own codes:
``state.<case state>``, ``action.<action>``, ``type.<case type>``, ``reason.<reason>``,
``deadline.<kind>``, ``outcome.<outcome>``, ``code.<decision reason code>``, ``err.<error code>``; the fulfilment
pages' families live in ``i18n_fulfilment``, the score pages' in ``i18n_scoring``, the risk console's in
``i18n_risk``, and are merged in here.
A missing key shows the key itself rather than failing the page.
"""

from __future__ import annotations

from collections.abc import Callable

from anxin.web import i18n_disclosure, i18n_fulfilment, i18n_jobs, i18n_merchants, i18n_risk, i18n_scoring

LANGS = ("zh-CN", "en")
DEFAULT_LANG = "zh-CN"

ZH: dict[str, str] = {
    "app.name": "安心购 · 服务保障",
    "lang.switch": "English", "lang.switch_title": "Switch to English",
    "nav.home": "首页", "nav.hall": "服务保障大厅", "nav.my_orders": "我的订单", "nav.merchant": "售后工单",
    "nav.ops": "仲裁台", "nav.docs": "API 文档", "nav.logout": "退出", "nav.signed_in_as": "{role} {subject}",
    "role.consumer": "消费者", "role.merchant": "商家", "role.operator": "平台客服", "role.platform": "平台系统",
    "role.system": "系统",
    "login.title": "登录",
    "login.intro": "粘贴平台发放给你的 API 密钥即可登录（例如 anxin keys create 生成的密钥）。",
    "login.key": "API 密钥", "login.submit": "登录", "login.failed": "密钥无效或已吊销。",
    "home.title": "首页", "home.welcome": "欢迎，{role} {subject}", "home.consumer": "我的订单与服务保障",
    "home.merchant": "处理售后工单", "home.ops": "审核与仲裁队列", "home.docs": "API 文档（离线可用）",
    "home.platform": "平台密钥用于调用 API，没有对应的页面。",
    "hall.title": "服务保障大厅", "hall.orders": "我的订单", "hall.no_orders": "还没有订单。",
    "hall.open": "查看保障", "hall.guarantees": "适用的保障", "hall.not_applicable": "不适用的保障（{n}）",
    "hall.rulebook": "规则版本 {version}", "hall.opens": "开始", "hall.closes": "截止",
    "hall.closes_in": "{left}后截止", "hall.opens_in": "{left}后开始", "hall.window_pending": "{anchor}后开始计算",
    "hall.timeline": "实时动态", "hall.file": "申请售后", "hall.cases": "售后记录",
    "hall.case_open": "该订单已有进行中的售后，处理完成后才能再次申请。",
    "hall.cancelled_order": "订单已取消，款项已原路退回。", "hall.filed": "申请已提交，系统已给出判定。",
    "hall.operator_view": "你正以平台客服身份查看。", "hall.refunded_in_full": "该订单已全额退款。",
    "anchor.paid": "付款", "anchor.shipped": "发货", "anchor.signed": "签收",
    "order.id": "订单号", "order.shop": "店铺", "order.items": "商品", "order.paid_fen": "实付金额",
    "order.status": "订单状态", "order.paid_at": "付款时间", "order.status.paid": "已付款，待发货",
    "order.status.shipped": "已发货", "order.status.delivered": "已签收", "order.status.cancelled": "已取消",
    "gstate.active": "保障中", "gstate.pending": "未开始", "gstate.expired": "已过期",
    "gstate.unavailable": "暂不可用", "gstate.not_applicable": "不适用",
    "tl.paid": "买家付款 {amount}", "tl.shipped": "商家发货：{carrier} {tracking}", "tl.scan": "物流：{status}",
    "tl.signed": "买家已签收", "tl.cancelled": "订单取消 {reason}", "tl.case": "售后 {case}",
    "tl.deadline": "截止 {at}（{kind}）", "tl.rule": "规则 {rule} · 版本 {version}",
    "tl.return": "退货物流：{carrier} {tracking}，运费 {freight}", "tl.pickup": "已预约上门取件",
    "scan.picked_up": "已揽收", "scan.in_transit": "运输中", "scan.arrived": "到达网点",
    "scan.out_for_delivery": "派送中", "scan.delivered": "已送达", "scan.exception": "物流异常",
    "form.type": "售后类型", "form.reason": "原因", "form.amount": "金额（元）",
    "form.amount_hint": "最多 {max}，精确到分", "form.listing": "商品", "form.whole_order": "整单",
    "form.description": "问题描述", "form.evidence": "凭证图片（JPEG / PNG / WebP）", "form.unsealed": "商品已拆封",
    "form.submit": "提交申请", "form.note": "说明", "form.note_required": "说明（必填）", "form.carrier": "快递公司",
    "form.tracking_no": "运单号", "form.freight": "运费（元）", "form.method_self": "自行寄回",
    "form.method_pickup": "上门取件（免费）", "form.ship_return": "提交退货物流", "form.error": "未能提交",
    "form.csrf": "表单已过期，请刷新页面后重试。",
    "btn.escalate": "申请平台介入", "btn.cancel": "撤销申请", "btn.supersede": "重新申请",
    "btn.approve": "同意", "btn.reject": "拒绝",
    "btn.confirm_receipt": "确认收到退货", "btn.reject_receipt": "拒绝签收退货", "btn.review_approve": "审核通过",
    "btn.review_reject": "审核驳回", "btn.arbitrate_for_consumer": "支持消费者",
    "btn.arbitrate_for_merchant": "支持商家",
    "case.id": "售后单", "case.opened_at": "申请时间", "case.amount": "金额", "case.state": "状态",
    "case.deadline": "处理时限", "case.left": "剩余 {left}", "case.overdue": "已超时 {left}",
    "case.decision": "系统判定", "case.guarantee": "适用保障", "case.passed_over": "先行核对但未适用",
    "case.description": "描述", "case.evidence": "凭证", "case.no_evidence": "没有凭证", "case.facts": "判定依据",
    "case.trace": "规则核对过程", "case.money": "资金", "case.refunded": "已退款 {amount}",
    "case.compensated": "已赔付 {amount}", "case.freight_paid": "运费补贴 {amount}", "case.return": "退货物流",
    "case.view_order": "订单与保障", "case.escalate_until": "可在 {at} 前申请平台介入", "case.actions": "处理",
    "case.timeline": "处理记录",
    "trace.rule": "规则", "trace.fact": "事实", "trace.op": "比较", "trace.expected": "期望", "trace.actual": "实际",
    "trace.result": "结果", "trace.pass": "通过", "trace.fail": "未通过",
    "merchant.title": "售后工单", "merchant.filter": "按状态筛选", "merchant.all": "全部状态",
    "merchant.apply": "筛选", "merchant.none": "没有工单。",
    "ops.title": "仲裁台", "ops.queue": "待审核与待仲裁", "ops.none": "队列为空。", "ops.sla": "SLA 时限",
    "error.title": "出错了", "error.code": "错误代码", "error.back": "返回首页",
    "left.minutes": "{m} 分钟", "left.hours": "{h} 小时", "left.days": "{d} 天 {h} 小时",
    "state.pending_merchant": "待商家处理", "state.under_review": "平台审核中", "state.awaiting_return": "待买家退货",
    "state.return_shipped": "退货已寄出", "state.rejected": "已拒绝", "state.arbitration": "平台介入中",
    "state.refunded": "已退款", "state.completed": "已完成", "state.closed": "已关闭", "state.cancelled": "已撤销",
    "action.file": "提交售后申请", "action.auto_approve": "规则自动同意", "action.approve": "商家同意",
    "action.reject": "商家拒绝", "action.merchant_timeout": "商家超时未处理，自动同意",
    "action.review_approve": "平台审核通过", "action.review_reject": "平台审核驳回",
    "action.escalate": "申请平台介入", "action.escalation_timeout": "未申请平台介入，售后关闭",
    "action.arbitrate_for_consumer": "平台判定支持消费者", "action.arbitrate_for_merchant": "平台判定支持商家",
    "action.ship_return": "买家寄回商品", "action.return_timeout": "买家超时未退货，售后关闭",
    "action.confirm_receipt": "商家确认收到退货", "action.receipt_timeout": "商家超时未确认，自动退款",
    "action.reject_receipt": "商家拒绝签收退货", "action.cancel": "买家撤销申请",
    "action.supersede": "买家重新提交申请，原申请关闭",
    "type.refund_only": "仅退款", "type.return_refund": "退货退款", "type.exchange": "换货",
    "type.compensation": "赔付",
    "reason.no_reason": "七天无理由", "reason.quality": "质量问题", "reason.damaged": "商品破损",
    "reason.spoiled": "生鲜坏果", "reason.allergy": "使用过敏", "reason.counterfeit": "疑似假货",
    "reason.not_received": "未收到货", "reason.wrong_item": "发错货", "reason.not_as_described": "与描述不符",
    "reason.missing_parts": "少件 / 漏发", "reason.changed_mind_unshipped": "未发货不想要了", "reason.other": "其他",
    "deadline.merchant_response": "商家处理时限", "deadline.buyer_ship_return": "买家退货时限",
    "deadline.merchant_confirm_receipt": "商家确认收货时限", "deadline.escalation": "申请平台介入时限",
    "deadline.arbitration_sla": "平台仲裁时限",
    "outcome.approved": "自动同意", "outcome.rejected": "不符合保障条件", "outcome.pending_merchant": "转商家处理",
    "outcome.review": "转平台人工审核",
    "code.guarantee.approved": "符合保障条件，已自动同意",
    "code.guarantee.pending_merchant": "符合保障条件，交由商家在时限内处理",
    "code.guarantee.review": "符合保障条件，需平台人工审核", "code.guarantee.rejected": "不符合保障条件",
    "code.guarantee.not_offered": "店铺或商品未开通此项保障",
    "code.guarantee.none_handles_claim": "没有保障覆盖这种售后类型和原因", "code.window.not_open": "保障期尚未开始",
    "code.window.closed": "已超过保障期", "code.evidence.required": "需要上传凭证图片",
    "code.not_received.no_parcel_problem": "物流未见异常（丢失、退回、停滞或未揽收），由商家处理",
    "code.instant_refund.already_shipped": "订单已发货，不适用极速退款",
    "code.instant_refund.amount_too_high": "实付满 300 元，不适用极速退款",
    "code.instant_refund.virtual_goods": "虚拟商品不适用极速退款",
    "code.unshipped_refund.already_shipped": "订单已发货，请选择其他售后原因",
    "code.seven_day.exempt_by_law": "依法不适用七天无理由退货（生鲜、定制、报刊等）",
    "code.seven_day.exempt_confirmed_at_purchase": "下单时已确认该商品不支持七天无理由退货",
    "code.seven_day.digital_unsealed": "数码商品已拆封，不适用七天无理由退货",
    "code.review.consumer_velocity": "近 30 天售后申请较多，转平台人工审核",
    "code.review.consumer_credit_doubtful": "消费者信用分偏低，转平台人工审核",
    "code.instant_refund.credit_not_trusted": "信用极速退款仅限信用良好的消费者",
    "code.review.high_value_without_evidence": "高额申请未附凭证，转平台人工审核",
    "err.aftersales.order_not_found": "找不到该订单。", "err.aftersales.case_not_found": "找不到该售后单。",
    "err.aftersales.invalid_field": "填写的内容有误。", "err.aftersales.invalid_case_type": "请选择售后类型。",
    "err.aftersales.invalid_reason": "请选择原因。",
    "err.aftersales.invalid_amount": "金额须为大于 0 的元数，最多精确到分。",
    "err.aftersales.amount_exceeds_refundable": "金额超过可退金额。",
    "err.aftersales.order_cancelled": "订单已取消，款项已退回。",
    "err.aftersales.case_already_open": "该订单已有进行中的售后。",
    "err.aftersales.evidence_not_found": "凭证尚未上传。",
    "err.aftersales.no_such_evidence": "没有这张凭证，或无权查看。", "err.aftersales.evidence_too_large": "图片太大。",
    "err.aftersales.evidence_not_image": "只能上传 JPEG、PNG 或 WebP 图片。",
    "err.aftersales.too_many_evidence": "凭证图片太多。",
    "err.aftersales.invalid_state": "当前状态下不能进行此操作。",
    "err.aftersales.action_not_allowed": "你不能进行此操作。", "err.aftersales.invalid_action": "未知的操作。",
    "err.aftersales.note_required": "请填写说明。", "err.aftersales.deadline_passed": "已超过申请平台介入的期限。",
    "err.aftersales.pickup_not_covered": "该店铺不提供上门取件。",
    "err.aftersales.tracking_required": "请填写快递公司和运单号。",
    "err.aftersales.invalid_return_method": "退货方式无效。",
    "err.aftersales.forbidden_role": "只有下单的消费者可以申请售后。",
    "err.aftersales.rulebook_invalid": "规则无效。", "err.access.unauthenticated": "请先登录。",
    "err.access.invalid_role": "身份无效。", "err.access.invalid_subject": "主体无效。",
    "err.access.forbidden_role": "你的身份无权访问此页面。", "err.access.key_not_found": "找不到该密钥。",
    "err.request.malformed_json": "请求格式错误。", "err.request.form_token_invalid": "表单已过期，请刷新后重试。",
    "err.request.invalid": "请求无效。",
    "err.request.not_found": "页面不存在。", "err.request.method_not_allowed": "不支持此请求方式。",
    "err.request.too_large": "上传内容太大。", "err.request.unsupported_media_type": "不支持的内容类型。",
    **i18n_fulfilment.ZH,
    **i18n_scoring.ZH,
    **i18n_risk.ZH,
    **i18n_merchants.ZH,
    **i18n_jobs.ZH,
    **i18n_disclosure.ZH,
}

EN: dict[str, str] = {
    "app.name": "Anxin · Service guarantees",
    "lang.switch": "中文", "lang.switch_title": "切换到中文",
    "nav.home": "Home", "nav.hall": "Service Guarantee Hall", "nav.my_orders": "My orders",
    "nav.merchant": "After-sale cases", "nav.ops": "Operator console", "nav.docs": "API docs",
    "nav.logout": "Sign out", "nav.signed_in_as": "{role} {subject}",
    "role.consumer": "Consumer", "role.merchant": "Merchant", "role.operator": "Operator",
    "role.platform": "Platform", "role.system": "System",
    "login.title": "Sign in",
    "login.intro": "Paste the API key the platform gave you (for example one made by anxin keys create).",
    "login.key": "API key", "login.submit": "Sign in", "login.failed": "The key is invalid or revoked.",
    "home.title": "Home", "home.welcome": "Welcome, {role} {subject}",
    "home.consumer": "My orders and their guarantees", "home.merchant": "Handle after-sale cases",
    "home.ops": "Review and arbitration queue", "home.docs": "API documentation (works offline)",
    "home.platform": "Platform keys call the API; there are no pages for them.",
    "hall.title": "Service Guarantee Hall", "hall.orders": "My orders", "hall.no_orders": "No orders yet.",
    "hall.open": "View guarantees", "hall.guarantees": "Guarantees that apply",
    "hall.not_applicable": "Guarantees that do not apply ({n})", "hall.rulebook": "Rulebook {version}",
    "hall.opens": "Opens", "hall.closes": "Closes", "hall.closes_in": "closes in {left}",
    "hall.opens_in": "opens in {left}", "hall.window_pending": "starts once {anchor}",
    "hall.timeline": "Live timeline", "hall.file": "Request an after-sale", "hall.cases": "After-sale cases",
    "hall.case_open": "This order already has an open after-sale; you can file again once it is settled.",
    "hall.cancelled_order": "The order was cancelled; the payment has been returned.",
    "hall.filed": "Request filed and decided.", "hall.operator_view": "You are viewing as an operator.",
    "hall.refunded_in_full": "This order has been refunded in full.",
    "anchor.paid": "paid", "anchor.shipped": "shipped", "anchor.signed": "signed for",
    "order.id": "Order", "order.shop": "Shop", "order.items": "Items", "order.paid_fen": "Paid",
    "order.status": "Status", "order.paid_at": "Paid at", "order.status.paid": "Paid, not shipped",
    "order.status.shipped": "Shipped", "order.status.delivered": "Signed for", "order.status.cancelled": "Cancelled",
    "gstate.active": "Active", "gstate.pending": "Not open yet", "gstate.expired": "Expired",
    "gstate.unavailable": "Unavailable", "gstate.not_applicable": "Not applicable",
    "tl.paid": "Paid {amount}", "tl.shipped": "Shipped: {carrier} {tracking}", "tl.scan": "Parcel: {status}",
    "tl.signed": "Signed for", "tl.cancelled": "Order cancelled {reason}", "tl.case": "After-sale {case}",
    "tl.deadline": "Deadline {at} ({kind})", "tl.rule": "Rule {rule} · version {version}",
    "tl.return": "Return shipment: {carrier} {tracking}, freight {freight}", "tl.pickup": "Doorstep pickup booked",
    "scan.picked_up": "Picked up", "scan.in_transit": "In transit", "scan.arrived": "Arrived at depot",
    "scan.out_for_delivery": "Out for delivery", "scan.delivered": "Delivered", "scan.exception": "Delivery problem",
    "form.type": "Type", "form.reason": "Reason", "form.amount": "Amount (yuan)",
    "form.amount_hint": "Up to {max}, to the fen", "form.listing": "Item", "form.whole_order": "Whole order",
    "form.description": "Description", "form.evidence": "Evidence photos (JPEG / PNG / WebP)",
    "form.unsealed": "The item has been unsealed", "form.submit": "Submit request", "form.note": "Note",
    "form.note_required": "Note (required)", "form.carrier": "Carrier", "form.tracking_no": "Tracking number",
    "form.freight": "Freight (yuan)", "form.method_self": "Ship it myself",
    "form.method_pickup": "Doorstep pickup (free)", "form.ship_return": "Submit return shipment",
    "form.error": "Not submitted", "form.csrf": "The form has expired; reload the page and try again.",
    "btn.escalate": "Ask the platform to step in", "btn.cancel": "Withdraw request", "btn.supersede": "File anew",
    "btn.approve": "Approve",
    "btn.reject": "Reject", "btn.confirm_receipt": "Confirm the return arrived",
    "btn.reject_receipt": "Refuse the return", "btn.review_approve": "Approve after review",
    "btn.review_reject": "Reject after review", "btn.arbitrate_for_consumer": "Rule for the consumer",
    "btn.arbitrate_for_merchant": "Rule for the merchant",
    "case.id": "Case", "case.opened_at": "Filed", "case.amount": "Amount", "case.state": "State",
    "case.deadline": "Deadline", "case.left": "{left} left", "case.overdue": "overdue by {left}",
    "case.decision": "Decision", "case.guarantee": "Guarantee", "case.passed_over": "Checked first, did not hold",
    "case.description": "Description", "case.evidence": "Evidence", "case.no_evidence": "No evidence",
    "case.facts": "Facts used", "case.trace": "Rule trace", "case.money": "Money",
    "case.refunded": "Refunded {amount}", "case.compensated": "Compensated {amount}",
    "case.freight_paid": "Freight paid {amount}", "case.return": "Return shipment",
    "case.view_order": "Order and guarantees",
    "case.escalate_until": "You may ask the platform to step in until {at}", "case.actions": "Actions",
    "case.timeline": "History",
    "trace.rule": "Rule", "trace.fact": "Fact", "trace.op": "Check", "trace.expected": "Expected",
    "trace.actual": "Actual", "trace.result": "Result", "trace.pass": "pass", "trace.fail": "fail",
    "merchant.title": "After-sale cases", "merchant.filter": "Filter by state", "merchant.all": "All states",
    "merchant.apply": "Apply", "merchant.none": "No cases.",
    "ops.title": "Operator console", "ops.queue": "Waiting for review or arbitration",
    "ops.none": "The queue is empty.", "ops.sla": "SLA",
    "error.title": "Something went wrong", "error.code": "Error code", "error.back": "Back to home",
    "left.minutes": "{m} min", "left.hours": "{h} h", "left.days": "{d} d {h} h",
    "state.pending_merchant": "Waiting for the merchant", "state.under_review": "Under platform review",
    "state.awaiting_return": "Waiting for the return", "state.return_shipped": "Return shipped",
    "state.rejected": "Refused", "state.arbitration": "Platform stepping in",
    "state.refunded": "Refunded", "state.completed": "Completed", "state.closed": "Closed",
    "state.cancelled": "Withdrawn",
    "action.file": "Request filed", "action.auto_approve": "Approved by the rulebook",
    "action.approve": "Merchant approved", "action.reject": "Merchant rejected",
    "action.merchant_timeout": "Merchant did not answer in time; approved",
    "action.review_approve": "Platform review approved", "action.review_reject": "Platform review rejected",
    "action.escalate": "Asked the platform to step in", "action.escalation_timeout": "No appeal in time; case closed",
    "action.arbitrate_for_consumer": "Platform ruled for the consumer",
    "action.arbitrate_for_merchant": "Platform ruled for the merchant",
    "action.ship_return": "Consumer shipped the return",
    "action.return_timeout": "Return not shipped in time; case closed",
    "action.confirm_receipt": "Merchant confirmed the return arrived",
    "action.receipt_timeout": "Merchant did not confirm in time; refunded",
    "action.reject_receipt": "Merchant refused the return", "action.cancel": "Consumer withdrew the request",
    "action.supersede": "Consumer filed a new request; this one closed",
    "type.refund_only": "Refund only", "type.return_refund": "Return and refund", "type.exchange": "Exchange",
    "type.compensation": "Compensation",
    "reason.no_reason": "No reason (7-day)", "reason.quality": "Quality problem", "reason.damaged": "Damaged",
    "reason.spoiled": "Spoiled on arrival", "reason.allergy": "Allergic reaction",
    "reason.counterfeit": "Counterfeit", "reason.not_received": "Not received", "reason.wrong_item": "Wrong item",
    "reason.not_as_described": "Not as described", "reason.missing_parts": "Missing parts",
    "reason.changed_mind_unshipped": "Changed my mind before shipping", "reason.other": "Other",
    "deadline.merchant_response": "merchant response", "deadline.buyer_ship_return": "buyer ships the return",
    "deadline.merchant_confirm_receipt": "merchant confirms receipt", "deadline.escalation": "ask the platform",
    "deadline.arbitration_sla": "arbitration SLA",
    "outcome.approved": "Approved automatically", "outcome.rejected": "Not covered",
    "outcome.pending_merchant": "Sent to the merchant", "outcome.review": "Sent to platform review",
    "code.guarantee.approved": "Covered: approved automatically",
    "code.guarantee.pending_merchant": "Covered: the merchant answers within the deadline",
    "code.guarantee.review": "Covered: a platform operator reviews it", "code.guarantee.rejected": "Not covered",
    "code.guarantee.not_offered": "The shop or item does not offer this guarantee",
    "code.guarantee.none_handles_claim": "No guarantee covers this type and reason",
    "code.window.not_open": "The guarantee window has not opened yet",
    "code.window.closed": "The guarantee window has closed",
    "code.evidence.required": "A photo is required as evidence",
    "code.not_received.no_parcel_problem": "Tracking shows no loss, return, stall or missing collection yet: "
                                           "the merchant answers",
    "code.instant_refund.already_shipped": "Already shipped: no instant refund",
    "code.instant_refund.amount_too_high": "Paid 300 yuan or more: no instant refund",
    "code.instant_refund.virtual_goods": "Virtual goods: no instant refund",
    "code.unshipped_refund.already_shipped": "Already shipped: choose another reason",
    "code.seven_day.exempt_by_law": "Exempt by law from no-reason returns (fresh, custom-made, periodicals …)",
    "code.seven_day.exempt_confirmed_at_purchase": "You confirmed at checkout that this item has no no-reason return",
    "code.seven_day.digital_unsealed": "Unsealed digital goods: no no-reason return",
    "code.review.consumer_velocity": "Many requests in 30 days: sent to platform review",
    "code.review.consumer_credit_doubtful": "Low consumer credit: sent to platform review",
    "code.instant_refund.credit_not_trusted": "Instant refunds above 300 yuan are for trusted consumers only",
    "code.review.high_value_without_evidence": "High value without evidence: sent to platform review",
    "err.aftersales.order_not_found": "Order not found.",
    "err.aftersales.case_not_found": "After-sale case not found.",
    "err.aftersales.invalid_field": "Something in the form is not right.",
    "err.aftersales.invalid_case_type": "Choose a type.", "err.aftersales.invalid_reason": "Choose a reason.",
    "err.aftersales.invalid_amount": "The amount must be more than 0 yuan, to the fen at most.",
    "err.aftersales.amount_exceeds_refundable": "The amount is more than can be refunded.",
    "err.aftersales.order_cancelled": "The order was cancelled; the payment is already returned.",
    "err.aftersales.case_already_open": "This order already has an open after-sale.",
    "err.aftersales.evidence_not_found": "The evidence has not been uploaded.",
    "err.aftersales.no_such_evidence": "No such evidence, or not yours to see.",
    "err.aftersales.evidence_too_large": "The image is too large.",
    "err.aftersales.evidence_not_image": "Only JPEG, PNG or WebP images are accepted.",
    "err.aftersales.too_many_evidence": "Too many evidence images.",
    "err.aftersales.invalid_state": "This cannot be done in the case's current state.",
    "err.aftersales.action_not_allowed": "You may not do this.", "err.aftersales.invalid_action": "Unknown action.",
    "err.aftersales.note_required": "Please write a note.",
    "err.aftersales.deadline_passed": "The time to ask the platform to step in has passed.",
    "err.aftersales.pickup_not_covered": "This shop does not offer doorstep pickup.",
    "err.aftersales.tracking_required": "Enter the carrier and the tracking number.",
    "err.aftersales.invalid_return_method": "Unknown return method.",
    "err.aftersales.forbidden_role": "Only the consumer who placed the order may file an after-sale.",
    "err.aftersales.rulebook_invalid": "The rulebook is invalid.", "err.access.unauthenticated": "Please sign in.",
    "err.access.invalid_role": "Invalid role.", "err.access.invalid_subject": "Invalid subject.",
    "err.access.forbidden_role": "Your role may not open this page.", "err.access.key_not_found": "Key not found.",
    "err.request.malformed_json": "Malformed request.",
    "err.request.form_token_invalid": "The form expired; reload the page and try again.",
    "err.request.invalid": "Invalid request.",
    "err.request.not_found": "Page not found.", "err.request.method_not_allowed": "Method not allowed.",
    "err.request.too_large": "The upload is too large.",
    "err.request.unsupported_media_type": "Unsupported content type.",
    **i18n_fulfilment.EN,
    **i18n_scoring.EN,
    **i18n_risk.EN,
    **i18n_merchants.EN,
    **i18n_jobs.EN,
    **i18n_disclosure.EN,
}

CATALOG: dict[str, dict[str, str]] = {"zh-CN": ZH, "en": EN}

Translator = Callable[..., str]


def translator(lang: str) -> Translator:
    table = CATALOG.get(lang, ZH)

    def t(key: str, **values: object) -> str:
        text = table.get(key)
        if text is None:
            return key  # visible but harmless: an unknown code shows as itself
        return text.format(**values) if values else text
    return t


def other_lang(lang: str) -> str:
    return "en" if lang == "zh-CN" else "zh-CN"


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (q-values honoured), else zh-CN."""
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, i, tag.strip().lower()))
    for neg_q, _, tag in sorted(ranked):
        if neg_q >= 0:
            break
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LANG


def pick(lang: str | None) -> str | None:
    """A supported language for a query/cookie value (case-insensitive), or None."""
    if not lang:
        return None
    return next((lg for lg in LANGS if lg.lower() == lang.strip().lower()), None)
