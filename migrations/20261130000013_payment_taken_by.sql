-- Issue 13, item 7. Who took a payment's reference at a till (an M-Pesa code the customer
-- showed). A sale paid again after its code was rejected may be taken by another cashier
-- than the one who rang it up: the verifier must be neither.
alter table payments add column taken_by uuid references users (id) on delete restrict;

update payments p set taken_by = o.served_by
from orders o
where o.id = p.order_id and p.status = 'pending' and p.transaction_id is not null;
