-- Issue 14, item 6 (first step). A terminal role changes a stock count only with somebody
-- logged in: an escaped kiosk with nobody logged in can no longer zero every product's
-- stock. (A logged-in session's own bare UPDATE is still possible; moving stock changes into
-- checking functions is the rest of the item.)
create function products_stock_needs_a_session() returns trigger
language plpgsql as $$
begin
    if current_user in ('bytemtaani_kiosk', 'bytemtaani_till')
       and new.stock_quantity is distinct from old.stock_quantity
       and bytemtaani_viewer() is null then
        raise exception 'nobody is logged in to change stock'
            using errcode = 'insufficient_privilege';
    end if;
    return new;
end
$$;
create trigger products_stock_needs_a_session before update of stock_quantity on products
    for each row execute function products_stock_needs_a_session();
