-- Least privilege for terminals that stand in public. Three group roles (no login) carry
-- what each kind of terminal's screens need; a terminal's own login role is made a member
-- of one (README, "Deployment") and `database.role` in its config sets it on every
-- connection. Whoever escapes a kiosk's app reaches the database as bytemtaani_kiosk at
-- most: no prices, no password hashes, no other customer's orders, no audit log.

-- Roles belong to the whole cluster, and test databases are migrated side by side: make
-- each only when missing, and let a concurrent maker win.
do $$
declare
    role_name text;
begin
    foreach role_name in array array['bytemtaani_kiosk', 'bytemtaani_till', 'bytemtaani_admin'] loop
        begin
            if not exists (select 1 from pg_roles where rolname = role_name) then
                execute format('create role %I nologin', role_name);
            end if;
        exception when duplicate_object or unique_violation then
            null;
        end;
    end loop;
end
$$;

grant usage on schema public to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

-- Passwords and sessions go through these functions (running as the owner), so no terminal
-- role reads a password hash or another person's session id. A terminal computes the Argon2
-- digest itself from the stored salt and parameters, and the database compares.

-- An account's id and flags by username, for logging in (a kiosk sees no other rows of
-- users: its row policy shows only the logged-in customer).
create function bytemtaani_account(p_username text)
returns table (id uuid, username varchar, is_staff boolean, is_admin boolean, is_active boolean)
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    return query
        select u.id, u.username, u.is_staff, u.is_admin, u.is_active
        from users u where lower(u.username) = lower(p_username);
end
$$;

-- The stored hash without its digest: algorithm, parameters and salt. NULL when the
-- username is unknown or has no password (the walk-in account).
create function bytemtaani_password_setting(p_username text) returns text
language sql stable security definer set search_path = public, pg_temp as $$
    select regexp_replace(password_hash, '\$[^$]*$', '')
    from users
    where lower(username) = lower(p_username) and password_hash like '$argon2%'
$$;

create function bytemtaani_password_matches(p_username text, p_digest text) returns boolean
language sql stable security definer set search_path = public, pg_temp as $$
    select exists (
        select 1 from users
        where lower(username) = lower(p_username)
          and password_hash like '$argon2%'
          and regexp_replace(password_hash, '^.*\$', '') = p_digest
    )
$$;

-- Opens a session for an active user whose password digest matches; NULL otherwise.
create function bytemtaani_open_session(p_username text, p_digest text) returns uuid
language sql volatile security definer set search_path = public, pg_temp as $$
    insert into user_sessions (user_id)
    select id from users
    where lower(username) = lower(p_username)
      and is_active
      and bytemtaani_password_matches(p_username, p_digest)
    returning id
$$;

create function bytemtaani_close_session(p_session uuid) returns void
language sql volatile security definer set search_path = public, pg_temp as $$
    update user_sessions set ended_at = now() where id = p_session and ended_at is null
$$;

-- The user behind an open session: every service call checks it. PL/pgSQL keeps each
-- connection's plan of the query (a SQL function as owner would be planned on every call).
create function bytemtaani_session_user(p_session uuid, p_user uuid)
returns table (username varchar, is_staff boolean, is_admin boolean, is_active boolean)
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    return query
        select u.username, u.is_staff, u.is_admin, u.is_active
        from user_sessions s join users u on u.id = s.user_id
        where s.id = p_session and s.user_id = p_user and s.ended_at is null;
end
$$;

-- Who is logged in at this terminal: the app sets `bytemtaani.session` on each connection
-- it hands out. Row policies read it; knowing a session id is what proves it.
create function bytemtaani_viewer() returns uuid
language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
    return (
        select user_id from user_sessions
        where id = nullif(current_setting('bytemtaani.session', true), '')::uuid
          and ended_at is null
    );
end
$$;

revoke all on function bytemtaani_account(text), bytemtaani_password_setting(text), bytemtaani_password_matches(text, text),
    bytemtaani_open_session(text, text), bytemtaani_close_session(uuid),
    bytemtaani_session_user(uuid, uuid), bytemtaani_viewer() from public;
grant execute on function bytemtaani_account(text), bytemtaani_password_setting(text), bytemtaani_password_matches(text, text),
    bytemtaani_open_session(text, text), bytemtaani_close_session(uuid),
    bytemtaani_session_user(uuid, uuid), bytemtaani_viewer()
    to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

-- The audit log is append-only for everyone, the owner included.
create function audit_log_append_only() returns trigger
language plpgsql as $$
begin
    raise exception 'audit log entries are never changed or removed'
        using errcode = 'insufficient_privilege';
end
$$;
create trigger audit_log_no_update_or_delete before update or delete on audit_log
    for each row execute function audit_log_append_only();
create trigger audit_log_no_truncate before truncate on audit_log
    for each statement execute function audit_log_append_only();

-- What each role's screens need. Nobody selects users.password_hash; accounts are made
-- without RETURNING, so a kiosk signs a customer up without seeing the row.
grant select (id, username, email, phone, is_staff, is_admin, is_active, date_joined, updated_at)
    on users to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
grant update (password_hash) on users to bytemtaani_kiosk, bytemtaani_till;
grant insert (username, email, phone, password_hash, is_staff, is_admin)
    on users to bytemtaani_kiosk, bytemtaani_admin;
grant update (username, email, phone, password_hash, is_staff, is_admin, is_active)
    on users to bytemtaani_admin;
grant select, insert, update, delete on login_throttle
    to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
grant insert on login_attempts to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

-- Kiosk: browse, keep a cart, order and pay for oneself.
grant select on categories, products to bytemtaani_kiosk;
grant update (stock_quantity) on products to bytemtaani_kiosk, bytemtaani_till;
grant select, insert, update, delete on cart_items to bytemtaani_kiosk;
grant select, insert, update on orders, payments to bytemtaani_kiosk;
grant select, insert on order_items to bytemtaani_kiosk;
grant insert on mpesa_callbacks to bytemtaani_kiosk;

-- Till: sell to anyone, move orders along, record payments; never prices or the catalog.
grant select on categories, products, price_history, stock_adjustments, login_attempts
    to bytemtaani_till;
grant select, insert, update on orders, payments to bytemtaani_till;
grant select, insert on order_items, mpesa_callbacks to bytemtaani_till;
grant insert on audit_log to bytemtaani_till;

-- Admin: everything the console does; the audit log only grows.
grant select, insert, update, delete on categories, products, orders, order_items, payments,
    cart_items, price_history, stock_adjustments, user_sessions, login_attempts,
    mpesa_callbacks to bytemtaani_admin;
grant delete on users to bytemtaani_admin;
grant select, insert on audit_log to bytemtaani_admin;

-- Rows: a kiosk sees only the logged-in customer's account, cart, orders and payments. Till and admin see every row their grants allow.
alter table users enable row level security;
alter table orders enable row level security;
alter table order_items enable row level security;
alter table payments enable row level security;
alter table cart_items enable row level security;

create policy users_read on users for select to bytemtaani_till, bytemtaani_admin using (true);
create policy users_read_own on users for select to bytemtaani_kiosk
    using (id = bytemtaani_viewer());
create policy users_admin on users for all to bytemtaani_admin using (true) with check (true);
create policy users_sign_up on users for insert to bytemtaani_kiosk
    with check (not is_staff and not is_admin);
create policy users_own_kiosk on users for update to bytemtaani_kiosk
    using (id = bytemtaani_viewer()) with check (id = bytemtaani_viewer());
-- The till locks a buyer's row at checkout but changes only its own password.
create policy users_own_till on users for update to bytemtaani_till
    using (true) with check (id = bytemtaani_viewer());

create policy orders_shop on orders to bytemtaani_till, bytemtaani_admin
    using (true) with check (true);
create policy orders_own on orders to bytemtaani_kiosk
    using (user_id = bytemtaani_viewer()) with check (user_id = bytemtaani_viewer());

create policy order_items_shop on order_items to bytemtaani_till, bytemtaani_admin
    using (true) with check (true);
-- The subquery is itself limited to the viewer's orders.
create policy order_items_own on order_items to bytemtaani_kiosk
    using (exists (select 1 from orders o where o.id = order_id))
    with check (exists (select 1 from orders o where o.id = order_id));

create policy payments_shop on payments to bytemtaani_till, bytemtaani_admin
    using (true) with check (true);
create policy payments_own on payments to bytemtaani_kiosk
    using (user_id = bytemtaani_viewer()) with check (user_id = bytemtaani_viewer());

create policy cart_items_shop on cart_items to bytemtaani_admin using (true) with check (true);
create policy cart_items_own on cart_items to bytemtaani_kiosk
    using (user_id = bytemtaani_viewer()) with check (user_id = bytemtaani_viewer());
