-- Issue 17 (eTIMS). A VAT-registered shop issues every sale and every return through KRA's
-- eTIMS. Each product has a KRA tax type and item class; each order line keeps the tax type
-- it was sold under. When the shop has eTIMS on, a sale becomes an invoice as it commits
-- paid, and a return (or the cancel of a paid sale) a credit note naming that invoice: each
-- takes the branch's next number from a counter row, in the sale's own transaction, so a
-- sale that rolls back takes no number and no number is skipped. The invoice rows are the
-- outbox: the shop's server sends them to KRA in number order and stores what KRA signs.

create type tax_type as enum ('A', 'B', 'C', 'D', 'E');
-- KRA's item code (`itemCd`) ends in a number of the shop's own, one per product.
create sequence products_etims_item_seq;
alter table products
    add column tax_type tax_type not null default 'B',
    add column item_class varchar(10) not null default ''
        check (item_class ~ '^[0-9]{0,10}$'),
    add column etims_item bigint not null default nextval('products_etims_item_seq');
alter sequence products_etims_item_seq owned by products.etims_item;
alter table order_items add column tax_type tax_type not null default 'B';

-- An order line keeps the tax type its product had when it was sold.
create function order_items_tax_type() returns trigger
language plpgsql as $$
begin
    select p.tax_type into new.tax_type from products p where p.id = new.product_id;
    return new;
end
$$;
create trigger order_items_tax_type before insert on order_items
    for each row execute function order_items_tax_type();

-- Written by `bytemtaani migrate` from [etims]; off until the shop turns it on.
create table etims_policy (
    one boolean primary key default true check (one),
    enabled boolean not null default false,
    branch varchar(2) not null default '00' check (branch ~ '^[0-9]{2}$')
);
insert into etims_policy default values;

create table etims_counters (
    branch varchar(2) primary key,
    last_number bigint not null check (last_number > 0)
);

create type etims_kind as enum ('sale', 'credit_note');
-- pending: to send (again at next_attempt_at); signed: KRA's signature stored; refused:
-- KRA said no (its reason kept) and the queue waits for an admin's resend; received: KRA
-- had the number already (an earlier answer was lost), so no signature is stored.
create type etims_state as enum ('pending', 'signed', 'refused', 'received');

create table etims_invoices (
    id uuid primary key default gen_random_uuid(),
    branch varchar(2) not null,
    number bigint not null,
    kind etims_kind not null,
    order_id uuid not null references orders (id),
    return_id uuid unique references returns (id),
    original_number bigint,
    issued_at timestamptz not null default now(),
    state etims_state not null default 'pending',
    attempts integer not null default 0,
    next_attempt_at timestamptz not null default now(),
    last_error text,
    receipt_number bigint,
    total_receipts bigint,
    internal_data text,
    signature text,
    scu_time text,
    signed_at timestamptz,
    unique (branch, number),
    check ((kind = 'credit_note') = (original_number is not null)),
    check ((state = 'signed') = (signature is not null))
);
create unique index etims_one_invoice_per_sale on etims_invoices (order_id) where kind = 'sale';
create unique index etims_one_note_per_cancel on etims_invoices (order_id)
    where kind = 'credit_note' and return_id is null;
create index etims_invoices_unsent on etims_invoices (branch, number) where state <> 'signed';

-- Takes the branch's next number and queues the invoice. A credit note needs its sale's
-- invoice (a sale from before eTIMS was on was never declared, so there is nothing to credit).
create function bytemtaani_etims_issue(p_order uuid, p_kind etims_kind, p_return uuid)
returns void
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_policy etims_policy;
    v_original bigint;
    v_number bigint;
begin
    select * into v_policy from etims_policy;
    if not v_policy.enabled then
        return;
    end if;
    if p_kind = 'credit_note' then
        select i.number into v_original from etims_invoices i
        where i.order_id = p_order and i.kind = 'sale';
        if v_original is null then
            return;
        end if;
    end if;
    insert into etims_counters as c (branch, last_number) values (v_policy.branch, 1)
    on conflict (branch) do update set last_number = c.last_number + 1
    returning c.last_number into v_number;
    insert into etims_invoices (branch, number, kind, order_id, return_id, original_number)
    values (v_policy.branch, v_number, p_kind, p_order, p_return, v_original);
    perform pg_notify('etims_queued', v_number::text);
end
$$;
revoke all on function bytemtaani_etims_issue(uuid, etims_kind, uuid) from public;

-- At commit (so the counter row is locked only while the sale commits), once per order.
-- A shop without eTIMS pays for one look at the policy.
create function orders_etims_invoice() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if not (select enabled from etims_policy) then
        return null;
    end if;
    if exists (select 1 from orders o where o.id = new.id and o.status = 'paid')
       and not exists (select 1 from etims_invoices i
                       where i.order_id = new.id and i.kind = 'sale') then
        perform bytemtaani_etims_issue(new.id, 'sale', null);
    end if;
    return null;
end
$$;
create constraint trigger orders_etims_invoice after insert or update of status on orders
    deferrable initially deferred
    for each row when (new.status = 'paid')
    execute function orders_etims_invoice();

-- A paid sale cancelled is credited whole, less what was returned before.
create function orders_etims_cancel_note() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    perform bytemtaani_etims_issue(new.id, 'credit_note', null);
    return null;
end
$$;
create constraint trigger orders_etims_cancel_note after update of status on orders
    deferrable initially deferred
    for each row when (new.status = 'cancelled' and old.status <> 'pending')
    execute function orders_etims_cancel_note();

create function returns_etims_credit_note() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    perform bytemtaani_etims_issue(new.order_id, 'credit_note', new.id);
    return null;
end
$$;
create constraint trigger returns_etims_credit_note after insert on returns
    deferrable initially deferred
    for each row execute function returns_etims_credit_note();

-- Staff read invoices to print them; only the server's own login sends and stores answers.
grant select on etims_invoices to bytemtaani_till, bytemtaani_admin;
grant select on etims_policy to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;

-- An admin puts a refused invoice back in the queue (after fixing what KRA named).
create function bytemtaani_etims_resend(p_session uuid, p_invoice uuid) returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_admin, false) then
        raise exception 'only a logged-in admin resends an invoice'
            using errcode = 'insufficient_privilege';
    end if;
    update etims_invoices set state = 'pending', next_attempt_at = now()
    where id = p_invoice and state = 'refused';
    return found;
end
$$;
revoke all on function bytemtaani_etims_resend(uuid, uuid) from public;
grant execute on function bytemtaani_etims_resend(uuid, uuid) to bytemtaani_admin;

-- Admins set a product's tax type and item class; the shop's number for it is the database's.
grant update (tax_type, item_class) on products to bytemtaani_admin;
create unique index products_etims_item_key on products (etims_item);
