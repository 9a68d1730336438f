// The audit background worker ("dbvault audit"): the one process that owns the cluster's
// audit::Log (AuditWriter) and drains the backends' AuditQueue into it. Started with the
// postmaster; a worker whose log cannot open or fails marks the queue failed (backends get
// 58000 at once), logs why and exits with 1, and the postmaster starts it again 5 s later.
// Stopped (SIGTERM) it writes what is queued and exits with 0 and is not restarted; backends
// needing a record then get 58000 after dbvault.audit_timeout.
#pragma once

namespace dbvault::pgext {

// Registers the worker. Called once, from _PG_init.
void register_audit_worker();

}  // namespace dbvault::pgext
