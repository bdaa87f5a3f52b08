-- Payments through providers: the provider's reference for the request (M-Pesa
-- CheckoutRequestID, PayPal order id), what may be kept of a card (brand, last 4 digits),
-- refunds, every M-Pesa callback as received, and a notification when a payment changes.

alter type payment_status add value if not exists 'refunded';

alter table payments
    add column gateway_ref text,
    add column card_brand  varchar(20),
    add column card_last4  char(4) constraint payments_card_last4_check check (card_last4 ~ '^[0-9]{4}$');
create unique index payments_gateway_ref_key on payments (gateway_ref) where gateway_ref is not null;

-- Callbacks carry no signature: each is kept with what was made of it.
create table mpesa_callbacks (
    id                  bigint generated always as identity primary key,
    received_at         timestamptz not null default now(),
    checkout_request_id text,
    result_code         bigint,
    receipt             text,
    amount              numeric(12,2),
    payment_id          uuid references payments (id) on delete restrict,
    -- accepted, failed, or refused: and why
    outcome             text        not null,
    body                jsonb       not null
);
create index mpesa_callbacks_checkout_idx on mpesa_callbacks (checkout_request_id);

-- Reconciliation looks for old pending payments and unpaid orders.
create index payments_pending_idx on payments (created_at) where status = 'pending';
create index orders_pending_idx on orders (created_at) where status = 'pending';

create function notify_payment_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('payment_changed', new.id::text);
    return new;
end;
$$;
create trigger payments_notify after update on payments
    for each row when (old.status is distinct from new.status)
    execute function notify_payment_changed();
