-- Readies a seeded shop for scripts/bench.sh (run again before every run; cheap after the first).
-- bench_ids numbers the products both load generators pick from: 1..20 are the hot ones,
-- the rest are products with at least 100 in stock.
create table if not exists bench_ids (n integer primary key, id uuid not null unique);
insert into bench_ids (n, id)
select row_number() over (order by id), id
from products
where stock_quantity >= 100 and not is_archived and not exists (select 1 from bench_ids)
order by id;
-- The rest stay well stocked: runs sell them down, and pgbench's script writes a line even
-- where its stock update found nothing (the stock check would call that overselling).
update products set stock_quantity = 100
where id in (select id from bench_ids where n > 20) and stock_quantity < 100;
-- The hot products never run out during a run: the runs measure contention, not refusals.
update products set stock_quantity = 10000000
where id in (select id from bench_ids where n <= 20) and stock_quantity < 1000000;
-- Both sides sell as the demo cashier, in the cashier's open shift (no till sale without one).
insert into shifts (cashier_id, opening_float)
select u.id, 0 from users u
where u.username = 'cashier'
  and not exists (select 1 from shifts s where s.cashier_id = u.id and s.closed_at is null);
