-- ByteMtaani schema: the seed design's six tables (users, categories, products, orders,
-- order_items, payments) under its field names, plus what the rules need: stock, SKUs,
-- roles, a persisted cart, price history, an audit log, sessions and login throttling.
-- Constraints live here so that the rules hold even for a client that bypasses the app.

create extension if not exists pg_trgm;

-- Keeps updated_at honest on every update, whoever writes the row.
create or replace function trigger_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at = now();
    return new;
end;
$$;

create type order_status as enum ('pending', 'paid', 'shipped', 'delivered', 'cancelled');
create type payment_method as enum ('mpesa', 'card', 'paypal', 'cash');
create type payment_status as enum ('pending', 'successful', 'failed');
create type stock_reason as enum ('received', 'damaged', 'count_correction');

create table users (
    id            uuid primary key default gen_random_uuid(),
    username      varchar(32)  not null,
    email         varchar(254) not null,
    password_hash text         not null,
    is_admin      boolean      not null default false,
    is_staff      boolean      not null default false,
    is_active     boolean      not null default true,
    phone         varchar(12),
    date_joined   timestamptz  not null default now(),
    updated_at    timestamptz  not null default now(),
    -- Admins are staff too: the till is open to them.
    constraint users_admin_is_staff check (not is_admin or is_staff)
);
-- Usernames and emails are unique whatever their case ("Wanjiku" is "wanjiku").
create unique index users_username_key on users (lower(username));
create unique index users_email_key on users (lower(email));
create index users_phone_idx on users (phone) where phone is not null;
create trigger users_updated_at before update on users
    for each row execute function trigger_updated_at();

create table categories (
    id         uuid primary key default gen_random_uuid(),
    name       varchar(100) not null constraint categories_name_key unique,
    slug       varchar(120) not null constraint categories_slug_key unique,
    created_at timestamptz  not null default now()
);

create table products (
    id             uuid primary key default gen_random_uuid(),
    name           varchar(200)  not null,
    slug           varchar(220)  not null constraint products_slug_key unique,
    sku            varchar(64)   not null constraint products_sku_key unique,
    description    text          not null default '',
    price          numeric(12,2) not null constraint products_price_check check (price >= 0),
    category_id    uuid          not null references categories (id) on delete restrict,
    stock_quantity integer       not null default 0
                   constraint products_stock_check check (stock_quantity >= 0),
    -- Derived, so it can never contradict the stock count.
    in_stock       boolean generated always as (stock_quantity > 0) stored,
    image_url      text,
    is_archived    boolean       not null default false,
    -- Bumped on every edit: a save based on an older version is a conflict, not an overwrite.
    version        integer       not null default 1,
    search         tsvector generated always as (
                       setweight(to_tsvector('simple', name), 'A') ||
                       setweight(to_tsvector('simple', sku), 'A') ||
                       setweight(to_tsvector('simple', description), 'B')) stored,
    created_at     timestamptz   not null default now(),
    updated_at     timestamptz   not null default now()
) with (fillfactor = 90); -- room for HOT updates: stock changes touch no indexed column

-- The seed's indexes (name, category_id, price), each widened with the keyset columns
-- so that sorted, paged browsing reads only the rows it shows.
create index products_name_idx on products (name, id);
create index products_price_idx on products (price, id);
create index products_category_id_idx on products (category_id, price, id);
create index products_category_name_idx on products (category_id, name, id);
create index products_created_at_idx on products (created_at, id);
create index products_category_created_idx on products (category_id, created_at, id);
-- Word search (stored tsvector + GIN) and partial-name search (trigrams).
create index products_search_idx on products using gin (search);
create index products_name_trgm_idx on products using gin (name gin_trgm_ops);
create trigger products_updated_at before update on products
    for each row execute function trigger_updated_at();

create table orders (
    id           uuid primary key default gen_random_uuid(),
    user_id      uuid          not null references users (id) on delete restrict,
    status       order_status  not null default 'pending',
    total_amount numeric(12,2) not null constraint orders_total_check check (total_amount >= 0),
    -- Who rang the sale up at a till (null for a customer's own order).
    served_by    uuid          references users (id) on delete restrict,
    -- The client's idempotency key: the same checkout submitted twice is one order.
    checkout_key uuid          not null,
    created_at   timestamptz   not null default now(),
    updated_at   timestamptz   not null default now(),
    constraint orders_checkout_key unique (user_id, checkout_key)
);
create index orders_user_id_idx on orders (user_id, created_at desc, id);
create index orders_status_idx on orders (status);
create index orders_created_at_idx on orders (created_at);
create trigger orders_updated_at before update on orders
    for each row execute function trigger_updated_at();

create table order_items (
    id         uuid primary key default gen_random_uuid(),
    order_id   uuid          not null references orders (id) on delete restrict,
    -- restrict: a product that was ever ordered cannot be deleted, only archived.
    product_id uuid          not null references products (id) on delete restrict,
    quantity   integer       not null constraint order_items_quantity_check check (quantity > 0),
    price      numeric(12,2) not null constraint order_items_price_check check (price >= 0),
    constraint order_items_order_product unique (order_id, product_id)
);
create index order_items_product_id_idx on order_items (product_id);

create table payments (
    id             uuid primary key default gen_random_uuid(),
    user_id        uuid           not null references users (id) on delete restrict,
    order_id       uuid           not null references orders (id) on delete restrict
                   constraint payments_order_id_key unique,
    amount         numeric(12,2)  not null constraint payments_amount_check check (amount >= 0),
    method         payment_method not null,
    status         payment_status not null default 'pending',
    transaction_id varchar(64)    constraint payments_transaction_id_key unique,
    paid_at        timestamptz,
    -- The staff member who confirmed it (cash at the till, a code checked by hand).
    confirmed_by   uuid           references users (id) on delete restrict,
    failure_reason text,
    created_at     timestamptz    not null default now(),
    updated_at     timestamptz    not null default now(),
    constraint payments_successful_has_proof check (
        status <> 'successful' or (transaction_id is not null and paid_at is not null))
);
-- payments.transaction_id is indexed by its unique constraint.
create index payments_status_idx on payments (status);
create index payments_user_id_idx on payments (user_id);
create trigger payments_updated_at before update on payments
    for each row execute function trigger_updated_at();

-- The cart is persisted per user so it survives a crash or a dropped SSH session.
-- price_seen is the price the customer saw when adding: a change is flagged, never silent.
create table cart_items (
    user_id    uuid          not null references users (id) on delete cascade,
    product_id uuid          not null references products (id) on delete cascade,
    quantity   integer       not null constraint cart_items_quantity_check check (quantity > 0),
    price_seen numeric(12,2) not null,
    added_at   timestamptz   not null default now(),
    primary key (user_id, product_id)
);

-- A product is deleted only when it was never ordered; its own records go with it.
create table price_history (
    id         uuid primary key default gen_random_uuid(),
    product_id uuid          not null references products (id) on delete cascade,
    old_price  numeric(12,2) not null,
    new_price  numeric(12,2) not null,
    changed_by uuid          not null references users (id) on delete restrict,
    changed_at timestamptz   not null default now()
);
create index price_history_product_idx on price_history (product_id, changed_at desc);

create table stock_adjustments (
    id         uuid primary key default gen_random_uuid(),
    product_id uuid         not null references products (id) on delete cascade,
    delta      integer      not null constraint stock_adjustments_delta_check check (delta <> 0),
    reason     stock_reason not null,
    note       text         not null default '',
    adjusted_by uuid        not null references users (id) on delete restrict,
    adjusted_at timestamptz not null default now()
);
create index stock_adjustments_product_idx on stock_adjustments (product_id, adjusted_at desc);

create table audit_log (
    id          bigint generated always as identity primary key,
    actor_id    uuid        not null references users (id) on delete restrict,
    action      text        not null,
    entity      text        not null,
    entity_id   uuid,
    details     jsonb       not null default '{}',
    occurred_at timestamptz not null default now()
);
create index audit_log_occurred_idx on audit_log (occurred_at desc);
create index audit_log_actor_idx on audit_log (actor_id, occurred_at desc);

-- A login opens a session; every service call checks it is still open and its user active,
-- so logging out or deactivating a user takes effect at their next action.
create table user_sessions (
    id         uuid primary key default gen_random_uuid(),
    user_id    uuid        not null references users (id) on delete cascade,
    created_at timestamptz not null default now(),
    ended_at   timestamptz
);
create index user_sessions_user_idx on user_sessions (user_id) where ended_at is null;

-- Every login attempt, for the audit trail (OWASP ASVS 16.3.1).
create table login_attempts (
    id           bigint generated always as identity primary key,
    username     varchar(254) not null,
    user_id      uuid references users (id) on delete set null,
    outcome      text         not null,
    attempted_at timestamptz  not null default now()
);
create index login_attempts_username_idx on login_attempts (lower(username), attempted_at desc);

-- Failed-login counter per username (known or not). An attempt is charged before the
-- password is checked, so parallel guessing cannot slip past the limit.
create table login_throttle (
    username_key    varchar(254) primary key,
    failures        integer     not null default 0,
    locked_until    timestamptz,
    last_attempt_at timestamptz not null default now()
);
