-- Issue 16 (split payment). A till sale may be paid in parts by several methods (part cash,
-- the rest by card or an M-Pesa code Safaricom confirmed), each part a payment of its own
-- with every rule a payment has: its own transaction id (unique among all payments), settled
-- before it counts, in the shift of whoever took it. The order is paid when its successful
-- parts add up to its total exactly. Every other order keeps its one payment.
alter table payments add column split boolean not null default false;
alter table payments drop constraint payments_order_id_key;
create unique index payments_order_id_key on payments (order_id) where not split;

-- An order is paid by one payment or in parts, never both. Both are written under the
-- order's row lock (a sale as it is written, a payment for a recorded order after locking it).
create function payments_whole_or_in_parts() returns trigger
language plpgsql as $$
begin
    if exists (select 1 from payments p
               where p.order_id = new.order_id and p.split <> new.split) then
        raise exception 'an order is paid by one payment or in parts, not both'
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
create trigger payments_whole_or_in_parts before insert on payments
    for each row execute function payments_whole_or_in_parts();

-- Paid only with a successful payment of its total, or successful parts adding up to it.
create or replace function order_paid_has_a_payment() returns trigger
language plpgsql as $$
begin
    if bytemtaani_at_terminal() and exists (
        select 1 from orders o
        where o.id = new.id and o.status = 'paid'
          and not exists (
              select 1 from payments p
              where p.order_id = o.id and not p.split and p.status = 'successful'
                and p.amount = o.total_amount)
          and (select sum(p.amount) from payments p
               where p.order_id = o.id and p.split and p.status = 'successful')
              is distinct from o.total_amount
    ) then
        raise exception 'an order is paid only with successful payments of its total'
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end
$$;

create or replace function bytemtaani_return_items(
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
    v_before integer;
    v_net numeric;
    v_refund numeric;
    v_products uuid[] := '{}';
    v_quantities integer[] := '{}';
    v_prices numeric[] := '{}';
    v_discounts numeric[] := '{}';
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
    -- A sale paid in parts is refunded in cash from the drawer.
    select case when bool_or(p.split) then 'cash'::payment_method else min(p.method) end
    into refund_method
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
        select i.quantity, i.price, i.discount into v_sold
        from order_items i where i.order_id = p_order and i.product_id = v_line.product;
        if not found then
            raise exception 'that product is not in this sale' using errcode = 'check_violation';
        end if;
        v_before := coalesce((
            select sum(ri.quantity) from return_items ri join returns r on r.id = ri.return_id
            where r.order_id = p_order and ri.product_id = v_line.product), 0);
        if v_line.quantity > v_sold.quantity - v_before then
            raise exception 'only % of that product can still be returned',
                v_sold.quantity - v_before using errcode = 'check_violation';
        end if;
        v_net := v_sold.price * v_sold.quantity - v_sold.discount;
        v_refund := round(v_net * (v_before + v_line.quantity) / v_sold.quantity, 2)
                    - round(v_net * v_before / v_sold.quantity, 2);
        v_products := v_products || v_line.product;
        v_quantities := v_quantities || v_line.quantity;
        v_prices := v_prices || v_sold.price;
        v_discounts := v_discounts || (v_sold.price * v_line.quantity - v_refund);
        v_total := v_total + v_refund;
    end loop;

    refund := v_total;
    refund_state := case when refund_method in ('cash', 'card') then 'refunded'
                         else 'awaiting_reversal' end::refund_status;
    insert into returns (order_id, taken_by, amount, method, refund_status, refund_reference,
                         restocked, reason)
    values (p_order, v_person.user_id, v_total, refund_method, refund_state,
            nullif(btrim(p_reference), ''), p_restock, coalesce(btrim(p_reason), ''))
    returning id, created_at into return_id, returned_at;
    insert into return_items (return_id, product_id, quantity, price, discount)
    select return_id, l.product, l.quantity, l.price, l.discount
    from unnest(v_products, v_quantities, v_prices, v_discounts)
         as l(product, quantity, price, discount);
    if p_restock then
        for v_line in select * from bytemtaani_lines_by_product(p_products, p_quantities) loop
            update products set stock_quantity = stock_quantity + v_line.quantity
            where id = v_line.product;
        end loop;
    end if;
    return next;
end
$$;
