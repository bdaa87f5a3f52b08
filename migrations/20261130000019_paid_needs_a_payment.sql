-- Issue 14, item 7 (paid). A terminal role cannot mark an order paid on its own word: when
-- the transaction commits, an order it made or moved to `paid` has a successful payment of
-- exactly its total. (A terminal that writes a successful payment itself, as a set-up B kiosk
-- settling a card or PayPal payment does, is the rest of the item: that settlement belongs
-- to the process holding the provider's credentials.)
create function order_paid_has_a_payment() returns trigger
language plpgsql as $$
begin
    if bytemtaani_at_terminal() and new.status = 'paid' and not exists (
        select 1 from payments p
        where p.order_id = new.id and p.status = 'successful' and p.amount = new.total_amount
    ) then
        raise exception 'an order is paid only with a successful payment of its total'
            using errcode = 'insufficient_privilege';
    end if;
    return null;
end
$$;
create constraint trigger order_paid_has_a_payment after insert or update of status on orders
    deferrable initially deferred
    for each row execute function order_paid_has_a_payment();
