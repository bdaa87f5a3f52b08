-- Issue 16: M-Pesa paid to the shop's till number (Lipa na M-Pesa, Buy Goods or paybill),
-- confirmed by Safaricom. Daraja's C2B API posts every payment made to the short code to the
-- shop's confirmation URL; each is kept here once, whoever claims it. A code typed at the
-- till settles its sale at once when a confirmation of it is here: recent, of at least the
-- sale's amount, and claimed by no other payment.
create table till_payments (
    trans_id    varchar(20)   primary key,
    amount      numeric(12,2) not null constraint till_payments_amount_check check (amount > 0),
    short_code  varchar(20)   not null,
    -- As Daraja gives them (C2B v2 masks the phone number).
    msisdn      varchar(40)   not null default '',
    payer       varchar(120)  not null default '',
    bill_ref    varchar(40)   not null default '',
    -- When the customer paid (TransTime), and when the confirmation reached the shop.
    paid_at     timestamptz   not null,
    received_at timestamptz   not null default now(),
    -- The sale's payment it settled; NULL while nobody has claimed it.
    payment_id  uuid          references payments (id) on delete restrict
                constraint till_payments_payment_key unique,
    claimed_at  timestamptz,
    constraint till_payments_claimed_with_time check ((payment_id is null) = (claimed_at is null))
);
create index till_payments_unclaimed_idx on till_payments (received_at) where payment_id is null;

-- Claims a confirmed till payment for a sale's pending M-Pesa payment, as the staff member of
-- `p_session` who took that payment with this code: the confirmation must be unclaimed, paid
-- within the last `p_within_minutes` by the database's clock, and of at least the payment's
-- amount. Returns the amount the customer paid,
-- or NULL when no confirmation qualifies (the caller tells why and writes nothing).
create function bytemtaani_claim_till_payment(
    p_session uuid,
    p_payment uuid,
    p_within_minutes integer
) returns numeric
language plpgsql volatile security definer set search_path = public, pg_temp as $$
declare
    v_person record;
    v_payment record;
    v_amount numeric(12, 2);
begin
    select * into v_person from bytemtaani_session_account(p_session);
    if not coalesce(v_person.is_staff, false) then
        raise exception 'only logged-in staff claim a till payment'
            using errcode = 'insufficient_privilege';
    end if;
    select p.amount, p.transaction_id, p.status, p.method, p.taken_by into v_payment
    from payments p where p.id = p_payment;
    if v_payment.taken_by is distinct from v_person.user_id
       or v_payment.status <> 'pending' or v_payment.method <> 'mpesa'
       or v_payment.transaction_id is null then
        raise exception 'a till payment is claimed for a pending M-Pesa payment the session''s staff member took'
            using errcode = 'insufficient_privilege';
    end if;
    update till_payments t set payment_id = p_payment, claimed_at = now()
    where t.trans_id = v_payment.transaction_id and t.payment_id is null
      and t.amount >= v_payment.amount and t.paid_at >= now() - make_interval(mins => p_within_minutes)
    returning t.amount into v_amount;
    return v_amount;
end
$$;

revoke all on function bytemtaani_claim_till_payment(uuid, uuid, integer) from public;
grant execute on function bytemtaani_claim_till_payment(uuid, uuid, integer)
    to bytemtaani_till, bytemtaani_admin;
grant select on till_payments to bytemtaani_till, bytemtaani_admin;
-- An admin verifying a code by hand matches its till payment (the payment's own checks hold).
grant update (payment_id, claimed_at) on till_payments to bytemtaani_admin;
