-- A customer's order history shows what they brought back and the refund (issue 16: returns
-- are "in the order's history"). A kiosk reads only the returns of the logged-in customer's
-- own orders, as it reads only their orders; tills and consoles read every return. Returns
-- are still written only by bytemtaani_return_items, whose owner's rights bypass the rows'
-- policies.
alter table returns enable row level security;
alter table return_items enable row level security;
create policy returns_shop on returns for select to bytemtaani_till, bytemtaani_admin
    using (true);
-- The subquery is itself limited to the viewer's orders.
create policy returns_own on returns for select to bytemtaani_kiosk
    using (exists (select 1 from orders o where o.id = order_id));
create policy return_items_shop on return_items for select
    to bytemtaani_till, bytemtaani_admin using (true);
create policy return_items_own on return_items for select to bytemtaani_kiosk
    using (exists (select 1 from returns r where r.id = return_id));
grant select on returns, return_items to bytemtaani_kiosk;
