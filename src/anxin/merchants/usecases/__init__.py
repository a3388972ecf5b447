"""The merchants context's use cases, one module each: ``lifecycle`` (applications, state changes, graduation,
transfers), ``money`` (the deposit and goods payment: top-ups, withdrawals, deductions, payouts), ``campaigns`` (fee
campaigns), ``settlement`` (the settlement job), ``statements`` (per order and per period), ``programmes`` (the novice
period), ``financing`` (offers) and ``centre`` (a shop's status, its open cases, a merchant's overview). What
several of them need (who may see a shop, the persisted ledger) is in ``shared``. The pure rules they apply are the
context's model modules (``anxin.merchants.ledger``, ``deposits``, ``fees`` …)."""
