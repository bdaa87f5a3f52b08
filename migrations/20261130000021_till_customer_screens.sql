-- Issue 15: a till served by `bytemtaani serve` shows the customer screens too (the key's
-- kind allows till and customer screens); whoever is logged in there has a cart of their
-- own, theirs alone, as at a kiosk.
grant select, insert, update, delete on cart_items to bytemtaani_till;
create policy cart_items_own_till on cart_items to bytemtaani_till
    using (user_id = bytemtaani_viewer()) with check (user_id = bytemtaani_viewer());
