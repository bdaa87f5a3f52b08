-- Issue 12. The demo's accounts are marked as such: their passwords are printed in the
-- README, so `seed --demo` refuses a database holding accounts it did not make, and the
-- admin console warns while any demo account exists.
alter table users add column is_demo boolean not null default false;
-- Accounts an earlier demo seed made (its usernames with its addresses) are the demo's.
update users set is_demo = true
where (username, email) in (('admin', 'admin@bytemtaani.co.ke'),
                            ('cashier', 'cashier@bytemtaani.co.ke'),
                            ('wanjiku', 'wanjiku@example.co.ke'));
grant select (is_demo) on users to bytemtaani_admin;

-- Every M-Pesa callback is kept as the bytes that arrived: jsonb cannot hold a NUL
-- (\u0000), and a body that could not be stored was lost with what it said.
alter table mpesa_callbacks add column raw bytea;
update mpesa_callbacks set raw = convert_to(body::text, 'UTF8');
alter table mpesa_callbacks alter column raw set not null;
alter table mpesa_callbacks drop column body;
