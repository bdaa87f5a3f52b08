-- Issue 14, item 7 (the rest). Only a provider vouches for a customer's own card, PayPal or
-- M-Pesa payment, and only the process holding the provider's credentials hears it (the
-- shop's server, `bytemtaani serve`, and the payment receiver, working with their own login's
-- rights). So the kiosk role never makes a payment successful nor touches one that is,
-- whoever is logged in: an escaped kiosk cannot write itself a paid order with a made-up
-- reference, nor rewrite a real one. (A till may:
-- there a cashier vouches for the cash, the card slip or the M-Pesa code, and is recorded.)
create function payment_settled_by_provider_process() returns trigger
language plpgsql as $$
begin
    if current_user = 'bytemtaani_kiosk'
       and (new.status = 'successful' or (tg_op = 'UPDATE' and old.status = 'successful')) then
        raise exception 'a kiosk does not settle payments; the shop''s server does'
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger payment_settled_by_provider_process before insert or update on payments
    for each row execute function payment_settled_by_provider_process();
