-- Login throttling kept by the database itself. Until now the app charged each attempt to
-- the login throttle and then asked `bytemtaani_password_matches` or
-- `bytemtaani_open_session`. Whoever escaped a kiosk's app and held its database role could
-- call those functions directly, as often as they liked, or simply delete their throttle
-- row. Now one function charges the attempt, checks the digest, locks, and opens the
-- session; terminal roles no longer touch the throttle table, and the unthrottled checks
-- are gone.

-- The shop's policy: `bytemtaani migrate` writes the config's [login] values here.
create table login_policy (
    only_row     boolean primary key default true constraint login_policy_one_row check (only_row),
    max_failures integer not null default 5
                 constraint login_policy_max_failures_check check (max_failures > 0),
    lock_minutes integer not null default 15
                 constraint login_policy_lock_minutes_check check (lock_minutes > 0)
);
insert into login_policy default values;

-- One login attempt with the Argon2 digest the terminal computed from the stored setting.
-- The attempt is counted before the digest is compared, so parallel guesses get no more
-- than `max_failures` tries per lock period. Outcomes: 'locked' (with its end), 'wrong',
-- 'inactive' (the right password of a deactivated account) and 'ok' (with a new session
-- when `p_open_session`; without one, the password is only checked, e.g. before a change).
create function bytemtaani_log_in(p_username text, p_digest text, p_open_session boolean)
returns table (outcome text, locked_until timestamptz, session_id uuid)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_key text := lower(btrim(p_username));
    v_policy login_policy;
    v_charged login_throttle;
    v_account users;
    v_session uuid;
begin
    select * into v_policy from login_policy;
    -- A window that has expired (lock over, or no attempt for lock_minutes) starts again.
    insert into login_throttle as t (username_key, failures) values (v_key, 1)
    on conflict (username_key) do update set
        failures = case when t.locked_until <= now()
                          or (t.locked_until is null
                              and t.last_attempt_at < now() - make_interval(mins => v_policy.lock_minutes))
                        then 1 else t.failures + 1 end,
        locked_until = case when t.locked_until <= now() then null else t.locked_until end,
        last_attempt_at = now()
    returning * into v_charged;
    if v_charged.locked_until > now() then
        return query select 'locked', v_charged.locked_until, null::uuid;
        return;
    end if;
    if v_charged.failures > v_policy.max_failures then
        update login_throttle t set locked_until = now() + make_interval(mins => v_policy.lock_minutes)
        where t.username_key = v_key returning t.locked_until into v_charged.locked_until;
        return query select 'locked', v_charged.locked_until, null::uuid;
        return;
    end if;

    select * into v_account from users u
    where lower(u.username) = v_key
      and u.password_hash like '$argon2%'
      and regexp_replace(u.password_hash, '^.*\$', '') = p_digest;
    if not found then
        if v_charged.failures >= v_policy.max_failures then
            update login_throttle t set locked_until = now() + make_interval(mins => v_policy.lock_minutes)
            where t.username_key = v_key;
        end if;
        return query select 'wrong', null::timestamptz, null::uuid;
        return;
    end if;
    delete from login_throttle t where t.username_key = v_key;
    if not v_account.is_active then
        return query select 'inactive', null::timestamptz, null::uuid;
        return;
    end if;
    if p_open_session then
        insert into user_sessions (user_id) values (v_account.id) returning id into v_session;
    end if;
    return query select 'ok', null::timestamptz, v_session;
end
$$;

revoke all on function bytemtaani_log_in(text, text, boolean) from public;
grant execute on function bytemtaani_log_in(text, text, boolean)
    to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

drop function bytemtaani_open_session(text, text);
drop function bytemtaani_password_matches(text, text);
revoke all on login_throttle from bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
