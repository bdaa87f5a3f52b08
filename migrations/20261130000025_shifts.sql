-- Issue 16 (shifts and cash-up). A cashier opens a shift with the float counted into the
-- drawer; every till sale, payment taken at the till, return and cash movement belongs to the
-- shift open for the person who took it, and no sale or return is taken without one. Closing
-- records the cash counted beside the cash expected; a closed shift takes nothing more.
create table shifts (
    id            uuid primary key default gen_random_uuid(),
    cashier_id    uuid          not null references users (id) on delete restrict,
    opening_float numeric(12,2) not null constraint shifts_float_check check (opening_float >= 0),
    opened_at     timestamptz   not null default now(),
    closed_at     timestamptz,
    -- Set together when the shift closes (the Z report).
    expected_cash numeric(12,2),
    counted_cash  numeric(12,2) constraint shifts_counted_check check (counted_cash >= 0),
    constraint shifts_closed_with_count check (
        (closed_at is null) = (counted_cash is null) and (closed_at is null) = (expected_cash is null)
    )
);
-- One open shift per cashier.
create unique index shifts_open_per_cashier on shifts (cashier_id) where closed_at is null;
create index shifts_opened_at_idx on shifts (opened_at);

-- Cash put into the drawer (positive) or taken out (negative, e.g. paying a supplier).
create table cash_movements (
    id       uuid primary key default gen_random_uuid(),
    shift_id uuid          not null references shifts (id) on delete restrict,
    amount   numeric(12,2) not null constraint cash_movements_amount_check check (amount <> 0),
    reason   text          not null constraint cash_movements_reason_check check (reason <> ''),
    made_at  timestamptz   not null default now()
);
create index cash_movements_shift_idx on cash_movements (shift_id);

alter table orders add column shift_id uuid references shifts (id) on delete restrict;
alter table payments add column shift_id uuid references shifts (id) on delete restrict;
alter table returns add column shift_id uuid references shifts (id) on delete restrict;
create index orders_shift_idx on orders (shift_id) where shift_id is not null;
create index payments_shift_idx on payments (shift_id) where shift_id is not null;
create index returns_shift_idx on returns (shift_id) where shift_id is not null;

-- The shift open for a person, if any, held open until the caller's transaction ends: a
-- close waits for sales under way, and a sale after the close finds no shift (SQLSTATE
-- BM001, which the app tells as "no shift is open").
create function bytemtaani_open_shift(p_person uuid) returns uuid
language sql volatile security definer set search_path = public, pg_temp as $$
    select id from shifts where cashier_id = p_person and closed_at is null for key share
$$;

-- The shift open for a person, who must have one (a till sale, a return, cash moved).
create function bytemtaani_shift_of(p_person uuid) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_shift uuid := bytemtaani_open_shift(p_person);
begin
    if v_shift is null then
        raise exception 'no shift is open: open one first' using errcode = 'BM001';
    end if;
    return v_shift;
end
$$;

-- A till sale, and a return, belong to the open shift of the one who takes it; none without.
create function orders_in_a_shift() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if new.served_by is not null then
        new.shift_id := bytemtaani_shift_of(new.served_by);
    end if;
    return new;
end
$$;
create trigger orders_in_a_shift before insert on orders
    for each row execute function orders_in_a_shift();

create function returns_in_a_shift() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    new.shift_id := bytemtaani_shift_of(new.taken_by);
    return new;
end
$$;
create trigger returns_in_a_shift before insert on returns
    for each row execute function returns_in_a_shift();

-- A payment belongs to the open shift of whoever takes it at a till (confirms the cash or
-- card, or takes the code), as they take it: money paid later into another drawer counts
-- there. One the provider confirms (an M-Pesa push for a till sale) keeps its sale's shift.
create function payments_in_a_shift() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    new.shift_id := coalesce(
        bytemtaani_open_shift(coalesce(new.taken_by, new.confirmed_by)),
        new.shift_id,
        (select o.shift_id from orders o where o.id = new.order_id));
    return new;
end
$$;
create trigger payments_in_a_shift before insert or update of taken_by, confirmed_by on payments
    for each row execute function payments_in_a_shift();

-- Opening, moving cash and closing, as the staff member of the session (their own shift).
create function bytemtaani_staff_of(p_session uuid) returns uuid
language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
    v_person record;
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_staff, false) then
        raise exception 'only logged-in staff work a shift' using errcode = 'insufficient_privilege';
    end if;
    return v_person.user_id;
end
$$;

create function bytemtaani_shift_open(p_session uuid, p_float numeric) returns uuid
language sql volatile security definer set search_path = public, pg_temp as $$
    insert into shifts (cashier_id, opening_float)
    values (bytemtaani_staff_of(p_session), p_float)
    returning id
$$;

create function bytemtaani_shift_cash(p_session uuid, p_amount numeric, p_reason text)
returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
begin
    insert into cash_movements (shift_id, amount, reason)
    values (bytemtaani_shift_of(bytemtaani_staff_of(p_session)), p_amount, p_reason);
end
$$;

-- The cash a shift's drawer should hold: the float, cash payments taken, cash put in or
-- taken out, cash refunded.
create function bytemtaani_expected_cash(p_shift uuid) returns numeric
language sql stable security definer set search_path = public, pg_temp as $$
    select s.opening_float
        + coalesce((select sum(p.amount) from payments p
                    where p.shift_id = s.id and p.method = 'cash' and p.status = 'successful'), 0)
        + coalesce((select sum(m.amount) from cash_movements m where m.shift_id = s.id), 0)
        - coalesce((select sum(r.amount) from returns r
                    where r.shift_id = s.id and r.method = 'cash'), 0)
    from shifts s where s.id = p_shift
$$;

create function bytemtaani_shift_close(p_session uuid, p_counted numeric) returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_shift uuid := bytemtaani_shift_of(bytemtaani_staff_of(p_session));
begin
    -- Sales under way hold the shift (key share): the close waits for them, so they are in
    -- its count, and any sale after it finds the shift closed.
    perform 1 from shifts where id = v_shift for update;
    update shifts set closed_at = now(), counted_cash = p_counted,
                      expected_cash = bytemtaani_expected_cash(v_shift)
    where id = v_shift;
    return v_shift;
end
$$;

-- Lines and sales voided before payment by the shift's cashier while it was open (the
-- audit log has them; a till does not read the audit log).
create function bytemtaani_shift_voids(p_shift uuid) returns bigint
language sql stable security definer set search_path = public, pg_temp as $$
    select count(*) from audit_log a join shifts s on s.id = p_shift
    where a.actor_id = s.cashier_id and a.action in ('pos.void_sale', 'pos.void_line')
      and a.occurred_at >= s.opened_at and (s.closed_at is null or a.occurred_at <= s.closed_at)
$$;

revoke all on function bytemtaani_shift_voids(uuid) from public;
grant execute on function bytemtaani_shift_voids(uuid) to bytemtaani_till, bytemtaani_admin;
revoke all on function bytemtaani_open_shift(uuid), bytemtaani_shift_of(uuid),
    bytemtaani_staff_of(uuid), bytemtaani_shift_open(uuid, numeric),
    bytemtaani_shift_cash(uuid, numeric, text), bytemtaani_expected_cash(uuid),
    bytemtaani_shift_close(uuid, numeric) from public;
grant execute on function bytemtaani_shift_open(uuid, numeric),
    bytemtaani_shift_cash(uuid, numeric, text), bytemtaani_expected_cash(uuid),
    bytemtaani_shift_close(uuid, numeric) to bytemtaani_till, bytemtaani_admin;
grant select on shifts, cash_movements to bytemtaani_till, bytemtaani_admin;
