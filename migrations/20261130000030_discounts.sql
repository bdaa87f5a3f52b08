-- Issue 16 (discounts). A cashier takes an amount or a percent off a line or off the whole
-- sale, with a reason. Each line keeps its shelf price and its discount (its own and its share
-- of the sale's), so its net, the order's total, VAT, reports and refunds stay exact to the
-- cent. Above the shop's limit for cashiers an admin approves at the till with their
-- password: the approval is a row only an admin's fresh login can make, for one sale.

-- The shop's till policy: `bytemtaani migrate` writes the config's [till] values here.
create table till_policy (
    only_row               boolean primary key default true
                           constraint till_policy_one_row check (only_row),
    -- The most a cashier may take off any line (its own discount and its share of the
    -- sale's together), as a percent of its shelf value, without an admin.
    discount_limit_percent numeric(5,2) not null default 10
                           constraint till_policy_limit_check
                           check (discount_limit_percent between 0 and 100)
);
insert into till_policy default values;
grant select on till_policy to bytemtaani_till, bytemtaani_admin;

alter table order_items add column discount numeric(12,2) not null default 0,
    add constraint order_items_discount_check check (discount >= 0 and discount <= price * quantity);
-- What a return gave back of its lines' discounts: a line refunds price × units - discount.
alter table return_items add column discount numeric(12,2) not null default 0,
    add constraint return_items_discount_check check (discount >= 0 and discount <= price * quantity);

-- An admin's yes to the discounts of one sale (by its checkout key) at one cashier's session,
-- good for 30 minutes and used once.
create table discount_approvals (
    id          uuid primary key default gen_random_uuid(),
    session_id  uuid        not null references user_sessions (id) on delete cascade,
    sale_key    uuid        not null,
    admin_id    uuid        not null references users (id) on delete restrict,
    approved_at timestamptz not null default now(),
    order_id    uuid        unique references orders (id) on delete restrict
);

-- The discounts as given: on a product's line, or on the whole sale (no product).
create table order_discounts (
    id          uuid primary key default gen_random_uuid(),
    order_id    uuid          not null references orders (id) on delete restrict,
    product_id  uuid          references products (id) on delete restrict,
    percent     numeric(5,2)  constraint order_discounts_percent_check
                              check (percent > 0 and percent <= 100),
    amount      numeric(12,2) not null constraint order_discounts_amount_check check (amount > 0),
    reason      text          not null constraint order_discounts_reason_check
                              check (btrim(reason) <> ''),
    given_by    uuid          not null references users (id) on delete restrict,
    approved_by uuid          references users (id) on delete restrict
);
create index order_discounts_order_idx on order_discounts (order_id);
alter table order_discounts enable row level security;
create policy order_discounts_shop on order_discounts for select
    to bytemtaani_till, bytemtaani_admin using (true);
grant select on order_discounts to bytemtaani_till, bytemtaani_admin;

-- An admin approves the discounts of the sale `p_sale_key` rung up at the cashier's session
-- `p_session`. `p_admin_session` is the session the admin's password just opened at the till
-- (bytemtaani_log_in): it is closed here, so it serves this one approval.
create function bytemtaani_approve_discount(p_session uuid, p_sale_key uuid, p_admin_session uuid)
returns uuid
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_admin record;
    v_approval uuid;
begin
    perform bytemtaani_staff_of(p_session);
    select * into v_admin from bytemtaani_session_account(p_admin_session);
    update user_sessions set ended_at = now() where id = p_admin_session and ended_at is null;
    if not coalesce(v_admin.is_admin, false) then
        raise exception 'only an admin approves a discount over the limit'
            using errcode = 'insufficient_privilege';
    end if;
    insert into discount_approvals (session_id, sale_key, admin_id)
    values (p_session, p_sale_key, v_admin.user_id)
    returning id into v_approval;
    return v_approval;
end
$$;

-- Migration 23's function writes the order at shelf prices; this one is the terminals' way
-- in. It calls it, then applies `p_discounts`, a JSON array of
-- {"product": uuid or null for the whole sale, "percent": n or null, "amount": n or null,
--  "reason": text}: line discounts first (an amount, or the percent of the line's shelf value
-- to the cent, half away from zero), then the sale's on what is left, shared over the lines
-- in proportion to their nets (to the cent; the cent left over goes to the largest net, the
-- first by product id among equals). Any line above the cashier's limit needs `p_approval`,
-- an admin's for this session and sale, at most 30 minutes old; it is used up. Rows are as
-- migration 23's, each line with its discount.
create function bytemtaani_place_order(
    p_session uuid,
    p_buyer uuid,
    p_served_by uuid,
    p_checkout_key uuid,
    p_status order_status,
    p_products uuid[],
    p_quantities integer[],
    p_discounts jsonb,
    p_approval uuid
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
    if coalesce(jsonb_array_length(p_discounts), 0) = 0 then
        return query
            select l.*, 0::numeric
            from bytemtaani_place_order(p_session, p_buyer, p_served_by, p_checkout_key,
                                        p_status, p_products, p_quantities) l;
        return;
    end if;
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_staff, false) then
        raise exception 'only staff give discounts' using errcode = 'insufficient_privilege';
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
        v_prices := v_prices || v_row.line_price;
        v_names := v_names || v_row.line_name;
        v_skus := v_skus || v_row.line_sku;
        v_units := v_units || (select q.quantity
                               from unnest(p_products, p_quantities) as q(product, quantity)
                               where q.product = v_row.line_product limit 1);
    end loop;

    if exists (select 1 from jsonb_array_elements(p_discounts) d
               where coalesce(btrim(d->>'reason'), '') = ''
                  or ((d->>'percent') is null) = ((d->>'amount') is null)
                  or (d->>'percent')::numeric <= 0 or (d->>'percent')::numeric > 100
                  or (d->>'amount')::numeric <= 0
                  or (d->>'amount')::numeric <> round((d->>'amount')::numeric, 2)
                  or (d->>'product')::uuid <> all (v_products))
       or (select count(*) filter (where d->>'product' is null) > 1
                  or count(d->>'product') <> count(distinct d->>'product')
           from jsonb_array_elements(p_discounts) d)
    then
        raise exception 'a discount is an amount or a percent with a reason, on a line of the sale or on the whole sale, once each'
            using errcode = 'check_violation';
    end if;

    -- Each line's own discount, then what is left of the sale, then the sale's discount.
    for n in 1 .. cardinality(v_products) loop
        v_gross := v_prices[n] * v_units[n];
        select d into v_given from jsonb_array_elements(p_discounts) d
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
    select d into v_given from jsonb_array_elements(p_discounts) d where d->>'product' is null;
    if v_given is not null then
        v_sale := coalesce((v_given->>'amount')::numeric,
                           round(v_base * (v_given->>'percent')::numeric / 100, 2));
    end if;
    if v_sale >= v_base then
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

    update order_items i set discount = l.own + l.share
    from unnest(v_products, v_own, v_share) as l(product, own, share)
    where i.order_id = placed_order and i.product_id = l.product and l.own + l.share > 0;
    update orders set total_amount = v_base - v_sale where id = placed_order;
    insert into order_discounts (order_id, product_id, percent, amount, reason, given_by,
                                 approved_by)
    select placed_order, (d->>'product')::uuid, (d->>'percent')::numeric,
           coalesce(l.own, v_sale), btrim(d->>'reason'), v_person.user_id, v_approver
    from jsonb_array_elements(p_discounts) d
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
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[], jsonb, uuid),
    bytemtaani_approve_discount(uuid, uuid, uuid) from public;
revoke execute on function
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[])
    from bytemtaani_kiosk, bytemtaani_till;
grant execute on function
    bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[], jsonb, uuid)
    to bytemtaani_kiosk, bytemtaani_till;
grant execute on function bytemtaani_approve_discount(uuid, uuid, uuid)
    to bytemtaani_till, bytemtaani_admin;

-- Returns refund each line's net share: of a line sold n units for `net` (shelf value less
-- its discount) with r back already, k more refund round(net × (r + k) / n) - round(net × r / n),
-- so a line's refunds add up to its net exactly once every unit is back.
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

-- A held sale keeps its discounts (not their approval: an admin approves again on recall).
alter table held_sales add column discounts jsonb not null default '[]';

-- Migration 19's commit-time check read the order as it was inserted; a discount lowers the
-- total after that, in the same transaction. It now reads the order as it commits.
create or replace function order_paid_has_a_payment() returns trigger
language plpgsql as $$
begin
    if bytemtaani_at_terminal() and exists (
        select 1 from orders o
        where o.id = new.id and o.status = 'paid' and not exists (
            select 1 from payments p
            where p.order_id = o.id and p.status = 'successful' and p.amount = o.total_amount)
    ) then
        raise exception 'an order is paid only with a successful payment of its total'
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end
$$;
