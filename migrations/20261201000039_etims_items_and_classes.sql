-- Issue 17 (eTIMS). KRA takes an invoice only for items registered with it (`saveItem`).
-- The shop's server registers each product before the first invoice that names it, and
-- again once what KRA holds of it (name, class, tax type, price, barcode) has changed; what
-- KRA last accepted is kept here. Only the server's own login reads or writes it.
create table etims_items (
    product_id uuid primary key references products (id) on delete cascade,
    registered jsonb not null,
    registered_at timestamptz not null default now()
);

-- KRA's item classes (`selectItemClsList`), fetched by the shop's server; once there are
-- any, a product's class is checked against them when an admin saves it.
create table etims_item_classes (
    code varchar(10) primary key check (code ~ '^[0-9]{1,10}$'),
    name text not null,
    level smallint not null,
    tax_type tax_type,
    in_use boolean not null
);
-- When KRA's lists were last asked for, as KRA's `lastReqDt` (its own clock, YYYYMMDDhhmmss):
-- the next ask brings only what changed since.
create table etims_lists_asked (
    list text primary key,
    answered_at varchar(14) not null check (answered_at ~ '^[0-9]{14}$')
);

grant select on etims_item_classes, etims_lists_asked to bytemtaani_admin;

-- A receipt reads its sale's invoice or its return's credit note by the order: one index
-- whatever the kind (the partial ones of migration 37 serve only a query naming the kind).
create index etims_invoices_order on etims_invoices (order_id);
