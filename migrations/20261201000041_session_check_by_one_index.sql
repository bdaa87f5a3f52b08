-- Issue 15. The session check before every request (`bytemtaani_session_user`: this
-- session, of this user, still open) was served by the index of a user's open sessions,
-- reading every one the user had left open (a till switched off, a dropped SSH link, each
-- benchmark terminal) to find its own: 2,000 reads for a cashier with 2,000 open sessions,
-- 0.34 ms a check, growing. With the session's id in that index, the check is one probe.
drop index user_sessions_user_idx;
create index user_sessions_user_idx on user_sessions (user_id, id) where ended_at is null;
