-- Issue 13: a cashier adds a customer on the spot (username and phone) from the till's
-- customer search. Such an account cannot log in ('!' is no password hash) until the
-- customer is given a password; it is a customer, never staff.
grant insert (username, email, phone, password_hash, is_staff, is_admin) on users to bytemtaani_till;
create policy users_added_at_till on users for insert to bytemtaani_till
    with check (not is_staff and not is_admin and password_hash = '!');
