-- Issue 16 (split payment, continued). A sale recorded unpaid (a push that failed, a kiosk
-- order paid at the counter) may be paid in parts at the till too: its earlier attempts'
-- payment, failed (or given up at the till), no longer keeps the parts out. Still never a
-- payment of the whole beside parts that count.
create or replace function payments_whole_or_in_parts() returns trigger
language plpgsql as $$
begin
    if exists (select 1 from payments p
               where p.order_id = new.order_id and p.split <> new.split
                 and p.status <> 'failed') then
        raise exception 'an order is paid by one payment or in parts, not both'
            using errcode = 'check_violation';
    end if;
    return new;
end
$$;
