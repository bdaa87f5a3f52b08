-- Issue 12. A provider request is claimed before it is sent, kept for good once it has a
-- reference, and money a provider confirms that cannot settle its order is shown to an
-- admin instead of being refused into a log.

-- Where the payment's current provider request stands: 'sending' (claimed; the call is on
-- its way, so a second press waits for it), 'sent' (the provider took it: gateway_ref),
-- 'unresolved' (the call timed out or broke: the provider may have it, and only its word or
-- an admin's settles it). Null: no request in flight. Only one request at a time.
create type payment_request_state as enum ('sending', 'sent', 'unresolved');
alter table payments add column request_state payment_request_state;
update payments set request_state = 'sent' where status = 'pending' and gateway_ref is not null;

-- Every reference a provider ever gave a payment (M-Pesa CheckoutRequestID, PayPal order),
-- so a late answer about an earlier request still finds its payment.
create table payment_requests (
    provider_ref text primary key,
    payment_id   uuid           not null references payments (id) on delete restrict,
    method       payment_method not null,
    amount       numeric(12,2)  not null,
    sent_at      timestamptz    not null default now()
);
create index payment_requests_payment_idx on payment_requests (payment_id);
insert into payment_requests (provider_ref, payment_id, method, amount, sent_at)
select gateway_ref, id, method, amount, created_at from payments where gateway_ref is not null;

-- Money that needs a person: a payment confirmed after it was failed, paid for an order
-- already cancelled or paid, received for no known request, captured for another amount,
-- or a request whose outcome is unknown. Kept until an admin resolves it (audited).
create table payment_alerts (
    id          bigint generated always as identity primary key,
    raised_at   timestamptz    not null default now(),
    kind        text           not null constraint payment_alerts_kind_check check (kind in (
                    'settled_after_failure', 'money_to_return', 'unmatched_money',
                    'amount_mismatch', 'unresolved_request')),
    payment_id  uuid           references payments (id) on delete restrict,
    provider_ref text,
    amount      numeric(12,2),
    detail      text           not null,
    resolved_at timestamptz,
    resolved_by uuid           references users (id) on delete restrict,
    resolution  text,
    constraint payment_alerts_resolved_check check ((resolved_at is null) = (resolved_by is null))
);
create index payment_alerts_open_idx on payment_alerts (raised_at) where resolved_at is null;
-- One alert per kind and provider reference: a callback Safaricom resends raises none again.
create unique index payment_alerts_once_key on payment_alerts (kind, provider_ref)
    where provider_ref is not null;

grant select, insert on payment_requests to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
-- A kiosk sees the requests of the payments it sees (the logged-in customer's).
alter table payment_requests enable row level security;
create policy payment_requests_shop on payment_requests to bytemtaani_till, bytemtaani_admin
    using (true) with check (true);
create policy payment_requests_own on payment_requests to bytemtaani_kiosk
    using (exists (select 1 from payments p where p.id = payment_id))
    with check (exists (select 1 from payments p where p.id = payment_id));
grant insert on payment_alerts to bytemtaani_kiosk, bytemtaani_till, bytemtaani_admin;
grant select, update (resolved_at, resolved_by, resolution) on payment_alerts to bytemtaani_admin;
