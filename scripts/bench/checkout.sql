-- One till sale as bare SQL, what the service layer does at its core: three conditional
-- stock updates in id order, the order, its three items, a successful cash payment, the
-- order marked paid. pgbench -M prepared -D base=.. -D n=.. -D walkin=.. -D cashier=..
\set a random(0, :n - 1)
\set b (:a + random(1, :n / 2 - 1)) % :n
\set c (:a + random(:n / 2, :n - 1)) % :n
\set a :base + 1 + :a
\set b :base + 1 + :b
\set c :base + 1 + :c
select ids[1] as p1, ids[2] as p2, ids[3] as p3
from (select array_agg(id order by id) as ids from bench_ids where n in (:a, :b, :c)) picked \gset
begin;
update products set stock_quantity = stock_quantity - 1 where id = :p1 and stock_quantity >= 1 returning price;
update products set stock_quantity = stock_quantity - 1 where id = :p2 and stock_quantity >= 1 returning price;
update products set stock_quantity = stock_quantity - 1 where id = :p3 and stock_quantity >= 1 returning price;
insert into orders (user_id, served_by, checkout_key, total_amount)
values (:walkin, :cashier, gen_random_uuid(), 3) returning id as order_id \gset
insert into order_items (order_id, product_id, quantity, price)
values (:order_id, :p1, 1, 1), (:order_id, :p2, 1, 1), (:order_id, :p3, 1, 1);
insert into payments (order_id, user_id, amount, method, status, transaction_id, paid_at)
values (:order_id, :walkin, 3, 'cash', 'successful', 'CASH-' || gen_random_uuid(), now());
update orders set status = 'paid' where id = :order_id;
end;
