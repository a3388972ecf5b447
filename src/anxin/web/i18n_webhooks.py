"""The operator console's webhooks page (merged into ``anxin.web.i18n``; same keys in both)."""

from __future__ import annotations

ZH: dict[str, str] = {
    "wh.nav": "回调", "wh.title": "回调（Webhook）投递",
    "wh.intro": "每条消息投递到订阅其类型的每个已启用端点，各端点独立重试（指数退避），用尽重试次数即为失败。"
                "重新投递从现在起重新计数，webhook-id 与幂等键不变，接收方会去重。",
    "wh.redelivered": "已安排重新投递：{id}", "wh.endpoints": "端点", "wh.no_endpoints": "尚无端点：消息保持待投递。",
    "wh.endpoint": "端点", "wh.kinds": "订阅类型", "wh.enabled": "启用", "wh.yes": "是", "wh.no": "否",
    "wh.configured": "（由配置 ANXIN_WEBHOOK_URL 管理）", "wh.dead": "投递失败的消息",
    "wh.no_dead": "没有投递失败的消息。", "wh.message": "消息", "wh.kind": "类型", "wh.subject": "关联对象",
    "wh.attempts": "尝试次数", "wh.last_error": "最近错误", "wh.created": "创建时间", "wh.redeliver": "重新投递",
    "wh.more": "仅显示最近 {n} 条。", "wh.deliveries": "最近投递（失败优先）", "wh.no_deliveries": "尚无投递。",
    "wh.delivery": "投递", "wh.status": "状态", "wh.last_answer": "最近应答", "wh.next": "下次尝试",
    "wh.delivered_at": "送达时间",
    "wh.status.pending": "待投递", "wh.status.delivered": "已送达", "wh.status.dead": "失败",
}

EN: dict[str, str] = {
    "wh.nav": "Webhooks", "wh.title": "Webhook deliveries",
    "wh.intro": "Each message goes to every enabled endpoint subscribed to its kind; each endpoint retries on its own "
                "(exponential backoff) and is dead once the retries are spent. Redelivery starts the attempts over "
                "from now with the same webhook-id and Idempotency-Key, so receivers dedup.",
    "wh.redelivered": "Redelivery scheduled: {id}", "wh.endpoints": "Endpoints",
    "wh.no_endpoints": "No endpoint yet: messages stay pending.", "wh.endpoint": "Endpoint", "wh.kinds": "Kinds",
    "wh.enabled": "Enabled", "wh.yes": "yes", "wh.no": "no", "wh.configured": "(set by ANXIN_WEBHOOK_URL)",
    "wh.dead": "Dead messages", "wh.no_dead": "No dead messages.", "wh.message": "Message", "wh.kind": "Kind",
    "wh.subject": "Subject", "wh.attempts": "Attempts", "wh.last_error": "Last error", "wh.created": "Created",
    "wh.redeliver": "Redeliver", "wh.more": "Only the latest {n} are shown.",
    "wh.deliveries": "Recent deliveries (dead first)", "wh.no_deliveries": "No deliveries yet.",
    "wh.delivery": "Delivery", "wh.status": "Status", "wh.last_answer": "Last answer", "wh.next": "Next attempt",
    "wh.delivered_at": "Delivered",
    "wh.status.pending": "pending", "wh.status.delivered": "delivered", "wh.status.dead": "dead",
}
