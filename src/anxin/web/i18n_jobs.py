"""The operator console's page of the periodic jobs, their workers and their failing items (merged
into ``anxin.web.i18n``; same keys in both).

``jobs.name.<job>`` names each periodic job; an unknown job shows as its key.
"""

from __future__ import annotations

ZH: dict[str, str] = {
    "jobs.nav": "定时任务", "jobs.title": "定时任务", "jobs.failures": "异常项",
    "jobs.workers": "任务与执行进程",
    "jobs.workers_intro": "每个定时任务由一个 anxin worker 进程持租约执行；进程退出（即使被 kill -9）后租约到期，"
                          "由其他进程接手。回调投递由所有进程同时执行（每条消息各有租约）。",
    "jobs.no_workers": "尚无 anxin worker 在此数据库上运行：时限、结算与回调投递都不会执行。",
    "jobs.state": "状态", "jobs.holder": "持有进程", "jobs.lease_until": "租约到期", "jobs.last_run": "上次运行",
    "jobs.last_outcome": "上次结果", "jobs.next_due": "下次运行", "jobs.failing": "异常项",
    "jobs.every_worker": "所有进程", "jobs.state.running": "运行中", "jobs.state.expired": "租约过期（进程已退出？）",
    "jobs.state.idle": "空闲", "jobs.state.never_run": "从未运行", "jobs.state.shared": "共同执行",
    "jobs.outcome.ok": "成功", "jobs.outcome.failed": "失败", "jobs.outcome.backing_off": "退避中",
    "jobs.intro": "定时任务无法处理的条目：已记录错误，按指数退避自动重试，其余条目照常处理。"
                  "数据修正后，下次重试成功即从列表移除。",
    "jobs.all": "全部", "jobs.none": "没有异常项，所有定时任务运行正常。", "jobs.job": "任务", "jobs.item": "条目",
    "jobs.error": "错误", "jobs.attempts": "连续失败次数", "jobs.first": "首次失败", "jobs.last": "最近失败",
    "jobs.next": "下次重试", "jobs.due": "（待重试）", "jobs.whole_job": "整个任务",
    "jobs.more": "仅显示最近 {n} 条。",
    "jobs.name.aftersales.deadlines": "售后时限", "jobs.name.fulfilment.check": "履约检测",
    "jobs.name.merchants.graduate": "新手期毕业", "jobs.name.merchants.settle": "结算",
    "jobs.name.scoring.nightly": "每日评分", "jobs.name.outbox.deliver": "回调投递",
    "jobs.name.idempotency.purge": "幂等键清理",
}

EN: dict[str, str] = {
    "jobs.nav": "Periodic jobs", "jobs.title": "Periodic jobs", "jobs.failures": "Failing items",
    "jobs.workers": "Jobs and workers",
    "jobs.workers_intro": "Each periodic job is run by one anxin worker process at a time, under a lease; if that "
                          "process dies (even kill -9) its lease runs out and another takes over. Webhook delivery "
                          "runs in every worker at once (each message has a lease of its own).",
    "jobs.no_workers": "No anxin worker has run on this database yet: deadlines, settlement and webhook delivery "
                       "are not running.",
    "jobs.state": "State", "jobs.holder": "Held by", "jobs.lease_until": "Lease until", "jobs.last_run": "Last run",
    "jobs.last_outcome": "Last outcome", "jobs.next_due": "Next due", "jobs.failing": "Failing items",
    "jobs.every_worker": "every worker", "jobs.state.running": "running",
    "jobs.state.expired": "lease expired (worker gone?)", "jobs.state.idle": "idle",
    "jobs.state.never_run": "never run",
    "jobs.state.shared": "shared", "jobs.outcome.ok": "ok", "jobs.outcome.failed": "failed",
    "jobs.outcome.backing_off": "backing off",
    "jobs.intro": "Items a periodic job could not handle: the error is recorded and the item is retried with "
                  "exponential backoff while the other items go on. Once its data is fixed, the next retry clears it.",
    "jobs.all": "All", "jobs.none": "No failing items: every periodic job is running clean.", "jobs.job": "Job",
    "jobs.item": "Item", "jobs.error": "Error", "jobs.attempts": "Failures in a row", "jobs.first": "First failed",
    "jobs.last": "Last failed", "jobs.next": "Next retry", "jobs.due": "(due)", "jobs.whole_job": "the whole job",
    "jobs.more": "Only the latest {n} are shown.",
    "jobs.name.aftersales.deadlines": "After-sales deadlines", "jobs.name.fulfilment.check": "Fulfilment check",
    "jobs.name.merchants.graduate": "Novice graduation", "jobs.name.merchants.settle": "Settlement",
    "jobs.name.scoring.nightly": "Nightly scores", "jobs.name.outbox.deliver": "Webhook delivery",
    "jobs.name.idempotency.purge": "Idempotency key purge",
}
