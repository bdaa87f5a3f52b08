-- Issue 16 (an unknown barcode at the till). A cashier sells what the shop has not entered
-- as an open-price line: the one "Miscellaneous" product, outside the catalog (no category,
-- so no catalog, search or stock list shows it), no stock, its price typed at the till for
-- that sale. Audited and in the shift's reports like any line; returns refund what was paid.
alter table products add column open_price boolean not null default false;
alter table products alter column category_id drop not null;
alter table products add constraint products_open_price_check
    check (open_price = (category_id is null));
create unique index products_one_open_price on products (open_price) where open_price;
insert into products (id, name, slug, sku, price, category_id, stock_quantity, open_price)
values ('00000000-0000-0000-0000-00000000000b', 'Miscellaneous (open price)',
        'miscellaneous-open-price', 'OPEN-PRICE', 0, null, 0, true);

create function bytemtaani_open_price_product() returns uuid
language sql immutable as $$ select '00000000-0000-0000-0000-00000000000b'::uuid $$;

-- Migration 23's writer of orders, the open-price line taken without stock.
create or replace function bytemtaani_place_order(
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
          and not p.open_price
        returning p.price, p.name, p.sku into v_taken;
        if not found then
            -- The open-price line has no stock: read, not locked (tills sell it at once).
            select p.price, p.name, p.sku into v_taken
            from products p where p.id = v_line.product and p.open_price;
        end if;
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

-- Migration 30's way in for terminals, with the open-price line's price (`p_open_price`:
-- for the open-price product's line, which must then be in the sale; NULL otherwise). Only
-- staff sell at an open price.
drop function bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[],
                                     jsonb, uuid);
create function bytemtaani_place_order(
    p_session uuid,
    p_buyer uuid,
    p_served_by uuid,
    p_checkout_key uuid,
    p_status order_status,
    p_products uuid[],
    p_quantities integer[],
    p_discounts jsonb,
    p_approval uuid,
    p_open_price numeric
)
returns table (placed_order uuid, placed_at timestamptz, line_product uuid,
               line_price numeric, line_name varchar, line_sku varchar, line_discount numeric)
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_row record;
    v_given jsonb;
    v_person record;
    v_products uuid[] := '{}';
    v_prices numeric[] := '{}';
    v_names varchar[] := '{}';
    v_skus varchar[] := '{}';
    v_units integer[] := '{}';
    v_own numeric[] := '{}';
    v_share numeric[] := '{}';
    v_gross numeric;
    v_base numeric := 0;
    v_sale numeric := 0;
    v_largest integer := 1;
    v_limit numeric;
    v_over boolean := false;
    v_approver uuid;
    n integer;
begin
    if coalesce(jsonb_array_length(p_discounts), 0) = 0 and p_open_price is null
       and not (bytemtaani_open_price_product() = any (p_products)) then
        return query
            select l.*, 0::numeric
            from bytemtaani_place_order(p_session, p_buyer, p_served_by, p_checkout_key,
                                        p_status, p_products, p_quantities) l;
        return;
    end if;
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_staff, false) then
        raise exception 'only staff give discounts or sell at an open price'
            using errcode = 'insufficient_privilege';
    end if;
    if (p_open_price is not null) <> (bytemtaani_open_price_product() = any (p_products))
       or p_open_price <= 0 or p_open_price <> round(p_open_price, 2) then
        raise exception 'an open-price line has its price, above nothing, to the cent'
            using errcode = 'check_violation';
    end if;

    for v_row in
        select * from bytemtaani_place_order(p_session, p_buyer, p_served_by, p_checkout_key,
                                             p_status, p_products, p_quantities)
    loop
        placed_order := v_row.placed_order;
        placed_at := v_row.placed_at;
        if v_row.line_price is null then
            -- Short stock or a double submit: told as migration 23 tells it.
            line_product := v_row.line_product;
            return next;
            return;
        end if;
        v_products := v_products || v_row.line_product;
        v_prices := v_prices || case when v_row.line_product = bytemtaani_open_price_product()
                                     then p_open_price else v_row.line_price end;
        v_names := v_names || v_row.line_name;
        v_skus := v_skus || v_row.line_sku;
        v_units := v_units || (select q.quantity
                               from unnest(p_products, p_quantities) as q(product, quantity)
                               where q.product = v_row.line_product limit 1);
    end loop;

    if exists (select 1 from jsonb_array_elements(coalesce(p_discounts, '[]')) d
               where coalesce(btrim(d->>'reason'), '') = ''
                  or ((d->>'percent') is null) = ((d->>'amount') is null)
                  or (d->>'percent')::numeric <= 0 or (d->>'percent')::numeric > 100
                  or (d->>'amount')::numeric <= 0
                  or (d->>'amount')::numeric <> round((d->>'amount')::numeric, 2)
                  or (d->>'product')::uuid <> all (v_products))
       or (select count(*) filter (where d->>'product' is null) > 1
                  or count(d->>'product') <> count(distinct d->>'product')
           from jsonb_array_elements(coalesce(p_discounts, '[]')) d)
    then
        raise exception 'a discount is an amount or a percent with a reason, on a line of the sale or on the whole sale, once each'
            using errcode = 'check_violation';
    end if;

    -- Each line's own discount, then what is left of the sale, then the sale's discount.
    for n in 1 .. cardinality(v_products) loop
        v_gross := v_prices[n] * v_units[n];
        select d into v_given from jsonb_array_elements(coalesce(p_discounts, '[]')) d
        where (d->>'product')::uuid = v_products[n];
        v_own := v_own || coalesce((v_given->>'amount')::numeric,
                                   round(v_gross * (v_given->>'percent')::numeric / 100, 2), 0);
        if v_own[n] > v_gross then
            raise exception 'a line''s discount is more than the line'
                using errcode = 'check_violation';
        end if;
        v_base := v_base + v_gross - v_own[n];
        if v_gross - v_own[n] > v_prices[v_largest] * v_units[v_largest] - v_own[v_largest] then
            v_largest := n;
        end if;
    end loop;
    select d into v_given from jsonb_array_elements(coalesce(p_discounts, '[]')) d
    where d->>'product' is null;
    if v_given is not null then
        v_sale := coalesce((v_given->>'amount')::numeric,
                           round(v_base * (v_given->>'percent')::numeric / 100, 2));
    end if;
    if v_sale >= v_base and coalesce(jsonb_array_length(p_discounts), 0) > 0 then
        raise exception 'discounts leave nothing to pay: a sale is discounted, not given away'
            using errcode = 'check_violation';
    end if;
    for n in 1 .. cardinality(v_products) loop
        v_share := v_share || round(v_sale * (v_prices[n] * v_units[n] - v_own[n]) / v_base, 2);
    end loop;
    v_share[v_largest] := v_share[v_largest] + v_sale
                          - (select sum(s) from unnest(v_share) s);

    -- A line is over the limit when own + net × sale / base > shelf × limit / 100; multiplied
    -- out so no division rounds the edge.
    select discount_limit_percent into v_limit from till_policy;
    for n in 1 .. cardinality(v_products) loop
        v_gross := v_prices[n] * v_units[n];
        v_over := v_over or (v_own[n] * v_base + (v_gross - v_own[n]) * v_sale) * 100
                            > v_gross * v_limit * v_base;
    end loop;
    if v_over or p_approval is not null then
        update discount_approvals set order_id = placed_order
        where id = p_approval and session_id = p_session and sale_key = p_checkout_key
          and order_id is null and approved_at > now() - interval '30 minutes'
        returning admin_id into v_approver;
        if v_approver is null then
            raise exception using errcode = 'BM002', message = format(
                'a discount over %s%% of a line needs an admin''s approval', trim_scale(v_limit));
        end if;
    end if;

    update order_items i set discount = l.own + l.share, price = l.price
    from unnest(v_products, v_own, v_share, v_prices) as l(product, own, share, price)
    where i.order_id = placed_order and i.product_id = l.product
      and (l.own + l.share > 0 or l.product = bytemtaani_open_price_product());
    update orders set total_amount = v_base - v_sale where id = placed_order;
    insert into order_discounts (order_id, product_id, percent, amount, reason, given_by,
                                 approved_by)
    select placed_order, (d->>'product')::uuid, (d->>'percent')::numeric,
           coalesce(l.own, v_sale), btrim(d->>'reason'), v_person.user_id, v_approver
    from jsonb_array_elements(coalesce(p_discounts, '[]')) d
         left join unnest(v_products, v_own) as l(product, own)
             on l.product = (d->>'product')::uuid
    where coalesce(l.own, v_sale) > 0;

    return query
        select placed_order, placed_at, l.product, l.price, l.name, l.sku, l.own + l.share
        from unnest(v_products, v_prices, v_names, v_skus, v_own, v_share)
             as l(product, price, name, sku, own, share);
end
$$;

revoke all on function
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[], jsonb, uuid,
                           numeric) from public;
grant execute on function
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[], jsonb, uuid,
                           numeric) to bytemtaani_kiosk, bytemtaani_till;
