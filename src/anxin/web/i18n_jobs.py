"""The operator console's page of failing job items (merged into ``anxin.web.i18n``; same keys in both).

``jobs.name.<job>`` names each periodic job; an unknown job shows as its key.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    "jobs.nav": "任务异常", "jobs.title": "定时任务异常项",
    "jobs.intro": "定时任务无法处理的条目：已记录错误，按指数退避自动重试，其余条目照常处理。"
                  "数据修正后，下次重试成功即从列表移除。",
    "jobs.all": "全部", "jobs.none": "没有异常项，所有定时任务运行正常。", "jobs.job": "任务", "jobs.item": "条目",
    "jobs.error": "错误", "jobs.attempts": "连续失败次数", "jobs.first": "首次失败", "jobs.last": "最近失败",
    "jobs.next": "下次重试", "jobs.due": "（待重试）", "jobs.whole_job": "整个任务",
    "jobs.more": "仅显示最近 {n} 条。",
    "jobs.name.aftersales.deadlines": "售后时限", "jobs.name.fulfilment.check": "履约检测",
    "jobs.name.merchants.graduate": "新手期毕业", "jobs.name.merchants.settle": "结算",
    "jobs.name.scoring.nightly": "每日评分", "jobs.name.outbox.deliver": "回调投递",
    "jobs.name.actions.deliveries": "平台指令送达",
}

EN: dict[str, str] = {
    "jobs.nav": "Job failures", "jobs.title": "Failing items of periodic jobs",
    "jobs.intro": "Items a periodic job could not handle: the error is recorded and the item is retried with "
                  "exponential backoff while the other items go on. Once its data is fixed, the next retry clears it.",
    "jobs.all": "All", "jobs.none": "No failing items: every periodic job is running clean.", "jobs.job": "Job",
    "jobs.item": "Item", "jobs.error": "Error", "jobs.attempts": "Failures in a row", "jobs.first": "First failed",
    "jobs.last": "Last failed", "jobs.next": "Next retry", "jobs.due": "(due)", "jobs.whole_job": "the whole job",
    "jobs.more": "Only the latest {n} are shown.",
    "jobs.name.aftersales.deadlines": "After-sales deadlines", "jobs.name.fulfilment.check": "Fulfilment check",
    "jobs.name.merchants.graduate": "Novice graduation", "jobs.name.merchants.settle": "Settlement",
    "jobs.name.scoring.nightly": "Nightly scores", "jobs.name.outbox.deliver": "Webhook delivery",
    "jobs.name.actions.deliveries": "Platform action delivery",
}
