-- Issue 16: a till sale whose M-Pesa code turned out false was handed over, so its goods are
-- gone; cancelling it would put back stock that has left the shop. An admin writes it off
-- instead: the order is closed (cancelled) with who, when and why, its stock stays as it is,
-- and the reports show the loss.
alter table orders
    add column written_off_at   timestamptz,
    add column written_off_by   uuid references users (id) on delete restrict,
    add column write_off_reason text,
    add constraint orders_write_off_whole check (
        (written_off_at is null and written_off_by is null and write_off_reason is null)
        or (written_off_at is not null and written_off_by is not null
            and status = 'cancelled' and length(trim(write_off_reason)) > 0));

-- A write-off closes an unpaid till sale (goods handed over, money not received), never a paid
-- order, a customer's own order or one already closed; it is written in the same statement
-- that cancels, and is never undone.
create function orders_write_off_rules() returns trigger
language plpgsql as $$
begin
    if new.written_off_at is not distinct from old.written_off_at then
        return new;
    end if;
    if old.written_off_at is not null or old.status <> 'pending' or new.served_by is null then
        raise exception 'only an unpaid till sale is written off, once'
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger orders_write_off_rules before update of written_off_at on orders
    for each row execute function orders_write_off_rules();

-- Cancelling puts the units back on the shelf; writing off does not (they left the shop).
drop trigger orders_cancel_restocks on orders;
create trigger orders_cancel_restocks after update of status on orders
    for each row when (new.status = 'cancelled' and old.status <> 'cancelled'
                       and new.written_off_at is null)
    execute function orders_cancel_restocks();

create index orders_written_off_idx on orders (written_off_at) where written_off_at is not null;

grant update (written_off_at, written_off_by, write_off_reason) on orders to bytemtaani_admin;
