-- Issue 15. PostgreSQL puts a transaction's notifications in its queue under one
-- database-wide lock and holds it until the commit has reached the disk, so every sale
-- (three stock updates, each announced on `product_changed`) flushed its commit alone while
-- the other tills waited: at 16 tills most backends sat in that lock at COMMIT. Stock taken
-- by the order function is now announced by whoever placed the order, once it has committed
-- (a notification alone writes nothing to flush). Every other change to a product still
-- announces itself as it commits (migration 2).
alter function bytemtaani_place_order(uuid, uuid, uuid, uuid, order_status, uuid[], integer[])
    set bytemtaani.stock_announced = 'after_commit';

create or replace function notify_product_changed() returns trigger
language plpgsql as $$
begin
    if current_setting('bytemtaani.stock_announced', true) is distinct from 'after_commit' then
        perform pg_notify('product_changed', new.id::text);
    end if;
    return null;
end;
$$;
