-- Migration 31 made the unique index on payments.order_id partial (one whole payment, or
-- parts), and left the queries for parts by order with no index: the trigger that keeps an
-- order from having both read every payment at each insert, so checkouts slowed as the table
-- grew (the checkout benchmark at 16 terminals fell from 0.93 to 0.56 of pgbench). Every
-- look-up of an order's payments, whole or parts, is served by this one.
create index payments_order_idx on payments (order_id);
