-- Live stock: every change to a product's stock, price or availability is announced on the
-- `product_changed` channel (payload: the product id), delivered when the change commits.
-- Open catalog and cart screens listen and refresh within a second, without a keypress.
create or replace function notify_product_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('product_changed', new.id::text);
    return null;
end;
$$;

create trigger products_notify_changed
    after update of stock_quantity, price, is_archived, name on products
    for each row
    when (old.stock_quantity is distinct from new.stock_quantity
          or old.price is distinct from new.price
          or old.is_archived is distinct from new.is_archived
          or old.name is distinct from new.name)
    execute function notify_product_changed();
