-- Issue 14, item 6. Stock moves only with an order or an adjustment of a logged-in session.
-- No terminal role updates a stock count, writes an order or an order line itself any more:
-- an order is written whole by bytemtaani_place_order (stock taken, lines at the shelf
-- price, the total their sum), stock comes back only when an order is cancelled, and an
-- admin's count correction goes through bytemtaani_adjust_stock, which records who made it.
-- Each function takes the session id as its proof of who is acting: a terminal knows only
-- the session logged in at it. The checks of migrations 17 and 18 that these rights make
-- moot are dropped with their triggers (a checkout no longer pays for them).

-- The person behind an open session of an active account, and whether they are staff and
-- admin; no row otherwise.
create function bytemtaani_session_account(p_session uuid)
returns table (user_id uuid, is_staff boolean, is_admin boolean)
language sql stable security definer set search_path = public, pg_temp as $$
    select u.id, u.is_staff or u.is_admin, u.is_admin
    from user_sessions s join users u on u.id = s.user_id
    where s.id = p_session and s.ended_at is null and u.is_active
$$;

-- Lines (product, units) in ascending product id order: the order every writer of stock
-- locks product rows in, so two writers never wait for each other in a circle.
create function bytemtaani_lines_by_product(p_products uuid[], p_quantities integer[])
returns table (product uuid, quantity integer)
language sql immutable as $$
    select l.product, l.quantity
    from unnest(p_products, p_quantities) as l(product, quantity)
    order by l.product
$$;

-- Takes an order's stock, product by product in ascending id order (the order every writer
-- of stock locks rows in), then writes the order at the sum of its lines and the lines at the
-- shelf prices taken. One row per line, each with the order's id and time. When a product is
-- short (or archived) the one row names it, with no order and no price: the caller explains
-- and rolls back. When the buyer's checkout key was used already, the one row is that
-- order's, with no product (a double submit, told in the same round trip). Buyer and server must be the session's person: a customer orders for
-- themselves, staff ring up a sale for anyone.
create function bytemtaani_place_order(
    p_session uuid,
    p_buyer uuid,
    p_served_by uuid,
    p_checkout_key uuid,
    p_status order_status,
    p_products uuid[],
    p_quantities integer[]
)
returns table (placed_order uuid, placed_at timestamptz, line_product uuid,
               line_price numeric, line_name varchar, line_sku varchar)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
    v_line record;
    v_taken record;
    v_total numeric(12, 2) := 0;
    v_products uuid[] := '{}';
    v_quantities integer[] := '{}';
    v_prices numeric[] := '{}';
    v_names varchar[] := '{}';
    v_skus varchar[] := '{}';
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if v_person.user_id is null then
        raise exception 'nobody is logged in to order'
            using errcode = 'insufficient_privilege';
    end if;
    if (p_served_by is null and p_buyer is distinct from v_person.user_id)
       or (p_served_by is not null
           and (p_served_by <> v_person.user_id or not v_person.is_staff)) then
        raise exception 'an order is the logged-in customer''s own or rung up by the logged-in staff'
            using errcode = 'insufficient_privilege';
    end if;
    if p_status not in ('pending', 'paid') then
        raise exception 'an order starts pending or paid' using errcode = 'check_violation';
    end if;
    if coalesce(cardinality(p_products), 0) = 0
       or cardinality(p_products) <> cardinality(p_quantities)
       or exists (select 1 from unnest(p_quantities) q where q is null or q <= 0) then
        raise exception 'an order has lines of at least one unit each'
            using errcode = 'check_violation';
    end if;

    select o.id, o.created_at into placed_order, placed_at
    from orders o where o.user_id = p_buyer and o.checkout_key = p_checkout_key;
    if found then
        return next;
        return;
    end if;

    for v_line in select * from bytemtaani_lines_by_product(p_products, p_quantities) loop
        update products p set stock_quantity = p.stock_quantity - v_line.quantity
        where p.id = v_line.product and p.stock_quantity >= v_line.quantity and not p.is_archived
        returning p.price, p.name, p.sku into v_taken;
        if not found then
            line_product := v_line.product;
            return next;
            return;
        end if;
        v_products := v_products || v_line.product;
        v_quantities := v_quantities || v_line.quantity;
        v_prices := v_prices || v_taken.price;
        v_names := v_names || v_taken.name;
        v_skus := v_skus || v_taken.sku;
        v_total := v_total + v_taken.price * v_line.quantity;
    end loop;

    insert into orders (user_id, served_by, checkout_key, total_amount, status)
    values (p_buyer, p_served_by, p_checkout_key, v_total, p_status)
    returning id, created_at into placed_order, placed_at;
    insert into order_items (order_id, product_id, quantity, price)
    select placed_order, l.product, l.quantity, l.price
    from unnest(v_products, v_quantities, v_prices) as l(product, quantity, price);
    return query
        select placed_order, placed_at, l.product, l.price, l.name, l.sku
        from unnest(v_products, v_prices, v_names, v_skus) with ordinality
             as l(product, price, name, sku, n)
        order by l.n;
end
$$;

-- An admin's count correction (received goods, damage, a recount), never below zero,
-- recorded with the admin it was made by. Returns the new count, or NULL when short.
create function bytemtaani_adjust_stock(
    p_session uuid,
    p_product uuid,
    p_delta integer,
    p_reason stock_reason,
    p_note text
) returns integer
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
    v_stock integer;
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_admin, false) then
        raise exception 'only a logged-in admin adjusts stock'
            using errcode = 'insufficient_privilege';
    end if;
    update products set stock_quantity = stock_quantity + p_delta
    where id = p_product and stock_quantity + p_delta >= 0
    returning stock_quantity into v_stock;
    if found then
        insert into stock_adjustments (product_id, delta, reason, note, adjusted_by)
        values (p_product, p_delta, p_reason, p_note, v_person.user_id);
    end if;
    return v_stock;
end
$$;

-- An order moves only forward (the app's OrderStatus::can_become), for everyone; a kiosk
-- only cancels its customer's pending order (paying is the provider process's).
create function orders_status_moves_forward() returns trigger
language plpgsql as $$
begin
    if (old.status, new.status) not in (
        ('pending'::order_status, 'paid'::order_status), ('pending', 'cancelled'),
        ('paid', 'shipped'), ('paid', 'cancelled'), ('shipped', 'delivered')
    ) then
        raise exception 'an order does not go from % to %', old.status, new.status
            using errcode = 'check_violation';
    end if;
    if current_user = 'bytemtaani_kiosk' and new.status <> 'cancelled' then
        raise exception 'a kiosk only cancels an order'
            using errcode = 'insufficient_privilege';
    end if;
    if current_user = 'bytemtaani_kiosk' and old.status <> 'pending' then
        raise exception 'a kiosk cancels only an order not yet paid'
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger orders_status_moves_forward before update of status on orders
    for each row when (new.status is distinct from old.status)
    execute function orders_status_moves_forward();

-- A cancelled order's units go back on the shelf, in ascending product id order.
create function orders_cancel_restocks() returns trigger
language plpgsql security definer set search_path = public, pg_temp as $$
declare
    v_line record;
begin
    for v_line in
        select i.product_id, i.quantity from order_items i
        where i.order_id = new.id order by i.product_id
    loop
        update products set stock_quantity = stock_quantity + v_line.quantity
        where id = v_line.product_id;
    end loop;
    return null;
end
$$;
create trigger orders_cancel_restocks after update of status on orders
    for each row when (new.status = 'cancelled' and old.status <> 'cancelled')
    execute function orders_cancel_restocks();

revoke all on function bytemtaani_session_account(uuid),
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[]),
    bytemtaani_adjust_stock(uuid, uuid, integer, stock_reason, text) from public;
grant execute on function
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[])
    to bytemtaani_kiosk, bytemtaani_till;
grant execute on function bytemtaani_adjust_stock(uuid, uuid, integer, stock_reason, text)
    to bytemtaani_admin;

-- The rights that replace the checks: stock, orders and lines are the functions' to write.
revoke update (stock_quantity) on products from bytemtaani_kiosk, bytemtaani_till;
revoke update on products from bytemtaani_admin;
grant update (name, slug, sku, description, price, category_id, image_url, is_archived, version)
    on products to bytemtaani_admin;
revoke insert, update on orders from bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
revoke delete on orders from bytemtaani_admin;
grant update (status) on orders to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
revoke insert on order_items from bytemtaani_kiosk, bytemtaani_till;
revoke insert, update, delete on order_items from bytemtaani_admin;
revoke insert, update, delete on stock_adjustments from bytemtaani_admin;

drop trigger products_stock_needs_a_session on products;
drop function products_stock_needs_a_session();
drop trigger order_items_at_shelf_price on order_items;
drop function order_items_at_shelf_price();
drop trigger orders_total_is_kept on orders;
drop function orders_total_is_kept();
drop trigger order_total_matches_lines on orders;
drop trigger order_lines_match_total on order_items;
drop function order_total_matches_lines();
