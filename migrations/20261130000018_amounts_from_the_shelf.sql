-- Issue 14, item 7 (prices and totals). A terminal role cannot write a price or a total of
-- its own choosing: an order line is written at the product's price of the moment and never
-- changed; an order's total never changes after it is written and, when the transaction
-- commits, is the sum of its lines. (The services already work this way; now the database
-- holds a terminal that escaped the app to it.)
create function bytemtaani_at_terminal() returns boolean
language sql stable as $$
    select current_user in ('bytemtaani_kiosk', 'bytemtaani_till', 'bytemtaani_admin')
$$;

create function order_items_at_shelf_price() returns trigger
language plpgsql as $$
begin
    if not bytemtaani_at_terminal() then
        return new;
    end if;
    if tg_op = 'UPDATE' then
        raise exception 'an order line is never changed'
            using errcode = 'insufficient_privilege';
    end if;
    if new.price is distinct from (select p.price from products p where p.id = new.product_id) then
        raise exception 'an order line is written at the product''s price'
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger order_items_at_shelf_price before insert or update on order_items
    for each row execute function order_items_at_shelf_price();

create function orders_total_is_kept() returns trigger
language plpgsql as $$
begin
    if bytemtaani_at_terminal() and new.total_amount is distinct from old.total_amount then
        raise exception 'an order''s total is never changed'
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger orders_total_is_kept before update of total_amount on orders
    for each row execute function orders_total_is_kept();

-- Checked when the transaction commits, once the order and all its lines are written.
create function order_total_matches_lines() returns trigger
language plpgsql as $$
declare
    v_order uuid;
begin
    if not bytemtaani_at_terminal() then
        return null;
    end if;
    -- Each table's row has its own field for the order (a record field is looked up only
    -- when the line runs).
    if tg_table_name = 'orders' then
        v_order := new.id;
    else
        v_order := new.order_id;
    end if;
    if (
        select o.total_amount from orders o where o.id = v_order
    ) is distinct from (
        select coalesce(sum(i.price * i.quantity), 0) from order_items i where i.order_id = v_order
    ) then
        raise exception 'an order''s total is the sum of its lines'
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end
$$;
create constraint trigger order_total_matches_lines after insert on orders
    deferrable initially deferred
    for each row execute function order_total_matches_lines();
create constraint trigger order_lines_match_total after insert on order_items
    deferrable initially deferred
    for each row execute function order_total_matches_lines();
