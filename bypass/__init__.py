"""Gates registry, process-bypass requests, policies, approvals and the hash-chained ledger."""
