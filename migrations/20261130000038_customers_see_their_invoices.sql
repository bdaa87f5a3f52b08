-- A customer's order at the kiosk shows its eTIMS invoice and KRA's checker QR (issue 17:
-- "the kiosk shows it on screen"). A kiosk reads only the invoices of the logged-in
-- customer's own orders, as it reads only their orders; tills and consoles read every
-- invoice. Invoices are still numbered and signed only by the owner's functions and the
-- shop server, whose rights bypass the rows' policies.
alter table etims_invoices enable row level security;
create policy etims_invoices_shop on etims_invoices for select
    to bytemtaani_till, bytemtaani_admin using (true);
-- The subquery is itself limited to the viewer's orders.
create policy etims_invoices_own on etims_invoices for select to bytemtaani_kiosk
    using (exists (select 1 from orders o where o.id = order_id));
grant select on etims_invoices to bytemtaani_kiosk;
