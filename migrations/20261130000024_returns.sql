-- Issue 16 (returns). A till takes goods back against the sale's receipt: some lines, part of
-- a quantity, never more than was sold less what was already returned, even with two tills
-- at once (the sale's order row is locked while a return is written). Goods go back on the
-- shelf, or not, with a reason (damaged). The refund goes back by the sale's own method: cash
-- and card at once (a card by its terminal's reference), M-Pesa and PayPal as a reversal an
-- admin completes with the provider. Like orders, returns are written only by a function
-- that takes the session as its proof: no terminal role inserts them.
create type refund_status as enum ('refunded', 'awaiting_reversal');

create table returns (
    id               uuid primary key default gen_random_uuid(),
    order_id         uuid           not null references orders (id) on delete restrict,
    taken_by         uuid           not null references users (id) on delete restrict,
    amount           numeric(12,2)  not null constraint returns_amount_check check (amount > 0),
    method           payment_method not null,
    refund_status    refund_status  not null,
    -- The card terminal's refund reference (card), or the reversal's once completed.
    refund_reference varchar(64),
    -- Who sent an M-Pesa or PayPal refund back with the provider, and when.
    reversed_by      uuid           references users (id) on delete restrict,
    reversed_at      timestamptz,
    restocked        boolean        not null,
    reason           text           not null default ''
                     constraint returns_reason_check check (restocked or reason <> ''),
    created_at       timestamptz    not null default now()
);
create index returns_order_idx on returns (order_id);
create index returns_created_at_idx on returns (created_at);

create table return_items (
    return_id  uuid          not null references returns (id) on delete restrict,
    product_id uuid          not null references products (id) on delete restrict,
    quantity   integer       not null constraint return_items_quantity_check check (quantity > 0),
    price      numeric(12,2) not null constraint return_items_price_check check (price >= 0),
    primary key (return_id, product_id)
);

-- Takes back `p_quantities` of `p_products` from the paid sale `p_order`, as the staff member
-- of `p_session`. Refuses a product not in the sale or more than is left to return. Lines are
-- refunded at the price they were sold at; restocked in ascending product id order.
create function bytemtaani_return_items(
    p_session uuid,
    p_order uuid,
    p_products uuid[],
    p_quantities integer[],
    p_restock boolean,
    p_reason text,
    p_reference text
)
returns table (return_id uuid, returned_at timestamptz, refund numeric,
               refund_method payment_method, refund_state refund_status)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
    v_status order_status;
    v_line record;
    v_sold record;
    v_left integer;
    v_prices numeric[] := '{}';
    v_total numeric(12, 2) := 0;
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_staff, false) then
        raise exception 'only logged-in staff take returns' using errcode = 'insufficient_privilege';
    end if;
    select o.status into v_status from orders o where o.id = p_order for update;
    if v_status is null or v_status not in ('paid', 'shipped', 'delivered') then
        raise exception 'only a paid sale is returned' using errcode = 'check_violation';
    end if;
    select p.method into refund_method
    from payments p where p.order_id = p_order and p.status = 'successful';
    if refund_method is null then
        raise exception 'only a paid sale is returned' using errcode = 'check_violation';
    end if;
    if coalesce(cardinality(p_products), 0) = 0
       or cardinality(p_products) <> cardinality(p_quantities)
       or exists (select 1 from unnest(p_quantities) q where q is null or q <= 0)
       or (select count(distinct p) from unnest(p_products) p) <> cardinality(p_products) then
        raise exception 'a return has lines of at least one unit, one per product'
            using errcode = 'check_violation';
    end if;
    if refund_method = 'card' and coalesce(btrim(p_reference), '') = '' then
        raise exception 'a card refund needs the card terminal''s reference'
            using errcode = 'check_violation';
    end if;

    for v_line in select * from bytemtaani_lines_by_product(p_products, p_quantities) loop
        select i.quantity, i.price into v_sold
        from order_items i where i.order_id = p_order and i.product_id = v_line.product;
        if not found then
            raise exception 'that product is not in this sale' using errcode = 'check_violation';
        end if;
        v_left := v_sold.quantity - coalesce((
            select sum(ri.quantity) from return_items ri join returns r on r.id = ri.return_id
            where r.order_id = p_order and ri.product_id = v_line.product), 0);
        if v_line.quantity > v_left then
            raise exception 'only % of that product can still be returned', v_left
                using errcode = 'check_violation';
        end if;
        v_prices := v_prices || v_sold.price;
        v_total := v_total + v_sold.price * v_line.quantity;
    end loop;

    refund := v_total;
    refund_state := case when refund_method in ('cash', 'card') then 'refunded'
                         else 'awaiting_reversal' end::refund_status;
    insert into returns (order_id, taken_by, amount, method, refund_status, refund_reference,
                         restocked, reason)
    values (p_order, v_person.user_id, v_total, refund_method, refund_state,
            nullif(btrim(p_reference), ''), p_restock, coalesce(btrim(p_reason), ''))
    returning id, created_at into return_id, returned_at;
    insert into return_items (return_id, product_id, quantity, price)
    select return_id, l.product, l.quantity, l.price
    from unnest(p_products, p_quantities, v_prices) as l(product, quantity, price);
    if p_restock then
        for v_line in select * from bytemtaani_lines_by_product(p_products, p_quantities) loop
            update products set stock_quantity = stock_quantity + v_line.quantity
            where id = v_line.product;
        end loop;
    end if;
    return next;
end
$$;

-- An admin records an M-Pesa or PayPal refund sent back with the provider, by its reference.
-- False when the return is not waiting for one (already recorded, or refunded at the till).
create function bytemtaani_complete_reversal(p_session uuid, p_return uuid, p_reference text)
returns boolean
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_admin, false) then
        raise exception 'only a logged-in admin records a reversal'
            using errcode = 'insufficient_privilege';
    end if;
    update returns
    set refund_status = 'refunded', refund_reference = p_reference,
        reversed_by = v_person.user_id, reversed_at = now()
    where id = p_return and refund_status = 'awaiting_reversal';
    return found;
end
$$;

-- A sale with returns is not cancelled as a whole (its returned units would come back twice,
-- its refund be paid twice): what is left of it is returned instead. (As the owner, so a
-- kiosk cancelling its pending order need not read returns.)
create function orders_returned_are_not_cancelled() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
begin
    if exists (select 1 from returns r where r.order_id = new.id) then
        raise exception 'part of this sale was returned: return the rest instead of cancelling'
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger orders_returned_are_not_cancelled before update of status on orders
    for each row when (new.status = 'cancelled' and old.status <> 'cancelled')
    execute function orders_returned_are_not_cancelled();

revoke all on function
    bytemtaani_return_items(uuid, uuid, uuid[], integer[], boolean, text, text) from public;
grant execute on function
    bytemtaani_return_items(uuid, uuid, uuid[], integer[], boolean, text, text)
    to bytemtaani_till, bytemtaani_admin;
grant select on returns, return_items to bytemtaani_till, bytemtaani_admin;
revoke all on function bytemtaani_complete_reversal(uuid, uuid, text) from public;
grant execute on function bytemtaani_complete_reversal(uuid, uuid, text) to bytemtaani_admin;
