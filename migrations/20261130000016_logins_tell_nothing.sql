-- Issue 14, items 8 and 9. Nothing a terminal can call tells whether a username exists,
-- and nobody can lock staff out from a kiosk.
--
-- * bytemtaani_password_setting answers an unknown name (or one without a password) with a
--   decoy setting: the same algorithm and parameters as real ones and a salt derived from
--   the name and a secret only the owner reads, so the answer is the same every time.
-- * bytemtaani_log_in records each attempt itself (known or unknown name, wrong password,
--   locked, inactive, success) and answers a terminal only 'wrong', 'locked', 'inactive' or
--   'ok'; on 'ok' it says who logged in, so terminals need no account look-up.
-- * With p_customers_only (a kiosk's login screen), a staff name is answered 'wrong' before
--   anything is charged or compared. A staff password checked under the kiosk role anyway
--   (the kiosk's exit prompt, or someone calling this by hand) is throttled under a key of
--   its own, so guessing at a kiosk can never lock the account out where it works.
-- * A kiosk may no longer look accounts up by name (bytemtaani_account).

create table login_secret (
    only_row boolean primary key default true constraint login_secret_one_row check (only_row),
    secret   text    not null
);
insert into login_secret (secret)
values (md5(gen_random_uuid()::text || clock_timestamp()::text) || md5(gen_random_uuid()::text));
revoke all on login_secret from public;

create or replace function bytemtaani_password_setting(p_username text) returns text
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    v_setting text;
begin
    select regexp_replace(password_hash, '\$[^$]*$', '') into v_setting
    from users
    where lower(username) = lower(p_username) and password_hash like '$argon2%';
    if v_setting is null then
        select '$argon2id$v=19$m=19456,t=2,p=1$'
               || rtrim(encode(substr(sha256(convert_to(s.secret || lower(btrim(p_username)), 'UTF8')), 1, 16), 'base64'), '=')
        into v_setting
        from login_secret s;
    end if;
    return v_setting;
end
$$;

drop function bytemtaani_log_in(text, text, boolean);
create function bytemtaani_log_in(
    p_username text, p_digest text, p_open_session boolean, p_customers_only boolean)
returns table (outcome text, locked_until timestamptz, session_id uuid,
               user_id uuid, username text, is_staff boolean, is_admin boolean)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_key text := lower(btrim(p_username));
    v_at_kiosk boolean := current_setting('role', true) = 'bytemtaani_kiosk'
        or (pg_has_role(session_user, 'bytemtaani_kiosk', 'member')
            and not exists (select 1 from pg_roles r where r.rolname = session_user and r.rolsuper));
    v_staff boolean;
    v_throttle_key text;
    v_policy login_policy;
    v_charged login_throttle;
    v_account users;
    v_known boolean;
    v_session uuid;
begin
    select exists (select 1 from users u where lower(u.username) = v_key and u.is_staff)
    into v_staff;
    if p_customers_only and v_staff then
        insert into login_attempts (username, user_id, outcome) values (v_key, null, 'staff_at_kiosk');
        return query select 'wrong', null::timestamptz, null::uuid, null::uuid, null::text, null::boolean, null::boolean;
        return;
    end if;
    v_throttle_key := case when v_staff and v_at_kiosk then 'kiosk:' || v_key else v_key end;
    select * into v_policy from login_policy;
    -- A window that has expired (lock over, or no attempt for lock_minutes) starts again.
    insert into login_throttle as t (username_key, failures) values (v_throttle_key, 1)
    on conflict (username_key) do update set
        failures = case when t.locked_until <= now()
                          or (t.locked_until is null
                              and t.last_attempt_at < now() - make_interval(mins => v_policy.lock_minutes))
                        then 1 else t.failures + 1 end,
        locked_until = case when t.locked_until <= now() then null else t.locked_until end,
        last_attempt_at = now()
    returning * into v_charged;
    if v_charged.failures > v_policy.max_failures and not v_charged.locked_until > now() then
        update login_throttle t set locked_until = now() + make_interval(mins => v_policy.lock_minutes)
        where t.username_key = v_throttle_key returning t.locked_until into v_charged.locked_until;
    end if;
    if v_charged.locked_until > now() then
        insert into login_attempts (username, user_id, outcome) values (v_key, null, 'locked');
        return query select 'locked', v_charged.locked_until, null::uuid, null::uuid, null::text, null::boolean, null::boolean;
        return;
    end if;

    select * into v_account from users u
    where lower(u.username) = v_key
      and u.password_hash like '$argon2%'
      and regexp_replace(u.password_hash, '^.*\$', '') = p_digest;
    if not found then
        if v_charged.failures >= v_policy.max_failures then
            update login_throttle t set locked_until = now() + make_interval(mins => v_policy.lock_minutes)
            where t.username_key = v_throttle_key;
        end if;
        select exists (select 1 from users u where lower(u.username) = v_key) into v_known;
        insert into login_attempts (username, user_id, outcome)
        values (v_key, null, case when v_known then 'wrong_password' else 'unknown_user' end);
        return query select 'wrong', null::timestamptz, null::uuid, null::uuid, null::text, null::boolean, null::boolean;
        return;
    end if;
    delete from login_throttle t where t.username_key = v_throttle_key;
    if not v_account.is_active then
        insert into login_attempts (username, user_id, outcome) values (v_key, v_account.id, 'inactive');
        return query select 'inactive', null::timestamptz, null::uuid, null::uuid, null::text, null::boolean, null::boolean;
        return;
    end if;
    if p_open_session then
        insert into user_sessions (user_id) values (v_account.id) returning id into v_session;
        insert into login_attempts (username, user_id, outcome) values (v_key, v_account.id, 'success');
    end if;
    return query select 'ok', null::timestamptz, v_session, v_account.id, v_account.username::text,
                        v_account.is_staff, v_account.is_admin;
end
$$;

revoke all on function bytemtaani_log_in(text, text, boolean, boolean) from public;
grant execute on function bytemtaani_log_in(text, text, boolean, boolean)
    to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

revoke execute on function bytemtaani_account(text) from bytemtaani_kiosk;
