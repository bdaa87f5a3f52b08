-- Issue 16 (the operator's way back in). `bytemtaani user list|password|unlock|deactivate|
-- activate|role` run on the shop's server with the database owner's login, for when no admin
-- can log in: no app account acts, so the audit log names the operator (the server's OS user)
-- instead. Terminal roles still cannot choose who a row names (migration 15 sets it).
alter table audit_log alter column actor_id drop not null,
    add column operator text,
    add constraint audit_log_someone check ((actor_id is null) <> (operator is null));
