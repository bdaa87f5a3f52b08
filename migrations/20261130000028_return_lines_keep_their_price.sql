-- A return's lines were written with each price beside the wrong product when the till
-- listed them in another order than product id (it lists them by name): the prices were
-- gathered in id order and paired with the lines as given. Now the lines, their units and
-- their prices are gathered together, in id order. The refund's total was always right.
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
    v_left integer;
    v_products uuid[] := '{}';
    v_quantities integer[] := '{}';
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
        v_products := v_products || v_line.product;
        v_quantities := v_quantities || v_line.quantity;
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
    from unnest(v_products, v_quantities, v_prices) as l(product, quantity, price);
    if p_restock then
        for v_line in select * from bytemtaani_lines_by_product(p_products, p_quantities) loop
            update products set stock_quantity = stock_quantity + v_line.quantity
            where id = v_line.product;
        end loop;
    end if;
    return next;
end
$$;
-- Lines written before keep the price their product was sold at.
update return_items ri set price = i.price
from returns r join order_items i on i.order_id = r.order_id
where r.id = ri.return_id and i.product_id = ri.product_id and ri.price <> i.price;
