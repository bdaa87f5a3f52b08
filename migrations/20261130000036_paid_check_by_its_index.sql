-- The commit-time check that a terminal's paid order has its payments (migration 31) asked
-- one query that summed an order's parts before looking for its one whole payment; the
-- planner served the sum by AND-ing the order's index with the index of every successful
-- payment, a scan that grows with the shop's history (0.6 ms a sale on a fresh benchmark
-- database, the largest cost the app adds to a sale). Now the whole payment is looked up
-- first, by the unique index on it, and parts are summed only for an order that has none.
create or replace function order_paid_has_a_payment() returns trigger
language plpgsql as $$
declare
    v_order record;
begin
    if not bytemtaani_at_terminal() then
        return null;
    end if;
    select o.status, o.total_amount into v_order from orders o where o.id = new.id;
    if v_order.status is distinct from 'paid'
       or exists (select 1 from payments p
                  where p.order_id = new.id and not p.split and p.status = 'successful'
                    and p.amount = v_order.total_amount)
       or (select sum(p.amount) from payments p
           where p.order_id = new.id and p.split and p.status = 'successful')
          = v_order.total_amount then
        return null;
    end if;
    raise exception 'an order is paid only with successful payments of its total'
        using errcode = 'insufficient_privilege';
end
$$;
