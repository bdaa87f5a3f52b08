-- Issue 13. Sales a cashier holds at the till (F4) are kept in the database, so logging out,
-- quitting, a crash or a power cut loses none; F5 recalls them, also after a restart.
create table held_sales (
    sale_key      uuid primary key,
    cashier_id    uuid        not null references users (id) on delete cascade,
    label         text        not null,
    customer_id   uuid        references users (id) on delete set null,
    customer_name text,
    -- [{product_id, name, sku, price, quantity}] at the prices they were rung up at
    lines         jsonb       not null,
    held_at       timestamptz not null default now()
);
create index held_sales_cashier_idx on held_sales (cashier_id, held_at);

grant select, insert, delete on held_sales to bytemtaani_till, bytemtaani_admin;
